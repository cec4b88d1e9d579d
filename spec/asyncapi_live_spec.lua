-- Live, on loopback: an AsyncAPI channel served by fernws.mock (its examples) or by channel:serve
-- answers a fernws client, for every fixture; binary messages travel as binary frames, by id.
local helper = require "helper"
local fernws = helper.fernws

local function run_until(cond, seconds)
  local deadline = fernws.now() + (seconds or 10)
  while not cond() and fernws.now() < deadline do fernws.poll(5) end
  return cond()
end

-- Closes what a test opened and runs the loop until nothing is left, so that the next spec starts
-- with nothing active.
local function close_all(...)
  for _, x in ipairs({ ... }) do x:close() end
  run_until(function() return fernws.active() == 0 end)
end

local function load(name)
  return assert(fernws.load(helper.fixtures .. "/asyncapi/" .. name))
end

-- A value for a required parameter an example leaves out.
local function sample(t)
  if t.kind == "alias" then return sample(t.target) end
  if t.kind == "optional" or t.kind == "nullable" then return sample(t.element) end
  if t.kind == "enum" then return t.values[1].value end
  if t.kind == "literal" then return t.value end
  if t.kind == "primitive" and (t.primitive == "integer" or t.primitive == "long") then return 16000 end
  return "x"
end

local function handshake(ch, ex, url)
  local opts = { url = url, queue = 100, path = {}, query = {} }
  for k, v in pairs(ex and ex.query or {}) do opts.query[k] = v end
  for _, p in ipairs(ch.path_params) do opts.path[p.name] = sample(p.type) end
  for _, p in ipairs(ch.query) do
    if p.required and opts.query[p.name] == nil then opts.query[p.name] = sample(p.type) end
  end
  if ch.auth then opts.auth = { token = "test-token" } end
  return opts
end

-- Plays one example against the mock: client messages go out (binary ones with send_binary) once
-- the server messages before them came; returns the ids received and the decode errors.
local function replay(ch, ex, mock)
  local received, errors = {}, 0
  local conn = assert(ch:connect(handshake(ch, ex, mock.url)))
  conn:subscribe("*", function(_, info) received[#received + 1] = info.id end)
  conn:on("error", function(e) if e.kind == "decode" then errors = errors + 1 end end)
  assert.is_true(run_until(function() return conn.state == "open" end), "the client did not open")
  local waiting = 0
  for _, m in ipairs(ex.messages) do
    if m.origin == "server" then
      waiting = waiting + 1
    else
      local want = waiting
      run_until(function() return #received + errors >= want end)
      if ch.messages[m.id].binary then conn:send_binary(m.body) else conn:publish(m.id, m.body) end
    end
  end
  run_until(function() return #received + errors >= waiting end)
  conn:close()
  run_until(function() return conn.state == "closed" end)
  return received, errors
end

local function server_ids(ch, ex)
  local ids, wrong = {}, 0
  for _, m in ipairs(ex.messages) do
    if m.origin == "server" then
      if ch:check(m.id, m.body) then ids[#ids + 1] = m.id else wrong = wrong + 1 end
    end
  end
  return ids, wrong
end

describe("AsyncAPI channels live", function()
  -- the fixtures whose channels have examples: the mock plays them
  for _, case in ipairs({
    { "assemblyai", "v2RealtimeWs" },
    { "elevenlabs-convai", "v1ConvaiConversation" },
    { "elevenlabs-tts", "v1TextToSpeechVoiceIdStreamInput" },
    { "elevenlabs-tts", "v1TextToSpeechVoiceIdMultiStreamInput" },
    { "deepgram-3.0", "listen.v2" },
  }) do
    it(case[1] .. " " .. case[2] .. ": fernws.mock plays the examples to a fernws client", function()
      if not helper.needs_fixtures(pending) then return end
      local ch = load(case[1]):channel(case[2])
      local mock = assert(fernws.mock(ch, { port = 0 }))
      finally(function() mock:close() end)
      for _, ex in ipairs(ch.examples) do
        local want, wrong = server_ids(ch, ex)
        local got, errors = replay(ch, ex, mock)
        -- what the mock sends of an example that does not fit its type arrives as a decode error
        assert.same(want, got)
        assert.equal(wrong, errors)
      end
      close_all(mock)
    end)
  end

  it("elevenlabs-tts multi-stream: client payloads that overlap, followed by their bodies", function()
    if not helper.needs_fixtures(pending) then return end
    -- every property of InitialiseContext is optional: the example's sendTextMulti decodes as it
    -- (spec/asyncapi_examples_spec.lua lists them); the mock follows the example by body
    local ch = load("elevenlabs-tts"):channel("v1TextToSpeechVoiceIdMultiStreamInput")
    local m = ch.examples[1].messages[2]
    assert.equal("sendTextMulti", m.id)
    assert.equal("initialiseContext", (ch:decode(ch:encode(m.id, m.body), "client")))
    local lines = {}
    local errors = {}
    local mock = assert(fernws.mock(ch, { port = 0, log = function(l) lines[#lines + 1] = l end,
                                          on_error = function(msg) errors[#errors + 1] = msg end }))
    finally(function() mock:close() end)
    local ex = ch.examples[1]
    local want = server_ids(ch, ex)
    assert.equal(3, #want)
    local got, decode_errors = replay(ch, ex, mock)
    assert.same(want, got)
    assert.equal(0, decode_errors)
    assert.same({}, errors)
    local said
    for _, l in ipairs(lines) do
      said = said or l:find("<- sendTextMulti (decoded as 'initialiseContext')", 1, true)
    end
    assert.is_truthy(said, table.concat(lines, "\n"))
    close_all(mock)
  end)

  it("fernws.mock sends the binary server messages of its examples, and those it generates, as binary frames", function()
    local dir = helper.write_definition({ ["doc.yml"] = [[
asyncapi: 3.0.0
info: {title: t, version: '1'}
channels:
  tts:
    address: /tts
    messages:
      Text: {$ref: '#/components/messages/Text'}
      Audio: {$ref: '#/components/messages/Audio'}
      Done: {$ref: '#/components/messages/Done'}
    x-fern-examples:
      - name: speech
        messages:
          - {type: send, messageId: Text, value: {text: hi}}
          - {type: receive, messageId: Audio, value: "RIFF....WAVE"}
          - {type: receive, messageId: Done, value: {type: Done}}
  raw:
    address: /raw
    messages:
      Ask: {$ref: '#/components/messages/Text'}
      Pcm: {$ref: '#/components/messages/Audio'}
operations:
  text: {action: send, channel: {$ref: '#/channels/tts'}, messages: [{$ref: '#/channels/tts/messages/Text'}]}
  audio: {action: receive, channel: {$ref: '#/channels/tts'}, messages: [{$ref: '#/channels/tts/messages/Audio'}]}
  done: {action: receive, channel: {$ref: '#/channels/tts'}, messages: [{$ref: '#/channels/tts/messages/Done'}]}
  ask: {action: send, channel: {$ref: '#/channels/raw'}, messages: [{$ref: '#/channels/raw/messages/Ask'}]}
  pcm: {action: receive, channel: {$ref: '#/channels/raw'}, messages: [{$ref: '#/channels/raw/messages/Pcm'}]}
components:
  messages:
    Text:
      payload: {type: object, properties: {text: {type: string}}, required: [text]}
    Audio:
      contentType: application/octet-stream
      payload: {type: string, format: binary}
    Done:
      payload: {type: object, properties: {type: {const: Done}}}
]] })
    finally(function() helper.rmtree(dir) end)
    -- tts plays its example (Text, then Audio as bytes and Done); raw has none: its answer to Ask
    -- is generated, and its only server message is binary
    local api = assert(fernws.load(dir))
    local tts = api:channel("tts")
    for _, case in ipairs({
      { ch = tts, examples = true },
      { ch = api:channel("raw") },
    }) do
      local ch = case.ch
      local lines = {}
      local mock = assert(fernws.mock(ch, { port = 0, seed = 1, log = function(l) lines[#lines + 1] = l end }))
      local conn = assert(ch:connect { url = mock.url })
      local frames, decode_errors, done = {}, 0, false
      conn:on("binary", function(bytes) frames[#frames + 1] = bytes end)
      local audio_id
      conn:subscribe("*", function(v, info)
        if ch.messages[info.id].binary then audio_id = info.id else done = true end
      end)
      conn:on("error", function(e) if e.kind == "decode" then decode_errors = decode_errors + 1 end end)
      assert.is_true(run_until(function() return conn.state == "open" end))
      conn:publish(case.examples and "Text" or "Ask", { text = "hi" })
      assert.is_true(run_until(function() return #frames > 0 and (done or not case.examples) end), table.concat(lines, "\n"))
      assert.equal(ch == tts and "Audio" or "Pcm", audio_id)
      if ch == tts then assert.same({ "RIFF....WAVE" }, frames) end
      assert.equal(0, decode_errors)
      local logged
      for _, l in ipairs(lines) do logged = logged or l:match("%-> %w+ %(binary, %d+ bytes%)$") end
      assert.is_truthy(logged, table.concat(lines, "\n"))
      close_all(conn, mock)
    end
  end)

  it("deepgram-3.0 speak.v1: text in, binary audio out by id, the key as `Token` in Authorization", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = load("deepgram-3.0"):channel("speak.v1")
    assert.is_true(ch.messages.SpeakV1Audio.binary)
    local srv = assert(ch:serve { host = "127.0.0.1", port = 0 })
    local auth
    srv:on("connect", function(_, req) auth = req.headers.authorization end)
    srv:subscribe("SpeakV1Text", function(msg, _, peer)
      -- a binary message is refused by publish, and goes by send_binary
      local ok, err = pcall(peer.publish, peer, "SpeakV1Audio", "x")
      assert.is_false(ok)
      assert.matches("binary: send its bytes with send_binary", err)
      peer:send_binary("\0\1\2" .. msg.text)
      peer:publish("SpeakV1Flushed", { type = "Flushed", sequence_id = 1 })
    end)
    local conn = assert(ch:connect { url = srv.url, auth = { token = "k" } })
    local audio, flushed
    conn:subscribe("SpeakV1Audio", function(bytes, info)
      audio = bytes
      assert.equal("SpeakV1Audio", info.id)
    end)
    conn:subscribe("SpeakV1Flushed", function(v) flushed = v end)
    assert.is_true(run_until(function() return conn.state == "open" end))
    conn:publish("SpeakV1Text", { type = "Speak", text = "hi" })
    assert.is_true(run_until(function() return flushed ~= nil end))
    assert.equal("\0\1\2hi", audio)
    assert.equal("Token k", auth)
    close_all(conn, srv)
  end)

  it("deepgram-3.0 listen.v1: the client's binary media reaches the server's subscriber by id", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = load("deepgram-3.0"):channel("listen.v1")
    local srv = assert(ch:serve { host = "127.0.0.1", port = 0 })
    local got
    srv:subscribe("ListenV1Media", function(bytes, info) got = { bytes, info.id } end)
    local conn = assert(ch:connect { url = srv.url, auth = { authToken = "jwt" } })
    assert.is_true(run_until(function() return conn.state == "open" end))
    local ok, err = pcall(conn.publish, conn, "ListenV1Media", "x")
    assert.is_false(ok)
    assert.matches("message 'ListenV1Media' of channel listen.v1 is binary: send its bytes with send_binary", err)
    conn:send_binary("\255\254audio")
    assert.is_true(run_until(function() return got ~= nil end))
    assert.same({ "\255\254audio", "ListenV1Media" }, got)
    close_all(conn, srv)
  end)

  it("deepgram-3.0 speak.v1: fernws.mock's generated answers, SpeakV1Audio among them, arrive as binary frames", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = load("deepgram-3.0"):channel("speak.v1")
    local mock = assert(fernws.mock(ch, { port = 0, seed = 1 }))
    finally(function() mock:close() end)
    local conn = assert(ch:connect { url = mock.url, auth = { token = "k" } })
    local answers, audio, decode_errors = 0, nil, 0
    conn:subscribe("*", function(v, info)
      answers = answers + 1
      if info.id == "SpeakV1Audio" then audio = v end
    end)
    conn:on("error", function(e) if e.kind == "decode" then decode_errors = decode_errors + 1 end end)
    assert.is_true(run_until(function() return conn.state == "open" end))
    -- each text gets one answer, a server message picked by the seed: the same ones every run
    for i = 1, 20 do
      if audio then break end
      conn:publish("SpeakV1Text", { text = "hi" })
      assert.is_true(run_until(function() return answers + decode_errors >= i end))
    end
    assert.equal("string", type(audio))
    assert.equal(0, decode_errors)
    close_all(conn, mock)
  end)

  it("deepgram-3.0 listen.v2: keyterm (string | list of strings) read from one key or from the key repeated", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = load("deepgram-3.0"):channel("listen.v2")
    local srv = assert(ch:serve { host = "127.0.0.1", port = 0 })
    local seen = {}
    srv:on("connect", function(_, req) seen[#seen + 1] = { req.target, req.query.keyterm } end)
    for _, keyterm in ipairs({ "one", { "a", "b", "c" } }) do
      local conn = assert(ch:connect { url = srv.url, query = { model = "flux-general-en", keyterm = keyterm },
                                       auth = { token = "k" } })
      assert.is_true(run_until(function() return conn.state == "open" end))
      conn:close()
      assert.is_true(run_until(function() return conn.state == "closed" end))
    end
    assert.same({ { "/v2/listen?model=flux-general-en&keyterm=one", "one" },
                  { "/v2/listen?model=flux-general-en&keyterm=a&keyterm=b&keyterm=c", { "a", "b", "c" } } }, seen)
    close_all(srv)
  end)

  it("a key the document puts in the query (httpApiKey in: query) goes in the query, percent-encoded", function()
    local ch = assert(fernws.load(helper.own("asyncapi/chat-2.6.yml"))):channel("roomsRoomLive")
    assert.is_true(ch.auth)
    local srv = assert(ch:serve { host = "127.0.0.1", port = 0 })
    local target
    srv:on("connect", function(_, req) target = req.target end)
    local conn = assert(ch:connect { url = srv.url, path = { room = "r1" }, query = { lang = "en" }, auth = { token = "s/3 k" } })
    assert.is_true(run_until(function() return conn.state == "open" end))
    assert.equal("/rooms/r1/live?lang=en&key=s%2F3%20k", target)
    assert.is_nil(tostring(conn):find("s%2F3", 1, true))
    close_all(conn, srv)
  end)

  it("deepgram-2.6 v1Speak: read the way the document says, client and server agree", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = load("deepgram-2.6"):channel("v1Speak")
    local srv = assert(ch:serve { host = "127.0.0.1", port = 0 })
    srv:subscribe("SpeakV1Text", function(_, _, peer) peer:send_binary("pcm") end)
    local conn = assert(ch:connect { url = srv.url })
    local audio
    conn:subscribe("SpeakV1Audio", function(bytes) audio = bytes end)
    assert.is_true(run_until(function() return conn.state == "open" end))
    conn:publish("SpeakV1Text", { type = "Speak", text = "hi" })
    assert.is_true(run_until(function() return audio ~= nil end))
    assert.equal("pcm", audio)
    close_all(conn, srv)
  end)
end)
