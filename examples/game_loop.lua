-- A host's frame loop: 60 frames a second, each calling fernws.poll(2) while typed messages flow
-- between a local server and a client. Prints the longest frame's fernws work: poll never blocks.
-- Run: lua5.4 examples/game_loop.lua [seconds]
local fernws = require "fernws"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]+$") or "."
local chat = assert(fernws.load(here .. "/chat/chat.yml")):channel("chat")
local seconds = tonumber(arg and arg[1]) or 3

local now = fernws.now   -- monotonic wall-clock seconds: a blocked poll would show here

local srv = assert(chat:serve { port = 0 })
srv:subscribe("publish", function(msg, _, peer)
  peer:publish("subscribe", { id = tostring(#msg.text), message = msg.text })
end)

local received, sent = 0, 0
local conn = assert(chat:connect { url = srv.url })
conn:subscribe("subscribe", function() received = received + 1 end)

local frames, worst, total = 0, 0, 0
local frame_time = 1 / 60
local start = now()
while now() - start < seconds do
  local t0 = now()
  if conn.state == "open" then
    -- the game sends a few messages a frame
    for _ = 1, 5 do
      conn:publish("publish", { text = "frame " .. frames })
      sent = sent + 1
    end
  end
  fernws.poll(2)
  local spent = now() - t0
  worst = math.max(worst, spent)
  total = total + spent
  frames = frames + 1
  -- the rest of the frame is the game's: here, just wait it out
  local target = t0 + frame_time
  while now() < target do end
end

conn:close()
srv:close()
fernws.poll(2)
print(string.format("%d frames, %d messages sent, %d typed replies received", frames, sent, received))
print(string.format("fernws work per frame: mean %.3f ms, longest %.3f ms", total / frames * 1000, worst * 1000))
os.exit(received > 0 and 0 or 1, true)
