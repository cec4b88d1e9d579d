-- The demo: a mock server for the chat channel (it plays the definition's example) and a client
-- exchanging typed messages with it, on loopback. Run: lua5.4 examples/chat.lua
local fernws = require "fernws"

local here = arg and arg[0] and arg[0]:match("^(.*)/[^/]+$") or "."
local api = assert(fernws.load(here .. "/chat/chat.yml"))
local chat = api:channel("chat")

-- The server side: plays the channel's examples, logging what it hears and says.
local mock = assert(fernws.mock(chat, {
  log = function(line) print("  [server] " .. line) end,
}))
print(string.format("server: mock of channel '%s' on %s%s", chat.name, mock.url, chat.path))

-- The client side: typed query parameters, a typed publish, a typed subscription.
local conn = assert(chat:connect { url = mock.url, query = { model_id = "123" } })
local status = 1

conn:on("open", function(c)
  local hello = { text = "Hello, world." }
  print("client: connected to " .. c.url .. ", publishing " .. chat:encode("publish", hello))
  c:publish("publish", hello)
end)

conn:subscribe("subscribe", function(event, info, c)
  -- event is a SubscribeEvent, already checked against the definition
  print(string.format("client: received %s (%s): id=%s message=%q", info.id, info.variant, event.id, event.message))
  status = 0
  c:close(1000, "done")
  mock:close()
end)

conn:on("error", function(err) print("client: error: " .. tostring(err)) end)
conn:on("close", function(code, reason)
  print(string.format("client: closed by the server (%d %s)", code, reason))
  mock:close()
end)

fernws.run(10)
print(status == 0 and "demo: ok" or "demo: failed")
os.exit(status, true) -- close the Lua state: every handle is given back
