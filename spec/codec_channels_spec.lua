-- Channels: check/encode by message id, decode choosing the message (server side by default, client
-- with origin), info {id, variant}, strict; on the codec's own chat channel and on real definitions
-- (Deepgram's speak: several messages each way told apart by a literal type; Hume's chat: one message
-- that is an 8-member union).
local u = require "codec_util"
local helper = require "helper"
local cjson = require "cjson"

describe("codec: a channel's messages", function()
  local ch = u.api():channel("chat")

  it("check and encode any message by id, writing literals left out", function()
    assert.is_true(ch:check("hello", { name = "n" }))
    assert.is_true(ch:check("welcome", { session = "s" })) -- a server message checks too
    assert.same({ type = "say", text = "hi" }, cjson.decode(ch:encode("say", { text = "hi" })))
    assert.equal('{"type":"ping"}', ch:encode("ping", {}))
    assert.same({ type = "ping", seq = 5 }, cjson.decode(ch:encode("pong", { seq = 5 })))
    local ok, errs = ch:check("hello", {})
    assert.is_false(ok)
    assert.same({ path = "name", expected = "string", got = "nil", message = "name: required property is missing (expected string)" }, errs[1])
  end)

  it("raise on an unknown id, listing the channel's messages", function()
    assert.has_error(function() ch:encode("nope", {}) end,
      "unknown message 'nope' (channel chat has: hello, say, ping, welcome, said, pong, event)")
    assert.has_error(function() ch:check("nope", {}) end,
      "unknown message 'nope' (channel chat has: hello, say, ping, welcome, said, pong, event)")
  end)

  it("encode raises with every failing field", function()
    local ok, err = pcall(ch.encode, ch, "said", { text = 1, at = "yesterday", extra = true })
    assert.is_false(ok)
    assert.matches("invalid 'said' message: ", err, 1, true)
    for _, part in ipairs({ "text: expected string, got integer", "at: is not an RFC 3339 date-time",
      "extra: unknown property (not in object chat.Said)" }) do
      assert.matches(part, err, 1, true)
    end
  end)

  it("decode tells the server's messages apart by their literal type, and says which", function()
    local cases = {
      { '{"type":"welcome","session":"s"}', "welcome", "Welcome" },
      { '{"text":"t","type":"said","at":"2024-01-15T10:30:00Z"}', "said", "Said" },
      { '{"type":"ping","seq":9007199254740993}', "pong", "Ping" },
      { '{"type":"tick","n":1}', "event", "tick" },
      { '{"type":"stop"}', "event", "stop" },
    }
    for _, c in ipairs(cases) do
      local id, value, info = ch:decode(c[1])
      assert.equal(c[2], id, c[1])
      assert.same({ id = c[2], variant = c[3] }, info)
      local want = cjson.decode(c[1])
      want.seq = value.seq -- cjson reads 2^53 + 1 as a double; checked below
      assert.same(want, value)
    end
    local _, v = ch:decode('{"type":"ping","seq":9007199254740993}')
    assert.equal(9007199254740993, v.seq)
    assert.equal("integer", math.type(v.seq))
  end)

  it("decode takes client messages with origin = client (the server side)", function()
    assert.equal("hello", (ch:decode('{"type":"hello","name":"n"}', "client")))
    local id, v, info = ch:decode('{"type":"say","text":"x"}', { origin = "client" })
    assert.equal("say", id)
    assert.same({ type = "say", text = "x" }, v)
    assert.same({ id = "say", variant = "Say" }, info)
    assert.equal("ping", (ch:decode('{"type":"ping"}', "client")))
    assert.equal("welcome", (ch:decode('{"type":"welcome","session":"s"}', { origin = "server" })))
    assert.has_error(function() ch:decode("{}", "sideways") end)
    assert.has_error(function() ch:decode("{}", { origin = "up" }) end, 'origin must be "client" or "server"')
  end)

  it("decode of a message from the other side, or of none, is nil and the reason", function()
    local id, err, errs = ch:decode('{"type":"hello","name":"n"}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: type: 'hello' is not one of 'welcome', 'said', 'ping', 'tick', 'stop'", err)
    assert.same({ path = "type", expected = "message", got = "string",
      message = "type: 'hello' is not one of 'welcome', 'said', 'ping', 'tick', 'stop'" }, errs[1])
    id, err = ch:decode("[1]")
    assert.is_nil(id)
    assert.equal("cannot decode the message: matches none of the messages (tried welcome, said, pong, event)", err)
    -- the literal names the message: its errors are the ones given
    id, err = ch:decode('{"type":"welcome"}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: session: required property is missing (expected string)", err)
  end)

  it("keeps unknown properties unless strict", function()
    local id, v = ch:decode('{"type":"welcome","session":"s","new":[1]}')
    assert.equal("welcome", id)
    assert.same({ 1 }, v.new)
    local _, err = ch:decode('{"type":"welcome","session":"s","new":1}', { strict = true })
    assert.equal("cannot decode the message: new: unknown property (not in object chat.Welcome)", err)
  end)

  it("a message without the literal is taken by the first that fits, the literal implied", function()
    local id, v, info = ch:decode('{"session":"s"}')
    assert.equal("welcome", id)
    assert.same({ session = "s", type = "welcome" }, v)
    assert.equal("Welcome", info.variant)
  end)
end)

describe("codec: Deepgram speak (several messages each way, told apart by literal types)", function()
  local ch

  setup(function()
    if helper.have_fixtures then ch = assert(helper.fernws.load(helper.fixture("deepgram"))):channel("speak") end
  end)

  it("decodes each server message as itself", function()
    if not helper.needs_fixtures(pending) then return end
    local cases = {
      { '{"type":"Metadata","request_id":"r","model_name":"m","model_version":"v","model_uuid":"u"}', "metadata", "MetadataFormat" },
      { '{"type":"Flushed","sequence_id":3}', "flushConfirmation", "FlushConfirmationFormat" },
      { '{"type":"Cleared","sequence_id":4}', "clearConfirmation", "ClearConfirmationFormat" },
      { '{"type":"Warning","warn_code":"c","warn_msg":"m"}', "warning", "WarningFormat" },
    }
    for _, c in ipairs(cases) do
      local id, v, info = ch:decode(c[1])
      assert.equal(c[2], id)
      assert.same(cjson.decode(c[1]), v)
      assert.same({ id = c[2], variant = c[3] }, info)
    end
    local _, v = ch:decode('{"type":"Flushed","sequence_id":3}')
    assert.equal("integer", math.type(v.sequence_id))
  end)

  it("decodes client messages with origin = client, and writes their type itself", function()
    if not helper.needs_fixtures(pending) then return end
    for id, lit in pairs({ flush = "Flush", clear = "Clear", close = "Close" }) do
      local text = ch:encode(id, {})
      assert.equal('{"type":"' .. lit .. '"}', text)
      assert.equal(id, (ch:decode(text, "client")))
    end
    assert.same({ type = "Speak", text = "hi" }, cjson.decode(ch:encode("textMessage", { text = "hi" })))
    assert.equal("textMessage", (ch:decode('{"type":"Speak","text":"hi"}', "client")))
  end)

  it("refuses a server message of a type it does not know, and a wrong field, saying where", function()
    if not helper.needs_fixtures(pending) then return end
    local id, err = ch:decode('{"type":"Speak","text":"hi"}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: type: 'Speak' is not one of 'Metadata', 'Flushed', 'Cleared', 'Warning'", err)
    id, err = ch:decode('{"type":"Flushed","sequence_id":"3"}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: sequence_id: expected integer, got string", err)
    assert.has_error(function() ch:encode("flush", { type = "Clear" }) end)
  end)
end)

describe("codec: Hume EVI chat (one server message: an 8-member union)", function()
  local ch

  setup(function()
    if helper.have_fixtures then ch = assert(helper.fernws.load(helper.fixture("hume"))):channel("empathic-voice.chat") end
  end)

  it("dispatches on the members' literal type, info.variant naming the member", function()
    if not helper.needs_fixtures(pending) then return end
    local id, v, info = ch:decode('{"type":"assistant_message","from_text":false,"id":"a1",' ..
      '"message":{"role":"assistant","content":"Hello"},"models":{}}')
    assert.equal("subscribe", id)
    assert.same({ id = "subscribe", variant = "AssistantMessage" }, info)
    assert.equal("Hello", v.message.content)
    id, v, info = ch:decode('{"type":"assistant_end"}')
    assert.same({ id = "subscribe", variant = "AssistantEnd" }, info)
    assert.same({ type = "assistant_end" }, v)
  end)

  it("names the member's field at fault", function()
    if not helper.needs_fixtures(pending) then return end
    local id, err, errs = ch:decode('{"type":"assistant_message","from_text":"no","message":{"role":"assistant"},"models":{}}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: from_text: expected boolean, got string", err)
    assert.equal("from_text", errs[1].path)
    id, err = ch:decode('{"type":"no_such_event"}')
    assert.is_nil(id)
    assert.matches("^cannot decode the message: type: 'no_such_event' is not one of 'assistant_end', ", err)
    -- all 48 prosody scores are required
    id, err = ch:decode('{"type":"assistant_message","from_text":false,"message":{"role":"assistant"},' ..
      '"models":{"prosody":{"scores":{"Joy":0.5}}}}')
    assert.is_nil(id)
    assert.equal("cannot decode the message: models.prosody.scores.Admiration: required property is missing (expected double)", err)
  end)

  it("tells the tool messages apart though their type is optional<literal<...>>", function()
    if not helper.needs_fixtures(pending) then return end
    local id, _, info = ch:decode('{"type":"tool_error","tool_call_id":"t","error":"e"}')
    assert.equal("subscribe", id)
    assert.equal("ToolErrorMessage", info.variant)
    local _, err = ch:decode('{"type":"tool_call","name":"n"}')
    assert.matches("^cannot decode the message: parameters: required property is missing", err)
  end)

  it("encodes the client's PublishEvent members", function()
    if not helper.needs_fixtures(pending) then return end
    local text = ch:encode("publish", { type = "session_settings" })
    assert.same({ type = "session_settings" }, cjson.decode(text))
    local id, _, info = ch:decode(text, "client")
    assert.equal("publish", id)
    assert.equal("SessionSettings", info.variant)
  end)
end)

describe("codec: a channel side with no messages", function()
  it("decodes nothing, saying so", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(helper.fernws.load(helper.fixture("fern-websocket"))):channel("empty.empty-realtime")
    local id, err, errs = ch:decode("{}")
    assert.is_nil(id)
    assert.equal("cannot decode the message: this side of the channel receives no messages", err)
    assert.equal(1, #errs)
    assert.is_nil((ch:decode("{}", "client")))
    assert.has_error(function() ch:encode("x", {}) end, "unknown message 'x' (channel empty.empty-realtime has: none)")
  end)
end)
