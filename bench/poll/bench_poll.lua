-- How long does fernws.poll(budget) take while the loop is busy? A server and N clients in one
-- Lua state keep messages bouncing (each reply is answered at once), and the host calls
-- fernws.poll(budget) in a tight loop for some seconds, timing each call (wall clock and CPU).
-- Prints the calls, the messages moved, and the mean, median, 99th and 99.9th percentiles and the
-- worst call. run.sh runs it on a quiet machine and again beside CPU hogs.
-- usage: lua5.4 bench/poll/bench_poll.lua [seconds] [connections] [budget_ms] [label]
local fernws = require "fernws"

local root = arg[0]:match("^(.*)/bench/poll/[^/]+$") or "."
local seconds = tonumber(arg[1]) or 3
local nconn = tonumber(arg[2]) or 100
local budget = tonumber(arg[3]) or 2
local label = arg[4] or ""

local chat = assert(fernws.load(root .. "/examples/chat/chat.yml")):channel("chat")
local srv = assert(chat:serve { port = 0 })
srv:subscribe("publish", function(msg, _, peer)
  peer:publish("subscribe", { id = "1", message = msg.text })
end)

local moved = 0
local conns = {}
for i = 1, nconn do
  local c = assert(chat:connect { url = srv.url })
  c:on("open", function() for _ = 1, 4 do c:publish("publish", { text = "bounce " .. i }) end end)
  c:subscribe("subscribe", function(msg)  -- answered at once: the load never stops
    moved = moved + 1
    c:publish("publish", { text = msg.message })
  end)
  conns[i] = c
end

-- warm up until every connection is open
local t = fernws.now()
while fernws.now() - t < 20 do
  local open = 0
  for _, c in ipairs(conns) do if c.state == "open" then open = open + 1 end end
  if open == nconn then break end
  fernws.poll(budget)
end

-- each call's wall time (what a host's frame sees) and CPU time (fernws's own work: under load the
-- difference is time the scheduler gave to other processes)
local wall, cpu, n = {}, {}, 0
moved = 0
local now, clock = fernws.now, os.clock
local start = now()
while true do
  local t0, c0 = now(), clock()
  if t0 - start >= seconds then break end
  fernws.poll(budget)
  n = n + 1
  cpu[n] = clock() - c0
  wall[n] = now() - t0
end
local elapsed = now() - start

local function summary(times)
  table.sort(times)
  local sum = 0
  for i = 1, n do sum = sum + times[i] end
  local function pct(p) return times[math.max(1, math.ceil(n * p))] * 1e3 end
  return string.format("mean %.3f ms, median %.3f ms, p99 %.3f ms, p99.9 %.3f ms, worst %.3f ms",
    sum / n * 1e3, pct(0.5), pct(0.99), pct(0.999), times[n] * 1e3)
end
print(string.format("%s%d connections, poll(%g): %d calls in %.1f s, %.0f messages/s", label, nconn, budget, n,
  elapsed, moved / elapsed))
print(string.format("%s  wall per call: %s", label, summary(wall)))
print(string.format("%s  CPU per call:  %s", label, summary(cpu)))

for _, c in ipairs(conns) do c:close() end
srv:close()
fernws.run(10)
