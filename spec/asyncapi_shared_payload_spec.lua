-- Messages of one direction that share a payload whose property is an enum (Deepgram's SpeakV1Flush,
-- SpeakV1Clear and SpeakV1Close all $ref SpeakV1ControlMessage, `type: enum [Flush, Clear, Close]`):
-- each message gets the payload with that property narrowed to the value it carries (its own
-- examples', else the one its id ends with), so a frame decodes as the message it is.
local helper = require "helper"
local fernws = helper.fernws

local function load_doc(text)
  local dir = helper.write_definition({ ["doc.yml"] = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n" .. text })
  local api, msg, errs = fernws.load(dir)
  helper.rmtree(dir)
  return api, msg, errs
end

local function warnings_about(api, words)
  local found = {}
  for _, w in ipairs(api.warnings) do
    if w.message:find(words, 1, true) then found[#found + 1] = w end
  end
  return found
end

-- one channel: the given messages (key = components message) and operations sending (or receiving) each
local function doc(messages, components, actions)
  local lines = { "channels:", "  c:", "    address: /c", "    messages:" }
  for _, m in ipairs(messages) do
    lines[#lines + 1] = ("      %s: {$ref: '#/components/messages/%s'}"):format(m[1], m[2])
  end
  lines[#lines + 1] = "operations:"
  for _, m in ipairs(messages) do
    lines[#lines + 1] = ("  op%s: {action: %s, channel: {$ref: '#/channels/c'}, messages: [{$ref: '#/channels/c/messages/%s'}]}")
      :format(m[1], (actions or {})[m[1]] or "send", m[1])
  end
  return table.concat(lines, "\n") .. "\ncomponents:\n  messages:\n" .. components
end

local control = [[
    Control:
      payload:
        type: object
        properties:
          type: {type: string, enum: [Flush, Clear, Close]}
          seq: {type: integer}
        required: [type]
]]

describe("AsyncAPI messages that share a payload", function()
  it("named by their ids: each decodes as itself, encodes its own value, refuses another's", function()
    local api = assert(load_doc(doc({ { "SpeakFlush", "Control" }, { "SpeakClear", "Control" }, { "speak_close", "Control" } },
      control)))
    local ch = api:channel("c")
    for id, value in pairs({ SpeakFlush = "Flush", SpeakClear = "Clear", speak_close = "Close" }) do
      local got, v = ch:decode(('{"type":"%s","seq":1}'):format(value), "client")
      assert.equal(id, got, value)
      assert.equal(1, v.seq)
      assert.equal(('{"type":"%s"}'):format(value), ch:encode(id, {}))
    end
    local ok, errs = ch:check("SpeakClear", { type = "Flush" })
    assert.is_false(ok)
    assert.equal('type: expected "Clear", got \'Flush\'', errs[1].message)
    assert.is_nil((ch:decode('{"type":"Other"}', "client")))
    assert.same({}, warnings_about(api, "share one payload"))
    -- the bodies keep the payload's name (errors and info.variant say it)
    assert.equal(ch.messages.SpeakFlush.type.name, ch.messages.SpeakClear.type.name)
  end)

  it("the longest value an id ends with, at a word boundary", function()
    local api = assert(load_doc(doc({ { "Flushed", "Ev" }, { "SpeakV1Flush", "Ev" } }, [[
    Ev:
      payload:
        type: object
        properties:
          type: {type: string, enum: [Flush, Flushed]}
]])))
    local ch = api:channel("c")
    assert.equal("Flushed", (ch:decode('{"type":"Flushed"}', "client")))
    assert.equal("SpeakV1Flush", (ch:decode('{"type":"Flush"}', "client")))
  end)

  it("distinct message objects with one payload $ref: their own examples say the value", function()
    local api = assert(load_doc(doc({ { "a", "A" }, { "b", "B" } }, [[
    A:
      payload: {$ref: '#/components/schemas/Control'}
      examples: [{payload: {type: Clear}}]
    B:
      payload: {$ref: '#/components/schemas/Control'}
      examples: [{payload: {type: Close}}, {payload: {type: Close, seq: 2}}]
  schemas:
    Control:
      type: object
      properties:
        type: {type: string, enum: [Flush, Clear, Close]}
]])))
    local ch = api:channel("c")
    assert.equal("a", (ch:decode('{"type":"Clear"}', "client")))
    assert.equal("b", (ch:decode('{"type":"Close"}', "client")))
    assert.is_nil((ch:decode('{"type":"Flush"}', "client")))
    assert.equal(3, #ch.examples)
  end)

  it("a shared message object's examples stay with the message whose value they carry", function()
    local api = assert(load_doc(doc({ { "Flush", "C" }, { "Clear", "C" } }, [[
    C:
      payload:
        type: object
        properties:
          type: {type: string, enum: [Flush, Clear]}
      examples: [{name: f, payload: {type: Flush}}, {name: c, payload: {type: Clear}}]
]])))
    local ch = api:channel("c")
    local where = {}
    for _, e in ipairs(ch.examples) do where[e.name] = e.messages[1].id end
    assert.same({ f = "Flush", c = "Clear" }, where)
    for _, e in ipairs(ch.examples) do assert.is_true((ch:check(e.messages[1].id, e.messages[1].body))) end
  end)

  it("when nothing says which is which: a warning at the message naming them, and no narrowing", function()
    local api = assert(load_doc(doc({ { "One", "Control" }, { "Two", "Control" } }, control)))
    local w = warnings_about(api, "share one payload")
    assert.equal(1, #w)
    assert.matches("channel c: messages One, Two share one payload and no enum property says which is which", w[1].message)
    assert.equal(15, w[1].line) -- the message object
    assert.equal("One", (api:channel("c"):decode('{"type":"Close"}', "client")))
  end)

  it("a message alone with its payload, or the same payload both ways, keeps the enum", function()
    local api = assert(load_doc(doc({ { "Flush", "Control" }, { "Clear", "Control" } }, control, { Clear = "receive" })))
    local ch = api:channel("c")
    assert.equal("Flush", (ch:decode('{"type":"Clear"}', "client")))
    assert.equal("Clear", (ch:decode('{"type":"Flush"}', "server")))
    assert.same({}, warnings_about(api, "share one payload"))
  end)

  it("deepgram-3.0: Flushed and Cleared, Flush, Clear and Close, Finalize, CloseStream and KeepAlive", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixtures .. "/asyncapi/deepgram-3.0"))
    local speak, listen = api:channel("speak.v1"), api:channel("listen.v1")
    assert.equal("SpeakV1Cleared", (speak:decode('{"type":"Cleared","sequence_id":1}')))
    assert.equal("SpeakV1Flushed", (speak:decode('{"type":"Flushed","sequence_id":1}')))
    for _, v in ipairs({ "Flush", "Clear", "Close" }) do
      assert.equal("SpeakV1" .. v, (speak:decode(('{"type":"%s"}'):format(v), "client")))
    end
    for _, v in ipairs({ "Finalize", "CloseStream", "KeepAlive" }) do
      assert.equal("ListenV1" .. v, (listen:decode(('{"type":"%s"}'):format(v), "client")))
    end
    -- listen v2 has one control message: it takes every value its enum has, as the document says
    assert.equal("ListenV2CloseStream", (api:channel("listen.v2"):decode('{"type":"Finalize"}', "client")))
    assert.same({}, warnings_about(api, "share one payload"))
  end)
end)
