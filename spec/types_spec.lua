-- `fernws types`: LuaLS annotations of a definition, and the hand-kept meta file of fernws itself
-- (types/fernws.lua). Every annotation line is parsed with a small grammar of LuaLS's syntax
-- (spec/luals_grammar.lua) and every type name it mentions must resolve.
local helper = require "helper"
local grammar = require "luals_grammar"
local fernws = require "fernws"

local BIN = helper.root .. "/bin/fernws"
local META = helper.root .. "/types/fernws.lua"

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

-- Runs `fernws types ...`; returns stdout, stderr, exit code.
local function run(...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = helper.q(a) end
  local errfile = os.tmpname()
  local p = assert(io.popen("lua5.4 " .. helper.q(BIN) .. " types " .. table.concat(args, " ") .. " 2>" .. errfile))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = read(errfile)
  os.remove(errfile)
  return out, err, code
end

local meta_report
local function meta()
  if not meta_report then
    meta_report = grammar.check(read(META), { loose = true })
    meta_report.name = "types/fernws.lua"
  end
  return meta_report
end

-- Parses a generated file (strictly: nothing after a type but a return's name) with the meta file;
-- fails on any line the grammar refuses and on any name that does not resolve.
local function checked(text, what)
  local rep = grammar.check(text)
  rep.name = what
  assert.same({}, rep.errors, what)
  assert.same({}, grammar.unresolved({ meta(), rep }), what)
  assert.truthy(load(text, "=" .. what), what .. " is not valid Lua")
  assert.equal("---@meta", text:match("^[^\n]*"))
  return rep
end

local function quote(s) return '"' .. s:gsub('[\\"]', "\\%0") .. '"' end

local function ids(ch, origin)
  local r = {}
  for id, m in pairs(ch.messages) do if m.origin == origin then r[#r + 1] = id end end
  table.sort(r)
  return r
end

-- The generated file says what the loaded model says: a class per object with a field per
-- property (optional exactly when not required), an alias per enum with its values, a member per
-- union variant, and per channel an overload per message id on the right side.
local function agrees(api, rep, prefix)
  prefix = prefix or ""
  local checked_types = 0
  for _, name in ipairs(api:types()) do
    local t = api:type(name)
    local n = prefix .. name:gsub("[^%w_%.%-]", "_")
    if t.kind == "object" then
      local cls = rep.classes[n]
      assert.is_table(cls, "no class " .. n)
      local inherited = {}
      for _, e in ipairs(t.extends) do
        for _, p in ipairs(e.properties) do inherited[p.name] = true end
        assert.truthy(cls.parents[1], n .. " names its parents")
      end
      for _, p in ipairs(t.properties) do
        if not inherited[p.name] then
          local f = cls.fields[p.name]
          assert.is_table(f, n .. " has no field " .. p.name)
          assert.equal(not p.required, f.optional, n .. "." .. p.name .. " optional")
        end
      end
      checked_types = checked_types + 1
    elseif t.kind == "enum" and #t.values > 0 then
      local a = assert(rep.aliases[n], "no alias " .. n)
      local want = {}
      for i, v in ipairs(t.values) do want[i] = quote(v.value) end
      assert.same(want, a.members)
      checked_types = checked_types + 1
    elseif t.kind == "union" then
      local a = assert(rep.aliases[n], "no alias " .. n)
      assert.equal(#t.variants, #a.members)
      for i, v in ipairs(t.variants) do
        local cls = assert(rep.classes[a.members[i]], "no class for variant " .. v.value)
        assert.equal(quote(v.value), cls.fields[t.discriminant].type)
      end
      checked_types = checked_types + 1
    elseif t.kind == "undiscriminated_union" then
      local a = assert(rep.aliases[n], "no alias " .. n)
      assert.equal(#t.members, #a.members)
      checked_types = checked_types + 1
    end
  end
  for _, cname in ipairs(api:channels()) do
    local ch = api:channel(cname)
    local safe = cname:gsub("[^%w_%.%-]", "_")
    local function overloads(cls, method, list)
      local m = assert(rep.methods[prefix .. cls .. "." .. safe .. ":" .. method], "no " .. cls .. ":" .. method .. " for " .. cname)
      assert.equal(#list, #m.overloads, cls .. ":" .. method)
      for i, id in ipairs(list) do
        assert.truthy(m.overloads[i]:find("id: " .. quote(id), 1, true), m.overloads[i])
      end
      return m
    end
    local client, server = ids(ch, "client"), ids(ch, "server")
    overloads("Connection", "publish", client)
    overloads("Connection", "subscribe", server)
    overloads("Connection", "receive", server)
    overloads("Peer", "publish", server)
    overloads("Peer", "subscribe", client)
    overloads("Server", "publish", server)
    overloads("Server", "subscribe", client)
    local all = {}
    for id in pairs(ch.messages) do all[#all + 1] = id end
    table.sort(all)
    overloads("Channel", "check", all)
    overloads("Channel", "encode", all)
  end
  local apicls = rep.methods[prefix .. "Api." .. api.name:gsub("[^%w_%.%-]", "_") .. ":channel"]
  assert.equal(#api:channels(), #apicls.overloads)
  return checked_types
end

describe("fernws types", function()
  it("every fixture: each line parses, every name resolves, and the file agrees with the model", function()
    if not helper.needs_fixtures(pending) then return end
    local p = io.popen("ls " .. helper.q(helper.fixtures .. "/fern"))
    local names = {}
    for n in p:lines() do names[#names + 1] = n end
    p:close()
    assert.is_true(#names >= 10)
    local generated, refused = 0, 0
    for _, name in ipairs(names) do
      local path = helper.fixture(name)
      local api = fernws.load(path, { lenient = true })
      local out, err, code = run(path)
      if api then
        assert.equal(0, code, name .. ": " .. err)
        local rep = checked(out, name)
        local n = agrees(api, rep)
        assert.is_true(n > 0 or #api:types() == 0, name)
        generated = generated + 1
      else
        -- seed-chat: the definition does not load; its errors are printed, nothing is written
        assert.equal(1, code, name)
        assert.equal("", out)
        assert.matches(":%d+:%d+: ", err)
        refused = refused + 1
      end
    end
    assert.is_true(generated >= 10, "definitions generated: " .. generated)
    assert.equal(1, refused)
  end)

  it("the project's definition: classes, optional fields, enums, unions, lists, maps, literals, docs", function()
    local out, err, code = run(helper.own("defn/full"))
    assert.equal(0, code, err)
    local rep = checked(out, "full")
    agrees(fernws.load(helper.own("defn/full")), rep)
    local function block(first)
      local s = out:find(first, 1, true)
      assert.truthy(s, first)
      return out:sub(s, (out:find("\n\n", s, true) or #out) - 1)
    end
    assert.equal(table.concat({
      "---@class types.Animal",
      "---What it is called.",
      "---@field name string",
      "---@field legs? integer",
    }, "\n"), block("---@class types.Animal"))
    assert.truthy(out:find("---Something alive.\n---@class types.Animal\n", 1, true))
    assert.equal(table.concat({
      "---@class types.Containers",
      "---@field opt? string",
      "---@field nul integer|fernws.Null",
      "---@field lst Id[]",
      "---@field st string[]",
      "---@field mp table<string, integer[]>",
      '---@field lit "fixed"',
      "---@field yes true",
      "---@field no false",
    }, "\n"), block("---@class types.Containers"))
    assert.equal('---@alias types.Color\n---| "red"\n---| "dark-green" # The green of a forest.\n---| "blue"',
      block("---@alias types.Color"))
    -- extends: the parent's fields come with the parent; extra-properties: any other key
    assert.equal("---@class types.Dog : types.Animal\n---@field breed string\n---@field [string] any", block("---@class types.Dog "))
    assert.equal("---@class types.ShowDog : types.Dog, types.Named\n---@field prize? string", block("---@class types.ShowDog"))
    -- a discriminated union: a class per variant; an undiscriminated one: its members
    assert.equal("---@alias types.Pet\n---| types.Pet.dog\n---| types.Pet.color\n---| types.Pet.count\n---| types.Pet.nothing",
      block("---@alias types.Pet\n"))
    assert.equal('---@class types.Pet.count\n---@field type "count"\n---@field howMany integer\n---@field owner? string',
      block("---@class types.Pet.count"))
    assert.equal('---@class types.Pet.dog : types.Dog\n---@field type "dog"\n---@field owner? string', block("---@class types.Pet.dog"))
    assert.equal("---A string or a dog.\n---@alias types.Either\n---| string\n---| types.Dog # A whole dog.", block("---A string or a dog."))
    -- connect's options know the channel's parameters
    assert.equal(table.concat({
      "---@class ConnectOptions.voice.chat : fernws.ConnectOptions",
      "---@field path {voice_id: Id}",
      "---@field query {model: string, tags?: string|string[], rate?: integer, lang?: types.Color}",
      '---@field headers? {["X-Session"]?: string, ["X-Client"]?: string, ["X-Version"]?: "2024-01", ["X-Trace"]?: string}',
    }, "\n"), block("---@class ConnectOptions.voice.chat"))
    -- publish and subscribe: an overload per message id, with its body type
    local pub = rep.methods["Connection.voice.chat:publish"]
    assert.same({ 'fun(self: Connection.voice.chat, id: "audio", body: string): true?, string?',
      'fun(self: Connection.voice.chat, id: "publish", body: voice.chat.Publish): true?, string?',
      'fun(self: Connection.voice.chat, id: "settings", body: types.Dog): true?, string?' }, pub.overloads)
    assert.same({ name = "id", optional = false, type = '"audio"|"publish"|"settings"' }, pub.params[1])
    local sub = rep.methods["Connection.voice.chat:subscribe"]
    assert.same({
      'fun(self: Connection.voice.chat, id: "hello", fn: (fun(value: voice.chat.Hello, info: fernws.Info, conn: Connection.voice.chat))?): Connection.voice.chat',
      'fun(self: Connection.voice.chat, id: "pets", fn: (fun(value: types.Pet[], info: fernws.Info, conn: Connection.voice.chat))?): Connection.voice.chat',
      'fun(self: Connection.voice.chat, id: "transcript", fn: (fun(value: voice.chat.Transcript, info: fernws.Info, conn: Connection.voice.chat))?): Connection.voice.chat',
    }, sub.overloads)
    assert.same({ "fun(self: Api.full, name: \"voice.chat\"): Channel.voice.chat" }, rep.methods["Api.full:channel"].overloads)
  end)

  it("--out writes the same text to a file; --prefix goes before every name it declares", function()
    local file = os.tmpname()
    local out = run(helper.own("defn/full"))
    local none, err, code = run(helper.own("defn/full"), "--out", file)
    assert.equal(0, code, err)
    assert.equal("", none)
    assert.equal(out, read(file))
    os.remove(file)
    local prefixed, err2, code2 = run("--prefix", "full.", helper.own("defn/full"))
    assert.equal(0, code2, err2)
    local rep = checked(prefixed, "prefixed")
    agrees(fernws.load(helper.own("defn/full")), rep, "full.")
    for name in pairs(rep.classes) do assert.matches("^full%.", name) end
    for name in pairs(rep.aliases) do assert.matches("^full%.", name) end
  end)

  it("docs that look like annotations, names Lua cannot index with, quotes in literals", function()
    local dir = helper.write_definition({ ["odd.yml"] = table.concat({
      "types:",
      "  Odd:",
      "    docs: |",
      "      First line.",
      "      @field not_a_field string",
      "      | not a member",
      "    properties:",
      "      x-y: string",
      "      end: optional<integer>",
      "      2nd: boolean",
      "      q: literal<\"say \\\"hi\\\"\">",
      "  Mode:",
      "    enum:",
      "      - value: a\"b",
      "        docs: \"@quoted # and more\"",
      "      - c d",
      "channel:",
      "  path: /odd",
      "  auth: false",
      "  messages:",
      "    in: {origin: client, body: Odd}",
      "    out: {origin: server, body: Mode}",
    }, "\n") .. "\n" })
    local out, err, code = run(dir)
    local api = fernws.load(dir)
    helper.rmtree(dir)
    assert.equal(0, code, err)
    local rep = checked(out, "odd")
    assert.truthy(out:find("---First line.\n---\\@field not_a_field string\n---\\| not a member\n---@class odd.Odd\n", 1, true), out)
    assert.truthy(out:find('---@field ["x-y"] string\n---@field ["end"]? integer\n---@field ["2nd"] boolean\n', 1, true), out)
    -- the literal's text, read back as LuaLS reads a string, is the literal's value
    local lit = api:type("odd.Odd").properties[4].type.value
    assert.matches('"', lit)
    local toks = grammar.tokenize(rep.classes["odd.Odd"].fields.q.type)
    assert.same({ "string", lit }, { toks[1].t, toks[1].v })
    assert.same({ 'a"b', "c d" }, { grammar.tokenize(rep.aliases["odd.Mode"].members[1])[1].v,
      grammar.tokenize(rep.aliases["odd.Mode"].members[2])[1].v })
    assert.truthy(out:find('---| "a\\"b" # @quoted # and more\n', 1, true), out)
  end)

  it("a name used twice (a type and a channel's class) is refused, naming both; --prefix does not cure it", function()
    local dir = helper.write_definition({
      ["Connection.yml"] = "types:\n  x:\n    properties:\n      a: string\n",
      ["x.yml"] = "imports:\n  Connection: Connection.yml\nchannel:\n  path: /x\n  auth: false\n  messages:\n    m: {origin: client, body: Connection.x}\n",
    })
    local out, err, code = run(dir)
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal("fernws types: the name Connection.x is used by both type Connection.x and channel x (try --prefix)\n", err)
    helper.rmtree(dir)
  end)

  it("usage: no PATH, an unknown option, a file that cannot be written", function()
    local _, err, code = run()
    assert.equal(2, code)
    assert.matches("^usage: fernws", err)
    _, err, code = run(helper.own("defn/full"), "--lua")
    assert.equal(2, code)
    assert.matches("^fernws types: unexpected argument '%-%-lua'", err)
    _, err, code = run(helper.own("defn/full"), "--out", "/nonexistent/dir/x.lua")
    assert.equal(1, code)
    assert.matches("^fernws types: /nonexistent/dir/x.lua: No such file or directory", err)
  end)
end)

describe("the meta file of fernws (types/fernws.lua)", function()
  it("parses, and every name it mentions resolves", function()
    local rep = meta()
    assert.same({}, rep.errors)
    assert.same({}, grammar.unresolved({ rep }))
    assert.truthy(load(read(META), "=meta"))
    for _, cls in ipairs({ "fernws", "fernws.Api", "fernws.Channel", "fernws.Connection", "fernws.Server", "fernws.Type" }) do
      assert.is_table(rep.classes[cls], cls)
    end
  end)

  it("declares exactly what the module table has", function()
    local rep = meta()
    local declared = {}
    for k in pairs(rep.classes.fernws.fields) do declared[k] = true end
    for k in pairs(rep.methods) do
      local f = k:match("^fernws%.([%w_]+)$")
      if f then declared[f] = true end
    end
    local have = {}
    for k in pairs(fernws) do have[k] = true end
    assert.same(have, declared)
  end)

  it("the rockspec installs it (copy_directories)", function()
    local env = {}
    assert(loadfile(helper.root .. "/rockspec/fernws-scm-1.rockspec", "t", env))()
    local found = false
    for _, d in ipairs(env.build.copy_directories or {}) do if d == "types" then found = true end end
    assert.is_true(found)
  end)
end)
