-- fernws mock as an SDK and a user meet it: served at each environment's endpoint path, refused
-- handshakes logged with their reason, answers generated from the types where no example answers
-- (valid by fernws's own codec, repeatable by seed), credentials redacted from the log, one-line
-- mistakes with exit 2, and Ctrl-C: fernws.run returns, a waiting task gets "interrupted", the
-- mock closes its peers with 1001 and exits 130. Real sockets on loopback.
local helper = require "helper"
local fernws = helper.fernws
local cjson = require "cjson"

local BIN = helper.root .. "/bin/fernws"

local function lines_to(list) return function(l) list[#list + 1] = l end end

local function find(lines, pattern)
  for _, l in ipairs(lines) do
    if l:find(pattern) then return l end
  end
end

-- A fernws client of ch against the mock at base; returns the conn once open and its record.
local function open(ch, url, opts)
  opts = opts or {}
  opts.url = url
  return helper.open(ch, opts)
end

local SPEAK_QUERY = { encoding = "linear16", model = "aura-asteria-en", sample_rate = "24000", text = "hi" }

describe("fernws.mock where the SDKs look for it", function()
  it("Deepgram: /v1/speak (the environment's base path) and the bare /speak", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("deepgram"))):channel("speak")
    assert.same({ "", "/v1" }, require("fernws.mock").bases(ch))
    local log = {}
    local m = assert(fernws.mock(ch, { log = lines_to(log) }))
    for _, base in ipairs({ "/v1", "" }) do
      local conn = open(ch, m.url .. base, { query = SPEAK_QUERY, auth = { value = "k" } })
      conn:close()
    end
    -- a path it does not serve is refused, and the log says why
    local conn = assert(ch:connect { url = m.url .. "/v2", query = SPEAK_QUERY, auth = { value = "k" } })
    local r = helper.record(conn)
    assert.is_truthy(helper.wait_until(function() return #r.errors > 0 end))
    conn:close()
    assert.equal(404, r.errors[1].status)
    assert.is_truthy(helper.wait_until(function() return find(log, "refused") ~= nil end))
    assert.matches("^mock speak: refused 127%.0%.0%.1:%d+ /v2/speak: 404 no channel at this path %(this server " ..
      "serves /speak, /v1/speak%)$", find(log, "refused"))
    m:close()
  end)

  it("Hume: /v0/evi/chat; a handshake that does not fit is logged with its reason, never a value", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("hume"))):channel("empathic-voice.chat")
    local log = {}
    local m = assert(fernws.mock(ch, { log = lines_to(log) }))
    local conn = open(ch, m.url .. "/v0/evi", { query = { api_key = "s3cret", session_settings = {} } })
    conn:close()
    local bad = assert(ch:connect { url = m.url .. "/v0/evi", query = { session_settings = {} },
                                    extra_query = { event_limit = "s3cret-many" } })
    local r = helper.record(bad)
    assert.is_truthy(helper.wait_until(function() return #r.errors > 0 end))
    bad:close()
    assert.is_truthy(helper.wait_until(function() return find(log, "refused") ~= nil end))
    assert.matches("/v0/evi/chat: 400 query parameter 'event_limit': expected integer", find(log, "refused"))
    for _, l in ipairs(log) do assert.not_matches("s3cret", l) end
    m:close()
  end)

  it("serves under opts.base instead", function()
    local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")
    local m = assert(fernws.mock(chat, { base = { "/custom", "" } }))
    assert.matches("/custom$", m.url)
    local conn = open(chat, m.url)
    conn:close()
    m:close()
  end)
end)

describe("fernws.mock answers a message no example answers with generated values", function()
  -- publishes each client message id the list names and returns the server messages received
  local function answers(ch, url, opts, sends)
    local conn, r = open(ch, url, opts)
    for i, s in ipairs(sends) do
      conn:publish(s[1], s[2])
      assert.is_truthy(helper.wait_until(function() return #r.msgs >= i end), "no answer to " .. s[1])
    end
    conn:close()
    assert.same({}, r.errors)
    return r.msgs
  end

  it("Deepgram speak (no examples): valid server messages, the same for the same seed", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("deepgram"))):channel("speak")
    local sends = { { "textMessage", { type = "Speak", text = "hello" } }, { "flush", { type = "Flush" } },
                    { "clear", { type = "Clear" } }, { "textMessage", { type = "Speak", text = "again" } } }
    local runs = {}
    for run = 1, 2 do
      local log = {}
      local m = assert(fernws.mock(ch, { seed = 7, log = lines_to(log) }))
      local got = answers(ch, m.url .. "/v1", { query = SPEAK_QUERY, auth = { value = "k" } }, sends)
      m:close()
      runs[run] = got
      for _, msg in ipairs(got) do
        -- the client decoded it with the channel's types: it is one of the server messages
        assert.equal("server", ch.messages[msg.id].origin)
        assert.is_true((ch:check(msg.id, msg.value)))
      end
      assert.matches("^mock speak: no example answers 'textMessage': answering with a generated '[%w]+' %(seed 7%)$",
        find(log, "no example answers"))
    end
    assert.same(runs[1], runs[2])
    local m = assert(fernws.mock(ch, { seed = 8 }))
    local other = answers(ch, m.url, { query = SPEAK_QUERY, auth = { value = "k" } }, sends)
    m:close()
    assert.are_not.same(runs[1], other)
  end)

  it("Hume EVI chat (no examples): every client message kind gets a SubscribeEvent member", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("hume"))):channel("empathic-voice.chat")
    local m = assert(fernws.mock(ch, { seed = 3 }))
    local got = answers(ch, m.url .. "/v0/evi", { query = { session_settings = {} } }, {
      { "publish", { type = "user_input", text = "hi" } },
      { "publish", { type = "session_settings", system_prompt = "brief" } },
      { "publish", { type = "pause_assistant_message" } },
    })
    m:close()
    for _, msg in ipairs(got) do
      assert.equal("subscribe", msg.id)
      assert.is_string(msg.variant)
      assert.is_true((ch:check("subscribe", msg.value)))
    end
  end)

  it("a channel with examples still plays them, and reports what they do not expect", function()
    local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")
    local log = {}
    local m = assert(fernws.mock(chat, { log = lines_to(log) }))
    local got = answers(chat, m.url, { query = { model_id = "1" } }, { { "publish", { text = "Hello, world." } } })
    m:close()
    assert.same({ id = "23823049", message = "Hello there, how are you?" }, got[1].value)
    assert.is_nil(find(log, "generated"))
  end)
end)

describe("fernws.mock never logs a credential", function()
  it("the auth-message token, and string properties named as keys, tokens, secrets, passwords", function()
    local api = assert(fernws.load(helper.write_definition {
      ["api.yml"] = "name: red\n",
      ["live.yml"] = table.concat({
        "channel:",
        "  path: /live",
        "  auth: false",
        "  auth-message:",
        "    message-id: authenticate",
        "    token-property-path: params.token",
        "  messages:",
        "    authenticate: {origin: client, body: Authenticate}",
        "    init: {origin: client, body: Init}",
        "    heard: {origin: server, body: Init}",
        "types:",
        "  Authenticate:",
        "    properties:",
        "      params: AuthParams",
        "  AuthParams:",
        "    properties:",
        "      token: string",
        "  Init:",
        "    properties:",
        "      text: string",
        "      xi_api_key: optional<string>",
        "      apiKey: optional<string>",
        "      max_tokens: optional<integer>",
        "      settings: optional<map<string, string>>",
      }, "\n") .. "\n",
    }))
    local ch = api:channel("live")
    local log = {}
    local m = assert(fernws.mock(ch, { log = lines_to(log) }))
    local conn, r = open(ch, m.url, { auth = { token = "s3cret-token" } })
    conn:publish("init", { text = "hello", xi_api_key = "s3cret-xi", apiKey = "s3cret-k", max_tokens = 5,
                           settings = { password = "s3cret-pw", colour = "blue" } })
    assert.is_truthy(helper.wait_until(function() return #r.msgs >= 1 end))
    conn:close()
    m:close()
    local auth = find(log, "<%- authenticate")
    assert.is_string(auth)
    assert.same({ params = { token = "[redacted]" } }, cjson.decode(auth:match("<%- authenticate (.*)$")))
    local init = cjson.decode(find(log, "<%- init"):match("<%- init (.*)$"))
    assert.same({ text = "hello", xi_api_key = "[redacted]", apiKey = "[redacted]", max_tokens = 5,
                  settings = { password = "[redacted]", colour = "blue" } }, init)
    for _, l in ipairs(log) do assert.not_matches("s3cret", l) end
  end)
end)

-- ---- the command -----------------------------------------------------------------------------------

local function q(s) return helper.q(s) end

local run_cli = helper.cli

-- Starts `fernws mock ARGS` in the background with SIGINT at its default (a background job of a
-- script would inherit it ignored); returns {pid =, out =, err =} once it listens.
local function start_cli(...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = q(a) end
  local out, err, pidfile = os.tmpname(), os.tmpname(), os.tmpname()
  os.execute("timeout 120 sh -c " .. q("echo $$ > " .. q(pidfile) .. "; exec env --default-signal=INT lua5.4 " ..
    q(BIN) .. " " .. table.concat(args, " ")) .. " >" .. q(out) .. " 2>" .. q(err) .. " &")
  local proc = { out = out, err = err }
  function proc.text(which)
    local f = io.open(which == "err" and err or out)
    local s = f and f:read("a") or ""
    if f then f:close() end
    return s
  end
  assert(helper.wait_until(function() return proc.text():find("listening on") ~= nil end, 15),
    "the mock did not start: " .. proc.text("err"))
  local f = assert(io.open(pidfile))
  proc.pid = f:read("n")
  f:close()
  os.remove(pidfile)
  proc.port = tonumber(proc.text():match("listening on ws://[^:]+:(%d+)"))
  return proc
end

local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local st = f:read("a")
  f:close()
  return not st:match("^%d+ %b() Z")
end

describe("fernws mock (the command)", function()
  after_each(function() helper.kill_all() end)

  it("every mistake is one line on stderr and exit 2; mock --help is the usage, exit 0", function()
    if not helper.needs_fixtures(pending) then return end
    local dg = helper.fixture("deepgram")
    local cases = {
      { { "mock", dg }, "^fernws mock: needs PATH and CHANNEL %(fernws mock %-%-help%)\n$" },
      { { "mock", dg, "nope" }, "^fernws mock: no channel 'nope' in .* %(channels: speak%)\n$" },
      { { "mock", dg, "speak", "--port", "abc" }, "^fernws mock: %-%-port needs a number from 0 to 65535, not 'abc'\n$" },
      { { "mock", dg, "speak", "--port", "70000" }, "^fernws mock: %-%-port needs a number from 0 to 65535, not '70000'\n$" },
      { { "mock", dg, "speak", "--port" }, "^fernws mock: %-%-port needs a value\n$" },
      { { "mock", dg, "speak", "--seed", "x" }, "^fernws mock: %-%-seed needs an integer, not 'x'\n$" },
      { { "mock", dg, "speak", "--base", "v1" }, "^fernws mock: %-%-base needs a path that starts with '/', not 'v1'\n$" },
      { { "mock", dg, "speak", "--verbose" }, "^fernws mock: unknown option '%-%-verbose' %(fernws mock %-%-help lists them%)\n$" },
      { { "mock", dg, "speak", "extra" }, "^fernws mock: unexpected argument 'extra'\n$" },
    }
    for _, c in ipairs(cases) do
      local out, err, code = run_cli(table.unpack(c[1]))
      assert.equal(2, code, table.concat(c[1], " "))
      assert.matches(c[2], err)
      assert.equal("", out)
    end
    local out, err, code = run_cli("mock", "--help")
    assert.equal(0, code)
    assert.equal("", err)
    assert.matches("^usage: fernws mock PATH CHANNEL", out)
  end)

  it("a port in use: one line, exit 2", function()
    local srv = assert(assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat"):serve { port = 0 })
    local port = srv.port
    local _, err, code = run_cli("mock", helper.root .. "/examples/chat/chat.yml", "chat", "--port", tostring(port))
    srv:close()
    assert.equal(2, code)
    assert.matches("^fernws mock: cannot serve on 127%.0%.0%.1:" .. port .. ": [^\n]+\n$", err)
  end)

  it("says where it listens, logs load warnings, and Ctrl-C closes its peers with 1001 and exits 130", function()
    if not helper.needs_fixtures(pending) then return end
    local m = start_cli("mock", helper.fixture("assemblyai"), "universalStreaming", "--seed", "5")
    local out = m.text()
    assert.matches("warning: example message type 'receiveSessionBegins' is not a message of this channel", out)
    assert.matches("mock of universalStreaming listening on ws://127%.0%.0%.1:%d+/v3/ws\n", out)
    local client = helper.spawn_proc(table.concat({ helper.python, q(helper.peer_script), "client",
      q("ws://127.0.0.1:" .. m.port .. "/v3/ws?sample_rate=16000&speech_model=universal-streaming-english"), "--header", "Authorization:k",
      "--wait-close", "--timeout", "30" }, " "))
    assert.is_truthy(client:wait(function(ev) return ev.event == "open" end, 10))
    assert.is_truthy(helper.wait_until(function() return m.text():find("connected") ~= nil end))
    os.execute("kill -INT " .. m.pid)
    local closed = client:wait(function(ev) return ev.event == "closed" end, 15)
    assert.is_table(closed)
    assert.equal(1001, closed.code)
    assert.is_truthy(helper.wait_until(function() return not alive(m.pid) end, 15))
    assert.matches("interrupted", m.text())
    os.remove(m.out)
    os.remove(m.err)
  end)
end)

describe("Ctrl-C in a script", function()
  it("fernws.run returns its error count, false, 'interrupted'; a waiting task gets 'interrupted' raised where it waits", function()
    local chunk = [[
      local fernws = require "fernws"
      local ch = assert(fernws.load(]] .. string.format("%q", helper.root .. "/examples/chat/chat.yml") .. [[)):channel("chat")
      local srv = assert(ch:serve { port = 0 })
      local caught
      local pid = io.open("/proc/self/stat"):read("n")
      fernws.spawn(function()
        local conn = assert(ch:connect { url = srv.url })
        -- the kill once the task is open and about to wait (however long connecting took); system()
        -- ignores SIGINT while it waits, so it comes from a background shell
        os.execute("(sleep 0.3; kill -INT " .. pid .. ") &")
        local ok, err = pcall(function() return conn:receive("subscribe") end)
        caught = err
        conn:close()
      end)
      fernws.spawn(function() fernws.sleep(60) print("never") end)
      local errors, done, why = fernws.run()
      print("run", errors, tostring(done), why, "caught", caught)
      srv:close()
      print("after", select(2, fernws.run(5)))
    ]]
    local file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write(chunk)
    f:close()
    local p = assert(io.popen("timeout 60 env --default-signal=INT lua5.4 " .. q(file) .. " 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    os.remove(file)
    assert.is_true(ok, out)
    assert.matches("run\t0\tfalse\tinterrupted\tcaught\tinterrupted\n", out, 1, true)
    assert.matches("after\ttrue", out, 1, true)
    assert.not_matches("never", out)
  end)
end)
