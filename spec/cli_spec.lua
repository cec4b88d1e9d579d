-- The fernws command, run as a user runs it: `lua5.4 bin/fernws ...` (LUA_PATH and LUA_CPATH
-- come from scripts/env.sh, inherited by the child).
local helper = require "helper"

local BIN = helper.root .. "/bin/fernws"

local fernws = helper.cli

local function lines(s)
  local t = {}
  for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

-- The lines of `text` between the line `from` and the next blank line.
local function section(text, from)
  local out, on = {}, false
  for _, l in ipairs(lines(text)) do
    if on and l == "" then break end
    if on then out[#out + 1] = l end
    if l == from then on = true end
  end
  return out
end

local function fixture(name) return helper.fixture(name) end

describe("fernws check", function()
  it("a definition that loads: exit 0 and one summary line", function()
    if not helper.needs_fixtures(pending) then return end
    local out, err, code = fernws("check", fixture("deepgram"))
    assert.equal(0, code)
    assert.equal("", err)
    assert.equal(fixture("deepgram") .. ": ok: api deepgram, 1 channel (8 messages), 10 types, 0 warnings\n", out)
  end)

  it("warnings are printed as file:line:column: warning: ..., then the summary", function()
    if not helper.needs_fixtures(pending) then return end
    local out, _, code = fernws("check", fixture("elevenlabs"))
    assert.equal(0, code)
    local l = lines(out)
    assert.equal(7, #l)
    assert.equal(fixture("elevenlabs") .. "/__package__.yml:402:9: warning: unknown key 'display-name' in property 'items' (ignored)", l[1])
    for i = 1, 6 do assert.matches("^.*/__package__%.yml:%d+:%d+: warning: unknown key 'display%-name'", l[i]) end
    assert.equal(fixture("elevenlabs") .. ": ok: api api, 2 channels (4 messages), 550 types, 6 warnings", l[7])
  end)

  it("a definition with errors: every error as file:line:column, the count, exit 1", function()
    if not helper.needs_fixtures(pending) then return end
    local out, _, code = fernws("check", fixture("seed-chat"))
    assert.equal(1, code)
    local chat = fixture("seed-chat") .. "/chat.yml"
    assert.same({
      chat .. ":6:13: 'optional' needs a type argument, e.g. optional<string>",
      chat .. ":9:13: 'optional' needs a type argument, e.g. optional<string>",
      fixture("seed-chat") .. ": 2 errors",
    }, lines(out))
  end)

  it("--lenient: consistency problems become warnings and the definition loads", function()
    if not helper.needs_fixtures(pending) then return end
    local out, _, code = fernws("check", fixture("assemblyai"))
    assert.equal(1, code)
    assert.matches(": 8 errors %(%-%-lenient turns them, about examples, documentation and path parameters, " ..
      "into warnings%)\n$", out)
    out, _, code = fernws("check", fixture("assemblyai"), "--lenient")
    assert.equal(0, code)
    assert.equal(out, (fernws("check", "--lenient", fixture("assemblyai"))))
    local l = lines(out)
    assert.matches("universalStreaming%.yml:70:17: warning: example message type 'receiveSessionBegins' is not a message of this channel$", out:match("[^\n]*universalStreaming%.yml:70:17[^\n]*"))
    assert.equal(fixture("assemblyai") .. ": ok: api api, 2 channels (15 messages), 90 types, 11 warnings", l[#l])
  end)

  it("the project's own definitions", function()
    local path = helper.own("defn/full")
    local out, err, code = fernws("check", path)
    assert.equal(0, code, err)
    assert.equal(path .. ": ok: api full, 1 channel (6 messages), 22 types, 0 warnings\n", out)
    out, err, code = fernws("check", helper.own("defn/full/voice/chat.yml"))
    assert.equal(0, code, err)
    assert.matches(": ok: api full, 1 channel %(6 messages%)", out)
  end)

  it("a channel file named from its own folder finds api.yml above it", function()
    local dir = helper.write_definition({
      ["api.yml"] = "name: up\nenvironments:\n  prod:\n    urls: {ws: wss://ws.example.com}\n",
      ["voice/chat.yml"] = "channel:\n  path: /chat\n  url: ws\n  auth: false\n  messages:\n    m: {origin: client, body: Nope}\n",
      ["voice/ok.yml"] = "channel:\n  path: /ok\n  url: ws\n  auth: false\n",
    })
    local p = io.popen("cd " .. helper.q(dir .. "/voice") .. " && lua5.4 " .. helper.q(BIN) .. " check chat.yml 2>&1")
    local out = p:read("a")
    p:close()
    p = io.popen("cd " .. helper.q(dir .. "/voice") .. " && lua5.4 " .. helper.q(BIN) .. " describe ok.yml 2>&1")
    local described = p:read("a")
    p:close()
    helper.rmtree(dir)
    -- the place is said from where the user stands; the channel is named from the definition's root
    assert.equal("../voice/chat.yml:6:31: unknown type 'Nope'\nchat.yml: 1 error\n", out)
    assert.same({ "voice.ok", "========", "", "Handshake", "  URL    prod (default)  wss://ws.example.com/ok" },
      { table.unpack(lines(described), 1, 5) })
  end)

  it("more errors than are listed: the rest are counted", function()
    local t = { "types:" }
    for i = 1, 130 do t[#t + 1] = ("  T%d: Missing%d"):format(i, i) end
    t[#t + 1] = "channel:\n  path: /x\n  auth: false\n  messages:"
    for i = 1, 130 do t[#t + 1] = ("    m%d: {origin: client, body: T%d}"):format(i, i) end
    local dir = helper.write_definition({ ["many.yml"] = table.concat(t, "\n") .. "\n" })
    local out, _, code = fernws("check", dir)
    helper.rmtree(dir)
    assert.equal(1, code)
    local l = lines(out)
    assert.equal(102, #l)
    assert.equal(dir .. "/many.yml:2:7: unknown type 'Missing1'", l[1])
    assert.equal(dir .. "/many.yml:101:9: unknown type 'Missing100'", l[100])
    assert.equal("(30 more not shown)", l[101])
    assert.equal(dir .. ": 130 errors", l[102])
  end)

  it("a problem with no line: file: message", function()
    local out, _, code = fernws("check", "/nonexistent/definition")
    assert.equal(1, code)
    assert.equal("/nonexistent/definition: cannot open the definition: No such file or directory\n" ..
      "/nonexistent/definition: 1 error\n", out)
    local dir = helper.write_definition({ ["notes.txt"] = "x" })
    out = fernws("check", dir)
    helper.rmtree(dir)
    assert.equal(dir .. ": no .yml files in the folder\n" .. dir .. ": 1 error\n", out)
  end)

  it("usage errors: no PATH, an unknown option (exit 2, usage on stderr)", function()
    local out, err, code = fernws("check")
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("^usage: fernws <command>", err)
    out, err, code = fernws("check", helper.own("defn/full"), "--strict")
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("^fernws check: unexpected argument '%-%-strict'\nusage:", err)
    out, err, code = fernws("check", helper.own("defn/full"), helper.own("defn/multi"))
    assert.equal(2, code)
    assert.matches("^fernws check: unexpected argument '.*/defn/multi'\nusage:", err)
  end)
end)

describe("fernws describe", function()
  it("deepgram: Handshake, Send and Receive", function()
    if not helper.needs_fixtures(pending) then return end
    local out, err, code = fernws("describe", fixture("deepgram"))
    assert.equal(0, code, err)
    local l = lines(out)
    assert.equal("speak - Transform Text-to-Speech", l[1])
    assert.equal(("="):rep(#l[1]), l[2])
    assert.same({
      "  URL    Production (default)  wss://api.deepgram.com/v1/speak",
      "  Auth   APIKeyHeader: Sec-Websocket-Protocol: <value>",
      "  Query parameters",
      "    encoding     speak.Encoding  (required)  - Allows you to specify the expected encoding of...",
      '      one of: "linear16", "mulaw", "alaw", "mp3", "opus", "flac", "aac"',
      "    model        speak.Model  (required)  - AI model used to synthesize text into speech....",
      '      one of: "aura-asteria-en", "aura-luna-en", "aura-stella-en", "aura-hera-en", ... (7 more)',
      "    sample_rate  string  (required)  - Specifies the sample rate for the output audio.",
      "    text         string  (required)  - Send text as a string or text/plain.",
    }, section(out, "Handshake"))
    local send = section(out, "Send (client -> server)")
    assert.equal("  clear: speak.ClearFormat  - Clear the internal text buffer.", send[1])
    assert.equal('      type  "Clear"', send[2])
    assert.same({ "  textMessage: speak.TextMessageFormat", '      type  "Speak"', "      text  string" },
      { send[7], send[8], send[9] })
    local receive = section(out, "Receive (server -> client)")
    assert.equal("  clearConfirmation: speak.ClearConfirmationFormat  - Deepgram will send a clear confirmation...", receive[1])
    assert.same({ '      type         "Cleared"', "      sequence_id  integer" }, { receive[2], receive[3] })
  end)

  it("hume: a channel by name, its multi-URL endpoint, and union bodies member by member", function()
    if not helper.needs_fixtures(pending) then return end
    local out, err, code = fernws("describe", fixture("hume"), "empathic-voice.chat")
    assert.equal(0, code, err)
    assert.same({ "empathic-voice.chat", "===================", "Chat with Empathic Voice Interface (EVI)", "" },
      { table.unpack(lines(out), 1, 4) })
    local hs = section(out, "Handshake")
    assert.equal("  URL    prod (default)  wss://api.hume.ai/v0/evi/chat", hs[1])
    assert.equal("  Auth   none (the channel says auth: false)", hs[2])
    assert.equal("    session_settings       empathic-voice.ConnectSessionSettings  (required)", hs[#hs])
    local send = section(out, "Send (client -> server)")
    assert.equal("  publish: empathic-voice.chat.PublishEvent", send[1])
    assert.equal("      one of:", send[2])
    assert.equal("        empathic-voice.AudioInput  - When provided, the input is audio.", send[3])
    assert.matches('^            type               "audio_input"', send[6])
    local receive = section(out, "Receive (server -> client)")
    assert.equal("  subscribe: empathic-voice.SubscribeEvent", receive[1])
    -- one channel asked for: one described
    assert.is_nil(out:find("controlPlane", 1, true))
  end)

  it("elevenlabs: a path parameter, every environment, and a global header with its env var", function()
    if not helper.needs_fixtures(pending) then return end
    local out, err, code = fernws("describe", fixture("elevenlabs"), "v1TextToSpeechVoiceIdStreamInput")
    assert.equal(0, code, err)
    local hs = section(out, "Handshake")
    assert.same({
      "  URL    Production (default)  wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input",
      "  URL    Production US         wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input",
      "  URL    Production EU         wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input",
      "  Auth   none (the channel says auth: false)",
      "  Path parameters",
      "    voice_id  string  (required)  - The unique identifier for the voice to use in the TTS process.",
    }, { table.unpack(hs, 1, 6) })
    assert.equal("  Headers", hs[#hs - 1])
    assert.equal("    xi-api-key  optional<string>  (env ELEVENLABS_API_KEY)", hs[#hs])
    assert.truthy(out:find("\nSend (client -> server)\n  publish: v1TextToSpeechVoiceIdStreamInput.sendMessage", 1, true))
  end)

  it("every channel when none is named, each as its own section", function()
    if not helper.needs_fixtures(pending) then return end
    local out, _, code = fernws("describe", fixture("hume"))
    assert.equal(0, code)
    local titles = {}
    for t in out:gmatch("([^\n]+)\n=+\n") do titles[#titles + 1] = t end
    assert.same({ "empathic-voice.chat", "empathic-voice.controlPlane - Control Plane", "expression-measurement.stream.stream",
      "tts.streamInput" }, titles)
    local n = 0
    for _ in out:gmatch("\nHandshake\n") do n = n + 1 end
    assert.equal(4, n)
  end)

  it("a definition with consistency problems is described (leniently)", function()
    if not helper.needs_fixtures(pending) then return end
    local out, _, code = fernws("describe", fixture("assemblyai"), "universalStreaming")
    assert.equal(0, code)
    assert.matches("^universalStreaming", out)
  end)

  it("the project's definition: headers from the channel and api.yml, auth schemes, unions, inline bodies", function()
    local out, err, code = fernws("describe", helper.own("defn/full"), "voice.chat")
    assert.equal(0, code, err)
    assert.same({
      "  URL    Production (default)  wss://api.example.com/v1/chat/{voice_id}",
      "  URL    Local                 ws://localhost:8080/chat/{voice_id}",
      "  Auth   ApiKey: X-Api-Key: Key <apiKey>, or $FULL_API_KEY; or Token: Authorization: Bearer <token>, or $FULL_TOKEN",
      "  Path parameters",
      "    voice_id  Id  (required)  - The voice to use.",
      "  Query parameters",
      "    model  string  (required)",
      "    tags   optional<string>  (repeatable)",
      "    rate   optional<integer>  (default 16000)  - Samples per second.",
      "    lang   optional<types.Color>",
      '      one of: "red", "dark-green", "blue"',
      "  Headers",
      "    X-Session  optional<string>",
      "    X-Client   string  (required, env FULL_CLIENT)  - Who is calling.",
      '    X-Version  literal<"2024-01">  (required)  - The API version.',
      "    X-Trace    optional<string>  (env FULL_TRACE)",
    }, section(out, "Handshake"))
    assert.same({
      "  hello: voice.chat.Hello",
      "      title     string",
      "      greeting  string",
      "      at        optional<datetime>  - When.",
      "  pets: list<types.Pet>",
      '      one of, by "type":',
      '        type = "dog"  types.Dog',
      "          name   string  - What it is called.",
      "          legs   optional<integer>",
      "          breed  string",
      '        type = "color"  types.Color under "value"',
      '          one of: "red", "dark-green", "blue"',
      '        type = "count"  integer under "howMany"',
      '        type = "nothing"',
      "        in every variant:",
      "          owner  optional<string>",
      "  transcript: voice.chat.Transcript",
      "      text   string",
      "      final  boolean",
    }, section(out, "Receive (server -> client)"))
    assert.same({ "  audio: base64", "  publish: voice.chat.Publish  - Say something.", "      text  string" },
      { table.unpack(section(out, "Send (client -> server)"), 1, 3) })
  end)

  it("no environments, auth-message, and a channel with no messages", function()
    local dir = helper.write_definition({
      ["api.yml"] = "name: t\nauth: bearer\n",
      ["login.yml"] = "channel:\n  path: /login\n  auth: true\n  messages:\n    hello: {origin: client, body: unknown}\n" ..
        "  auth-message:\n    message-id: hello\n    token-property-path: params.token\n",
      ["quiet.yml"] = "channel:\n  path: /quiet\n  auth: false\n",
    })
    local out, err, code = fernws("describe", dir)
    helper.rmtree(dir)
    assert.equal(0, code, err)
    assert.same({
      "  URL    (no environments: connect with url = ...)  path /login",
      "  Auth   bearer: Authorization: Bearer <token>",
      "         then the token goes in message hello, at params.token",
    }, section(out, "Handshake"))
    local quiet = out:sub((out:find("quiet\n=====\n", 1, true)))
    assert.same({ "  (none)" }, section(quiet, "Send (client -> server)"))
    assert.same({ "  (none)" }, section(quiet, "Receive (server -> client)"))
  end)

  it("an unknown channel: exit 1, the known ones on stderr", function()
    local out, err, code = fernws("describe", helper.own("defn/multi"), "lvie")
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal("fernws: unknown channel 'lvie' (channels: live, rest)\n", err)
  end)

  it("a definition that does not load: its errors on stderr, exit 1", function()
    local dir = helper.write_definition({ ["a.yml"] = "types:\n  A: list<>\n" ..
      "channel:\n  path: /x\n  auth: false\n  messages:\n    m: {origin: client, body: A}\n" })
    local out, err, code = fernws("describe", dir)
    helper.rmtree(dir)
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal(dir .. "/a.yml:2:11: 'list<>' needs a type argument, e.g. list<string>\n" .. dir .. ": 1 error\n", err)
  end)

  it("a definition without channels says so", function()
    local dir = helper.write_definition({ ["api.yml"] = "name: plain\n", ["t.yml"] = "types:\n  A: string\n" })
    local out, _, code = fernws("describe", dir)
    helper.rmtree(dir)
    assert.equal(0, code)
    assert.equal("plain: no channels\n", out)
  end)
end)

describe("fernws itself", function()
  it("help, --help and -h print the usage (exit 0)", function()
    for _, h in ipairs({ "help", "--help", "-h" }) do
      local out, err, code = fernws(h)
      assert.equal(0, code)
      assert.equal("", err)
      assert.matches("^usage: fernws <command> %[arguments%]\n", out)
      assert.truthy(out:find("  check PATH [--lenient]", 1, true))
      assert.truthy(out:find("  describe PATH [CHANNEL]", 1, true))
    end
  end)

  it("an unknown command, or none: usage on stderr, exit 2", function()
    local out, err, code = fernws("chekc")
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("^fernws: unknown command 'chekc'\nusage: fernws", err)
    out, err, code = fernws()
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches("^usage: fernws", err)
    out, err, code = fernws("main")
    assert.equal(2, code)
    assert.matches("^fernws: unknown command 'main'", err)
  end)
end)
