-- The codec on objects (required, unknown and extra properties, extends, literals), enums, recursive
-- types and how types are named.
local u = require "codec_util"
local fernws = u.fernws
local cjson = require "cjson"

describe("codec: objects", function()
  local api = u.api()

  it("round-trip", function()
    local _, back = u.round_trip(api, "types.Point", { x = 1, y = -2 })
    assert.same({ x = 1, y = -2 }, back)
    assert.equal("integer", math.type(back.x))
  end)

  it("lists every missing required property (check) and the first (decode)", function()
    local errs = u.check_errors(api, "types.Point", {})
    assert.equal(2, #errs)
    local byp = {}
    for _, e in ipairs(errs) do byp[e.path] = e end
    assert.same({ path = "x", expected = "integer", got = "nil", message = "x: required property is missing (expected integer)" }, byp.x)
    assert.is_table(byp.y)
    local err, e = u.decode_error(api, "types.Point", '{"y":1}')
    assert.equal("cannot decode the value: x: required property is missing (expected integer)", err)
    assert.same({ path = "x", expected = "integer", got = "nothing", message = "x: required property is missing (expected integer)" }, e)
  end)

  it("refuses unknown properties on check and encode, naming each", function()
    local e = u.check_error(api, "types.Point", { x = 1, y = 2, z = 3 })
    assert.same({ path = "z", expected = "object types.Point", got = "integer",
      message = "z: unknown property (not in object types.Point)" }, e)
    local msg = u.encode_error(api, "types.Point", { x = "1", y = 2, z = 3 })
    assert.matches("invalid types.Point: ", msg, 1, true)
    assert.matches("z: unknown property (not in object types.Point)", msg, 1, true)
    assert.matches("x: expected integer, got string", msg, 1, true)
  end)

  it("keeps unknown properties on decode, unless strict", function()
    local v = api:decode("types.Point", '{"x":1,"y":2,"extra":{"deep":[1,2.5]},"z":null}')
    assert.same({ x = 1, y = 2, extra = { deep = { 1, 2.5 } }, z = fernws.null }, v)
    assert.equal("integer", math.type(v.extra.deep[1]))
    local err, e = u.decode_error(api, "types.Point", '{"x":1,"y":2,"extra":1}', { strict = true })
    assert.equal("cannot decode the value: extra: unknown property (not in object types.Point)", err)
    assert.same({ path = "extra", expected = "object types.Point", got = "number",
      message = "extra: unknown property (not in object types.Point)" }, e)
    -- and strict is about unknown properties only
    assert.same({ x = 1, y = 2 }, (api:decode("types.Point", '{"x":1,"y":2}', { strict = true })))
  end)

  it("extra-properties: true lets unknown properties through as any JSON, still checking the declared ones", function()
    local text = api:encode("types.Open", { a = 1, extra = { 1, 2 } })
    assert.same({ a = 1, extra = { 1, 2 } }, cjson.decode(text))
    assert.equal("a: expected integer, got string", u.check_error(api, "types.Open", { a = "1", b = 2 }).message)
    assert.same({ a = 1, z = true }, (api:decode("types.Open", '{"a":1,"z":true}', { strict = true })))
    assert.equal("z: is NaN, which JSON cannot carry", u.check_error(api, "types.Open", { a = 1, z = 0 / 0 }).message)
    -- not inherited through extends
    assert.equal("z: unknown property (not in object types.OpenChild)",
      u.check_error(api, "types.OpenChild", { a = 1, b = 2, z = 3 }).message)
  end)

  it("flattens extends (several levels, several parents)", function()
    local v = { id = "i", name = "n", at = "2024-01-15T10:30:00Z", z = true }
    assert.is_true(api:check("types.GrandChild", v))
    local _, back = u.round_trip(api, "types.GrandChild", v)
    assert.same(v, back)
    local errs = u.check_errors(api, "types.GrandChild", { name = "n", z = true })
    local paths = {}
    for _, e in ipairs(errs) do paths[#paths + 1] = e.path end
    table.sort(paths)
    assert.same({ "at", "id" }, paths)
    assert.equal("at: is not an RFC 3339 date-time (2024-01-31T12:00:00Z)",
      u.check_error(api, "types.GrandChild", { id = "i", name = "n", at = "yesterday", z = true }).message)
  end)

  it("writes a literal left out, refuses a wrong one, and implies it when absent on decode", function()
    local text = api:encode("types.Holder", { req = "r", nul = "n" })
    local obj = cjson.decode(text)
    assert.equal("fixed", obj.lit)
    assert.equal(true, obj.flag)
    assert.same({ path = "lit", expected = '"fixed"', got = "string", message = "lit: expected \"fixed\", got 'other'" },
      u.check_error(api, "types.Holder", { req = "r", nul = "n", lit = "other" }))
    assert.equal("flag: expected true, got boolean", u.check_error(api, "types.Holder", { req = "r", nul = "n", flag = false }).message)
    assert.equal("lit: expected \"fixed\", got integer", u.check_error(api, "types.Holder", { req = "r", nul = "n", lit = 1 }).message)
    local v = api:decode("types.Holder", '{"req":"r","nul":"n"}')
    assert.equal("fixed", v.lit) -- implied, so handlers can rely on it
    assert.equal(true, v.flag)
    assert.matches("lit: expected \"fixed\", got 'nope'", (u.decode_error(api, "types.Holder", '{"req":"r","nul":"n","lit":"nope"}')), 1, true)
    assert.matches("flag: expected true, got false", (u.decode_error(api, "types.Holder", '{"req":"r","nul":"n","flag":false}')), 1, true)
  end)

  it("says when a key is not a string", function()
    local errs = u.check_errors(api, "types.Point", { x = 1, y = 2, [1] = "a", [2.5] = "b" })
    local msgs = {}
    for _, e in ipairs(errs) do msgs[#msgs + 1] = e.message end
    table.sort(msgs)
    assert.same({ "[1]: a key of an object must be a string, got integer", "a key of an object must be a string, got float" }, msgs)
  end)

  it("is not an array, a string or null", function()
    assert.equal("array", select(2, u.decode_error(api, "types.Point", "[1,2]")).got)
    assert.equal("expected object types.Point, got string", u.check_error(api, "types.Point", "p").message)
    assert.equal("null", u.check_error(api, "types.Point", fernws.null).got)
  end)

  it("escapes property names in JSON and quotes them in paths", function()
    local text = api:encode("types.Odd", { ["x-y"] = 1, ['a"b'] = 2, ["1st"] = 3 })
    assert.same({ ["x-y"] = 1, ['a"b'] = 2, ["1st"] = 3 }, cjson.decode(text))
    assert.same({ ["x-y"] = 1, ['a"b'] = 2 }, (api:decode("types.Odd", '{"x-y":1,"a\\"b":2}')))
    assert.equal('["x-y"]: expected integer, got string', u.check_error(api, "types.Odd", { ["x-y"] = "1" }).message)
    assert.equal('["a\\"b"]: expected integer, got string', u.check_error(api, "types.Odd", { ['a"b'] = "1" }).message)
    assert.equal('["1st"]: expected integer, got string', u.check_error(api, "types.Odd", { ["1st"] = "1" }).message)
    -- a property name written with escapes in the JSON is the same property
    assert.same({ ["x-y"] = 5 }, (api:decode("types.Odd", '{"x\\u002dy":5}', { strict = true })))
  end)

  it("handles objects with more than 64 properties", function()
    local lines = { "types:", "  Wide:", "    properties:" }
    for i = 1, 70 do lines[#lines + 1] = string.format("      p%d: %s", i, i % 2 == 0 and "integer" or "optional<string>") end
    local wide = u.load(table.concat(lines, "\n") .. "\n")
    local v = {}
    for i = 2, 70, 2 do v["p" .. i] = i end
    assert.is_true(wide:check("Wide", v))
    local _, back = u.round_trip(wide, "Wide", v)
    assert.same(v, back)
    v.p70 = nil
    v.p69 = 5
    local errs = u.check_errors(wide, "Wide", v)
    assert.equal(2, #errs)
    assert.equal("cannot decode the value: p4: required property is missing (expected integer)",
      (u.decode_error(wide, "Wide", '{"p2":2}')))
  end)

  it("recursive types nest as deep as the data goes (up to the limit)", function()
    local v = { value = 0 }
    local at = v
    for i = 1, 60 do
      at.children = { { value = i }, { value = -i } }
      at = at.children[1]
    end
    local _, back = u.round_trip(api, "types.Tree", v)
    assert.is_true(u.same(v, back))
    at.children = { { value = "bad" } }
    local e = u.check_error(api, "types.Tree", v)
    assert.matches("children%[1%]%.value$", e.path)
    local short = { value = 0, children = { { value = 1 }, { value = 2, children = { { value = "x" } } } } }
    assert.equal("children[2].children[1].value", u.check_error(api, "types.Tree", short).path)
    -- a path too long for the message keeps its start and its end (where the fault is)
    v = { value = 0 }
    at = v
    for i = 1, 90 do -- 2 tables a level: the depth limit (200) is near
      at.children = { { value = i } }
      at = at.children[1]
    end
    at.children = { { value = "bad" } }
    e = u.check_error(api, "types.Tree", v)
    assert.matches("^children%[1%]%.children%[1%].*%.%.%..*children%[1%]%.value$", e.path)
    assert.is_true(#e.path < 512)
    assert.equal(e.path .. ": expected integer, got string", e.message)
  end)
end)

describe("codec: enums", function()
  local api = u.api()

  it("go by wire value", function()
    assert.equal('">="', api:encode("types.Op", ">="))
    assert.equal("<", (api:decode("types.Op", '"<"')))
    assert.same({ path = "", expected = "enum types.Op", got = "string", message = "'GTE' is not one of '<', '>='" },
      u.check_error(api, "types.Op", "GTE"))
    local err, e = u.decode_error(api, "types.Color", '"Red"')
    assert.equal("cannot decode the value: 'Red' is not one of 'red', 'green', 'blue'", err)
    assert.equal("'Red' is not one of 'red', 'green', 'blue'", u.check_error(api, "types.Color", "Red").message)
    assert.equal("string", e.got)
    assert.equal("expected enum types.Color, got integer", u.check_error(api, "types.Color", 1).message)
    assert.equal("number", select(2, u.decode_error(api, "types.Color", "1")).got)
  end)
end)

describe("codec: type names", function()
  local api = u.api()

  it("by file, and by a unique short name", function()
    assert.is_true(api:check("Root", { id = "r" }))
    assert.is_true(api:check("sub.Nested", { n = 1 }))
    assert.is_true(api:check("Nested", { n = 1 }))
    assert.is_true(api:check("Point", { x = 1, y = 1 }))
    assert.is_true(api:check("types.RootRef", { id = "r" }))
    assert.has_error(function() api:check("types.Nope", 1) end, "unknown type 'types.Nope'")
    assert.has_error(function() api:encode("Nope", 1) end, "unknown type 'Nope'")
    assert.has_error(function() api:decode("Nope", "1") end, "unknown type 'Nope'")
  end)

  it("a short name declared twice is ambiguous", function()
    local dir = require("helper").write_definition({
      ["a.yml"] = "types:\n  Same: string\n", ["b.yml"] = "types:\n  Same: integer\n" })
    local two = assert(fernws.load(dir))
    require("helper").rmtree(dir)
    assert.has_error(function() two:check("Same", 1) end, "type name 'Same' is ambiguous")
    assert.is_true(two:check("a.Same", "s"))
    assert.is_true(two:check("b.Same", 1))
  end)
end)
