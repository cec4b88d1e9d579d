-- The codec on containers: optional, nullable, list, set, map, and presence inside objects.
local u = require "codec_util"
local fernws = u.fernws
local null = fernws.null

describe("codec: optional and nullable", function()
  local api = u.api()

  it("optional<T> takes nil and null, writes null at the top, reads null as nothing", function()
    assert.is_true(api:check("types.OptStr", nil))
    assert.is_true(api:check("types.OptStr", null))
    assert.equal("null", api:encode("types.OptStr", nil))
    assert.equal("null", api:encode("types.OptStr", null))
    local v, info = api:decode("types.OptStr", "null")
    assert.is_nil(v)
    assert.is_table(info) -- success: nil, info (not nil, err)
    assert.equal("x", (api:decode("types.OptStr", '"x"')))
    assert.equal("expected string, got integer", u.check_error(api, "types.OptStr", 1).message)
  end)

  it("nullable<T> takes fernws.null (written null, read back as fernws.null) but not nil", function()
    assert.equal("null", api:encode("types.NulStr", null))
    assert.equal(null, (api:decode("types.NulStr", "null")))
    assert.equal("expected string, got nil", u.check_error(api, "types.NulStr", nil).message)
    assert.equal('"x"', api:encode("types.NulStr", "x"))
  end)

  it("optional<nullable<T>> tells absent from null in both directions", function()
    local text = api:encode("types.Holder", { req = "r", nul = null, optnul = null })
    assert.is_truthy(text:find('"optnul":null', 1, true))
    local v = api:decode("types.Holder", '{"req":"r","nul":null,"optnul":null}')
    assert.equal(null, v.optnul)
    v = api:decode("types.Holder", '{"req":"r","nul":null}')
    assert.is_nil(v.optnul)
    assert.equal(null, (api:decode("types.OptNulStr", "null")))
  end)

  it("in an object: optional may be absent or null (null reads as absent), nullable must be present", function()
    local v = api:decode("types.Holder", '{"req":"r","opt":null,"nul":"n"}')
    assert.is_nil(v.opt)
    assert.equal("n", v.nul)
    assert.same({ path = "nul", expected = "nullable<string>", got = "nil",
      message = "nul: required property is missing (expected nullable<string>)" },
      u.check_error(api, "types.Holder", { req = "r" }))
    local _, e = u.decode_error(api, "types.Holder", '{"req":"r"}')
    assert.same({ path = "nul", expected = "nullable<string>", got = "nothing",
      message = "nul: required property is missing (expected nullable<string>)" }, e)
    -- an absent optional is not written; a null one is
    -- (the literals left out are written by the codec; Lua's key order is the table's)
    local text = api:encode("types.Holder", { req = "r", nul = null })
    assert.is_nil(text:find('"opt"', 1, true))
    assert.is_truthy(text:find('"nul":null', 1, true))
    assert.same({ req = "r", nul = null, lit = "fixed", flag = true }, require("cjson").decode(text))
  end)

  it("an unknown property may be absent, and holds null when given", function()
    assert.is_true(api:check("types.Holder", { req = "r", nul = null }))
    local v = api:decode("types.Holder", '{"req":"r","nul":null,"any":null}')
    assert.equal(null, v.any)
  end)
end)

describe("codec: list", function()
  local api = u.api()

  it("writes [] when empty and keeps order", function()
    assert.equal("[]", api:encode("types.Ints", {}))
    assert.equal("[3,1,2]", api:encode("types.Ints", { 3, 1, 2 }))
    assert.same({ 3, 1, 2 }, (api:decode("types.Ints", " [ 3 , 1 , 2 ] ")))
    assert.same({}, (api:decode("types.Ints", "[]")))
    assert.equal("[[],[1],[1,2]]", api:encode("types.Grid", { {}, { 1 }, { 1, 2 } }))
  end)

  it("refuses sparse tables and tables with other keys", function()
    local msg = "expected list<integer>: a sequence 1..n, got a table with other keys"
    for _, t in ipairs({ { 1, nil, 3 }, { [2] = 1 }, { 1, 2, n = 2 }, { [0] = 1, 2 }, { [1.5] = 1 } }) do
      assert.same({ path = "", expected = "list<integer>", got = "table", message = msg }, u.check_error(api, "types.Ints", t))
    end
  end)

  it("reports every bad element with its 1-based index", function()
    local errs = u.check_errors(api, "types.Ints", { 1, "two", 3, 4.5 })
    assert.equal(2, #errs)
    assert.equal("[2]", errs[1].path)
    assert.equal("[2]: expected integer, got string", errs[1].message)
    assert.equal("[4]: expected an integer, got the float 4.5", errs[2].message)
    assert.equal("[2][3]: expected integer, got string", u.check_error(api, "types.Grid", { {}, { 1, 2, "x" } }).message)
    local _, e = u.decode_error(api, "types.Grid", '[[1],[2,"x"]]')
    assert.equal("[2][2]", e.path)
  end)

  it("is not an object, a string or null", function()
    assert.equal("object", select(2, u.decode_error(api, "types.Ints", "{}")).got)
    assert.equal("expected list<integer>, got string", u.check_error(api, "types.Ints", "1,2").message)
    assert.equal("null", select(2, u.decode_error(api, "types.Ints", "null")).got)
  end)

  it("keeps an optional element's null in its place, as fernws.null", function()
    local v = api:decode("types.OptInts", "[1,null,3]")
    assert.equal(3, #v)
    assert.equal(fernws.null, v[2])
    assert.is_true(api:check("types.OptInts", v))
    assert.equal("[1,null,3]", api:encode("types.OptInts", v))
    assert.same({ null }, (api:decode("types.OptInts", "[null]")))
    -- a map has no places: an optional value's null is an absent key
    assert.same({ b = 1 }, (api:decode("types.OptMap", '{"a":null,"b":1}')))
    assert.equal('{"a":null}', api:encode("types.OptMap", { a = null }))
  end)

  it("carries 100,000 elements both ways", function()
    local big = {}
    for i = 1, 100000 do big[i] = i * 7 end
    local text, back = u.round_trip(api, "types.Ints", big)
    assert.equal(100000, #back)
    assert.equal(700000, back[100000])
    assert.equal("[7,14,", text:sub(1, 6))
  end)
end)

describe("codec: set", function()
  local api = u.api()

  it("writes [] when empty and refuses duplicates, naming the later one", function()
    assert.equal("[]", api:encode("types.Strs", {}))
    assert.equal('["a","b"]', api:encode("types.Strs", { "a", "b" }))
    assert.same({ path = "[3]", expected = "set<string>", got = "table",
      message = "[3]: is a duplicate: a set holds each value once" }, u.check_error(api, "types.Strs", { "a", "b", "a" }))
    local err, e = u.decode_error(api, "types.Strs", '["a","b","b"]')
    assert.equal("cannot decode the value: [3]: is a duplicate: a set holds each value once", err)
    assert.equal("[3]", e.path)
  end)

  it("compares by value: 1 and 1.0 are the same, tables by content whatever the key order", function()
    assert.equal("[2]", u.check_error(api, "types.AnySet", { 1, 1.0 }).path)
    assert.is_true(api:check("types.AnySet", { 1, "1", true, 1.5 }))
    assert.equal("[2]", u.check_error(api, "types.AnySet", { { a = 1, b = { 2, 3 } }, { b = { 2, 3 }, a = 1 } }).path)
    assert.is_true(api:check("types.AnySet", { { a = 1 }, { a = 2 }, { 1, 2 }, { 2, 1 } }))
    assert.equal("[2]", u.check_error(api, "types.Points", { { x = 1, y = 2 }, { y = 2, x = 1 } }).path)
    assert.matches("[2]: is a duplicate", (u.decode_error(api, "types.AnySet", "[1, 1.0]")), 1, true)
    assert.matches("[3]: is a duplicate", (u.decode_error(api, "types.AnySet", '[{"a":[1,{"b":null}]},2,{"a":[1,{"b":null}]}]')), 1, true)
    assert.matches("[2]: is a duplicate", (u.decode_error(api, "types.Points", '[{"x":1,"y":2},{"y":2,"x":1}]')), 1, true)
  end)

  it("tells [] from {} (fernws.array_mt), at any depth", function()
    assert.is_table((api:decode("types.AnySet", "[[],{}]")))
    assert.is_table((api:decode("types.AnySet", '[{"a":[]},{"a":{}}]')))
    assert.is_true(api:check("types.AnySet", { {}, setmetatable({}, fernws.array_mt) }))
    assert.matches("[2]: is a duplicate", (u.decode_error(api, "types.AnySet", "[[],[]]")), 1, true)
    assert.matches("[2]: is a duplicate", (u.decode_error(api, "types.AnySet", "[{},{}]")), 1, true)
  end)

  it("finds duplicates among many elements", function()
    local t = {}
    for i = 1, 5000 do t[i] = "s" .. i end
    assert.is_true(api:check("types.Strs", t))
    t[5001] = "s2500"
    assert.equal("[5001]", u.check_error(api, "types.Strs", t).path)
  end)
end)

describe("codec: map", function()
  local api = u.api()

  it("writes {} when empty, string keys as they are", function()
    assert.equal("{}", api:encode("types.StrInt", {}))
    assert.equal('{"a":1}', api:encode("types.StrInt", { a = 1 }))
    assert.same({ a = 1, ["x-y"] = 2 }, (api:decode("types.StrInt", '{"a":1,"x-y":2}')))
    assert.same({}, (api:decode("types.StrInt", "{}")))
  end)

  it("checks values with the key in the path", function()
    assert.same({ path = '["x-y"]', expected = "integer", got = "string", message = '["x-y"]: expected integer, got string' },
      u.check_error(api, "types.StrInt", { ["x-y"] = "z" }))
    local _, e = u.decode_error(api, "types.StrInt", '{"ok":1,"bad":true}')
    assert.equal("bad", e.path)
  end)

  it("integer key types: Lua integer keys, written as \"1\" and read back as integers", function()
    assert.equal('{"-5":"b"}', api:encode("types.IntStr", { [-5] = "b" }))
    local v = api:decode("types.IntStr", '{"1":"a","-5":"b"}')
    assert.same({ [1] = "a", [-5] = "b" }, v)
    assert.equal("integer", math.type(next(v)))
    local big = api:decode("types.LongStr", '{"9223372036854775807":"max"}')
    assert.equal("max", big[math.maxinteger])
    assert.equal('{"9223372036854775807":"m"}', api:encode("types.LongStr", { [math.maxinteger] = "m" }))
    -- a string key is not an integer key; a key that is no integer is refused on decode
    assert.equal("expected integer, got string", u.check_error(api, "types.IntStr", { ["1"] = "a" }).message:gsub("^.-: ", ""))
    for _, text in ipairs({ '{"x":"a"}', '{"1.5":"a"}', '{"2147483648":"a"}', '{"":"a"}', '{" 1":"a"}', '{"01":"a"}' }) do
      local v2, err = api:decode("types.IntStr", text)
      assert.is_nil(v2, text)
      assert.is_string(err)
    end
    assert.equal("2147483648 is out of range for integer",
      u.check_error(api, "types.IntStr", { [2147483648] = "a" }).message:gsub("^.-: ", ""))
  end)

  it("enum, boolean, double and uuid key types are checked both ways", function()
    assert.equal('{"red":1}', api:encode("types.ColorInt", { red = 1 }))
    assert.matches("'purple' is not one of 'red', 'green', 'blue'", u.check_error(api, "types.ColorInt", { purple = 1 }).message, 1, true)
    assert.equal("cannot decode the value: purple: 'purple' is not one of 'red', 'green', 'blue'",
      (u.decode_error(api, "types.ColorInt", '{"purple":1}')))
    assert.equal('{"true":"t"}', api:encode("types.BoolStr", { [true] = "t" }))
    assert.same({ [false] = "f" }, (api:decode("types.BoolStr", '{"false":"f"}')))
    assert.matches("a key must be true or false", (u.decode_error(api, "types.BoolStr", '{"yes":"f"}')), 1, true)
    assert.same({ [1.5] = "x" }, (api:decode("types.DoubleStr", '{"1.5":"x"}')))
    assert.equal('{"1.5":"x"}', api:encode("types.DoubleStr", { [1.5] = "x" }))
    assert.is_true(api:check("types.UuidInt", { ["123e4567-e89b-12d3-a456-426614174000"] = 1 }))
    assert.equal("cannot decode the value: nope: is not a UUID (8-4-4-4-12 hex digits)",
      (u.decode_error(api, "types.UuidInt", '{"nope":1}')))
    assert.equal("nope: is not a UUID (8-4-4-4-12 hex digits)", u.check_error(api, "types.UuidInt", { nope = 1 }).message)
    assert.equal('{"only":1}', api:encode("types.LitKey", { only = 1 }))
    assert.matches("the key must be \"only\"", (u.decode_error(api, "types.LitKey", '{"other":1}')), 1, true)
  end)

  it("keys of the wrong Lua type are refused", function()
    local e = u.check_error(api, "types.StrInt", { [1] = 1 })
    assert.equal("[1]", e.path)
    assert.equal("[1]: expected string, got integer", e.message)
    assert.equal("expected string, got boolean", u.check_error(api, "types.StrInt", { [true] = 1 }).message)
  end)

  it("map<string, unknown> keeps any JSON value", function()
    local v = api:decode("types.AnyMap", '{"a":[],"b":{"c":[1,2.5]},"n":null}')
    assert.equal(fernws.array_mt, getmetatable(v.a))
    assert.equal(null, v.n)
    assert.equal("float", math.type(v.b.c[2]))
  end)
end)
