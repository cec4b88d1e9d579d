-- The codec on unions: discriminated (Fern's wire form) and undiscriminated (first match, literal
-- fast path, strict before lenient on decode), and info.variant.
local u = require "codec_util"
local cjson = require "cjson"

describe("codec: discriminated unions", function()
  local api = u.api()

  it("flatten an object variant beside the discriminant", function()
    local v = { type = "dog", likesToWoof = true }
    assert.same(v, cjson.decode(api:encode("types.Animal", v)))
    local back, info = api:decode("types.Animal", '{"likesToWoof":false,"type":"dog"}')
    assert.same({ type = "dog", likesToWoof = false }, back)
    assert.equal("dog", info.variant)
    assert.equal("cat", select(2, api:decode("types.Animal", '{"type":"cat"}')).variant)
  end)

  it("put a non-object variant under `value`, or under its key:, and an object variant with key: too", function()
    local cases = {
      { kind = "count", id = "1", value = 3 },
      { kind = "note", id = "1", text = "hi" },
      { kind = "boxed", id = "1", point = { x = 1, y = 2 } },
      { kind = "dog", id = "1", likesToWoof = true },
      { kind = "empty", id = "1" },
    }
    for _, v in ipairs(cases) do
      local text = api:encode("types.Tagged", v)
      assert.same(v, cjson.decode(text))
      local back, info = api:decode("types.Tagged", text)
      assert.same(v, back)
      assert.equal(v.kind, info.variant)
    end
    assert.equal("value: required property is missing (expected integer)",
      u.check_error(api, "types.Tagged", { kind = "count", id = "1" }).message)
    assert.equal("value: expected integer, got string", u.check_error(api, "types.Tagged", { kind = "count", id = "1", value = "3" }).message)
    local function sorted_messages(v)
      local t = {}
      for _, e in ipairs(u.check_errors(api, "types.Tagged", v)) do t[#t + 1] = e.message end
      table.sort(t)
      return t
    end
    -- under its key, not under value
    assert.same({ "text: required property is missing (expected string)",
      'value: unknown property (not in union types.Tagged (kind "note"))' },
      sorted_messages({ kind = "note", id = "1", value = "hi" }))
    assert.equal("point.y: required property is missing (expected integer)",
      u.check_error(api, "types.Tagged", { kind = "boxed", id = "1", point = { x = 1 } }).message)
    -- an object variant with key: is nested, not flattened
    assert.same({ "point: required property is missing (expected object types.Point)",
      'x: unknown property (not in union types.Tagged (kind "boxed"))',
      'y: unknown property (not in union types.Tagged (kind "boxed"))' },
      sorted_messages({ kind = "boxed", id = "1", x = 1, y = 2 }))
  end)

  it("require base-properties beside every variant, the empty one too", function()
    for _, kind in ipairs({ "count", "empty", "dog" }) do
      local v = { kind = kind, value = kind == "count" and 1 or nil, likesToWoof = kind == "dog" or nil }
      local errs = u.check_errors(api, "types.Tagged", v)
      assert.equal("id: required property is missing (expected string)", errs[#errs].message)
    end
    assert.matches("id: required property is missing", (u.decode_error(api, "types.Tagged", '{"kind":"empty"}')), 1, true)
    local e = u.check_error(api, "types.Tagged", { kind = "empty", id = "1", extra = 1 })
    assert.same({ path = "extra", expected = 'union types.Tagged (kind "empty")', got = "integer",
      message = 'extra: unknown property (not in union types.Tagged (kind "empty"))' }, e)
  end)

  it("use the discriminant's wire name", function()
    assert.equal('{"_t":"cat"}', api:encode("types.Wire", { _t = "cat" }))
    assert.equal("cat", select(2, api:decode("types.Wire", '{"_t":"cat","lives":9}')).variant)
    assert.equal("_t: the discriminant is missing (one of 'cat')", u.check_error(api, "types.Wire", { t = "cat" }).message)
  end)

  it("say what is wrong with the discriminant, on check and on decode", function()
    assert.same({ path = "type", expected = "union types.Animal", got = "nil",
      message = "type: the discriminant is missing (one of 'dog', 'cat')" }, u.check_error(api, "types.Animal", {}))
    assert.same({ path = "type", expected = "union types.Animal", got = "string",
      message = "type: 'bird' is not a variant of union types.Animal (one of 'dog', 'cat')" },
      u.check_error(api, "types.Animal", { type = "bird" }))
    assert.same({ path = "type", expected = "union types.Animal", got = "integer",
      message = "type: the discriminant must be a string (one of 'dog', 'cat')" }, u.check_error(api, "types.Animal", { type = 1 }))
    local err, e = u.decode_error(api, "types.Animal", '{"type":"bird"}')
    assert.equal("cannot decode the value: type: 'bird' is not a variant of union types.Animal (one of 'dog', 'cat')", err)
    assert.equal("string", e.got)
    _, e = u.decode_error(api, "types.Animal", '{"likesToWoof":true}')
    assert.same({ path = "type", expected = "union types.Animal", got = "nothing",
      message = "type: the discriminant is missing or not a string (one of 'dog', 'cat')" }, e)
    assert.equal("nothing", select(2, u.decode_error(api, "types.Animal", '{"type":null}')).got)
    assert.equal("array", select(2, u.decode_error(api, "types.Animal", "[]")).got)
    -- the discriminant may come anywhere, and be written with escapes
    assert.equal("dog", select(2, api:decode("types.Animal", '{"likesToWoof":true,"type":"d\\u006fg"}')).variant)
  end)

  it("check the variant's properties like an object's", function()
    assert.equal('lives: unknown property (not in union types.Animal (type "dog"))',
      u.check_error(api, "types.Animal", { type = "dog", likesToWoof = true, lives = 1 }).message)
    assert.is_table((api:decode("types.Animal", '{"type":"dog","likesToWoof":true,"lives":1}')))
    assert.matches("lives: unknown property",
      (u.decode_error(api, "types.Animal", '{"type":"dog","likesToWoof":true,"lives":1}', { strict = true })), 1, true)
  end)
end)

describe("codec: undiscriminated unions", function()
  local api = u.api()

  it("take the first member that matches, and say which (info.variant)", function()
    assert.equal("string", select(2, api:decode("types.StrOrInt", '"7"')).variant)
    assert.equal("integer", select(2, api:decode("types.StrOrInt", "7")).variant)
    local v, info = api:decode("types.IntOrDouble", "7")
    assert.equal("integer", info.variant)
    assert.equal("integer", math.type(v))
    v, info = api:decode("types.IntOrDouble", "7.5")
    assert.equal("double", info.variant)
    assert.equal(7.5, v)
    assert.equal("integer", select(2, api:decode("types.IntOrDouble", "7.0")).variant)
    assert.equal('"7"', api:encode("types.StrOrInt", "7"))
    assert.equal("7", api:encode("types.StrOrInt", 7))
  end)

  it("list the members tried when none matches", function()
    assert.same({ path = "", expected = "types.StrOrInt", got = "boolean",
      message = "matches none of types.StrOrInt (tried string, integer)" }, u.check_error(api, "types.StrOrInt", true))
    local err, e = u.decode_error(api, "types.StrOrInt", "7.5")
    assert.equal("cannot decode the value: matches none of types.StrOrInt (tried string, integer)", err)
    assert.equal("number", e.got)
  end)

  it("dispatch on a literal property, writing it when left out", function()
    assert.equal("MsgA", select(2, api:decode("types.Msg", '{"type":"a","x":1}')).variant)
    assert.equal("MsgB", select(2, api:decode("types.Msg", '{"y":"s","type":"b"}')).variant)
    assert.same({ type = "a", x = 1 }, cjson.decode(api:encode("types.Msg", { x = 1 })))
    assert.same({ type = "b", y = "s" }, cjson.decode(api:encode("types.Msg", { y = "s" })))
    -- absent: every member, in order (MsgA takes {x}); MsgC, with no literal, takes what MsgA refuses
    assert.equal("MsgA", select(2, api:decode("types.Msg", '{"x":1}')).variant)
    assert.equal("MsgC", select(2, api:decode("types.Msg", '{"x":1,"z":true}')).variant)
    assert.same({ x = 1, z = true }, cjson.decode(api:encode("types.Msg", { x = 1, z = true })))
  end)

  it("report the errors of the member that owns the literal", function()
    local errs = u.check_errors(api, "types.Msg", { type = "b", x = 1 })
    local msgs = {}
    for _, e in ipairs(errs) do msgs[#msgs + 1] = e.message end
    table.sort(msgs)
    assert.same({ "x: unknown property (not in object types.MsgB)", "y: required property is missing (expected string)" }, msgs)
    assert.matches("invalid types.Msg: ", u.encode_error(api, "types.Msg", { type = "b", x = 1 }), 1, true)
    local err = u.decode_error(api, "types.Msg", '{"type":"b","x":1}', { strict = true })
    assert.matches("types.MsgB", err, 1, true)
  end)

  it("an unknown literal value leaves the members without it", function()
    assert.equal("type: unknown property (not in object types.MsgC)", u.check_error(api, "types.Msg", { type = "zz", x = 1 }).message)
    local text, e = u.decode_error(api, "types.Msg", '{"type":"zz","x":1}', { strict = true })
    assert.matches("type: unknown property (not in object types.MsgC)", text, 1, true)
    assert.equal("type", e.path)
    -- lenient decode keeps unknown properties, so MsgC takes it, `type` and all (see the report)
    local v, info = api:decode("types.Msg", '{"type":"zz","x":1}')
    assert.same({ type = "zz", x = 1 }, v)
    assert.equal("MsgC", info.variant)
  end)

  it("try members strictly first, then leniently (decode), so an extra property picks the member", function()
    local v, info = api:decode("types.LooseStrict", '{"a":"x","b":1}')
    assert.equal("Strict", info.variant)
    assert.same({ a = "x", b = 1 }, v)
    v, info = api:decode("types.LooseStrict", '{"a":"x","c":1}')
    assert.equal("Loose", info.variant)
    assert.same({ a = "x", c = 1 }, v)
    assert.equal("matches none of types.LooseStrict (tried Loose, Strict)",
      select(2, u.decode_error(api, "types.LooseStrict", '{"a":"x","c":1}', { strict = true })).message)
    -- check has no lenient pass: the first member that takes the table as it is
    assert.is_true(api:check("types.LooseStrict", { a = "x", b = 1 }))
    assert.equal("matches none of types.LooseStrict (tried Loose, Strict)", u.check_error(api, "types.LooseStrict", { c = 1 }).message)
  end)

  it("of unions: info.variant names the inner choice", function()
    local v, info = api:decode("types.Nest", '{"type":"cat","lives":1}')
    assert.equal("cat", info.variant)
    assert.equal(1, v.lives)
    assert.equal("integer", select(2, api:decode("types.Nest", "5")).variant)
    assert.equal("string", select(2, api:decode("types.Nest", '"s"')).variant)
    assert.equal("matches none of types.Nest (tried Animal, StrOrInt)", u.check_error(api, "types.Nest", 5.5).message)
  end)

  it("for a type that is not a union, info.variant is its name", function()
    assert.equal("Point", select(2, api:decode("types.Point", '{"x":1,"y":2}')).variant)
  end)

  it("nested, cost time linear in the depth, not exponential", function()
    -- Deep = DeepA{next} | DeepB{next, b}: a failure at the bottom used to be retried once per
    -- member at every level above it (2^depth)
    for _, depth in ipairs({ 25, 180 }) do
      local bad = string.rep('{"next":', depth) .. '{"next":5}' .. string.rep("}", depth)
      local t = os.clock()
      local v, err = api:decode("types.Deep", bad)
      assert.is_nil(v)
      assert.equal("cannot decode the value: matches none of types.Deep (tried DeepA, DeepB)", err)
      local lenient = string.rep('{"next":', depth) .. '{"zzz":1}' .. string.rep("}", depth)
      assert.is_table((api:decode("types.Deep", lenient)))
      local value = { next = 5 }
      for _ = 1, depth do value = { next = value } end
      assert.is_false((api:check("types.Deep", value)))
      assert.is_true(os.clock() - t < 1, "took " .. (os.clock() - t) .. " s at depth " .. depth)
    end
  end)
end)
