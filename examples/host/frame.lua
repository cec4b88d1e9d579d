-- The Lua side of examples/host/host.c: each Lua state (one per thread) serves the chat channel
-- and connects a client to itself. The host calls frame() once a frame: per_frame typed messages go
-- out (and as many typed replies come back), then fernws.poll(2) does the loop's work and returns.
local dir, name, per_frame = ...
local fernws = require "fernws"

local chat = assert(fernws.load(dir .. "/../chat/chat.yml")):channel("chat")
local srv = assert(chat:serve { port = 0 })
srv:subscribe("publish", function(msg, _, peer)
  peer:publish("subscribe", { id = name, message = msg.text })
end)

local conn = assert(chat:connect { url = srv.url })
local stats = { sent = 0, received = 0, polls = 0 }
conn:subscribe("subscribe", function(msg)
  if msg.id == name then stats.received = stats.received + 1 end
end)

local host = {}

function host.frame(n)
  if conn.state == "open" then
    for i = 1, per_frame do
      conn:publish("publish", { text = name .. " frame " .. n .. " #" .. i })
      stats.sent = stats.sent + 1
    end
  end
  fernws.poll(2)
  stats.polls = stats.polls + 1
end

-- The end: close, then the host keeps calling drain() once a frame until nothing is left (the
-- close handshakes). No fernws.run here: a frame loop never blocks.
function host.finish()
  conn:close()
  srv:close()
  fernws.poll(2)
  return stats.sent, stats.received, fernws.active()
end

function host.drain()
  fernws.poll(2)
  return fernws.active()
end

return host
