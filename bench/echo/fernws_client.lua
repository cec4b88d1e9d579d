-- The fernws client of the echo benchmark (one connection, typed messages through Lua callbacks).
--   lua5.4 fernws_client.lua URL INFLIGHT SECONDS [WARMUP]
-- INFLIGHT EchoRequests go out at open; each EchoReply that arrives (decoded and validated in C,
-- delivered to the subscribe callback) is answered by the next EchoRequest (validated and encoded
-- in C by publish). Prints "rate R": round trips per second over SECONDS, after WARMUP seconds.
local fernws = require "fernws"

local url, inflight, secs, warm = arg[1], tonumber(arg[2]), tonumber(arg[3] or 3), tonumber(arg[4] or 0.5)
assert(url and inflight, "usage: lua5.4 fernws_client.lua URL INFLIGHT SECONDS [WARMUP]")
local here = arg[0]:match("^(.*)/[^/]+$") or "."
local api = assert(fernws.load(here .. "/echo.yml"))
local echo = api:channel("echo")

local seq, count, seqsum, failed = 0, 0, 0, nil
local conn = assert(echo:connect { url = url })

conn:on("open", function(c)
  for _ = 1, inflight do
    seq = seq + 1
    c:publish("echo", { seq = seq, op = "echo", data = "hello world" })
  end
end)
conn:subscribe("echoed", function(msg, info, c)
  count = count + 1
  seqsum = seqsum + msg.seq
  seq = seq + 1
  c:publish("echo", { seq = seq, op = "echo", data = "hello world" })
end)
conn:on("error", function(err) failed = tostring(err); io.stderr:write("fernws_client: ", failed, "\n") end)
conn:on("close", function(code, reason) failed = failed or ("closed " .. code); fernws.stop() end)

local t0 = fernws.now()
while conn.state ~= "open" and not failed and fernws.now() - t0 < 10 do fernws.run(0.05) end
if conn.state ~= "open" then io.stderr:write("fernws_client: not open\n"); os.exit(1) end
fernws.run(warm)
local c0, cpu0 = count, os.clock()
t0 = fernws.now()
fernws.run(secs)
local t1, cpu1 = fernws.now(), os.clock()
if failed then os.exit(1) end
print(string.format("rate %.1f", (count - c0) / (t1 - t0)))
print(string.format("cpu_us_per_rt %.3f", (cpu1 - cpu0) * 1e6 / math.max(count - c0, 1)))
print(string.format("count %d total %d seqsum %d", count - c0, count, seqsum))
conn:close()
os.exit(0)
