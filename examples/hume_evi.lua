-- A real client for Hume's Empathic Voice Interface (EVI) chat channel, from Hume's own published
-- Fern Definition. Not run by the tests (it needs the network and a key).
--
--   HUME_API_KEY=... lua5.4 examples/hume_evi.lua /path/to/hume/definition "Hello!"
--
-- The definition: Hume's SDK repositories ship it (.mock/definition); ../shared/fixtures/fern/hume
-- holds a copy. EVI takes the key as the `api_key` query parameter (the channel has auth: false).
local fernws = require "fernws"

local defn = arg[1] or "../shared/fixtures/fern/hume/definition"
local text = arg[2] or "Hello! Tell me a very short joke."
local key = os.getenv("HUME_API_KEY")
if not key then
  io.stderr:write("set HUME_API_KEY to your Hume API key\n")
  os.exit(2)
end

local api = assert(fernws.load(defn))
local chat = api:channel("empathic-voice.chat")
print("connecting to " .. chat:endpoint())

fernws.spawn(function()
  local conn, err = chat:connect {
    -- session_settings is required in this definition (optional in Hume's newer SDK): an empty
    -- object is left out of the query, as the SDK does, and a fernws server reads it back as {}
    query = { api_key = key, session_settings = {} },
    reconnect = { attempts = 3 },
  }
  if not conn then
    print("could not connect: " .. tostring(err))
    return
  end
  conn:on("error", function(e) print("error: " .. tostring(e)) end)
  -- typed messages: fernws checks them against the definition before they leave
  conn:publish("publish", { type = "session_settings", system_prompt = "Answer in one sentence." })
  conn:publish("publish", { type = "user_input", text = text })
  while true do
    local event, info = conn:receive("subscribe", 30)
    if not event then
      print("no more messages: " .. tostring(info))
      break
    end
    if info.variant == "AssistantMessage" then
      print("EVI: " .. event.message.content)
    elseif info.variant == "AssistantEnd" then
      break
    elseif info.variant == "WebSocketError" then
      print("EVI error: " .. tostring(event.message))
      break
    end
  end
  conn:close()
end)
fernws.run()
