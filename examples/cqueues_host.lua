-- fernws inside cqueues: the fernws module is itself a pollable object (pollfd, events, timeout),
-- so one coroutine waits on it with cqueues.poll(fernws) and steps. A local server and a client
-- exchange typed messages while a cqueues task of the host's own publishes on its clock.
-- Nothing here calls fernws.run or fernws.poll: cq:loop() drives it all.
-- Run: lua5.4 examples/cqueues_host.lua [messages]
local cqueues = require "cqueues"
local fernws = require "fernws"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]+$") or "."
local chat = assert(fernws.load(here .. "/chat/chat.yml")):channel("chat")
local count = tonumber(arg and arg[1]) or 20

local srv = assert(chat:serve { port = 0 })
srv:subscribe("publish", function(msg, _, peer)
  peer:publish("subscribe", { id = tostring(#msg.text), message = "re: " .. msg.text })
end)
local replies = 0
local conn = assert(chat:connect { url = srv.url })
conn:subscribe("subscribe", function() replies = replies + 1 end)

local cq = cqueues.new()
local steps = 0

-- fernws in the cqueues loop: wait for its descriptor or its timeout, then do what is ready.
-- (A fernws callback runs inside fernws.step: it may not yield to cqueues.)
cq:wrap(function()
  while fernws.active() > 0 do
    cqueues.poll(fernws)
    fernws.step(0)
    steps = steps + 1
  end
end)

-- a task of the host's own, on cqueues' clock
local sent = 0
cq:wrap(function()
  while conn.state ~= "open" do cqueues.sleep(0.005) end
  for i = 1, count do
    conn:publish("publish", { text = "tick " .. i })
    sent = i
    cqueues.sleep(0.005)
  end
  while replies < count do cqueues.sleep(0.005) end
  conn:close()
  srv:close()
end)

local ok, err = cq:loop(30)  -- seconds: a wake-up that never comes ends it here, not in a hang
assert(ok, err)
assert(cq:empty(), "cq:loop ended with fernws still waiting")
print(string.format("%d messages published from a cqueues task, %d typed replies", sent, replies))
print(string.format("fernws steps taken by the cqueues loop: %d", steps))
os.exit(replies == count and sent == count and steps > 0 and fernws.active() == 0 and 0 or 1, true)
