-- The handshake of channel:connect against an independent server (spec/peers/ws_peer.py): the exact
-- URL, path and query, headers and auth the server saw, for the real fixtures and for small
-- definitions of our own (spec/fixtures/conn). Also what connect refuses, and that no credential
-- shows up in an error, conn.url or tostring(conn).
local helper = require "helper"
local fernws = helper.fernws

local function load(path, opts)
  return assert(fernws.load(path, opts))
end

-- Connects (with a unique X-Probe header added to opts.headers), waits until the peer has printed
-- that connection's connect event, closes; returns that event and the conn.
local probes = 0
local function seen_by(peer, ch, opts)
  probes = probes + 1
  local probe = "probe-" .. probes
  opts.headers = opts.headers or {}
  opts.headers["X-Probe"] = probe
  local conn = assert(ch:connect(opts))
  local ev = peer:wait(function(e) return e.event == "connect" and e.headers["x-probe"] == probe end, 10)
  conn:close()
  assert(ev, "the peer saw no connection")
  return ev, conn
end

-- The connect event whose path is this (waits for it).
local function seen_at(peer, path)
  return assert(peer:wait(function(e) return e.event == "connect" and e.path == path end, 10),
    "the peer saw nothing at " .. path)
end

-- Every value of the query parameter key, in order.
local function values(query, key)
  local r = {}
  for _, p in ipairs(helper.query_pairs(query)) do
    if p[1] == key then r[#r + 1] = p[2] end
  end
  return r
end

describe("connect: the handshake the server sees", function()
  local peer
  setup(function() peer = helper.peer{} end)
  teardown(function() helper.kill_all() end)

  describe("fern-websocket (path parameter, typed query)", function()
    local ch
    setup(function()
      if not helper.have_fixtures then return end
      ch = load(helper.fixture("fern-websocket")):channel("realtime")
    end)

    it("sends the channel path after the base URL, path parameters percent-encoded, query in order", function()
      if not helper.needs_fixtures(pending) then return end
      local ev, conn = seen_by(peer, ch, {
        url = peer.url .. "/api/v2", path = { session_id = "doc 1/é?#" },
        query = { model = "nova&x=1", temperature = 3, ["language-code"] = "en US" },
      })
      assert.equal("/api/v2/realtime/doc%201%2F%C3%A9%3F%23", ev.path)
      assert.equal("model=nova%26x%3D1&temperature=3&language-code=en%20US", ev.query)
      assert.equal("127.0.0.1:" .. peer.port, ev.headers.host)
      -- conn.url: where it went, never the query
      assert.equal(peer.url .. "/api/v2/realtime/doc%201%2F%C3%A9%3F%23", conn.url)
      -- the channel says auth: true but the api has no auth scheme: nothing is sent
      assert.is_nil(ev.headers.authorization)
    end)

    it("leaves optional query parameters out, and a base URL's trailing slash is not doubled", function()
      if not helper.needs_fixtures(pending) then return end
      local ev = seen_by(peer, ch, { url = peer.url .. "/", path = { session_id = "s1" } })
      assert.equal("/realtime/s1", ev.path)
      assert.equal("", ev.query)
    end)

    it("a base URL with a query (a key typed in by hand): the path goes before it, the query stays", function()
      if not helper.needs_fixtures(pending) then return end
      local ev, conn = seen_by(peer, ch, { url = peer.url .. "/v1/?api_key=K-1&x=y", path = { session_id = "s1" },
                                           query = { temperature = 3 } })
      assert.equal("/v1/realtime/s1", ev.path)
      assert.equal("api_key=K-1&x=y&temperature=3", ev.query)
      assert.equal(peer.url .. "/v1/realtime/s1", conn.url)
      -- a base that is no URL: the error shows it without its query
      local ok, err = pcall(ch.connect, ch, { url = "wss//h/?api_key=K-secret", path = { session_id = "s1" } })
      assert.is_false(ok)
      assert.matches("'wss//h/%.%.%.' is not an http%(s%) or ws%(s%) URL", err)
      assert.is_nil(err:find("K-secret", 1, true))
    end)

    it("raises on a missing or mistyped path parameter, a mistyped or unknown query parameter", function()
      if not helper.needs_fixtures(pending) then return end
      assert.error_matches(function() ch:connect{ url = peer.url } end, "path parameter 'session_id' is required")
      assert.error_matches(function() ch:connect{ url = peer.url, path = { session_id = { 1 } } } end,
        "session_id")
      assert.error_matches(function()
        ch:connect{ url = peer.url, path = { session_id = "s" }, query = { temperature = "hot" } }
      end, "query parameter 'temperature': expected integer")
      assert.error_matches(function()
        ch:connect{ url = peer.url, path = { session_id = "s" }, query = { temperature = 1.5 } }
      end, "query parameter 'temperature'")
      assert.error_matches(function()
        ch:connect{ url = peer.url, path = { session_id = "s" }, query = { nope = 1 } }
      end, "query parameter 'nope' is not declared by channel realtime %(use extra_query for it%)")
      assert.error_matches(function()
        ch:connect{ url = peer.url, path = { session_id = "s", other = "x" } }
      end, "path parameter 'other' is not in the path")
      assert.error_matches(function() ch:connect{ url = 42, path = { session_id = "s" } } end, "url must be a string")
    end)

    it("raises on options of the wrong type", function()
      if not helper.needs_fixtures(pending) then return end
      local base = { url = peer.url, path = { session_id = "s" } }
      local function with(k, v)
        local o = { url = base.url, path = base.path }
        o[k] = v
        return o
      end
      assert.error_matches(function() ch:connect("ws://x") end, "table expected")
      assert.error_matches(function() ch:connect(with("reconnect", "yes")) end, "reconnect must be")
      assert.error_matches(function() ch:connect(with("ping_interval", "often")) end, "number expected")
      assert.error_matches(function() ch:connect(with("queue", "many")) end, "queue must be a number of messages")
      assert.error_matches(function() ch:connect(with("reconnect", { attempts = "x" })) end, "number expected")
      assert.error_matches(function() ch:connect(with("subprotocol", "a\r\nb")) end, "CR or LF")
      assert.error_matches(function() ch:connect(with("url", "http//nowhere")) end,
        "'http//nowhere' is not an http%(s%) or ws%(s%) URL")
    end)

    it("refuses header values with CR or LF, naming the header and never the value", function()
      if not helper.needs_fixtures(pending) then return end
      local ok, err = pcall(ch.connect, ch, { url = peer.url, path = { session_id = "s" },
        headers = { ["X-Evil"] = "secret-value\r\nX-Injected: 1" } })
      assert.is_false(ok)
      assert.matches("X%-Evil", err)
      assert.matches("CR or LF", err)
      assert.not_matches("secret%-value", err)
      ok, err = pcall(ch.connect, ch, { url = peer.url, path = { session_id = "s" },
        headers = { ["X-Evil\r\nX"] = "v" } })
      assert.is_false(ok)
      assert.matches("not valid", err)
    end)
  end)

  it("works over IPv6 loopback: ws://[::1]:port, Host [::1]:port", function()
    local v6 = helper.peer{ "--host", "::1" }
    finally(function() v6:kill() end)
    local ch = load(helper.own("conn/echo")):channel("echo")
    local conn, r = helper.open(ch, { url = v6.url .. "/six" })
    finally(function() conn:close() end)
    assert.equal(("ws://[::1]:%d/six/echo"):format(v6.port), conn.url)
    local ev = v6:wait(function(e) return e.event == "connect" end)
    assert.equal(("[::1]:%d"):format(v6.port), ev.headers.host)
    assert.equal("/six/echo", ev.path)
    conn:publish("publish", { type = "blob", data = "v6" })
    assert.truthy(helper.wait_until(function() return #r.msgs > 0 end, 10))
    assert.equal("v6", r.msgs[1].value.data)
  end)

  describe("typed query and headers (spec/fixtures/conn/query)", function()
    local ch
    setup(function() ch = load(helper.own("conn/query")):channel("search") end)

    it("writes lists as a repeated key, booleans as true/false, objects as a[b]=c, enums by wire value", function()
      local ev = seen_by(peer, ch, {
        url = peer.url, path = { room = "r", n = 7 },
        query = { q = "x", tag = { "red", "blue" }, flag = false, count = -3, ratio = 0.25,
                  when = "2024-01-02T03:04:05Z", ids = { 1, 2, 3 }, mode = "slow-mode",
                  filter = { kind = "k v", limits = { max = 9, min = 1 } } },
        extra_query = { debug = true },
      })
      assert.equal("/rooms/r/7", ev.path)
      local q = ev.query
      assert.same({ "x" }, values(q, "q"))
      assert.same({ "red", "blue" }, values(q, "tag"))
      assert.matches("tag=red&tag=blue", q, 1, true)
      assert.same({ "false" }, values(q, "flag"))
      assert.same({ "-3" }, values(q, "count"))
      assert.same({ "0.25" }, values(q, "ratio"))
      assert.same({ "2024-01-02T03:04:05Z" }, values(q, "when"))
      assert.same({ "1", "2", "3" }, values(q, "ids"))
      assert.same({ "slow-mode" }, values(q, "mode"))
      assert.same({ "k v" }, values(q, "filter[kind]"))
      assert.same({ "9" }, values(q, "filter[limits][max]"))
      assert.same({ "1" }, values(q, "filter[limits][min]"))
      assert.matches("filter%5Blimits%5D%5Bmax%5D=9", q, 1, true) -- brackets percent-encoded
      assert.same({ "true" }, values(q, "debug"))
      -- the declared parameters come first, in the definition's order
      assert.matches("^q=x&tag=red&tag=blue&flag=false&count=%-3&ratio=0%.25&when=", q)
    end)

    it("sends typed channel and api.yml headers (by wire name or SDK name) and extra headers", function()
      local ev = seen_by(peer, ch, {
        url = peer.url, path = { room = "r", n = 1 }, query = { q = "x" },
        headers = { ["x-trace"] = "t-1", ["X-Level"] = 2, apiVersion = 3, ["X-Free"] = "free form" },
      })
      assert.equal("t-1", ev.headers["x-trace"])
      assert.equal("2", ev.headers["x-level"])
      assert.equal("3", ev.headers["x-api-version"])
      assert.equal("free form", ev.headers["x-free"])
    end)

    it("sends a subprotocol when asked, and conn.subprotocol tells the server's answer", function()
      local conn, r = helper.open(ch, { url = peer.url, path = { room = "r", n = 1 }, query = { q = "x" },
        subprotocol = "chat.v2", headers = { ["X-Probe"] = "sp-1" } })
      finally(function() conn:close() end)
      assert.equal("chat.v2", conn.subprotocol)
      local ev = peer:wait(function(e) return e.event == "connect" and e.headers["x-probe"] == "sp-1" end)
      assert.same({ "chat.v2" }, ev.subprotocols)
      assert.equal(1, r.opens)
    end)

    it("raises on a required query parameter left out, wrong types, bad enum values, bad header types", function()
      local base = { url = peer.url, path = { room = "r", n = 1 } }
      local function with(t)
        local o = {}
        for k, v in pairs(base) do o[k] = v end
        for k, v in pairs(t) do o[k] = v end
        return o
      end
      assert.error_matches(function() ch:connect(with{}) end, "query parameter 'q' is required")
      assert.error_matches(function() ch:connect(with{ query = { q = "x", flag = "yes" } }) end,
        "query parameter 'flag': expected boolean")
      assert.error_matches(function() ch:connect(with{ query = { q = "x", mode = "slow" } }) end,
        "query parameter 'mode'")
      assert.error_matches(function() ch:connect(with{ query = { q = "x", tag = { "a", 2 } } }) end,
        "query parameter 'tag%[2%]': expected string, got integer")
      assert.error_matches(function() ch:connect(with{ query = { q = "x", filter = { limits = { max = 1 } } } }) end,
        "query parameter 'filter%.kind': expected string")
      assert.error_matches(function() ch:connect(with{ query = { q = "x" }, headers = { ["X-Level"] = "high" } }) end,
        "header 'X%-Level': expected integer")
      assert.error_matches(function() ch:connect{ url = peer.url, path = { room = "r", n = "seven" }, query = { q = "x" } } end,
        "path parameter 'n'")
      assert.error_matches(function() ch:connect(with{ query = { q = "x" }, headers = { [1] = "x" } }) end,
        "headers: names must be strings")
    end)
  end)

  describe("environments", function()
    it("multi-URL fixture: endpoint() follows the channel's url id in each environment", function()
      if not helper.needs_fixtures(pending) then return end
      local ch = load(helper.fixture("fern-websocket-multi-url")):channel("realtime")
      local url, env = ch:endpoint()
      assert.equal("wss://ws.production.com/realtime/{session_id}", url)
      assert.equal("Production", env)
      assert.equal("wss://ws.staging.com/realtime/{session_id}", (ch:endpoint("Staging")))
      assert.error_matches(function() ch:endpoint("Nowhere") end, "Nowhere")
    end)

    it("Hume: the evi URL's own path is kept, https becomes wss, and url= replaces the host", function()
      if not helper.needs_fixtures(pending) then return end
      local api = load(helper.fixture("hume"))
      local chat = api:channel("empathic-voice.chat")
      assert.equal("wss://api.hume.ai/v0/evi/chat", (chat:endpoint()))
      -- a base URL in place of the environment's, with Hume's object-typed session_settings
      local ev, conn = seen_by(peer, chat, {
        url = peer.url .. "/v0/evi",
        query = {
          session_settings = { system_prompt = "Be brief & kind", custom_session_id = "c1",
                               audio = { channels = 1, sample_rate = 16000, encoding = "linear16" },
                               variables = { name = "Ann" } },
          config_version = 2, verbose_transcription = true, api_key = "hume-secret-key",
        },
      })
      assert.equal("/v0/evi/chat", ev.path)
      local q = ev.query
      assert.same({ "Be brief & kind" }, values(q, "session_settings[system_prompt]"))
      assert.same({ "c1" }, values(q, "session_settings[custom_session_id]"))
      assert.same({ "1" }, values(q, "session_settings[audio][channels]"))
      assert.same({ "16000" }, values(q, "session_settings[audio][sample_rate]"))
      assert.same({ "linear16" }, values(q, "session_settings[audio][encoding]"))
      assert.same({ "Ann" }, values(q, "session_settings[variables][name]"))
      assert.same({ "2" }, values(q, "config_version"))
      assert.same({ "true" }, values(q, "verbose_transcription"))
      assert.same({ "hume-secret-key" }, values(q, "api_key"))
      -- the key in the query is not shown by the connection object
      assert.not_matches("hume%-secret%-key", conn.url)
      assert.not_matches("hume%-secret%-key", tostring(conn))
      -- a mistyped nested field is named by its path
      assert.error_matches(function()
        chat:connect{ url = peer.url, query = { session_settings = { audio = { channels = "one" } } } }
      end, "query parameter 'session_settings%.audio%.channels': expected integer, got string")
      -- Hume's chat has auth: false: its HeaderAuthScheme key is not sent even when given
      ev = seen_by(peer, chat, { url = peer.url, query = { session_settings = {} }, auth = { value = "k" } })
      assert.is_nil(ev.headers["x-hume-api-key"])
    end)

    it("connects through an environment of its own definition (single and multi-URL, default)", function()
      local dir = helper.write_definition{
        ["api.yml"] = ([[
name: envs
environments:
  Local:
    urls:
      rest: http://127.0.0.1:%d/rest
      socket: http://127.0.0.1:%d/socket/
  Single: http://127.0.0.1:%d/single
default-environment: Local
]]):format(peer.port, peer.port, peer.port),
        ["live.yml"] = [[
channel:
  path: /live/{id}
  url: socket
  auth: false
  path-parameters:
    id: integer
  messages:
    publish:
      origin: client
      body: string
]],
      }
      finally(function() helper.rmtree(dir) end)
      local ch = load(dir):channel("live")
      assert.equal(("ws://127.0.0.1:%d/socket/live/{id}"):format(peer.port), (ch:endpoint()))
      local ev, conn = seen_by(peer, ch, { path = { id = 5 } })
      assert.equal("/socket/live/5", ev.path)
      assert.equal(("ws://127.0.0.1:%d/socket/live/5"):format(peer.port), conn.url)
      -- a single-URL environment serves every channel
      ev = seen_by(peer, ch, { environment = "Single", path = { id = 6 } })
      assert.equal("/single/live/6", ev.path)
      assert.error_matches(function() ch:connect{ environment = "Mars", path = { id = 1 } } end, "Mars")
    end)
  end)

  describe("auth", function()
    it("bearer: Authorization: Bearer <token>, from auth = {token}, a string, or $SEED_API_KEY", function()
      if not helper.needs_fixtures(pending) then return end
      local api = load(helper.fixture("fern-websocket-bearer-auth"))
      local ch = api:channel("realtime")
      local ev = seen_by(peer, ch, { url = peer.url, path = { session_id = "s" }, auth = { token = "tok-1" } })
      assert.equal("Bearer tok-1", ev.headers.authorization)
      ev = seen_by(peer, ch, { url = peer.url, path = { session_id = "s" }, auth = "tok-2" })
      assert.equal("Bearer tok-2", ev.headers.authorization)
      -- the scheme's SDK name (apiKey) is accepted too
      ev = seen_by(peer, ch, { url = peer.url, path = { session_id = "s" }, auth = { apiKey = "tok-3" } })
      assert.equal("Bearer tok-3", ev.headers.authorization)
      -- no credential at all: misuse, and the message says how to give one
      assert.error_matches(function() ch:connect{ url = peer.url, path = { session_id = "s" } } end,
        "needs credentials.*SEED_API_KEY")
    end)

    it("bearer: auth: false channels send nothing, even with a token given", function()
      if not helper.needs_fixtures(pending) then return end
      local api = load(helper.fixture("fern-websocket-bearer-auth"))
      local ev = seen_by(peer, api:channel("realtime-no-auth"),
        { url = peer.url, path = { session_id = "s" }, auth = { token = "tok-x" } })
      assert.equal("/realtime-no-auth/s", ev.path)
      assert.is_nil(ev.headers.authorization)
      ev = seen_by(peer, api:channel("conversations"), { url = peer.url, auth = "tok-y" })
      assert.equal("/conversations/connect", ev.path)
      assert.is_nil(ev.headers.authorization)
    end)

    it("bearer: the scheme's env variable is the fallback, and not used for auth: false", function()
      if not helper.needs_fixtures(pending) then return end
      local ok, out = helper.lua_child({ SEED_API_KEY = "env-token" }, ([[
        local fernws = require "fernws"
        local api = assert(fernws.load(%q))
        local n = 0
        for _, name in ipairs{ "realtime", "realtime-no-auth" } do
          local conn = assert(api:channel(name):connect{ url = %q, path = { session_id = name } })
          conn:on("open", function(c) n = n + 1; c:close() end)
          conn:on("error", function(e) print("error", tostring(e)) end)
        end
        fernws.run(10)
        print("opened", n)
      ]]):format(helper.fixture("fern-websocket-bearer-auth"), peer.url))
      assert.is_true(ok, out)
      assert.matches("opened\t2", out)
      local with = seen_at(peer, "/realtime/realtime")
      local without = seen_at(peer, "/realtime-no-auth/realtime-no-auth")
      assert.equal("Bearer env-token", with.headers.authorization)
      assert.is_nil(without.headers.authorization)
    end)

    it("multi-URL fixture: bearer without auth-schemes", function()
      if not helper.needs_fixtures(pending) then return end
      local ch = load(helper.fixture("fern-websocket-multi-url")):channel("realtime")
      local ev = seen_by(peer, ch, { url = peer.url, path = { session_id = "m" }, query = { model = "x" },
        auth = { token = "mu" } })
      assert.equal("/realtime/m", ev.path)
      assert.equal("model=x", ev.query)
      assert.equal("Bearer mu", ev.headers.authorization)
    end)

    it("basic: Authorization: Basic base64(user:password), from auth or the env variables", function()
      local api = load(helper.own("conn/basic"))
      local ch = api:channel("live")
      local ev = seen_by(peer, ch, { url = peer.url, auth = { username = "Aladdin", password = "open sesame" } })
      assert.equal("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ev.headers.authorization)
      ev = seen_by(peer, ch, { url = peer.url, auth = { clientId = "u", clientSecret = "p:w" } })
      assert.equal("Basic dTpwOnc=", ev.headers.authorization)
      ev = seen_by(peer, api:channel("open"), { url = peer.url, auth = { username = "u", password = "p" } })
      assert.is_nil(ev.headers.authorization)
      assert.error_matches(function() ch:connect{ url = peer.url, auth = { username = "a:b", password = "p" } } end,
        "cannot contain ':'")
      assert.error_matches(function() ch:connect{ url = peer.url, auth = { username = "only" } } end,
        "needs credentials")
      local ok, out = helper.lua_child({ FWS_TEST_USER = "envuser", FWS_TEST_PASS = "envpass" }, ([[
        local fernws = require "fernws"
        local api = assert(fernws.load(%q))
        local conn = assert(api:channel("live"):connect{ url = %q .. "/from-env" })
        conn:on("open", function(c) print("open"); c:close() end)
        fernws.run(10)
      ]]):format(helper.own("conn/basic"), peer.url))
      assert.is_true(ok, out)
      assert.matches("open", out)
      ev = seen_at(peer, "/from-env/live")
      assert.equal("Basic ZW52dXNlcjplbnZwYXNz", ev.headers.authorization)
    end)

    it("header scheme: name and prefix from api.yml; global header from its env variable", function()
      local api = load(helper.own("conn/header"))
      local ch = api:channel("live")
      local ev = seen_by(peer, ch, { url = peer.url, auth = { value = "k1" }, headers = { org = "acme" } })
      assert.equal("Token k1", ev.headers["x-api-key"])
      assert.equal("acme", ev.headers["x-org"])
      ev = seen_by(peer, ch, { url = peer.url, auth = { apiKey = "k2" } })
      assert.equal("Token k2", ev.headers["x-api-key"])
      assert.is_nil(ev.headers["x-org"])
      ev = seen_by(peer, api:channel("open"), { url = peer.url, auth = "k3" })
      assert.is_nil(ev.headers["x-api-key"])
      -- a credential with CR/LF: refused, and the message does not show it
      local ok, err = pcall(ch.connect, ch, { url = peer.url, auth = "very-secret\r\nX: 1" })
      assert.is_false(ok)
      assert.not_matches("very%-secret", err)
      local out
      ok, out = helper.lua_child({ FWS_TEST_API_KEY = "envkey", FWS_TEST_ORG = "envorg" }, ([[
        local fernws = require "fernws"
        local api = assert(fernws.load(%q))
        local conn = assert(api:channel("live"):connect{ url = %q .. "/hdr-env" })
        conn:on("open", function(c) print("open"); c:close() end)
        fernws.run(10)
      ]]):format(helper.own("conn/header"), peer.url))
      assert.is_true(ok, out)
      ev = seen_at(peer, "/hdr-env/live")
      assert.equal("Token envkey", ev.headers["x-api-key"])
      assert.equal("envorg", ev.headers["x-org"])
    end)

    it("Deepgram: the key goes out as Sec-WebSocket-Protocol, beside a subprotocol asked for", function()
      if not helper.needs_fixtures(pending) then return end
      local ch = load(helper.fixture("deepgram")):channel("speak")
      assert.equal("wss://api.deepgram.com/v1/speak", (ch:endpoint()))
      local q = { encoding = "linear16", model = "aura-asteria-en", sample_rate = "24000", text = "hi" }
      local conn, r = helper.open(ch, { url = peer.url .. "/v1", query = q, auth = { value = "token, dg-key" },
        headers = { ["X-Probe"] = "dg-1" } })
      finally(function() conn:close() end)
      local ev = peer:wait(function(e) return e.event == "connect" and e.headers["x-probe"] == "dg-1" end)
      assert.equal("/v1/speak", ev.path)
      assert.equal("encoding=linear16&model=aura-asteria-en&sample_rate=24000&text=hi", ev.query)
      assert.same({ "token", "dg-key" }, ev.subprotocols)
      assert.equal("token", conn.subprotocol)
      assert.is_nil(ev.headers.authorization)
      assert.equal(1, r.opens)
      ev = seen_by(peer, ch, { url = peer.url, query = q, auth = "dg2", subprotocol = "extra" })
      assert.same({ "extra", "dg2" }, ev.subprotocols) -- the one asked for is offered first
      assert.error_matches(function() ch:connect{ url = peer.url, query = q } end, "needs credentials")
    end)

    it("ElevenLabs: the global xi-api-key header, by name, SDK name, or $ELEVENLABS_API_KEY", function()
      if not helper.needs_fixtures(pending) then return end
      local api = load(helper.fixture("elevenlabs"))
      local ch = api:channel("v1TextToSpeechVoiceIdStreamInput")
      assert.equal("wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/stream-input", (ch:endpoint()))
      local q = { output_format = "mp3_44100_128", apply_text_normalization = "auto", enable_logging = false }
      local ev = seen_by(peer, ch, { url = peer.url, path = { voice_id = "v1" }, query = q,
        headers = { ["xi-api-key"] = "xi-1" } })
      assert.equal("/v1/text-to-speech/v1/stream-input", ev.path)
      assert.equal("xi-1", ev.headers["xi-api-key"])
      assert.same({ "false" }, values(ev.query, "enable_logging"))
      ev = seen_by(peer, ch, { url = peer.url, path = { voice_id = "v2" }, query = q,
        headers = { ["api-key"] = "xi-2" } })
      assert.equal("xi-2", ev.headers["xi-api-key"])
      ev = seen_by(peer, ch, { url = peer.url, path = { voice_id = "v3" }, query = q })
      assert.is_nil(ev.headers["xi-api-key"])
      local ok, out = helper.lua_child({ ELEVENLABS_API_KEY = "xi-env" }, ([[
        local fernws = require "fernws"
        local api = assert(fernws.load(%q))
        local conn = assert(api:channel("v1TextToSpeechVoiceIdStreamInput"):connect{ url = %q,
          path = { voice_id = "from-env" }, query = { output_format = "mp3_44100_128", apply_text_normalization = "auto" } })
        conn:on("open", function(c) print("open"); c:close() end)
        fernws.run(10)
      ]]):format(helper.fixture("elevenlabs"), peer.url))
      assert.is_true(ok, out)
      ev = seen_at(peer, "/v1/text-to-speech/from-env/stream-input")
      assert.equal("xi-env", ev.headers["xi-api-key"])
    end)

    it("AssemblyAI (lenient): the channel's optional Authorization header wins over api.yml's required one", function()
      if not helper.needs_fixtures(pending) then return end
      local api = load(helper.fixture("assemblyai"), { lenient = true })
      local ch = api:channel("universal3ProStreaming")
      assert.equal("wss://streaming.assemblyai.com/v3/ws", (ch:endpoint()))
      local ev = seen_by(peer, ch, { url = peer.url, query = { sample_rate = 16000 } })
      assert.is_nil(ev.headers.authorization)
      assert.same({ "u3-rt-pro" }, values(ev.query, "speech_model")) -- a literal is filled in
      ev = seen_by(peer, ch, { url = peer.url, query = { sample_rate = 16000 },
        headers = { authorization = "aai-key" } })
      assert.equal("/v3/ws", ev.path)
      assert.equal("aai-key", ev.headers.authorization)
      assert.same({ "16000" }, values(ev.query, "sample_rate"))
      assert.error_matches(function() ch:connect{ url = peer.url } end, "query parameter 'sample_rate' is required")
    end)
  end)

  describe("a refused handshake", function()
    it("reports the HTTP status in an error event, then closes; no reconnect after 401", function()
      if not helper.needs_fixtures(pending) then return end
      local refusing = helper.peer{ "--refuse", "401" }
      finally(function() refusing:kill() end)
      local ch = load(helper.fixture("fern-websocket-bearer-auth")):channel("realtime")
      local conn = assert(ch:connect{ url = refusing.url, path = { session_id = "s" }, auth = "secret-token-401",
        reconnect = { attempts = 3, min_delay = 0.01 } })
      local r = helper.record(conn)
      assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
      assert.equal(1, #r.errors)
      assert.equal("handshake", r.errors[1].kind)
      assert.equal(401, r.errors[1].status)
      assert.matches("401", tostring(r.errors[1]))
      assert.not_matches("secret%-token", tostring(r.errors[1]))
      assert.equal(0, #r.reconnects)
      assert.equal(1006, r.closes[1].code)
      assert.equal("closed", conn.state)
    end)

    it("404 is reported the same way", function()
      local refusing = helper.peer{ "--refuse", "404" }
      finally(function() refusing:kill() end)
      local ch = load(helper.own("conn/echo")):channel("echo")
      local conn = assert(ch:connect{ url = refusing.url })
      local r = helper.record(conn)
      assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
      assert.equal(404, r.errors[1].status)
      assert.equal("handshake", r.errors[1].kind)
      assert.equal(0, r.opens)
    end)
  end)
end)
