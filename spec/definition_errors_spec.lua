-- What a broken Fern Definition gets told: every kind of error at its file:line:column, in words
-- that say what to do; warnings for what can be ignored; never a crash or a hang.
local helper = require "helper"
local fernws = helper.fernws

-- "file:line:column: message" with the file relative to dir.
local function lines_of(list, dir)
  local out = {}
  for _, e in ipairs(list or {}) do
    local f = e.file
    if f:sub(1, #dir + 1) == dir .. "/" then f = f:sub(#dir + 2) elseif f == dir then f = "." end
    out[#out + 1] = string.format("%s:%d:%d: %s", f, e.line, e.column, e.message)
  end
  return out
end

-- Loads a definition written from {["rel/path.yml"] = text}: errors and warnings as lines, and
-- what fernws.load returned.
local function load(files, opts)
  local dir = helper.write_definition(files)
  local api, msg, errs = fernws.load(dir, opts)
  helper.rmtree(dir)
  return lines_of(errs, dir), api and lines_of(api.warnings, dir) or {}, api, msg, errs
end

-- A channel whose messages use each named type, so that errors in those types stay errors.
local function channel_using(...)
  local t = { "channel:", "  path: /x", "  auth: false", "  messages:" }
  for i, name in ipairs({ ... }) do t[#t + 1] = ("    m%d: {origin: client, body: %s}"):format(i, name) end
  return table.concat(t, "\n") .. "\n"
end

local function errors_of(text, api_yml, opts)
  local files = { ["defn.yml"] = text }
  if api_yml then files["api.yml"] = api_yml end
  return load(files, opts)
end

describe("YAML syntax errors", function()
  it("an unclosed flow sequence, at the token that breaks it, saying where the sequence began", function()
    local errs, _, api = errors_of("types:\n  A: [string\nchannel: {}\n")
    assert.is_nil(api)
    assert.same({ "defn.yml:3:8: YAML syntax: did not find expected ',' or ']' while parsing a flow sequence (from line 2, column 6)" }, errs)
  end)

  it("a key indented out of line", function()
    local errs = errors_of("types:\n  A: string\n B: integer\n")
    assert.same({ "defn.yml:3:2: YAML syntax: did not find expected key while parsing a block mapping (from line 1, column 1)" }, errs)
  end)

  it("an unterminated quoted string", function()
    local errs = errors_of('types:\n  A: "string\n')
    assert.same({ "defn.yml:3:1: YAML syntax: found unexpected end of stream while scanning a quoted scalar (from line 2, column 6)" }, errs)
  end)

  it("a tab used for indentation", function()
    local errs = errors_of("types:\n\tA: string\n")
    assert.equal(1, #errs)
    assert.matches("^defn%.yml:2:1: YAML syntax: found character that cannot start any token", errs[1])
  end)

  it("a tab after a block scalar's indentation is content, as the Fern CLI reads it", function()
    local _, _, api = errors_of("types:\n  A:\n    docs: |\n     \tindented with a tab\n    properties:\n      a: string\n" ..
      "  B:\n    docs: |\n        \tfirst\n        second\n    properties: {}\n" ..
      "  C:\n    docs: >-\n      \tfolded\n      more\n    properties: {}\n")
    assert.is_not_nil(api)
    assert.equal("\tindented with a tab\n", api:type("defn.A").docs)
    -- the scalar's indentation is the spaces before the tab, so the next line belongs to it
    assert.equal("\tfirst\nsecond\n", api:type("defn.B").docs)
    assert.equal("\tfolded\nmore", api:type("defn.C").docs)
  end)

  it("two YAML documents in one file", function()
    assert.same({ "defn.yml:2:1: a definition file holds one YAML document" }, (errors_of("a: 1\n---\nb: 2\n")))
  end)

  it("a file that is not a mapping", function()
    assert.same({ "defn.yml:1:1: a definition file must be a mapping of keys (types, channel, ...)" },
      (errors_of("- types\n- channel\n")))
  end)

  it("an alias to an anchor that does not exist", function()
    assert.same({ "defn.yml:2:6: unknown YAML alias" }, (errors_of("types:\n  A: *nowhere\n")))
  end)

  it("a syntax error in one file does not hide the errors of the others", function()
    local errs = load({
      ["a.yml"] = "types:\n  A: [\n",
      ["b.yml"] = "types:\n  B: Nope\n" .. channel_using("B"),
    })
    assert.same({
      "a.yml:3:1: YAML syntax: did not find expected node content while parsing a flow node",
      "b.yml:2:6: unknown type 'Nope'",
    }, errs)
  end)
end)

describe("unknown type references", function()
  it("a misspelt local name, with the name meant", function()
    local errs = errors_of("types:\n  Session: string\n  A: list<Sesion>\n" .. channel_using("A"))
    assert.same({ "defn.yml:3:11: unknown type 'Sesion' (did you mean 'Session'?)" }, errs)
  end)

  it("a name with nothing near it", function()
    assert.same({ "defn.yml:2:6: unknown type 'Zyxwvut'" }, (errors_of("types:\n  A: Zyxwvut\n" .. channel_using("A"))))
  end)

  it("a column inside a quoted scalar counts the quote", function()
    local errs = errors_of('types:\n  Session: string\n  A: "map<string, Sesion>"\n' .. channel_using("A"))
    assert.same({ "defn.yml:3:19: unknown type 'Sesion' (did you mean 'Session'?)" }, errs)
  end)

  describe("across imports", function()
    local files = {
      ["__package__.yml"] = "types:\n  Session: string\n",
      ["voice/chat.yml"] = table.concat({
        "imports:",
        "  root: ../__package__.yml",
        "channel:",
        "  path: /chat",
        "  auth: false",
        "  messages:",
        "    a: {origin: client, body: root.Sesion}",
        "    b: {origin: client, body: Session}",
        "    c: {origin: client, body: nope.Session}",
        "    d: {origin: client, body: root.a.Session}",
        "    e: {origin: client, body: optional<root.Sessions>}",
      }, "\n") .. "\n",
    }
    local errs = load(files)

    it("root.X misspelt", function()
      assert.equal("voice/chat.yml:7:31: unknown type 'root.Sesion' (did you mean 'root.Session'?)", errs[1])
      assert.equal("voice/chat.yml:11:40: unknown type 'root.Sessions' (did you mean 'root.Session'?)", errs[5])
    end)

    it("an imported name used without its import's alias", function()
      assert.equal("voice/chat.yml:8:31: unknown type 'Session' (did you mean 'root.Session'?)", errs[2])
    end)

    it("an alias that is not an import", function()
      assert.equal("voice/chat.yml:9:31: unknown type 'nope.Session': 'nope' is not an import of voice/chat.yml", errs[3])
    end)

    it("a reference with two dots", function()
      assert.equal("voice/chat.yml:10:31: unknown type 'root.a.Session': a reference is Name or import.Name", errs[4])
      assert.equal(5, #errs)
    end)
  end)

  it("an import of a file that is not there, or outside the folder", function()
    local errs = load({ ["a.yml"] = "imports:\n  x: missing.yml\n  y: ../../etc/passwd.yml\n  z: api.yml\n",
      ["api.yml"] = "name: t\n" })
    assert.same({
      "a.yml:2:6: import 'x': no file missing.yml in the definition",
      "a.yml:3:6: import '../../etc/passwd.yml' must name a .yml file inside the definition folder",
      "a.yml:4:6: import 'z': api.yml cannot be imported",
    }, errs)
  end)

  it("references through an import that failed are not reported again", function()
    local errs = load({
      ["api.yml"] = "name: t\nimports:\n  gone: gone.yml\nheaders:\n  X: gone.Header\n",
      ["a.yml"] = "imports:\n  up: ../up.yml\ntypes:\n  A: up.Thing\n" .. channel_using("A"),
    })
    assert.same({
      "a.yml:2:7: import '../up.yml' must name a .yml file inside the definition folder",
      "api.yml:3:9: import 'gone': no file gone.yml in the definition",
    }, errs)
  end)

  it("a misspelt container is an unknown type, as Fern reads it", function()
    local errs = errors_of("types:\n  A: optinal<string>\n  B: lsit<A>\n  C: mapp<string, A>\n" .. channel_using("A", "B", "C"))
    assert.same({
      "defn.yml:2:6: unknown type 'optinal<string>' (did you mean 'optional<string>'?)",
      "defn.yml:3:6: unknown type 'lsit<A>' (did you mean 'list<A>'?)",
      "defn.yml:4:6: unknown type 'mapp<string, A>' (did you mean 'map<string, A>'?)",
    }, errs)
  end)

  it("type arguments on a type that takes none", function()
    local errs = errors_of("types:\n  Foo: string\n  A: Foo<string>\n" .. channel_using("A"))
    assert.same({ "defn.yml:3:6: unknown type 'Foo<string>': only list, set, optional, nullable, map and literal take <...>" }, errs)
  end)

  it("in every place a type is named: properties, extends, unions, parameters, headers", function()
    local errs = errors_of(table.concat({
      "types:",
      "  O:",
      "    extends: Bas",
      "    properties:",
      "      a: Nop1",
      "      b: {type: Nop2, docs: x}",
      "  U:",
      "    union:",
      "      v: Nop3",
      "      w: {type: Nop4, key: w}",
      "    base-properties:",
      "      c: Nop5",
      "  UU:",
      "    discriminated: false",
      "    union: [Nop6, {type: Nop7}]",
      "channel:",
      "  path: /x/{p}",
      "  auth: false",
      "  path-parameters:",
      "    p: Nop8",
      "  query-parameters:",
      "    q: {type: Nop9}",
      "  headers:",
      "    H: Nop10",
      "  messages:",
      "    o: {origin: client, body: O}",
      "    u: {origin: client, body: U}",
      "    uu: {origin: client, body: UU}",
    }, "\n") .. "\n")
    assert.same({
      "defn.yml:3:14: unknown type 'Bas'",
      "defn.yml:5:10: unknown type 'Nop1'",
      "defn.yml:6:17: unknown type 'Nop2'",
      "defn.yml:9:10: unknown type 'Nop3'",
      "defn.yml:10:17: unknown type 'Nop4'",
      "defn.yml:12:10: unknown type 'Nop5'",
      "defn.yml:15:13: unknown type 'Nop6'",
      "defn.yml:15:26: unknown type 'Nop7'",
      "defn.yml:20:8: unknown type 'Nop8'",
      "defn.yml:22:15: unknown type 'Nop9'",
      "defn.yml:24:8: unknown type 'Nop10'",
    }, errs)
  end)
end)

describe("bad container syntax", function()
  it("the docs example's bare `type: optional` says it needs an argument", function()
    local errs = errors_of("types:\n  A:\n    properties:\n      a:\n        type: optional\n" .. channel_using("A"))
    assert.same({ "defn.yml:5:15: 'optional' needs a type argument, e.g. optional<string>" }, errs)
  end)

  it("every bare container", function()
    local errs = errors_of("types:\n  A: list\n  B: set\n  C: map\n  D: nullable\n  E: literal\n" ..
      channel_using("A", "B", "C", "D", "E"))
    assert.same({
      "defn.yml:2:6: 'list' needs a type argument, e.g. list<string>",
      "defn.yml:3:6: 'set' needs a type argument, e.g. set<string>",
      "defn.yml:4:6: 'map' needs a type argument, e.g. map<string, integer>",
      "defn.yml:5:6: 'nullable' needs a type argument, e.g. nullable<string>",
      "defn.yml:6:6: 'literal' needs a type argument, e.g. literal<\"value\">",
    }, errs)
  end)

  it("empty brackets, an unclosed '<', a stray '>'", function()
    local errs = errors_of("types:\n  A: list<>\n  B: optional<list<string>\n  C: list<string>>\n  D: set< >\n" ..
      channel_using("A", "B", "C", "D"))
    assert.same({
      "defn.yml:2:11: 'list<>' needs a type argument, e.g. list<string>",
      "defn.yml:3:14: 'optional<' is not closed by a matching '>'",
      "defn.yml:4:18: unexpected '>' after the closing '>'",
      "defn.yml:5:10: 'set<>' needs a type argument, e.g. set<string>",
    }, errs)
  end)

  it("a map without a value type, or with an empty one", function()
    local errs = errors_of("types:\n  A: map<string>\n  B: map<string, >\n  C: map<, string>\n" .. channel_using("A", "B", "C"))
    assert.same({
      "defn.yml:2:9: 'map' needs a key and a value type, e.g. map<string, integer>",
      "defn.yml:3:18: a type is missing here",
      "defn.yml:4:10: a type is missing here",
    }, errs)
  end)

  it("two arguments where one is taken", function()
    assert.same({ "defn.yml:2:21: 'optional' takes one type argument" },
      (errors_of("types:\n  A: optional<string, integer>\n" .. channel_using("A"))))
  end)

  it("a literal without quotes, with one quote, or of a number", function()
    local errs = errors_of('types:\n  A: literal<hello>\n  B: literal<"hello>\n  C: literal<1>\n' .. channel_using("A", "B", "C"))
    assert.same({
      "defn.yml:2:14: a literal must be a quoted string or true/false, e.g. literal<\"value\">",
      "defn.yml:3:13: 'literal<' is not closed by a matching '>'",
      "defn.yml:4:14: a literal must be a quoted string or true/false, e.g. literal<\"value\">",
    }, errs)
  end)

  it("an empty type name, and characters no name has", function()
    local errs = errors_of('types:\n  A: ""\n  B: list<a b>\n' .. channel_using("A", "B"))
    assert.same({
      "defn.yml:2:7: a type is missing here",
      "defn.yml:3:12: unexpected ' ' in a type name",
    }, errs)
  end)

  it("a type given as a list or a mapping without 'type'", function()
    local errs = errors_of("types:\n  A:\n    properties:\n      a: [string]\n      b: {docs: x}\n" .. channel_using("A"))
    assert.same({
      "defn.yml:4:10: property 'a' must be a type name or a mapping with 'type'",
      "defn.yml:5:10: property 'b' needs a 'type'",
    }, errs)
  end)
end)

describe("cycles", function()
  it("two aliases naming each other: one error, at the first, with the cycle", function()
    local errs = errors_of("types:\n  A: B\n  B: A\n" .. channel_using("A"))
    assert.same({ "defn.yml:2:3: type 'A' is a cyclic alias: A -> B -> A (it never reaches a real type)" }, errs)
  end)

  it("an alias of itself", function()
    assert.same({ "defn.yml:2:3: type 'A' is a cyclic alias: A -> A (it never reaches a real type)" },
      (errors_of("types:\n  A: A\n" .. channel_using("A"))))
  end)

  it("a longer cycle through {type: ...} aliases and an import, reported where it starts in the files", function()
    local errs = load({
      ["a.yml"] = "imports:\n  b: b.yml\ntypes:\n  C: {type: D}\n  D: b.E\n" .. channel_using("C"),
      ["b.yml"] = "imports:\n  a: a.yml\ntypes:\n  E:\n    type: a.C\n",
    })
    assert.same({ "a.yml:4:3: type 'C' is a cyclic alias: C -> D -> E -> C (it never reaches a real type)" }, errs)
  end)

  it("a cycle reached through a container is one too", function()
    local errs = errors_of("types:\n  A: B\n  B: C\n  C: A\n  L: list<B>\n" .. channel_using("L"))
    assert.same({ "defn.yml:2:3: type 'A' is a cyclic alias: A -> B -> C -> A (it never reaches a real type)" }, errs)
  end)

  it("recursion through a property is not a cycle", function()
    local _, _, api = errors_of("types:\n  Node:\n    properties:\n      next: optional<Node>\n      kids: list<Node>\n" ..
      channel_using("Node"))
    assert.is_not_nil(api)
    local node = api:type("defn.Node")
    assert.equal(node, node.properties[1].type.element)
  end)

  it("objects that extend each other", function()
    local errs = errors_of("types:\n  A:\n    extends: B\n  B:\n    extends: [C]\n  C:\n    extends: A\n" .. channel_using("A"))
    assert.same({ "defn.yml:7:14: cyclic extends: A -> B -> C -> A" }, errs)
  end)

  it("an object that extends itself", function()
    assert.same({ "defn.yml:3:14: cyclic extends: A -> A" },
      (errors_of("types:\n  A:\n    extends: A\n    properties:\n      a: string\n" .. channel_using("A"))))
  end)

  it("extending what is not an object", function()
    local errs = errors_of("types:\n  S: string\n  A:\n    extends: S\n  B:\n    extends: list<S>\n" .. channel_using("A", "B"))
    assert.same({
      "defn.yml:4:14: 'A' extends defn.S, which is not an object",
      "defn.yml:6:14: 'B' extends list<defn.S>, which is not an object",
    }, errs)
  end)
end)

describe("duplicate names", function()
  it("a key twice in one mapping, wherever it is", function()
    local errs = errors_of(table.concat({
      "types:",
      "  A: string",
      "  A: integer",
      "  O:",
      "    properties:",
      "      p: string",
      "      p: integer",
      "channel:",
      "  path: /x",
      "  auth: false",
      "  path: /y",
      "  messages:",
      "    m: {origin: client, body: O}",
      "    m: {origin: server, body: O}",
    }, "\n") .. "\n")
    assert.same({
      "defn.yml:3:3: duplicate key 'A' (first at line 2)",
      "defn.yml:7:7: duplicate key 'p' (first at line 6)",
      "defn.yml:11:3: duplicate key 'path' (first at line 9)",
      "defn.yml:14:5: duplicate key 'm' (first at line 13)",
    }, errs)
  end)

  it("one type declared by two files of the same package", function()
    local errs = load({
      ["voice.yml"] = "types:\n  Hello: string\n",
      ["voice/__package__.yml"] = "types:\n  Hello: integer\n" .. channel_using("Hello"),
    })
    assert.equal(1, #errs)
    -- the other place is named by its full path
    assert.matches("^voice/__package__%.yml:2:3: duplicate type 'voice%.Hello' %(also at /.*/voice%.yml:2%)$", errs[1])
  end)

  it("two channels with one name: chat.yml and chat.yaml, voice.yml and voice/__package__.yml", function()
    local ch = "channel:\n  path: /x\n  auth: false\n"
    local errs = load({ ["chat.yml"] = ch, ["chat.yaml"] = ch, ["voice.yml"] = ch, ["voice/__package__.yml"] = ch })
    assert.equal(2, #errs)
    assert.matches("^chat%.yml:2:3: a second channel named 'chat' %(the other is in /.*/chat%.yaml%)$", errs[1])
    assert.matches("^voice/__package__%.yml:2:3: a second channel named 'voice' %(the other is in /.*/voice%.yml%)$", errs[2])
  end)

  it("an inline body named like a declared type, or like another inline body", function()
    local errs = errors_of(table.concat({
      "types:",
      "  Hello: string",
      "channel:",
      "  path: /x",
      "  auth: false",
      "  messages:",
      "    a:",
      "      origin: client",
      "      body:",
      "        name: Hello",
      "        properties: {x: string}",
      "    b:",
      "      origin: server",
      "      body:",
      "        name: Twice",
      "        properties: {y: string}",
      "    c:",
      "      origin: server",
      "      body:",
      "        name: Twice",
      "        properties: {z: string}",
    }, "\n") .. "\n")
    assert.equal(2, #errs)
    assert.matches("^defn%.yml:10:15: duplicate type 'defn%.Hello' %(also at .*defn%.yml:2%)$", errs[1])
    assert.matches("^defn%.yml:20:15: duplicate type 'defn%.Twice' %(also at .*defn%.yml:15%)$", errs[2])
  end)

  it("a property reached twice through extends, and one clashing with its base", function()
    local errs = errors_of(table.concat({
      "types:",
      "  A:",
      "    properties: {id: string}",
      "  B:",
      "    properties: {id: integer}",
      "  C:",
      "    extends: [A, B]",
      "  D:",
      "    extends: A",
      "    properties:",
      "      id: string",
      "  Diamond:",
      "    extends: [A, E]",
      "  E:",
      "    extends: A",
    }, "\n") .. "\n" .. channel_using("C", "D", "Diamond"))
    assert.equal(2, #errs)
    assert.matches("^defn%.yml:5:18: property 'id' is defined twice in 'C' %(also at .*defn%.yml:3%)$", errs[1])
    assert.matches("^defn%.yml:11:7: property 'id' is defined twice in 'D' %(also at .*defn%.yml:3%)$", errs[2])
  end)

  it("enum values that YAML reads as a number, a boolean or nothing (the Fern CLI takes strings only)", function()
    local errs = errors_of('types:\n  E:\n    enum: [1, true, ~, "2", x]\n' .. channel_using("E"))
    assert.same({
      'defn.yml:3:12: enum value 1 is not a string: quote it ("1")',
      'defn.yml:3:15: enum value true is not a string: quote it ("true")',
      "defn.yml:3:21: an enum value is missing here",
    }, errs)
  end)

  it("a union variant written as nothing (the Fern CLI wants {})", function()
    local errs = errors_of("types:\n  U:\n    union:\n      a: string\n      b:\n      c: {}\n" .. channel_using("U"))
    assert.same({ "defn.yml:5:9: variant 'b' needs a type, or {} for a variant with no value" }, errs)
  end)

  it("an enum value twice, and a default that is not a value", function()
    local errs = errors_of("types:\n  E:\n    enum: [a, b, {value: a, name: A2}]\n    default: c\n" .. channel_using("E"))
    assert.same({
      "defn.yml:3:18: duplicate enum value 'a' (first at line 3)",
      "defn.yml:4:14: enum default 'c' is not one of the values",
    }, errs)
  end)

  it("union parts that clash with the discriminant or the base properties", function()
    local errs = errors_of(table.concat({
      "types:",
      "  Obj:",
      "    properties: {kind: string}",
      "  U:",
      "    discriminant: kind",
      "    base-properties:",
      "      id: string",
      "      kind: string",
      "    union:",
      "      a: Obj",
      "      b: {type: string, key: kind}",
      "      c: {type: string, key: id}",
    }, "\n") .. "\n" .. channel_using("U"))
    assert.same({
      "defn.yml:8:7: property 'kind' clashes with the union's discriminant",
      "defn.yml:10:7: variant 'a': its property 'kind' clashes with the discriminant",
      "defn.yml:11:7: variant 'b': key 'kind' clashes with the discriminant",
      "defn.yml:12:7: variant 'c': key 'id' clashes with a base property",
    }, errs)
  end)
end)

describe("messages", function()
  local function chan(messages)
    return "channel:\n  path: /x\n  auth: false\n  messages:\n" .. messages
  end

  it("without origin, or with one that is neither client nor server", function()
    local errs = errors_of(chan("    a:\n      body: string\n    b:\n      origin: clinet\n      body: string\n    c:\n      origin: [client]\n      body: string\n"))
    assert.same({
      "defn.yml:6:7: message 'a' needs 'origin' (client or server)",
      "defn.yml:8:15: message 'b': origin must be client or server, not 'clinet'",
      "defn.yml:11:15: message 'c': origin must be client or server, not 'a mapping'",
    }, errs)
  end)

  it("without a body", function()
    assert.same({ "defn.yml:6:7: message 'a' needs a 'body'" }, (errors_of(chan("    a:\n      origin: client\n"))))
  end)

  it("a body of none of the three shapes", function()
    local errs = errors_of(chan(table.concat({
      "    a: {origin: client, body: [string]}",
      "    b: {origin: client, body: {docs: no type}}",
      "    c: {origin: client, body: }",
    }, "\n") .. "\n"))
    local tail = "must be a type name, {type: T, docs}, or an inline object {name, extends, properties}"
    assert.same({
      "defn.yml:5:31: the body of message 'a' " .. tail,
      "defn.yml:6:31: the body of message 'b' " .. tail,
      "defn.yml:7:31: the body of message 'c' " .. tail,
    }, errs)
  end)

  it("a message that is not a mapping, and messages that are not a mapping", function()
    assert.same({ "defn.yml:5:8: a message must be a mapping, found a plain value" }, (errors_of(chan("    a: string\n"))))
    assert.same({ "defn.yml:5:5: 'messages' must be a mapping, found a list" }, (errors_of(chan("    - a\n"))))
  end)

  it("an inline body named with nothing, with a '.', or with a list", function()
    local errs = errors_of(chan(table.concat({
      "    a: {origin: client, body: {name: , properties: {x: string}}}",
      "    b: {origin: client, body: {name: a.b, properties: {x: string}}}",
      "    c: {origin: client, body: {name: [x]}}",
    }, "\n") .. "\n"))
    assert.same({
      "defn.yml:5:38: an inline body's name cannot be empty or contain '.': ''",
      "defn.yml:6:38: an inline body's name cannot be empty or contain '.': 'a.b'",
      "defn.yml:7:38: an inline body 'name' must be a plain value, found a list",
    }, errs)
  end)

  it("an inline body's extends and properties are checked like a declaration's", function()
    local errs = errors_of(chan("    a:\n      origin: client\n      body:\n        name: Inline\n        extends: Missing\n        properties:\n          x: Nope\n"))
    assert.same({ "defn.yml:9:18: unknown type 'Missing'", "defn.yml:11:14: unknown type 'Nope'" }, errs)
  end)
end)

describe("examples", function()
  local text = table.concat({
    "channel:",
    "  path: /x/{id}",
    "  auth: false",
    "  path-parameters:",
    "    id: string",
    "  query-parameters:",
    "    q: string",
    "  headers:",
    "    X-Key: string",
    "  messages:",
    "    publish: {origin: client, body: string}",
    "  examples:",
    "    - messages:",
    "        - type: publsh",
    "          body: hi",
    "        - type: nothing",
    "          body: hi",
    "    - path-parameters: {id: a, other: b}",
    "      query-parameters: {q: a, r: b}",
    "      headers: {x-key: a, Y: b}",
    "      messages: []",
  }, "\n") .. "\n"
  local want = {
    "defn.yml:14:17: example message type 'publsh' is not a message of this channel (did you mean 'publish'?)",
    "defn.yml:16:17: example message type 'nothing' is not a message of this channel",
    "defn.yml:18:32: example: path parameter 'other' is not declared by the channel",
    "defn.yml:19:32: example: query parameter 'r' is not declared by the channel",
    "defn.yml:20:27: example: header 'Y' is not declared by the channel",
  }

  it("naming a message id, a parameter or a header the channel does not have: errors of a strict load", function()
    assert.same(want, (errors_of(text, nil, { strict = true })))
  end)

  it("warnings by default (they only touch examples), and for a lenient strict load", function()
    for _, opts in ipairs({ {}, { lenient = true, strict = true } }) do
      local errs, warnings, api = errors_of(text, nil, opts)
      assert.same({}, errs)
      assert.is_not_nil(api)
      assert.same(want, warnings)
    end
  end)

  it("an example without messages, and an example message without type or body", function()
    local errs = errors_of("channel:\n  path: /x\n  auth: false\n  messages:\n    m: {origin: client, body: string}\n" ..
      "  examples:\n    - name: none\n    - messages:\n        - body: x\n        - type: m\n")
    assert.same({
      "defn.yml:7:7: an example needs 'messages'",
      "defn.yml:9:11: an example message needs 'type' (a message id)",
      "defn.yml:10:11: an example message needs 'body'",
    }, errs)
  end)
end)

describe("path parameters", function()
  local text = "channel:\n  path: /v1/{voice_id}/stream/{model}\n  auth: false\n  path-parameters:\n" ..
    "    voice_id: string\n    extra: string\n  messages: {}\n"
  local undeclared = "defn.yml:2:31: path parameter '{model}' in the path is not declared in path-parameters"
  local unused = "defn.yml:6:5: path parameter 'extra' is declared but the path '/v1/{voice_id}/stream/{model}' has no such placeholder"

  it("a {param} the channel does not declare, and one declared that the path lacks (strict: both errors)", function()
    assert.same({ undeclared, unused }, (errors_of(text, nil, { strict = true })))
  end)

  it("by default one declared that the path lacks is a warning (it only touches docs); an undeclared one is not", function()
    local errs, _, api, _, raw = errors_of(text)
    assert.is_nil(api)
    assert.same({ undeclared }, errs)
    assert.equal(1, #raw.warnings)
    assert.equal(unused:match("^defn%.yml:%d+:%d+: (.*)$"), raw.warnings[1].message)
  end)

  it("api.yml's path-parameters count as declared", function()
    local _, _, api = errors_of("channel:\n  path: /{version}/x\n  auth: false\n  messages: {}\n",
      "name: t\npath-parameters:\n  version: string\n")
    assert.is_not_nil(api)
  end)

  it("a brace without its pair", function()
    local errs = errors_of("channel:\n  path: /x/{id\n  auth: false\n  messages: {}\n")
    assert.same({ "defn.yml:2:12: path: '{' is not closed by '}' in '/x/{id'" }, errs)
    errs = errors_of("channel:\n  path: /x/id}\n  auth: false\n  messages: {}\n")
    assert.same({ "defn.yml:2:14: path: '}' without '{' in '/x/id}'" }, errs)
  end)

  it("a lenient load makes them warnings", function()
    local errs, warnings = errors_of("channel:\n  path: /x/{id}\n  auth: false\n  messages: {}\n", nil, { lenient = true })
    assert.same({}, errs)
    assert.same({ "defn.yml:2:12: path parameter '{id}' in the path is not declared in path-parameters" }, warnings)
  end)
end)

describe("the channel's url, auth and path", function()
  local ch = "channel:\n  path: /x\n  auth: false\n  url: wss\n  messages: {}\n"

  it("a url id when no environment has several URLs", function()
    assert.same({ "defn.yml:4:8: channel url 'wss' needs an environment with 'urls' (none has them)" }, (errors_of(ch)))
    assert.same({ "defn.yml:4:8: channel url 'wss' needs an environment with 'urls' (none has them)" },
      (errors_of(ch, "name: t\nenvironments:\n  prod: https://example.com\n")))
  end)

  it("a url id no environment has", function()
    local errs = errors_of(ch, "name: t\nenvironments:\n  prod:\n    urls:\n      rest: https://a.example.com\n      ws: wss://b.example.com\n")
    assert.same({ "defn.yml:4:8: channel url 'wss' is not a URL id of any environment" }, errs)
  end)

  it("a channel without path or auth", function()
    local errs = errors_of("channel:\n  messages: {}\n")
    assert.same({
      "defn.yml:2:3: a channel needs a 'path'",
      "defn.yml:2:3: a channel needs 'auth' (true to use api.yml's auth, or false)",
    }, errs)
  end)

  it("auth that is not a boolean", function()
    assert.same({ "defn.yml:3:9: 'auth' must be true or false" },
      (errors_of("channel:\n  path: /x\n  auth: bearer\n  messages: {}\n")))
  end)

  it("auth: true with no auth in api.yml is a warning", function()
    local errs, warnings = errors_of("channel:\n  path: /x\n  auth: true\n  messages: {}\n", "name: t\n")
    assert.same({}, errs)
    assert.same({ "defn.yml:3:9: auth: true, but api.yml declares no 'auth': nothing will be sent" }, warnings)
  end)

  it("an auth-message that names no client message", function()
    local errs = errors_of("channel:\n  path: /x\n  auth: false\n  messages:\n    s: {origin: server, body: string}\n" ..
      "  auth-message:\n    message-id: s\n    token-property-path: token\n")
    assert.same({ "defn.yml:7:17: auth-message: 's' is not a client message of this channel" }, errs)
    errs = errors_of("channel:\n  path: /x\n  auth: false\n  messages: {}\n  auth-message:\n    message-id: s\n")
    assert.same({ "defn.yml:6:5: 'auth-message' needs 'message-id' and 'token-property-path'" }, errs)
  end)
end)

describe("api.yml errors", function()
  local ch = "channel:\n  path: /x\n  auth: true\n  messages: {}\n"

  it("an auth scheme that is not declared, and one of no known kind", function()
    local errs = errors_of(ch, "name: t\nauth: Missing\nauth-schemes:\n  Odd:\n    foo: bar\n")
    assert.same({
      "api.yml:2:7: auth: no auth scheme named 'Missing' in auth-schemes",
      "api.yml:5:5: auth scheme 'Odd' needs 'header', or 'scheme' of bearer, basic or oauth",
    }, errs)
  end)

  it("auth of a shape it cannot have", function()
    assert.same({ "api.yml:3:3: 'auth' must name a scheme, or be {any: [...]} or {scheme: ...}" },
      (errors_of(ch, "name: t\nauth:\n  bearer: yes\n")))
  end)

  it("environments: without a URL, with both url and urls, an unknown default", function()
    local errs = errors_of(ch, table.concat({
      "name: t",
      "environments:",
      "  a:",
      "    docs: none",
      "  b:",
      "    url: https://b.example.com",
      "    urls: {x: https://x.example.com}",
      "  c:",
      "    urls: {ws: wss://c.example.com}",
      "default-environment: prod",
      "default-url: rest",
    }, "\n") .. "\n")
    assert.same({
      "api.yml:4:5: environment 'a' needs 'url' or 'urls'",
      "api.yml:6:5: environment 'b' has both 'url' and 'urls'",
      "api.yml:10:22: default-environment 'prod' is not one of the environments",
      "api.yml:11:14: default-url 'rest' is not a URL of environment 'b'",
      "api.yml:11:14: default-url 'rest' is not a URL of environment 'c'",
    }, errs)
  end)

  it("api.yml without a name", function()
    assert.same({ "api.yml:1:1: api.yml needs a 'name'" }, (errors_of(ch, "display-name: T\n")))
  end)
end)

describe("unknown keys are warnings", function()
  it("a misspelt channel or message key names the key it is closest to", function()
    local _, _, api, _, raw = errors_of(table.concat({
      "channel:",
      "  path: /x",
      "  auth: false",
      "  mesages:",
      "    m: {origin: client, body: string}",
      "  querry-parameters: {}",
      "  messages:",
      "    n: {orgin: client, body: string, dcos: x}",
    }, "\n") .. "\n")
    assert.is_nil(api) -- n has no origin
    local warnings = {}
    for _, w in ipairs(raw.warnings) do warnings[#warnings + 1] = ("defn.yml:%d:%d: %s"):format(w.line, w.column, w.message) end
    assert.same({
      "defn.yml:4:3: unknown key 'mesages' in 'channel' (ignored): did you mean 'messages'?",
      "defn.yml:6:3: unknown key 'querry-parameters' in 'channel' (ignored): did you mean 'query-parameters'?",
      "defn.yml:8:9: unknown key 'orgin' in a message (ignored): did you mean 'origin'?",
      "defn.yml:8:38: unknown key 'dcos' in a message (ignored): did you mean 'docs'?",
    }, warnings)
  end)

  it("in api.yml, a file, a type, a property, a channel, a message, an example", function()
    local errs, warnings, api = errors_of(table.concat({
      "typos: 1",
      "types:",
      "  O:",
      "    propertys: {}",
      "    properties:",
      "      a: {type: string, doc: x}",
      "channel:",
      "  path: /x",
      "  auth: false",
      "  colour: blue",
      "  messages:",
      "    m: {origin: client, body: O, since: 2}",
      "  examples:",
      "    - messages: []",
      "      extra: 1",
    }, "\n") .. "\n", "name: t\nnmae: x\n")
    assert.same({}, errs)
    assert.is_not_nil(api)
    assert.same({
      "api.yml:2:1: unknown key 'nmae' in api.yml (ignored): did you mean 'name'?",
      "defn.yml:1:1: unknown key 'typos' in defn.yml (ignored): did you mean 'types'?",
      "defn.yml:4:5: unknown key 'propertys' in an object type (ignored): did you mean 'properties'?",
      "defn.yml:6:25: unknown key 'doc' in property 'a' (ignored): did you mean 'docs'?",
      "defn.yml:10:3: unknown key 'colour' in 'channel' (ignored)",
      "defn.yml:12:34: unknown key 'since' in a message (ignored)",
      "defn.yml:15:7: unknown key 'extra' in an example (ignored)",
    }, warnings)
  end)
end)

describe("REST-only types", function()
  local files = {
    ["api.yml"] = "name: t\n",
    ["rest.yml"] = table.concat({
      "types:",
      "  Report:",
      "    properties:",
      "      when: datetme",
      "  Broken: list<>",
      "service:",
      "  base-path: /rest",
      "  auth: false",
      "  endpoints:",
      "    get: {method: GET, path: /r, response: Report, whatever: [1, 2]}",
    }, "\n") .. "\n",
    ["ws.yml"] = "imports:\n  rest: rest.yml\ntypes:\n  Used:\n    properties:\n      r: optinal<string>\n" ..
      "channel:\n  path: /ws\n  auth: false\n  messages:\n    m: {origin: server, body: Used}\n",
  }

  it("errors in a type no channel uses become warnings; those in channel types stay errors", function()
    local errs = load(files)
    assert.same({ "ws.yml:6:10: unknown type 'optinal<string>' (did you mean 'optional<string>'?)" }, errs)
  end)

  it("with the channel type fixed the definition loads, the REST problems as warnings", function()
    local fixed = {}
    for k, v in pairs(files) do fixed[k] = v end
    fixed["ws.yml"] = files["ws.yml"]:gsub("optinal", "optional")
    local errs, warnings, api = load(fixed)
    assert.same({}, errs)
    assert.is_not_nil(api)
    assert.same({
      "rest.yml:4:13: unknown type 'datetme' (did you mean 'datetime'?) (in type 'rest.Report', which no channel uses)",
      "rest.yml:5:16: 'list<>' needs a type argument, e.g. list<string> (in type 'rest.Broken', which no channel uses)",
    }, warnings)
  end)

  it("a type reached only through a query parameter or a header is a channel's type", function()
    local errs = errors_of("types:\n  Q: Nope\n  H: Nope2\nchannel:\n  path: /x\n  auth: false\n" ..
      "  query-parameters:\n    q: list<Q>\n  headers:\n    h: {type: optional<H>}\n  messages: {}\n")
    assert.same({ "defn.yml:2:6: unknown type 'Nope'", "defn.yml:3:6: unknown type 'Nope2'" }, errs)
  end)

  it("a type reached through extends, a union variant and an alias is a channel's type", function()
    local errs = errors_of(table.concat({
      "types:",
      "  Base:",
      "    properties: {a: Nope1}",
      "  Obj:",
      "    extends: Base",
      "  V:",
      "    properties: {b: Nope2}",
      "  U:",
      "    union:",
      "      v: V",
      "  Al: U",
    }, "\n") .. "\n" .. channel_using("Obj", "Al"))
    assert.same({ "defn.yml:3:21: unknown type 'Nope1'", "defn.yml:7:21: unknown type 'Nope2'" }, errs)
  end)
end)

describe("many errors in one run", function()
  local function many(n)
    local t = { "types:" }
    for i = 1, n do t[#t + 1] = ("  T%d: Missing%d"):format(i, i) end
    local used = {}
    for i = 1, n do used[i] = "T" .. i end
    return table.concat(t, "\n") .. "\n" .. channel_using(table.unpack(used))
  end

  it("all of them, sorted by place", function()
    local errs = errors_of(many(40))
    assert.equal(40, #errs)
    for i = 1, 40 do assert.equal(("defn.yml:%d:%d: unknown type 'Missing%d'"):format(i + 1, i < 10 and 7 or 8, i), errs[i]) end
  end)

  it("up to 100, and the message says how many more there were", function()
    local errs, _, _, msg = errors_of(many(130))
    assert.equal(100, #errs)
    assert.equal("defn.yml:101:9: unknown type 'Missing100'", errs[100])
    assert.matches("\n%(30 more not shown%)$", msg)
    local n = 0
    for _ in msg:gmatch("unknown type") do n = n + 1 end
    assert.equal(100, n)
  end)

  it("the 100 kept are the first by place, whatever the phase that found them", function()
    -- unknown types are found after every file is read, bad containers while reading
    local a, b = { "types:" }, { "types:" }
    local used_a, used_b = {}, {}
    for i = 1, 60 do
      a[#a + 1] = ("  A%d: Missing%d"):format(i, i)
      b[#b + 1] = ("  B%d: list<>"):format(i)
      used_a[i], used_b[i] = "A" .. i, "B" .. i
    end
    local errs, _, _, msg = load({
      ["a.yml"] = table.concat(a, "\n") .. "\n" .. channel_using(table.unpack(used_a)),
      ["b.yml"] = table.concat(b, "\n") .. "\n" .. channel_using(table.unpack(used_b)),
    })
    assert.equal(100, #errs)
    assert.equal("a.yml:61:8: unknown type 'Missing60'", errs[60])
    assert.equal("b.yml:2:12: 'list<>' needs a type argument, e.g. list<string>", errs[61])
    assert.equal("b.yml:41:13: 'list<>' needs a type argument, e.g. list<string>", errs[100])
    assert.matches("\n%(20 more not shown%)$", msg)
  end)

  it("warnings past their limit are not counted as errors not shown", function()
    local t = { "types:", "  O:", "    properties: {}" }
    for i = 1, 600 do t[#t + 1] = ("    odd%d: 1"):format(i) end
    t[#t + 1] = "  Bad: list<>"
    local _, _, api, msg = errors_of(table.concat(t, "\n") .. "\n" .. channel_using("Bad"))
    assert.is_nil(api)
    assert.matches("^/[^\n]*/defn%.yml:604:13: 'list<>' needs a type argument, e%.g%. list<string>$", msg)
  end)

  it("warnings are bounded too", function()
    local t = { "types:", "  O:", "    properties: {}" }
    for i = 1, 700 do t[#t + 1] = ("    odd%d: 1"):format(i) end
    local errs, warnings = errors_of(table.concat(t, "\n") .. "\n")
    assert.same({}, errs)
    assert.equal(500, #warnings)
  end)
end)

describe("hostile input: an error, never a crash or a hang", function()
  local function time(f)
    local t0 = os.clock()
    local a, b, c, d = f()
    return os.clock() - t0, a, b, c, d
  end

  it("deep nesting of YAML", function()
    local errs = errors_of("a: " .. ("["):rep(10000) .. ("]"):rep(10000) .. "\n")
    assert.same({ "defn.yml:1:203: the document nests too deeply" }, errs)
  end)

  it("an alias bomb (billion laughs)", function()
    local t = { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" }
    for i = 1, 9 do
      local refs = {}
      for j = 1, 10 do refs[j] = "*a" .. (i - 1) end
      t[#t + 1] = ("a%d: &a%d [%s]"):format(i, i, table.concat(refs, ", "))
    end
    local secs, errs = time(function() return errors_of(table.concat(t, "\n") .. "\n") end)
    assert.same({ "defn.yml:7:10: the document is too large (aliases expand past the node limit)" }, errs)
    assert.is_true(secs < 2)
  end)

  it("a merge key '<<' that needs a mapping", function()
    assert.same({ "defn.yml:2:5: a merge key '<<' needs a mapping" }, (errors_of("a: &x [1]\nb: {<<: *x}\n")))
  end)

  it("binary garbage and a NUL byte", function()
    local bytes, seed = {}, 12345
    for i = 1, 4096 do
      seed = (seed * 1103515245 + 12345) % 2147483648
      bytes[i] = string.char(seed % 256)
    end
    local errs = errors_of(table.concat(bytes))
    assert.equal(1, #errs)
    assert.matches("^defn%.yml:%d+:%d+: YAML syntax: ", errs[1])
    assert.same({ "defn.yml:2:9: YAML syntax: control characters are not allowed" }, (errors_of("types:\n  A: str\0ing\n")))
  end)

  it("an empty file and a file of comments are definitions with nothing in them", function()
    for _, text in ipairs({ "", "# nothing\n", "\n\n" }) do
      local errs, _, api = errors_of(text)
      assert.same({}, errs)
      assert.same({}, api:channels())
      assert.same({}, api:types())
    end
  end)

  it("a folder with no .yml files, and a path that does not exist", function()
    local dir = helper.write_definition({ ["README.txt"] = "not yaml" })
    local api, msg, errs = fernws.load(dir)
    helper.rmtree(dir)
    assert.is_nil(api)
    assert.equal(1, #errs)
    assert.same({ file = dir, line = 0, column = 0, message = "no .yml files in the folder" }, errs[1])
    assert.same({}, errs.warnings)
    assert.equal(dir .. ": no .yml files in the folder", msg)
    api, msg = fernws.load(dir .. "/not-there")
    assert.is_nil(api)
    assert.equal(dir .. "/not-there: cannot open the definition: No such file or directory", msg)
  end)

  it("an unreadable file", function()
    local dir = helper.write_definition({ ["ok.yml"] = "types:\n  A: string\n" })
    -- as root a mode of 000 still reads: a file that fails to read (EIO) stands in for it
    local target = dir .. "/bad.yml"
    local is_root = io.popen("id -u"):read("l") == "0"
    if is_root then
      os.execute("ln -s /proc/self/mem '" .. target .. "'")
    else
      local f = assert(io.open(target, "w")) f:write("types: {}\n") f:close()
      os.execute("chmod 000 '" .. target .. "'")
    end
    local api, msg = fernws.load(dir)
    helper.rmtree(dir)
    assert.is_nil(api)
    if is_root then
      -- reading /proc/self/mem at 0 fails (EIO); a stricter kernel may refuse to open it instead
      local ok = msg == target .. ": cannot read the file: Input/output error" or
        msg:find(target .. ": cannot open the file: ", 1, true) == 1
      assert.is_true(ok, msg)
    else
      assert.equal(target .. ": cannot open the file: Permission denied", msg)
    end
  end)

  it("a file over 64 MiB is refused, not read whole", function()
    local dir = helper.write_definition({ ["ok.yml"] = "types:\n  A: string\n" })
    local target = dir .. "/big.yml"
    assert(os.execute("truncate -s 65M '" .. target .. "'"))  -- sparse: no disk used
    local api, msg = fernws.load(dir)
    helper.rmtree(dir)
    assert.is_nil(api)
    assert.equal(target .. ": the file is larger than the limit of 67108864 bytes", msg)
  end)

  it("a symbolic link loop is skipped with a warning", function()
    local dir = helper.write_definition({ ["a/x.yml"] = "types:\n  A: string\n" })
    os.execute("ln -s .. '" .. dir .. "/a/up' && ln -s ../a '" .. dir .. "/a/self'")
    local api = assert(fernws.load(dir))
    helper.rmtree(dir)
    assert.same({ "a.x.A" }, api:types())
    assert.same({
      { file = dir .. "/a/self", line = 0, column = 0, message = "skipped: a symbolic link back into a folder above it" },
      { file = dir .. "/a/up", line = 0, column = 0, message = "skipped: a symbolic link back into a folder above it" },
    }, api.warnings)
  end)

  it("folders nested past 32 levels are skipped with a warning", function()
    local deep = {}
    for i = 1, 40 do deep[i] = "d" .. i end
    local dir = helper.write_definition({ [table.concat(deep, "/") .. "/x.yml"] = "types:\n  A: string\n",
      ["top.yml"] = "types:\n  T: string\n" })
    local api = assert(fernws.load(dir))
    helper.rmtree(dir)
    assert.same({ "top.T" }, api:types())
    assert.equal(1, #api.warnings)
    assert.equal(dir .. "/" .. table.concat(deep, "/", 1, 33), api.warnings[1].file)
    assert.equal("skipped: folders nested more than 32 deep", api.warnings[1].message)
  end)

  it("types nested past 32 levels", function()
    local errs = errors_of("types:\n  A: " .. ("list<"):rep(40) .. "string" .. (">"):rep(40) .. "\n" .. channel_using("A"))
    assert.same({ "defn.yml:2:166: the type nests more than 32 levels deep" }, errs)
  end)

  it("a chain of extends past 64 levels", function()
    local t = { "types:" }
    for i = 0, 99 do t[#t + 1] = ("  T%d:\n    extends: T%d"):format(i, i + 1) end
    t[#t + 1] = "  T100:\n    properties: {a: string}"
    local secs, errs = time(function() return errors_of(table.concat(t, "\n") .. "\n" .. channel_using("T0")) end)
    assert.same({ "defn.yml:130:3: 'T64' is more than 64 levels of extends deep" }, errs)
    assert.is_true(secs < 2)
  end)

  it("a chain of aliases past 64", function()
    local t = { "types:" }
    for i = 0, 99 do t[#t + 1] = ("  T%d: T%d"):format(i, i + 1) end
    t[#t + 1] = "  T100: string"
    local errs = errors_of(table.concat(t, "\n") .. "\n" .. channel_using("T0"))
    assert.same({ "defn.yml:38:3: type 'T36' starts a chain of more than 64 aliases" }, errs)
  end)

  it("a large definition loads in time linear in its size", function()
    -- declarations naming each other: binding was a scan of the file per reference, and 200k
    -- declarations took minutes. 8 times the declarations must take far less than 64 times as long.
    local function cpu_time_of(n)
      local t = { "types:" }
      for i = 1, n do t[#t + 1] = ("  T%d:\n    properties:\n      a: string\n      b: optional<list<T%d>>"):format(i, i % 100 + 1) end
      local dir = helper.write_definition({ ["defn.yml"] = table.concat(t, "\n") .. "\n" })
      local t0 = os.clock()
      local api = fernws.load(dir)
      local secs = os.clock() - t0
      helper.rmtree(dir)
      assert.equal(n, #api:types())
      return secs
    end
    local small, large = cpu_time_of(2500), cpu_time_of(20000)
    assert.is_true(large < 24 * small + 0.05, ("2500 types: %.3f s, 20000 types: %.3f s"):format(small, large))
  end)

  it("an object with many properties and an enum with many values", function()
    local t = { "types:", "  E:", "    enum:" }
    for i = 1, 10000 do t[#t + 1] = "      - v" .. i end
    t[#t + 1] = "  O:\n    extends: P\n    properties:"
    for i = 1, 10000 do t[#t + 1] = ("      p%d: string"):format(i) end
    t[#t + 1] = "  P:\n    properties:"
    for i = 1, 10000 do t[#t + 1] = ("      q%d: string"):format(i) end
    local secs, errs, _, api = time(function() return errors_of(table.concat(t, "\n") .. "\n") end)
    assert.same({}, errs)
    assert.equal(20000, #api:type("defn.O").properties)
    assert.equal(10000, #api:type("defn.E").values)
    assert.is_true(secs < 5, "took " .. secs .. " s")
  end)
end)
