-- fernws inside a luv (libuv) loop: fernws's descriptor is one more uv_poll, and a uv timer follows
-- fernws.timeout(). A local server and two clients exchange typed messages; a uv timer of the
-- host's own publishes on its clock, and a fernws task (connect by name, receive, sleep) runs too.
-- Nothing here calls fernws.run or fernws.poll: luv's uv.run() drives it all.
-- Run: lua5.4 examples/luv_host.lua [messages]
local uv = require "luv"
local fernws = require "fernws"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]+$") or "."
local chat = assert(fernws.load(here .. "/chat/chat.yml")):channel("chat")
local count = tonumber(arg and arg[1]) or 20

-- fernws in the luv loop: step when the descriptor is readable, or when fernws.timeout() is due
local watch = uv.new_poll(fernws.pollfd())
local due = uv.new_timer()
local steps = 0
local function step()
  steps = steps + 1
  fernws.step(0)
  due:stop()
  if fernws.active() == 0 then  -- nothing left: let uv.run() return
    watch:stop()
    return
  end
  local t = fernws.timeout()      -- seconds, or nil when nothing is scheduled
  if t then due:start(math.ceil(t * 1000), 0, step) end
end
watch:start("r", step)

-- the server answers each publish
local srv = assert(chat:serve { port = 0 })
srv:subscribe("publish", function(msg, _, peer)
  peer:publish("subscribe", { id = tostring(#msg.text), message = "re: " .. msg.text })
end)

-- a client fed by a uv timer: work that starts outside fernws's callbacks
local replies = 0
local conn = assert(chat:connect { url = srv.url })
conn:subscribe("subscribe", function() replies = replies + 1 end)
local sent = 0
local clock = uv.new_timer()
clock:start(5, 5, function()
  if conn.state ~= "open" then return end
  sent = sent + 1
  conn:publish("publish", { text = "tick " .. sent })
  if sent == count then clock:stop() end
end)

-- a fernws task: connects by name (looked up off the loop's thread), asks, waits, sleeps
local answered
fernws.spawn(function()
  local c = assert(chat:connect { url = srv.url:gsub("127%.0%.0%.1", "localhost") })
  c:publish("publish", { text = "from a task" })
  local msg = c:receive("subscribe", 10)
  answered = msg and msg.message
  while replies < count do fernws.sleep(0.01) end
  c:close()
  conn:close()
  srv:close()
end)

step()
uv.run()
clock:close()
watch:close()
due:close()
uv.run()

print(string.format("%d messages published from a uv timer, %d typed replies", sent, replies))
print(string.format("the task's answer: %s", tostring(answered)))
print(string.format("fernws steps taken by the luv loop: %d", steps))
os.exit(replies == count and answered == "re: from a task" and 0 or 1, true)
