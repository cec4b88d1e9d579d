-- Every real Fern Definition under ../shared/fixtures loads, or fails exactly as its README says.
-- Where the Fern CLI can produce an IR, fernws must agree with it (spec/expected/fixtures_ir.lua).
local helper = require "helper"
local fernws = helper.fernws
local expected_ir = require "expected.fixtures_ir"

local function sorted_keys(t)
  local k = {}
  for key in pairs(t) do k[#k + 1] = key end
  table.sort(k)
  return k
end

local function messages_of(ch)
  local m = {}
  for id, msg in pairs(ch.messages) do m[id] = msg.origin end
  return m
end

local function names(list)
  local t = {}
  for _, p in ipairs(list) do t[#t + 1] = p.name end
  return t
end

describe("fixtures agree with Fern's IR", function()
  for _, name in ipairs(sorted_keys(expected_ir)) do
    it(name, function()
      if not helper.needs_fixtures(pending) then return end
      local api, err = fernws.load(helper.fixture(name))
      assert.is_not_nil(api, err)
      local want = expected_ir[name]
      assert.same(sorted_keys(want), api:channels())
      for cname, w in pairs(want) do
        local ch = api:channel(cname)
        assert.equal(w.path, ch.path, cname .. " path")
        assert.equal(w.url, ch.url, cname .. " url")
        assert.equal(w.auth, ch.auth, cname .. " auth")
        assert.same(w.messages, messages_of(ch), cname .. " messages and origins")
        local q = {}
        for _, p in ipairs(ch.query) do q[p.name] = p.required end
        assert.same(w.query, q, cname .. " query parameters (name = required)")
        assert.same(w.path_params, names(ch.path_params), cname .. " path parameters")
        assert.same(w.headers, names(ch.headers), cname .. " headers")
      end
    end)
  end
end)

describe("fixtures the Fern CLI cannot turn into IR", function()
  it("seed-chat: the docs example's bare `type: optional` is an error at its place", function()
    if not helper.needs_fixtures(pending) then return end
    local api, msg, errs = fernws.load(helper.fixture("seed-chat"))
    assert.is_nil(api)
    assert.equal(2, #errs)
    for i, line in ipairs({ 6, 9 }) do
      assert.matches("seed%-chat/definition/chat%.yml$", errs[i].file)
      assert.equal(line, errs[i].line)
      assert.equal(13, errs[i].column)
      assert.equal("'optional' needs a type argument, e.g. optional<string>", errs[i].message)
    end
    assert.matches("chat%.yml:6:13: 'optional' needs a type argument", msg)
  end)

  it("assemblyai, strict: example ids that name no message, and a path parameter the path lacks", function()
    if not helper.needs_fixtures(pending) then return end
    local api, msg, errs = fernws.load(helper.fixture("assemblyai"), { strict = true })
    assert.is_nil(api)
    local got = {}
    for _, e in ipairs(errs) do
      got[#got + 1] = string.format("%s:%d:%d: %s", e.file:match("[^/]+$"), e.line, e.column, e.message)
    end
    assert.same({
      "universal3ProStreaming.yml:48:17: example message type 'receiveSessionBegins' is not a message of this channel",
      "universal3ProStreaming.yml:50:17: example message type 'sendAudio' is not a message of this channel",
      "universal3ProStreaming.yml:52:17: example message type 'sendAudio' is not a message of this channel",
      "universal3ProStreaming.yml:98:5: path parameter 'filter_profanity' is declared but the path '/v3/ws' has no such placeholder",
      "universalStreaming.yml:70:17: example message type 'receiveSessionBegins' is not a message of this channel",
      "universalStreaming.yml:72:17: example message type 'sendAudio' is not a message of this channel",
      "universalStreaming.yml:74:17: example message type 'sendAudio' is not a message of this channel",
      "universalStreaming.yml:115:5: path parameter 'filter_profanity' is declared but the path '/v3/ws' has no such placeholder",
    }, got)
    assert.matches("universalStreaming%.yml:70:17", msg)
  end)

  it("assemblyai loads as published: the same problems are warnings", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("assemblyai")))
    assert.same({ "universal3ProStreaming", "universalStreaming" }, api:channels())
    local ch = api:channel("universalStreaming")
    assert.same({ audioChunk = "client", forceEndpoint = "client", sessionBegins = "server",
      sessionTermination = "client", termination = "server", turn = "server", updateConfiguration = "client" },
      messages_of(ch))
    assert.equal("production", ch.url)
    assert.equal("/v3/ws", ch.path)
    local warned = 0
    for _, w in ipairs(api.warnings) do
      if w.message:find("is not a message of this channel", 1, true) then warned = warned + 1 end
    end
    assert.equal(6, warned)
    local q = {}
    for _, p in ipairs(ch.query) do q[p.name] = p end
    assert.is_true(q.keyterms_prompt.allow_multiple)
    assert.equal(16000, q.sample_rate.default)
    assert.is_true(q.sample_rate.required)
    assert.equal(5, q.inactivity_timeout.type.element and q.inactivity_timeout.type.element.rules and
      q.inactivity_timeout.type.element.rules.min or q.inactivity_timeout.type.rules.min)
  end)

  it("elevenlabs: a REST property's display-name is a warning; both channels load", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("elevenlabs")))
    assert.same({ "v1TextToSpeechVoiceIdMultiStreamInput", "v1TextToSpeechVoiceIdStreamInput" }, api:channels())
    assert.equal(6, #api.warnings)
    for _, w in ipairs(api.warnings) do
      assert.matches("unknown key 'display%-name' in property", w.message)
      assert.matches("__package__%.yml$", w.file)
    end
    local ch = api:channel("v1TextToSpeechVoiceIdStreamInput")
    assert.equal("/v1/text-to-speech/{voice_id}/stream-input", ch.path)
    assert.equal("WSS", ch.url)
    assert.same({ "voice_id" }, names(ch.path_params))
    assert.same({ publish = "client", subscribe = "server" }, messages_of(ch))
    local required = {}
    for _, p in ipairs(ch.query) do if p.required then required[#required + 1] = p.name end end
    assert.same({ "output_format", "apply_text_normalization" }, required)
    assert.equal("wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input", ch:endpoint())
    assert.equal("ELEVENLABS_API_KEY", api.headers[1].env)
  end)

  it("fern-websocket-oauth: a broken REST example does not touch the channels", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("fern-websocket-oauth")))
    assert.same({ "stream", "transcribe" }, api:channels())
    assert.same({ send = "client", receive = "server" }, messages_of(api:channel("stream")))
    assert.same({ send_audio = "client", receive_transcript = "server" }, messages_of(api:channel("transcribe")))
    assert.is_true(api:channel("transcribe").auth)
    assert.equal("oauth", api.auth[1].kind)
  end)

  it("fern-unions: no channels, every union shape read", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("fern-unions")))
    assert.same({}, api:channels())
    assert.equal(19, #api:types())
    local u = api:type("types.UnionWithDiscriminant")
    assert.equal("union", u.kind)
    assert.equal("_type", u.discriminant)
    assert.equal("foo", u.variants[1].key)
    assert.equal("types.Foo", u.variants[1].type.name)
    local e = api:type("types.UnionWithNoProperties")
    assert.is_nil(e.variants[2].type)
    assert.equal("empty", e.variants[2].value)
    local b = api:type("types.UnionWithBaseProperties")
    assert.equal("id", b.base_properties[1].name)
    assert.is_false(b.variants[1].flattened)
    assert.is_true(b.variants[3].flattened)
  end)
end)

describe("one channel file on its own", function()
  it("finds api.yml above it, so imports and environments work", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("hume") .. "/empathic-voice/chat.yml"))
    assert.same({ "empathic-voice.chat" }, api:channels())
    assert.equal("wss://api.hume.ai/v0/evi/chat", api:channel("empathic-voice.chat"):endpoint())
  end)
end)
