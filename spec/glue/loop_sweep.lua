-- Run by spec/c/fws_lua_host (spec/glue_alloc_spec.lua): a server and its clients on loopback,
-- with the memory the state may take raised step by step from nothing spare, while the loop runs:
-- memory errors strike in the accept callback (inside lws_service), in event delivery, in the
-- codec, in callbacks and in on_error itself. The loop must never be left half-way: afterwards a
-- new client is served, every handle closes, and the host's lua_close frees everything.
local root = arg[1]
local fernws = require "fernws"
local dir = dofile(root .. "/spec/glue/definition.lua")()
local ch = assert(fernws.load(dir)):channel("glue")
os.execute("rm -rf '" .. dir .. "'")

local value = { tags = { "a", "b" }, shapes = {}, many = { k66 = 1 } }
for i = 1, 70 do value["p" .. i] = i end
for i = 1, 20 do value.shapes[i] = { side = i + 0.5 } end

local reported = 0
fernws.on_error = function() reported = reported + 1 end

local srv = assert(ch:serve { port = 0 })
local served = 0
srv:on("connect", function(peer, req) return true end)
srv:subscribe("big", function(v, info, peer)
  served = served + 1
  peer:publish("back", v)
end)
srv:on("error", function() end)

local clients = {}
local function client()
  local c = assert(ch:connect { url = srv.url, queue = 4 })
  local st = { got = 0 }
  c:on("open", function() st.open = true end)
  c:on("close", function() st.closed = true end)
  c:on("error", function(e) st.err = e end)
  c:subscribe("back", function(v) st.got = st.got + 1 end)
  clients[#clients + 1] = c
  return c, st
end

local function settle(pred, secs)
  local deadline = fernws.now() + (secs or 10)
  while not pred() and fernws.now() < deadline do fernws.run(0.01) end
  return pred()
end

local c, st = client()
assert(settle(function() return st.open end), "the first client opens")

local max, step = tonumber(arg[2]) or 40000, tonumber(arg[3]) or 199
local rounds, failed_polls = 0, 0
local publish = function() return c:publish("big", value) end
local connect = function() return client() end
local poll = function() return fernws.poll(1) end
-- a task: waits for a timer, for open, for a message with a timeout, then closes
local tasks_done = 0
local task = function()
  fernws.sleep(0)
  local conn = ch:connect { url = srv.url }
  if conn then
    conn:receive("back", 0.001)
    conn:close()
  end
  tasks_done = tasks_done + 1
end
local spawn = function() return fernws.spawn(task) end
for k = 0, max, step do
  rounds = rounds + 1
  collectgarbage()
  host.limit(host.used() + k)
  pcall(publish)
  if rounds % 8 == 0 then pcall(connect) end
  if rounds % 4 == 2 then pcall(spawn) end
  for _ = 1, 10 do
    if not pcall(poll) then failed_polls = failed_polls + 1 end
  end
  host.limit()
end

-- the loop was never left half-way: run and poll work, and a new client is served
assert(fernws.poll(1) >= 0)
local c2, st2 = client()
assert(settle(function() return st2.open end), "a new client opens after the sweep")
local before = served
assert(c2:publish("big", value))
assert(settle(function() return st2.got == 1 end), "a new client is served after the sweep")
assert(served == before + 1)
for _, x in ipairs(clients) do x:close() end
srv:close()
local errors, done = fernws.run(10)
assert(done, "everything ended")
print(("loop sweep: %d rounds, %d served, %d reported, %d polls raised, %d allocations refused, %d tasks ended"):format(
  rounds, served, reported, failed_polls, host.refused(), tasks_done))
