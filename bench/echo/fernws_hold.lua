-- Idle-connection memory of fernws clients: one Lua process holds COUNT connections.
--   lua5.4 fernws_hold.lua URL COUNT [SERVER_PID]
-- One warm-up connection first (lws and the allocator set up per-thread things on first use),
-- then RSS is read; COUNT more connections are opened (each with an open handler and a
-- subscription, as an application would have), the Lua heap is collected, and RSS is read again.
-- Prints the RSS delta per connection of this process, and of SERVER_PID when given (its RSS read
-- from /proc at the same two moments). Then holds the connections until stdin closes.
local fernws = require "fernws"

local url, count, server_pid = arg[1], tonumber(arg[2]), tonumber(arg[3] or "")
assert(url and count, "usage: lua5.4 fernws_hold.lua URL COUNT [SERVER_PID]")
local here = arg[0]:match("^(.*)/[^/]+$") or "."
local api = assert(fernws.load(here .. "/echo.yml"))
local echo = api:channel("echo")

local function rss_kb(pid)
  local f = io.open("/proc/" .. (pid or "self") .. "/statm")
  if not f then return -1 end
  local _, res = f:read("n", "n")
  f:close()
  return res * 4  -- 4 KiB pages
end

local opened, failed = 0, 0
local function on_open() opened = opened + 1 end
local function on_error(err) failed = failed + 1; if failed <= 3 then io.stderr:write("fernws_hold: ", tostring(err), "\n") end end
local function on_echoed() end
local conns = {}
local function open_one()
  local c = assert(echo:connect { url = url })
  c:on("open", on_open)
  c:on("error", on_error)
  c:subscribe("echoed", on_echoed)
  conns[#conns + 1] = c
end

local function pump_until(want, seconds)
  local t0 = fernws.now()
  while opened + failed < want and fernws.now() - t0 < seconds do fernws.poll(10) end
end

open_one()
pump_until(1, 10)
if opened ~= 1 then io.stderr:write("fernws_hold: warm-up connection failed\n"); os.exit(1) end
local t0 = fernws.now()
while fernws.now() - t0 < 0.2 do fernws.poll(10) end
collectgarbage(); collectgarbage()
local base, sbase, lbase = rss_kb(), server_pid and rss_kb(server_pid), collectgarbage("count")

t0 = fernws.now()
for i = 1, count do
  open_one()
  if i % 200 == 0 then pump_until(i + 1 - 100, 10) end
end
pump_until(count + 1, 60)
local t1 = fernws.now()
local s0 = fernws.now()
while fernws.now() - s0 < 0.5 do fernws.poll(10) end
collectgarbage(); collectgarbage()
local after, safter, lafter = rss_kb(), server_pid and rss_kb(server_pid), collectgarbage("count")
local n = math.max(opened - 1, 1)
print(string.format("opened %d failed %d seconds %.2f", opened - 1, failed, t1 - t0))
print(string.format("client_rss_kb %d %d", base, after))
print(string.format("client_kb_per_conn %.2f", (after - base) / n))
print(string.format("client_lua_kb_per_conn %.2f", (lafter - lbase) / n))
if server_pid then
  print(string.format("server_rss_kb %d %d", sbase, safter))
  print(string.format("server_kb_per_conn %.2f", (safter - sbase) / n))
end
print("held")
io.stdout:flush()
-- hold until the script closes our stdin
io.read("a")
os.exit(opened - 1 == count and 0 or 1)
