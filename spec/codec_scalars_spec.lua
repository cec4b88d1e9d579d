-- The codec on primitive types, both directions: string (UTF-8), the integer widths, float/double,
-- boolean, the string formats (datetime, date, uuid, base64, bigint) and unknown.
local u = require "codec_util"
local fernws = u.fernws

describe("codec: string", function()
  local api = u.api()

  it("checks, encodes and decodes plain and non-ASCII text", function()
    assert.is_true(api:check("types.Str", "héllo wörld ✓ 日本語 😀"))
    assert.equal('"héllo ✓ 😀"', api:encode("types.Str", "héllo ✓ 😀"))
    assert.equal("héllo ✓ 😀", (api:decode("types.Str", '"héllo ✓ 😀"')))
    assert.equal("", (api:decode("types.Str", '""')))
  end)

  it("escapes quotes, backslashes and control characters, and reads them back", function()
    local s = "q\"b\\n\nr\rt\tb\bf\fz\0d\127u\31"
    local text = api:encode("types.Str", s)
    assert.equal([["q\"b\\n\nr\rt\tb\bf\fz\u0000d\u007fu\u001f"]], text)
    assert.equal(s, (api:decode("types.Str", text)))
  end)

  it("decodes every JSON escape, \\/ and \\u escapes with surrogate pairs", function()
    assert.equal("/\"\\\b\f\n\r\t", (api:decode("types.Str", [["\/\"\\\b\f\n\r\t"]])))
    assert.equal("é中😀A", (api:decode("types.Str", [["\u00e9\u4E2D\ud83d\uDE00\u0041"]])))
    assert.equal("a\0b", (api:decode("types.Str", [["a\u0000b"]])))
  end)

  it("rejects bytes that are not UTF-8, on check, encode and decode", function()
    local bad = {
      "\xff", "\xc0\x80" --[[overlong NUL]], "\xe0\x80\xaf" --[[overlong /]], "\xed\xa0\x80" --[[surrogate]],
      "\xf4\x90\x80\x80" --[[above U+10FFFF]], "\x80" --[[lone continuation]], "abc\xe2\x82" --[[truncated]],
      "\xf8\x88\x80\x80\x80" --[[5-byte form]],
    }
    for _, s in ipairs(bad) do
      local e = u.check_error(api, "types.Str", s)
      assert.same({ path = "", expected = "string", got = "string", message = "is not valid UTF-8" }, e)
      assert.matches("invalid types.Str: is not valid UTF-8", u.encode_error(api, "types.Str", s), 1, true)
      local err = u.decode_error(api, "types.Str", '"' .. s .. '"')
      assert.matches("a string is not valid UTF-8", err, 1, true)
    end
  end)

  it("rejects lone and mismatched surrogates in \\u escapes", function()
    for _, text in ipairs({ [["\ud800"]], [["\udc00"]], [["\ud800\u0041"]], [["\ud800x"]], [["a\udbff"]],
      [["\ude00\ud83d"]] }) do
      local err = u.decode_error(api, "types.Str", text)
      assert.matches("a lone UTF-16 surrogate is not text", err, 1, true)
    end
  end)

  it("rejects raw control characters and bad escapes in the text", function()
    assert.matches("a control character inside a string must be escaped", u.decode_error(api, "types.Str", '"a\tb"'), 1, true)
    assert.matches("a control character inside a string must be escaped", u.decode_error(api, "types.Str", '"a\nb"'), 1, true)
    assert.matches("unknown escape in a string", u.decode_error(api, "types.Str", [["\x41"]]), 1, true)
    assert.matches("\\u needs four hex digits", u.decode_error(api, "types.Str", [["\u12g4"]]), 1, true)
    assert.matches("\\u needs four hex digits", u.decode_error(api, "types.Str", [["\u12"]]), 1, true)
    assert.matches("a string is not closed", u.decode_error(api, "types.Str", [["abc]]), 1, true)
    assert.matches("a string is not closed", u.decode_error(api, "types.Str", [["abc\"]]), 1, true)
  end)

  it("says what it got instead of a string", function()
    assert.same({ path = "", expected = "string", got = "integer", message = "expected string, got integer" },
      u.check_error(api, "types.Str", 42))
    assert.equal("float", u.check_error(api, "types.Str", 1.5).got)
    assert.equal("boolean", u.check_error(api, "types.Str", true).got)
    assert.equal("table", u.check_error(api, "types.Str", {}).got)
    assert.equal("null", u.check_error(api, "types.Str", fernws.null).got)
    assert.equal("nil", u.check_error(api, "types.Str", nil).got)
    assert.equal("function", u.check_error(api, "types.Str", print).got)
    local _, e = u.decode_error(api, "types.Str", "42")
    assert.same({ path = "", expected = "string", got = "number", message = "expected string, got number" }, e)
    for text, got in pairs({ ["true"] = "boolean", ["null"] = "null", ["[]"] = "array", ["{}"] = "object" }) do
      local _, e2 = u.decode_error(api, "types.Str", text)
      assert.equal(got, e2.got)
    end
  end)

  it("carries huge strings both ways", function()
    local big = string.rep("abcdé\"\n", 300000) -- 2.4 MB, with escapes
    local text = api:encode("types.Str", big)
    assert.equal(#big + 2 + 300000 * 2, #text)
    assert.equal(big, (api:decode("types.Str", text)))
  end)
end)

describe("codec: integer types", function()
  local api = u.api()

  it("integer is int32: bounds inclusive, one past them out of range", function()
    assert.equal("2147483647", api:encode("types.Int", 2147483647))
    assert.equal("-2147483648", api:encode("types.Int", -2147483648))
    assert.same({ path = "", expected = "integer", got = "integer", message = "2147483648 is out of range for integer" },
      u.check_error(api, "types.Int", 2147483648))
    assert.equal("-2147483649 is out of range for integer", u.check_error(api, "types.Int", -2147483649).message)
    local v = api:decode("types.Int", "-2147483648")
    assert.equal(-2147483648, v)
    assert.equal("integer", math.type(v))
    local err, e = u.decode_error(api, "types.Int", "2147483648")
    assert.equal("cannot decode the value: 2147483648 is out of range for integer", err)
    assert.same({ path = "", expected = "integer", got = "number", message = "2147483648 is out of range for integer" }, e)
  end)

  it("a float with no fraction is an integer; one with a fraction is not", function()
    assert.equal("3", api:encode("types.Int", 3.0))
    assert.equal("-0", api:encode("types.Double", -0.0))
    assert.equal("0", api:encode("types.Int", -0.0))
    assert.same({ path = "", expected = "integer", got = "float", message = "expected an integer, got the float 2.5" },
      u.check_error(api, "types.Int", 2.5))
    assert.equal("expected an integer, got the float NaN", u.check_error(api, "types.Int", 0 / 0).message)
    assert.equal("expected an integer, got the float inf", u.check_error(api, "types.Int", math.huge).message)
    assert.equal("expected an integer, got the float -inf", u.check_error(api, "types.Long", -math.huge).message)
  end)

  it("decodes 1.0, 1e2, -0 and 2.50e1 as Lua integers, and 7.5 or 1.5e0 not at all", function()
    for text, want in pairs({ ["1.0"] = 1, ["1e2"] = 100, ["1E+2"] = 100, ["-0"] = 0, ["-0.0"] = 0, ["2.50e1"] = 25,
      ["0e999999"] = 0, ["12000e-3"] = 12 }) do
      local v = api:decode("types.Int", text)
      assert.equal(want, v, text)
      assert.equal("integer", math.type(v), text)
    end
    for _, text in ipairs({ "7.5", "1.5e0", "25e-1", "1e-999999", "1.0000000000000000001" }) do
      local err, e = u.decode_error(api, "types.Int", text)
      assert.equal("cannot decode the value: expected an integer, got " .. text, err)
      assert.equal("number", e.got)
    end
    assert.matches("out of range for integer", (u.decode_error(api, "types.Int", "1e10")), 1, true)
    assert.matches("out of range for integer", (u.decode_error(api, "types.Int", "1e99999")), 1, true)
    -- the exponent is read in full: this is about 10^-899995, not 100000
    assert.matches("expected an integer", (u.decode_error(api, "types.Int", "1" .. string.rep("0", 100005) .. "e-1000000")), 1, true)
    assert.equal(100000, (api:decode("types.Int", "1" .. string.rep("0", 100005) .. "e-100000")))
  end)

  it("long is int64, exact to the last digit both ways (2^53 + 1, the bounds)", function()
    for _, v in ipairs({ 9007199254740993, math.maxinteger, math.mininteger, -9007199254740993 }) do
      local text = api:encode("types.Long", v)
      assert.equal(string.format("%d", v), text)
      local back = api:decode("types.Long", text)
      assert.equal(v, back)
      assert.equal("integer", math.type(back))
    end
    assert.equal(9007199254740993, api:decode("types.Long", "9007199254740993.0"))
    assert.equal(math.maxinteger, api:decode("types.Long", "9223372036854775807.0"))
    assert.equal(math.mininteger, api:decode("types.Long", "-9.223372036854775808e18"))
    for _, text in ipairs({ "9223372036854775808", "-9223372036854775809", "-9223372036854775809.0", "1e19",
      "18446744073709551616" }) do
      assert.equal("cannot decode the value: " .. text .. " is out of range for long",
        (u.decode_error(api, "types.Long", text)))
    end
    -- 2^63 as a Lua float is past the end; -2^63 is exactly the start
    assert.equal("is out of range for long", u.check_error(api, "types.Long", 2.0 ^ 63).message)
    assert.equal("-9223372036854775808", api:encode("types.Long", -2.0 ^ 63))
  end)

  it("uint is uint32 and uint64 is 64-bit unsigned; -1 is out of range for both", function()
    assert.equal("4294967295", api:encode("types.Uint", 4294967295))
    assert.equal("4294967296 is out of range for uint", u.check_error(api, "types.Uint", 4294967296).message)
    assert.equal("-1 is out of range for uint", u.check_error(api, "types.Uint", -1).message)
    assert.equal("-1 is out of range for uint64", u.check_error(api, "types.Uint64", -1).message)
    assert.equal("cannot decode the value: -1 is out of range for uint", (u.decode_error(api, "types.Uint", "-1")))
    assert.equal(0, api:decode("types.Uint", "-0"))
    assert.equal(math.maxinteger, api:decode("types.Uint64", "9223372036854775807"))
  end)

  it("uint64 above 2^63 - 1 decodes to a float, as Lua reads such a numeral; floats up there encode", function()
    local v = api:decode("types.Uint64", "18446744073709551615")
    assert.equal("float", math.type(v))
    assert.equal(18446744073709551615, v) -- Lua's own reading of the numeral
    assert.equal(2.0 ^ 63, api:decode("types.Uint64", "9223372036854775808"))
    assert.equal("9223372036854775808", api:encode("types.Uint64", 2.0 ^ 63))
    assert.equal("18446744073709549568", api:encode("types.Uint64", 2.0 ^ 64 - 2048))
    assert.equal("is out of range for uint64", u.check_error(api, "types.Uint64", 2.0 ^ 64).message)
    assert.matches("out of range for uint64", (u.decode_error(api, "types.Uint64", "18446744073709551616")), 1, true)
  end)

  it("numbers are not strings, booleans or null", function()
    for _, ty in ipairs({ "types.Int", "types.Long", "types.Uint", "types.Uint64" }) do
      local label = ty:match("%.(.*)"):lower():gsub("^int$", "integer")
      assert.same({ path = "", expected = label, got = "string", message = "expected " .. label .. ", got string" },
        u.check_error(api, ty, "7"))
      local _, e = u.decode_error(api, ty, '"7"')
      assert.equal("string", e.got)
      assert.equal("null", select(2, u.decode_error(api, ty, "null")).got)
      assert.equal("boolean", select(2, u.decode_error(api, ty, "true")).got)
    end
  end)

  it("rejects malformed numbers", function()
    for _, text in ipairs({ "01", "1.", ".5", "+1", "-", "1e", "1e+", "--1", "0x10", "1_000", "NaN", "Infinity", "-Infinity" }) do
      local v, err = api:decode("types.Long", text)
      assert.is_nil(v, text)
      assert.is_string(err)
    end
  end)
end)

describe("codec: float and double", function()
  local api = u.api()

  it("accept integers, write them without a fraction, and decode everything as floats", function()
    assert.equal("3", api:encode("types.Double", 3))
    assert.equal("3", api:encode("types.Float", 3.0))
    local v = api:decode("types.Double", "3")
    assert.equal(3, v)
    assert.equal("float", math.type(v))
    assert.equal("float", math.type((api:decode("types.Float", "1e2"))))
  end)

  it("write the shortest text that reads back exactly", function()
    for _, d in ipairs({ 0.1, 1 / 3, 1e308, 5e-324, -1.7976931348623157e308, 2 ^ 53, 2 ^ 60, 123456.789, 1e21, 1e-7 }) do
      local text = api:encode("types.Double", d)
      -- (+ 0.0: Lua reads "1152921504606847000", 2^60's shortest text, as an integer)
      assert.equal(d, tonumber(text) + 0.0, text)
      assert.equal(d, (api:decode("types.Double", text)), text)
    end
    assert.equal("0.1", api:encode("types.Double", 0.1))
    assert.equal("9007199254740992", api:encode("types.Double", 2.0 ^ 53))
  end)

  it("keep -0 negative", function()
    local text = api:encode("types.Double", -0.0)
    assert.equal("-0", text)
    local v = api:decode("types.Double", text)
    assert.equal(-math.huge, 1 / v)
  end)

  it("refuse NaN and infinities, which JSON cannot carry, and numbers too big for a double", function()
    assert.same({ path = "", expected = "double", got = "float", message = "is NaN, which JSON cannot carry" },
      u.check_error(api, "types.Double", 0 / 0))
    assert.equal("is infinite, which JSON cannot carry", u.check_error(api, "types.Float", math.huge).message)
    assert.equal("cannot decode the value: is too large for a double", (u.decode_error(api, "types.Double", "1e400")))
    assert.equal(0, (api:decode("types.Double", "1e-400")))
  end)

  it("are not strings", function()
    assert.equal("expected double, got string", u.check_error(api, "types.Double", "1.5").message)
    assert.equal("string", select(2, u.decode_error(api, "types.Double", '"1.5"')).got)
  end)
end)

describe("codec: boolean", function()
  local api = u.api()

  it("true and false, nothing else", function()
    assert.equal("true", api:encode("types.Bool", true))
    assert.equal("false", api:encode("types.Bool", false))
    assert.is_false((api:decode("types.Bool", " false ")))
    assert.equal("expected boolean, got integer", u.check_error(api, "types.Bool", 1).message)
    assert.equal("expected boolean, got string", u.check_error(api, "types.Bool", "true").message)
    assert.equal("expected boolean, got nil", u.check_error(api, "types.Bool", nil).message)
    assert.equal("string", select(2, u.decode_error(api, "types.Bool", '"true"')).got)
    assert.matches("unexpected text", (u.decode_error(api, "types.Bool", "tru")), 1, true)
    assert.matches("unexpected text", (u.decode_error(api, "types.Bool", "fals")), 1, true)
    assert.matches("text after the value", (u.decode_error(api, "types.Bool", "truex")), 1, true)
  end)
end)

describe("codec: string formats", function()
  local api = u.api()

  local function both(ty, value, ok)
    local text = '"' .. value .. '"'
    if ok then
      assert.is_true(api:check(ty, value), value)
      assert.equal(text, api:encode(ty, value))
      assert.equal(value, (api:decode(ty, text)), value)
    else
      local e = u.check_error(api, ty, value)
      assert.equal("string", e.got)
      local v, err = api:decode(ty, text)
      assert.is_nil(v, value)
      assert.equal("cannot decode the value: " .. e.message, err)
    end
  end

  it("datetime: RFC 3339 with T, t or a space, seconds 00-59, an offset", function()
    for _, s in ipairs({ "2024-01-15T10:30:00Z", "2024-01-15t10:30:00z", "2024-01-15 10:30:00Z",
      "2024-01-15T10:30:00.123456789+05:30", "2024-01-15T23:59:59-00:00", "2024-02-29T00:00:00Z" }) do
      both("types.Datetime", s, true)
    end
    for _, s in ipairs({ "2024-01-15T10:30:00", "2024-01-15T10:30Z", "2024-01-15", "2024-01-15T10:30:60Z",
      "2024-01-15T24:00:00Z", "2024-01-15T10:30:00+0530", "2024-01-15T10:30:00+24:00", "2023-02-29T00:00:00Z",
      "2024-01-15T10:30:00.Z", "2024-01-15T10:30:00,5Z", " 2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z ", "" }) do
      both("types.Datetime", s, false)
    end
    assert.equal("is not an RFC 3339 date-time (2024-01-31T12:00:00Z)",
      u.check_error(api, "types.Datetime", "2024-01-15").message)
    -- the same words on decode
    assert.equal("cannot decode the value: is not an RFC 3339 date-time (2024-01-31T12:00:00Z)",
      (u.decode_error(api, "types.Datetime", '"2024-01-15"')))
  end)

  it("date: YYYY-MM-DD of a day that exists", function()
    for _, s in ipairs({ "2024-01-15", "2024-02-29", "2000-02-29", "2024-12-31" }) do both("types.Date", s, true) end
    for _, s in ipairs({ "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-1-5",
      "20240115", "2024-01-15T00:00:00Z" }) do
      both("types.Date", s, false)
    end
    assert.equal("is not a date (YYYY-MM-DD)", u.check_error(api, "types.Date", "2024-1-5").message)
  end)

  it("uuid: 8-4-4-4-12 hex digits, any case, no version check", function()
    for _, s in ipairs({ "123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
      "00000000-0000-0000-0000-000000000000" }) do
      both("types.Uuid", s, true)
    end
    for _, s in ipairs({ "{123e4567-e89b-12d3-a456-426614174000}", "123e4567e89b12d3a456426614174000",
      "g23e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400" }) do
      both("types.Uuid", s, false)
    end
    assert.equal("is not a UUID (8-4-4-4-12 hex digits)", u.check_error(api, "types.Uuid", "x").message)
  end)

  it("base64: standard alphabet, padded to a multiple of 4", function()
    for _, s in ipairs({ "", "YQ==", "YWI=", "YWJj", "+/8=", "aGVsbG8h" }) do both("types.Base64", s, true) end
    for _, s in ipairs({ "YQ", "YQ=", "-_8=", "aGVs bG8=", "YQ==YQ==", "=YQ=", "Y===" }) do
      both("types.Base64", s, false)
    end
    assert.equal("is not base64 text", u.check_error(api, "types.Base64", "YQ").message)
  end)

  it("bigint: a decimal string; a Lua integer is fine on encode and travels as a string", function()
    for _, s in ipairs({ "0", "-98765432109876543210", "123456789012345678901234567890" }) do
      both("types.Bigint", s, true)
    end
    for _, s in ipairs({ "12.5", "abc", "", "1e5", " 1", "+1", "-" }) do both("types.Bigint", s, false) end
    assert.equal('"123"', api:encode("types.Bigint", 123))
    assert.equal('"-9223372036854775808"', api:encode("types.Bigint", math.mininteger))
    assert.equal("123", (api:decode("types.Bigint", '"123"')))
    assert.equal("number", select(2, u.decode_error(api, "types.Bigint", "123")).got)
    assert.equal("expected bigint, got float", u.check_error(api, "types.Bigint", 1.5).message)
    assert.equal("is not a decimal integer string", u.check_error(api, "types.Bigint", "1e5").message)
  end)
end)

describe("codec: unknown", function()
  local api = u.api()

  it("takes any JSON value and keeps integers as integers, floats as floats", function()
    local v = api:decode("types.Any", '{"i":1,"f":1.0,"e":1e2,"s":"x","b":false,"n":null,"a":[1,[2,{}]],"o":{"k":[]}}')
    assert.equal("integer", math.type(v.i))
    assert.equal("float", math.type(v.f))
    assert.equal("float", math.type(v.e))
    assert.equal(fernws.null, v.n)
    assert.same({ 1, { 2, {} } }, v.a)
    assert.equal(9007199254740993, (api:decode("types.Any", "9007199254740993")))
    assert.equal("float", math.type((api:decode("types.Any", "9223372036854775808"))))
  end)

  it("marks decoded empty arrays with fernws.array_mt so they write back as []", function()
    local v = api:decode("types.Any", '{"a":[],"o":{}}')
    assert.equal(fernws.array_mt, getmetatable(v.a))
    assert.is_nil(getmetatable(v.o))
    local text = api:encode("types.Any", v)
    assert.is_true(text == '{"a":[],"o":{}}' or text == '{"o":{},"a":[]}', text)
    assert.equal(fernws.array_mt, getmetatable((api:decode("types.Any", "[]"))))
    assert.is_nil(getmetatable((api:decode("types.Any", "[1]"))))
  end)

  it("writes sequences as arrays, other tables as objects, an empty table as {}", function()
    assert.equal("[1,2,3]", api:encode("types.Any", { 1, 2, 3 }))
    assert.equal("{}", api:encode("types.Any", {}))
    assert.equal("[]", api:encode("types.Any", setmetatable({}, fernws.array_mt)))
    assert.equal('{"2":"b"}', api:encode("types.Any", { [2] = "b" }))
    local sparse = api:encode("types.Any", { [1] = 1, [3] = 3 })
    assert.is_true(sparse == '{"1":1,"3":3}' or sparse == '{"3":3,"1":1}', sparse)
    assert.equal("1.0", api:encode("types.Any", 1.0))
    assert.equal("-0.0", api:encode("types.Any", -0.0))
    assert.equal("null", api:encode("types.Any", nil))
    assert.equal("null", api:encode("types.Any", fernws.null))
    assert.equal('"x"', api:encode("types.Any", "x"))
  end)

  it("round-trips nested values exactly (integers stay integers)", function()
    local v = { a = { 1, 2.5, "s", true, fernws.null, { k = math.maxinteger } }, b = setmetatable({}, fernws.array_mt) }
    local _, back = u.round_trip(api, "types.Any", v)
    assert.is_true(u.same(v, back))
    assert.equal("integer", math.type(back.a[6].k))
    assert.equal(math.maxinteger, back.a[6].k)
    assert.equal("float", math.type(back.a[2]))
  end)

  it("refuses what JSON cannot carry: functions, userdata, float or boolean keys, NaN, bad UTF-8", function()
    assert.same({ path = "", expected = "JSON value", got = "function", message = "expected JSON value, got function" },
      u.check_error(api, "types.Any", print))
    assert.equal("userdata", u.check_error(api, "types.Any", io.stdout).got)
    assert.equal("thread", u.check_error(api, "types.Any", coroutine.create(print)).got)
    -- a key with no path form is told at the table's path
    assert.same({ path = "", expected = "JSON value", got = "float", message = "a key must be a string or an integer, got float" },
      u.check_error(api, "types.Any", { [1.5] = 1 }))
    assert.equal("k: a key must be a string or an integer, got boolean",
      u.check_error(api, "types.Any", { k = { [false] = 1 } }).message)
    assert.equal("a key must be a string or an integer, got boolean", u.check_error(api, "types.Any", { [true] = 1 }).message)
    assert.equal("x: is NaN, which JSON cannot carry", u.check_error(api, "types.Any", { x = 0 / 0 }).message)
    assert.equal("[2]: is not valid UTF-8", u.check_error(api, "types.Any", { "ok", "\xff" }).message)
    -- the path writes the bad byte as \xff: error text stays valid UTF-8
    assert.equal('["\\xff"]: a key is not valid UTF-8', u.check_error(api, "types.Any", { ["\xff"] = 1 }).message)
  end)

  it("refuses a table whose key 1 is there as an integer and as a string (JSON would hold \"1\" twice)", function()
    assert.same({ path = "x[1]", expected = "JSON value", got = "integer",
      message = "x[1]: the key 1 is there both as an integer and as a string" },
      u.check_error(api, "types.Any", { x = { [1] = "a", ["1"] = "b" } }))
    local text = api:encode("types.Any", { [2] = "a", ["1"] = "b" })
    assert.same({ ["2"] = "a", ["1"] = "b" }, require("cjson").decode(text))
  end)

  it("refuses a table that contains itself, but not one that appears twice", function()
    local t = { name = "loop" }
    t.self = t
    local e = u.check_error(api, "types.Any", t)
    assert.same({ path = "self", expected = "value", got = "table", message = "self: contains itself (a cycle)" }, e)
    local a = { 1 }
    a[2] = a
    assert.equal("[2]: contains itself (a cycle)", u.check_error(api, "types.Any", a).message)
    local shared = { 1, 2 }
    assert.equal("[[1,2],[1,2]]", api:encode("types.Any", { shared, shared }))
  end)
end)
