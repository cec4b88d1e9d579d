-- What a new user meets first: the version, objects that pairs() walks and print usefully, options,
-- events and message ids that are checked by name, text that is not JSON, describe's nesting.
local helper = require "helper"
local fernws = helper.fernws
local grammar = require "luals_grammar"

local CHAT = helper.root .. "/examples/chat/chat.yml"

local function keys(obj)
  local r = {}
  for k, v in pairs(obj) do
    assert.is_not_nil(v)
    r[#r + 1] = k
  end
  return r
end

local function run(...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = helper.q(a) end
  local p = assert(io.popen("lua5.4 " .. helper.q(helper.root .. "/bin/fernws") .. " " .. table.concat(args, " ") .. " 2>&1"))
  local out = p:read("a")
  local _, _, code = p:close()
  return out, code
end

describe("the version", function()
  it("fernws.VERSION and `fernws --version`", function()
    assert.matches("^%d+%.%d+%.%d+$", fernws.VERSION)
    assert.equal(fernws.VERSION, fernws.version)
    local out, code = run("--version")
    assert.equal(0, code)
    assert.equal("fernws " .. fernws.VERSION .. "\n", out)
  end)
end)

describe("pairs and tostring", function()
  local api = assert(fernws.load(helper.own("defn/full")))

  it("an api: its fields and methods, those it has; tostring tells its channels and types", function()
    assert.same({ "name", "display_name", "docs", "root", "default_environment", "base_path", "environments", "auth",
      "headers", "warnings", "channels", "channel", "types", "type", "check", "encode", "decode" }, keys(api))
    local seen = {}
    for k, v in pairs(api) do seen[k] = v end
    assert.equal("full", seen.name)
    assert.equal(api.channel, seen.channel)
    assert.equal("fernws.api full (1 channel: voice.chat; 22 types)", tostring(api))
  end)

  it("a channel: its fields and methods", function()
    local ch = api:channel("voice.chat")
    assert.same({ "name", "display_name", "docs", "path", "auth", "file", "api", "messages", "query",
      "path_params", "headers", "examples", "check", "encode", "decode", "connect", "serve", "endpoint", "endpoints" },
      keys(ch))
    local seen = {}
    for k, v in pairs(ch) do seen[k] = v end
    assert.equal(ch.messages, seen.messages)
    assert.equal("fernws.channel voice.chat (/chat/{voice_id})", tostring(ch))
  end)

  it("a type: the parts of its kind", function()
    assert.same({ "kind", "name", "short_name", "docs", "properties", "extends", "extra_properties", "file", "line" },
      keys(api:type("types.Animal")))
    assert.same({ "kind", "name", "short_name", "values", "default", "file", "line" }, keys(api:type("types.Color")))
    assert.same({ "kind", "name", "short_name", "docs", "extends", "discriminant", "variants", "base_properties", "file",
      "line" }, keys(api:type("types.Pet")))
    local lst = api:type("types.Containers").properties[3].type
    assert.same({ "kind", "element", "file", "line" }, keys(lst))
    assert.equal("list<Id>", tostring(lst))
  end)

  it("the meta file declares every field and method pairs() shows", function()
    local f = assert(io.open(helper.root .. "/types/fernws.lua"))
    local rep = grammar.check(f:read("a"), { loose = true })
    f:close()
    local function declared(cls)
      local r = {}
      for k in pairs(rep.classes[cls].fields) do r[k] = true end
      for m in pairs(rep.methods) do
        local name = m:match("^" .. cls:gsub("%.", "%%.") .. ":(.+)$")
        if name then r[name] = true end
      end
      return r
    end
    local classes = { ["fernws.Api"] = api, ["fernws.Channel"] = api:channel("voice.chat") }
    for cls, obj in pairs(classes) do
      local d = declared(cls)
      for _, k in ipairs(keys(obj)) do assert.is_true(d[k] ~= nil, cls .. " lacks " .. k) end
    end
    local tfields = rep.classes["fernws.Type"].fields
    for _, n in ipairs(api:types()) do
      for _, k in ipairs(keys(api:type(n))) do assert.is_table(tfields[k], "fernws.Type lacks " .. k) end
    end
  end)
end)

describe("names a caller got wrong", function()
  local api = assert(fernws.load(CHAT))
  local chat = api:channel("chat")

  local function err(f, ...)
    local ok, e = pcall(f, ...)
    assert.is_false(ok)
    return (tostring(e):gsub("^[^:]+:%d+: ", ""))
  end

  it("an unknown option of connect, serve, load or decode: the key, the ones taken, the one meant", function()
    local active = fernws.active() -- what earlier specs may still be closing
    assert.equal("connect: unknown option 'querry' (options: auth, connect_timeout, environment, extra_query, " ..
      "follow_redirects, headers, max_message_size, message_timeout, path, ping_interval, ping_timeout, query, queue, " ..
      "queue_bytes, reconnect, strict, subprotocol, tls, url; did you mean 'query'?)", err(chat.connect, chat, { url = "ws://127.0.0.1:1", querry = { model_id = "1" } }))
    assert.equal("connect: tls: unknown option 'verfy' (options: ca_file, verify; did you mean 'verify'?)",
      err(chat.connect, chat, { url = "ws://127.0.0.1:1", tls = { verfy = false } }))
    assert.equal("connect: reconnect: unknown option 'tries' (options: attempts, factor, jitter, max_delay, min_delay)",
      err(chat.connect, chat, { url = "ws://127.0.0.1:1", reconnect = { tries = 3 } }))
    assert.equal("connect: option names are strings, got a number key", err(chat.connect, chat, { "ws://127.0.0.1:1" }))
    assert.equal("serve: unknown option 'prot' (options: assembly_total, base, handshake_timeout, host, max_message_size, max_peers, " ..
      "message_timeout, ping_interval, ping_timeout, port, queue, queue_bytes, queue_total, strict, subprotocol, tls; " ..
      "did you mean 'port'?)", err(chat.serve, chat, { prot = 0 }))
    assert.equal("serve: tls: unknown option 'pem' (options: cert, key)", err(chat.serve, chat, { tls = { pem = "x" } }))
    assert.equal("fernws.load: unknown option 'lenent' (options: lenient, strict; did you mean 'lenient'?)",
      err(fernws.load, CHAT, { lenent = true }))
    assert.equal("decode: unknown option 'strikt' (options: max_depth, max_size, origin, strict; did you mean 'strict'?)",
      err(chat.decode, chat, "{}", { strikt = true }))
    -- nothing was started by the refused calls
    assert.equal(active, fernws.active())
  end)

  it("on and subscribe: the method, the name, the valid names", function()
    local srv = assert(chat:serve { port = 0 })
    local conn = assert(chat:connect { url = "ws://127.0.0.1:" .. srv.port })
    assert.equal("conn:on: unknown event 'opne' (events: open, close, error, reconnect, dropped, binary, pong; " ..
      "did you mean 'open'?)", err(conn.on, conn, "opne", print))
    assert.equal("conn:on: unknown event 'message' (events: open, close, error, reconnect, dropped, binary, pong)",
      err(conn.on, conn, "message", print))
    assert.equal("conn:subscribe: unknown message 'subscrbe' (channel chat servers send: subscribe; did you mean " ..
      "'subscribe'?)", err(conn.subscribe, conn, "subscrbe", print))
    assert.equal("server:on: unknown event 'conect' (events: connect, open, close, error, dropped, binary, pong, refused; " ..
      "did you mean 'connect'?)", err(srv.on, srv, "conect", print))
    assert.equal("server:subscribe: unknown message 'xyz' (channel chat clients send: publish)",
      err(srv.subscribe, srv, "xyz", print))
    -- the right names still work
    assert.equal(conn, conn:on("open", print))
    assert.equal(srv, srv:subscribe("publish", print))
    conn:close()
    srv:close()
  end)
end)

local function two(a, b) return { a, b } end

describe("text that is not JSON", function()
  local api = assert(fernws.load(CHAT))
  local chat = api:channel("chat")
  local full = assert(fernws.load(helper.own("defn/full")))

  it("says so, with the byte offset, whatever the message or type expected", function()
    assert.same({ nil, "cannot decode the message: invalid JSON at byte 1: expected a value, found 'not json'" },
      two(chat:decode("not json")))
    assert.same({ nil, "cannot decode the message: invalid JSON at byte 3: the text ends where a value should be" },
      two(chat:decode("  ")))
    assert.same({ nil, "cannot decode the message: id: invalid JSON at byte 8: expected a value, found 'nope}'" },
      two(chat:decode('{"id": nope}')))
    -- a channel with several server messages, and a type by name
    assert.same({ nil, "cannot decode the message: invalid JSON at byte 1: expected a value, found '<html>'" },
      two(full:channel("voice.chat"):decode("<html>")))
    assert.same({ nil, "cannot decode the message: [2]: invalid JSON at byte 5: unexpected text" },
      two(full:channel("voice.chat"):decode("[1, nul]")))
    assert.same({ nil, "cannot decode the value: invalid JSON at byte 1: expected a value, found 'xyz'" },
      two(full:decode("types.Either", "xyz")))
    -- JSON of the wrong shape is still told as such
    assert.same({ nil, "cannot decode the message: expected object chat.SubscribeEvent, got null" },
      two(chat:decode("null")))
  end)
end)

describe("fernws describe", function()
  local dir
  setup(function()
    dir = helper.write_definition({ ["n.yml"] = table.concat({
      "types:",
      "  Outer:",
      "    properties:",
      "      first: Inner",
      "      second: optional<Inner>",
      "      modes: list<Mode>",
      "  Inner:",
      "    properties:",
      "      mode: Mode",
      "      deep: Deeper",
      "  Deeper:",
      "    properties:",
      "      x: string",
      "  Mode:",
      "    enum: [a, b]",
      "channel:",
      "  path: /n",
      "  auth: false",
      "  query-parameters:",
      "    mode: Mode",
      "  messages:",
      "    m: {origin: client, body: Outer}",
    }, "\n") .. "\n" })
  end)
  teardown(function() helper.rmtree(dir) end)

  local function section(out, title)
    return out:match("\n" .. title:gsub("[%(%)%-]", "%%%0") .. "\n(.-)\n\n") or out:match("\n" .. title:gsub("[%(%)%-]", "%%%0") .. "\n(.-)\n$")
  end

  it("lists enum values and shows nested types one level deep, each once", function()
    local out, code = run("describe", dir)
    assert.equal(0, code, out)
    assert.equal(table.concat({
      "  m: n.Outer",
      "      first   n.Inner",
      "          mode  n.Mode",
      '              one of: "a", "b"',
      "          deep  n.Deeper",
      "      second  optional<n.Inner>",
      "          (n.Inner, shown above)",
      "      modes   list<n.Mode>",
      '          one of: "a", "b"',
    }, "\n"), section(out, "Send (client -> server)"))
    assert.truthy(out:find('    mode  n.Mode  (required)\n      one of: "a", "b"\n', 1, true), out)
  end)

  it("--depth N: N levels (0: a message's own fields only)", function()
    local out = run("describe", dir, "--depth", "2")
    assert.truthy(out:find("          deep  n.Deeper\n              x  string\n", 1, true), out)
    out = run("describe", "--depth", "0", dir, "n")
    assert.equal(table.concat({
      "  m: n.Outer",
      "      first   n.Inner",
      "      second  optional<n.Inner>",
      "      modes   list<n.Mode>",
      '          one of: "a", "b"',
    }, "\n"), section(out, "Send (client -> server)"))
    local msg, code = run("describe", dir, "--depth", "deep")
    assert.equal(2, code)
    assert.matches("^fernws describe: %-%-depth needs a number", msg)
  end)

  it("a long enum is cut to the width, saying how many more", function()
    local values = {}
    for i = 1, 40 do values[i] = "value" .. i end
    local d = helper.write_definition({ ["e.yml"] = "types:\n  Big:\n    enum: [" .. table.concat(values, ", ") ..
      "]\nchannel:\n  path: /e\n  auth: false\n  messages:\n    m: {origin: client, body: Big}\n" })
    local out = run("describe", d)
    helper.rmtree(d)
    local line = out:match("\n(      one of: [^\n]*)")
    assert.truthy(line, out)
    assert.is_true(#line <= 100, line)
    assert.matches('^      one of: "value1", "value2", .*, %.%.%. %(%d+ more%)$', line)
  end)
end)
