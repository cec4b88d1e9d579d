-- `fernws connect`: at a real pseudo-terminal (spec/peers/pty_drive.py types into it and reads
-- the screen), and from a pipe (JSON lines), against a fernws server or the mock on loopback.
local helper = require "helper"
local fernws = helper.fernws
local connect = require "fernws.connect"

local BIN = helper.root .. "/bin/fernws"
local CHAT = helper.root .. "/examples/chat/chat.yml"
local DRIVER = helper.root .. "/spec/peers/pty_drive.py"

-- lua5.4 for a child started through helper.spawn_proc (which drops LD_PRELOAD for python): under
-- ASan the child needs the runtime preloaded again to load the module.
local function lua_cmd()
  local pre = os.getenv("LD_PRELOAD")
  if pre and pre ~= "" then return "env LD_PRELOAD=" .. helper.q(pre) .. " lua5.4" end
  return "lua5.4"
end

local Drive = {}
Drive.__index = Drive

-- Runs `fernws connect ARGS...` in a pseudo-terminal COLS wide.
local function drive(args, cols)
  local fifo = os.tmpname()
  os.remove(fifo)
  assert(os.execute("mkfifo " .. helper.q(fifo)))
  local argv = { lua_cmd(), helper.q(BIN), "connect" }
  for _, a in ipairs(args) do argv[#argv + 1] = helper.q(a) end
  local proc = helper.spawn_proc(table.concat({ helper.python, helper.q(DRIVER), helper.q(fifo), tostring(cols or 100), "--",
    "sh", "-c", helper.q(table.concat(argv, " ")) }, " "))
  local cmds = assert(io.open(fifo, "w"))
  cmds:setvbuf("no")
  return setmetatable({ proc = proc, cmds = cmds, fifo = fifo, n = 0 }, Drive)
end

function Drive:send(text)
  self.cmds:write(require("cjson").encode({ send = text }), "\n")
end

-- Waits (running the loop: the server lives in this process) for the driver's answer to a
-- command; returns it, or fails with what the terminal showed. Patterns are Python regexes.
function Drive:ask(kind, pattern)
  self.n = self.n + 1
  local id = self.n
  self.cmds:write(require("cjson").encode({ [kind] = pattern, id = id }), "\n")
  local ev = self.proc:wait(function(e) return e.id == id or e.exit ~= nil or e.timeout end, 60)
  if not ev or ev.id ~= id then
    error("the terminal never showed " .. pattern .. "\n" .. (ev and (ev.output or ev.screen) or "(no answer)") ..
      "\n" .. self.proc:stderr(), 2)
  end
  return ev.text or ev.screen
end
function Drive:expect(pattern) return self:ask("expect", pattern) end
function Drive:screen(pattern) return self:ask("screen", pattern) end

function Drive:exit()
  local ev = self.proc:wait(function(e) return e.exit ~= nil or e.timeout end, 60)
  self.cmds:close()
  os.remove(self.fifo)
  self.proc:kill()
  return ev and ev.exit, ev
end

-- A chat server in this process: each publish is answered with a subscribe echoing its text.
local function chat_server()
  local api = assert(fernws.load(CHAT))
  local ch = api:channel("chat")
  local srv = assert(ch:serve { port = 0 })
  local got, peers, closes = {}, {}, {}
  srv:on("open", function(peer) peers[#peers + 1] = peer end)
  srv:on("close", function(code) closes[#closes + 1] = code end)
  srv:subscribe("publish", function(msg, _, peer)
    got[#got + 1] = msg.text
    peer:publish("subscribe", { id = tostring(#got), message = "echo: " .. msg.text })
  end)
  return srv, got, peers, closes
end

describe("fernws connect at a terminal", function()
  after_each(function() helper.kill_all() end)

  it("connects, sends what is typed (Tab completes the id), prints each message pretty, /close exits 0", function()
    local srv, got, _, closes = chat_server()
    local d = drive({ CHAT, "chat", "--url", "ws://127.0.0.1:" .. srv.port })
    d:expect("connected to ws://127\\.0\\.0\\.1:" .. srv.port .. "/chat \\(channel chat\\); /help for commands")
    d:screen("^chat> $")
    d:send("pu\t")
    d:screen("^chat> publish $")
    d:send('{"text": "Hello, world."}\r')
    assert.equal('< subscribe  (SubscribeEvent)\n{\n  "id": "1",\n  "message": "echo: Hello, world."\n}',
      d:expect('< subscribe[^\n]*\n\\{.*?\n\\}'))
    assert.same({ "Hello, world." }, got)
    -- a line typed in one go (one chunk of input) stays on the screen as sent, above the answer
    d:send("publish {text = 'in one go'}\r")
    d:screen("^chat> publish \\{text = 'in one go'\\}\n< subscribe")
    -- a Lua table works as well as JSON
    d:send("publish {text = 'from Lua'}\r")
    d:expect('"message": "echo: from Lua"')
    d:send("/close\r")
    d:expect("closed 1000")
    local code, ev = d:exit()
    assert.equal(0, code, ev and ev.output)
    assert.truthy(helper.wait_until(function() return #closes == 1 end, 10))
    assert.same({ 1000 }, closes)
    srv:close()
  end)

  it("a body that fails validation: every problem with its path; nothing is sent", function()
    local srv, got = chat_server()
    local d = drive({ CHAT, "chat", "--url", "ws://127.0.0.1:" .. srv.port })
    d:screen("^chat> $")
    d:send("publish {text = 42, extra = 1}\r")
    local t = d:expect("cannot send publish: 2 problems\n[^\n]*\n[^\n]*\n")
    assert.matches("\n  text: expected string, got integer\n", t)
    assert.matches("\n  extra: unknown property", t)
    d:send("publish {text = \r")
    d:expect("neither JSON .*? nor a Lua value")
    d:send("subscribe {}\r")
    d:expect("message 'subscribe' is sent by the server, not the client")
    d:send("pubish {}\r")
    d:expect("unknown message 'pubish' \\(clients send: publish\\)")
    d:send("/messages\r")
    d:expect('publish \\{"text": ""\\}    -- chat\\.PublishEvent  The input from the user')
    d:send("/help\r")
    d:expect("/close \\[code \\[reason\\]\\]")
    assert.same({}, got)
    d:send("\4") -- Ctrl-D on an empty line
    assert.equal(0, (d:exit()))
    srv:close()
  end)

  it("line editing: cursor keys, history, and a message that arrives mid-line leaves the line as it was", function()
    local srv, got, peers = chat_server()
    local d = drive({ CHAT, "chat", "--url", "ws://127.0.0.1:" .. srv.port })
    d:screen("^chat> $")
    -- "publsh" mended: Home, four times Right, "i"; then End and the body
    d:send("publsh {text = 'one'}")
    d:send("\27[H\27[C\27[C\27[C\27[Ci\27[F\r")
    d:expect('"message": "echo: one"')
    assert.same({ "one" }, got)
    -- Up recalls it; Ctrl-W removes the last word, another is typed
    d:send("\27[A")
    d:screen("^chat> publish {text = 'one'}$")
    d:send("\23")
    d:screen("^chat> publish {text = $")
    d:send("'two'}\r")
    d:expect('"message": "echo: two"')
    assert.same({ "one", "two" }, got)
    -- half a line typed, then the server speaks: its message above, the half line still there
    d:send('publish {"text": "thr')
    d:screen('^chat> publish {"text": "thr$')
    assert.truthy(helper.wait_until(function() return #peers == 1 end, 10))
    peers[1]:publish("subscribe", { id = "s", message = "unprompted" })
    local screen = d:screen('"message": "unprompted"\n}\nchat> publish {"text": "thr$')
    assert.is_nil(screen:find('chat> publish {"text": "thr\n', 1, true), screen)
    d:send('ee"}\r')
    d:expect('"message": "echo: three"')
    assert.same({ "one", "two", "three" }, got)
    -- Ctrl-U clears what is typed; /close takes a code and a reason
    d:send("garbage\21/close 4000 done\r")
    d:expect("closed 4000")
    assert.equal(0, (d:exit()))
    srv:close()
  end)

  it("against the mock: the example's answer arrives; the server closing ends the session with 1", function()
    local api = assert(fernws.load(CHAT))
    local srv = fernws.mock(api:channel("chat"), { port = 0 })
    local d = drive({ CHAT, "chat", "--url", "ws://127.0.0.1:" .. srv.port, "--query", "model_id=123" })
    d:screen("^chat> $")
    d:send('publish {"text": "Hello, world."}\r')
    d:expect('"message": "Hello there, how are you\\?"')
    srv:close()
    d:expect("connection closed: 1001")
    assert.equal(1, (d:exit()))
  end)
end)

-- Runs the command with stdin from a pipe (printf of the lines); returns the JSON events, the
-- exit code and stderr. The server is another process (the mock), so blocking here is fine.
local function piped(lines, args)
  local argv = { "printf", helper.q(table.concat(lines, "\n") .. "\n"), "|", "lua5.4", helper.q(BIN), "connect" }
  for _, a in ipairs(args) do argv[#argv + 1] = helper.q(a) end
  local errfile = os.tmpname()
  local p = assert(io.popen(table.concat(argv, " ") .. " 2>" .. errfile))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(errfile))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  local events = {}
  local cjson = require "cjson"
  for l in out:gmatch("[^\n]+") do events[#events + 1] = cjson.decode(l) end
  return events, code, err
end

local function mock_process()
  local proc, first = helper.spawn_proc(lua_cmd() .. " " .. helper.q(BIN) .. " mock " .. helper.q(CHAT) .. " chat --port 0")
  local port = assert(tostring(first.line):match("ws://127%.0%.0%.1:(%d+)/chat"), first.line)
  return proc, port
end

describe("fernws connect from a pipe", function()
  after_each(function() helper.kill_all() end)

  it("one message a line in, JSON lines out; --count ends it after N messages", function()
    local _, port = mock_process()
    local ev, code, err = piped({ 'publish {"text": "Hello, world."}' },
      { CHAT, "chat", "--url", "ws://127.0.0.1:" .. port, "--query", "model_id=123", "--count", "1" })
    assert.equal(0, code, err)
    assert.same({ "open", "sent", "message", "close" }, { ev[1].event, ev[2].event, ev[3].event, ev[4].event })
    assert.equal("ws://127.0.0.1:" .. port .. "/chat", ev[1].url)
    assert.same({ event = "message", id = "subscribe", variant = "SubscribeEvent",
      value = { id = "23823049", message = "Hello there, how are you?" } }, ev[3])
    assert.same({ event = "close", code = 1000, reason = "", by = "client" }, ev[4])
  end)

  it("a line that cannot be sent is an event with its problems, and the exit code is 1", function()
    local _, port = mock_process()
    local ev, code = piped({ "publish {text = 42}", "/bogus", "/messages" }, { CHAT, "chat", "--url", "ws://127.0.0.1:" .. port })
    assert.equal(1, code)
    assert.same({ event = "invalid", line = 1, message = "cannot send publish: 1 problem",
      errors = { { path = "text", message = "text: expected string, got integer" } } }, ev[2])
    assert.same({ event = "invalid", line = 2, message = "unknown command /bogus" }, ev[3])
    assert.same({ event = "messages", messages = { { id = "publish", type = "chat.PublishEvent", skeleton = { text = "" } } } }, ev[4])
    assert.equal("close", ev[5].event)
  end)

  it("nothing listening: the error event and exit 1", function()
    local ev, code = piped({}, { CHAT, "chat", "--url", "ws://127.0.0.1:1" })
    assert.equal(1, code)
    assert.equal("error", ev[1].event)
    assert.equal("network", ev[1].kind)
  end)

  it("usage: PATH and CHANNEL, --env or --url, k=v, typed parameters", function()
    local _, code, err = piped({}, { CHAT })
    assert.equal(2, code)
    assert.matches("^fernws connect: PATH and CHANNEL are needed\nusage: fernws connect", err)
    _, code, err = piped({}, { CHAT, "chat", "--env", "a", "--url", "ws://x" })
    assert.equal(2, code)
    assert.matches("^fernws connect: %-%-env or %-%-url, not both", err)
    _, code, err = piped({}, { CHAT, "chat", "--query", "model_version" })
    assert.equal(2, code)
    assert.matches("^fernws connect: %-%-query takes k=v, not 'model_version'", err)
    _, code, err = piped({}, { CHAT, "chat", "--url", "ws://127.0.0.1:1", "--query", "model_version=two" })
    assert.equal(2, code)
    assert.equal("fernws connect: model_version: 'two' is not an integer\n", err)
    _, code, err = piped({}, { CHAT, "nochannel" })
    assert.equal(1, code)
    assert.equal("fernws: unknown channel 'nochannel' (channels: chat)\n", err)
  end)
end)

describe("fernws connect's parts", function()
  it("connect options are typed by the channel's parameters; undeclared query keys go as extra_query", function()
    local api = assert(fernws.load(helper.own("defn/full")))
    local ch = api:channel("voice.chat")
    local o = assert(connect.parse_args({ "x", "voice.chat", "--url", "ws://h", "--path", "voice_id=v1", "--query", "model=m",
      "--query", "tags=a", "--query", "tags=b", "--query", "rate=8000", "--query", "debug=1", "--header", "X-Client=me",
      "--auth", "secret" }))
    assert.same({ url = "ws://h", path = { voice_id = "v1" }, query = { model = "m", tags = { "a", "b" }, rate = 8000 },
      extra_query = { debug = "1" }, headers = { ["X-Client"] = "me" }, auth = { token = "secret" } },
      connect.connect_options(api, ch, o))
  end)

  it("a skeleton of every client message of every fixture channel is JSON of the right shape", function()
    if not helper.needs_fixtures(pending) then return end
    local cjson = require "cjson"
    local n, fits = 0, 0
    for _, name in ipairs({ "hume", "deepgram", "elevenlabs", "assemblyai", "fern-websocket" }) do
      local api = assert(fernws.load(helper.fixture(name), { lenient = true }))
      for _, cn in ipairs(api:channels()) do
        local ch = api:channel(cn)
        for id, m in pairs(ch.messages) do
          if m.origin == "client" then
            local text = connect.skeleton(m.type)
            local ok, v = pcall(cjson.decode, text)
            assert.is_true(ok, id .. ": " .. text)
            n = n + 1
            -- placeholders may break a rule (a pattern, a minimum): most fit
            if ch:check(id, v) then fits = fits + 1 end
          end
        end
      end
    end
    assert.is_true(n >= 20, tostring(n))
    assert.is_true(fits >= n * 0.8, fits .. " of " .. n)
  end)

  it("a received value is written in the definition's order: the discriminant first, extras after, sorted", function()
    local api = assert(fernws.load(helper.own("defn/full")))
    local v = assert(api:decode("types.Pet", '{"zz": 1, "owner": "o", "howMany": 3, "type": "count", "aa": [true]}'))
    assert.equal('{"type":"count","howMany":3,"owner":"o","aa":[true],"zz":1}', connect.ordered_json(api:type("types.Pet"), v))
    v = assert(api:decode("types.Containers", '{"no": false, "yes": true, "lit": "fixed", "mp": {"b": [2], "a": []}, ' ..
      '"st": ["x"], "lst": ["iii"], "nul": null, "opt": "o"}'))
    assert.equal('{"opt":"o","nul":null,"lst":["iii"],"st":["x"],"mp":{"a":[],"b":[2]},"lit":"fixed","yes":true,"no":false}',
      connect.ordered_json(api:type("types.Containers"), v))
  end)

  it("pretty: JSON re-indented, strings untouched, empty containers kept", function()
    assert.equal('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {},\n  "c": "x, {y}: [z]",\n  "d": []\n}',
      connect.pretty('{"a":[1,2],"b":{},"c":"x, {y}: [z]","d":[ ]}'))
  end)
end)
