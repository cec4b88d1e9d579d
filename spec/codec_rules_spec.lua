-- Validation rules: string lengths (code points), pattern (PCRE2, unanchored search), format, number
-- bounds, multipleOf, list/map sizes; on check, encode and decode alike.
local u = require "codec_util"

describe("codec: validation rules", function()
  local api = u.api()

  local function fails(ty, value, message)
    local e = u.check_error(api, ty, value)
    assert.equal(message, e.message)
    return e
  end

  it("minLength and maxLength count code points, not bytes", function()
    assert.is_true(api:check("types.Name", "éé"))       -- 4 bytes, 2 characters
    assert.is_true(api:check("types.Name", "日本語😀"))  -- 13 bytes, 4 characters
    local e = fails("types.Name", "a", "is 1 characters long, shorter than minLength 2")
    assert.same({ "string", "string" }, { e.expected, e.got })
    fails("types.Name", "ééééé", "is 5 characters long, longer than maxLength 4")
    assert.equal("cannot decode the value: is 5 characters long, longer than maxLength 4",
      (u.decode_error(api, "types.Name", '"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"')))
    assert.matches("shorter than minLength 2", u.encode_error(api, "types.Name", "a"), 1, true)
  end)

  it("pattern is a PCRE2 search (unanchored unless the pattern anchors it), Unicode-aware", function()
    assert.is_true(api:check("types.HasDigit", "ab1c"))
    fails("types.HasDigit", "abc", "does not match the pattern [0-9]")
    assert.is_true(api:check("types.Slug", "a-1"))
    fails("types.Slug", "A-1", "does not match the pattern ^[a-z][a-z0-9-]*$")
    fails("types.Slug", "a\nb", "does not match the pattern ^[a-z][a-z0-9-]*$")
    assert.is_true(api:check("types.Greek", "αβγ"))
    fails("types.Greek", "abc", "does not match the pattern ^\\p{Greek}+$")
    assert.equal("αβγ", (api:decode("types.Greek", '"αβγ"')))
    assert.matches("does not match the pattern", (u.decode_error(api, "types.Slug", '"Nope"')), 1, true)
  end)

  it("a pattern that does not compile is a load error at its place", function()
    local a, msg, errs = require("helper").load_text("types:\n  P:\n    type: string\n    validation:\n      pattern: \"([a-z\"\n")
    assert.is_nil(a)
    assert.matches("defn%.yml:5:7: validation pattern does not compile: missing terminating %] for character class", msg)
    assert.equal(5, errs[1].line)
  end)

  it("a pattern that backtracks without end fails the value, saying why, in bounded time", function()
    local a = u.load("types:\n  P:\n    type: string\n    validation:\n      pattern: \"^(a+)+$\"\n")
    local t = os.clock()
    local e = u.check_error(a, "P", string.rep("a", 40) .. "b")
    assert.equal("could not be matched against the pattern ^(a+)+$ (match limit exceeded)", e.message)
    assert.is_true(os.clock() - t < 2)
    assert.is_true(a:check("P", string.rep("a", 40)))
  end)

  it("format checks date-time, date, uuid, email, uri/url, hostname, ipv4, ipv6, byte", function()
    local good = {
      ["types.DateTimeFmt"] = "2024-01-15T10:30:00+01:00", ["types.DateFmt"] = "2024-02-29",
      ["types.UuidFmt"] = "123e4567-e89b-12d3-a456-426614174000", ["types.Email"] = "a.b+c@example.co",
      ["types.Uri"] = "https://example.com/a?b#c", ["types.Url"] = "mailto:x@y", ["types.Host"] = "a-b.example.com",
      ["types.Ip4"] = "192.168.0.1", ["types.Ip6"] = "2001:db8::1", ["types.ByteFmt"] = "YWJj",
    }
    local bad = {
      ["types.DateTimeFmt"] = { "2024-01-15", "date-time" }, ["types.DateFmt"] = { "2024-02-30", "date" },
      ["types.UuidFmt"] = { "123e4567", "uuid" }, ["types.Email"] = { "a@b", "email" },
      ["types.Uri"] = { "/relative/path", "uri" }, ["types.Url"] = { "no scheme", "url" },
      ["types.Host"] = { "-a.example.com", "hostname" }, ["types.Ip4"] = { "1.2.3.256", "ipv4" },
      ["types.Ip6"] = { "1.2.3.4", "ipv6" }, ["types.ByteFmt"] = { "YQ", "byte" },
    }
    for ty, s in pairs(good) do
      assert.is_true(api:check(ty, s), ty .. " " .. s)
      assert.equal(s, (api:decode(ty, '"' .. s .. '"')))
    end
    for ty, b in pairs(bad) do
      fails(ty, b[1], "is not a valid " .. b[2])
      assert.equal("cannot decode the value: is not a valid " .. b[2], (u.decode_error(api, ty, '"' .. b[1] .. '"')))
    end
  end)

  it("format ignores names it does not know (binary, password, ...)", function()
    assert.is_true(api:check("types.Binary", "\1\2 anything"))
    local a = u.load("types:\n  P:\n    type: string\n    validation:\n      format: password\n")
    assert.is_true(a:check("P", "hunter2"))
  end)

  it("min, max and their exclusive forms, compared exactly for integers", function()
    assert.is_true(api:check("types.Percent", 0))
    assert.is_true(api:check("types.Percent", 100.0))
    local e = fails("types.Percent", 101, "101 is above the maximum 100")
    assert.same({ "number", "integer" }, { e.expected, e.got })
    fails("types.Percent", -1, "-1 is below the minimum 0")
    assert.equal("cannot decode the value: 101 is above the maximum 100", (u.decode_error(api, "types.Percent", "101")))
    assert.equal("cannot decode the value: 101 is above the maximum 100", (u.decode_error(api, "types.Percent", "1.01e2")))
    assert.is_true(api:check("types.Exclusive", 0.5))
    fails("types.Exclusive", 0, "0 is below the exclusive minimum 0")
    fails("types.Exclusive", 1, "1 is above the exclusive maximum 1")
    fails("types.Exclusive", 1.5, "1.5 is above the exclusive maximum 1")
    assert.is_truthy((api:decode("types.Exclusive", "1e-300")))
  end)

  it("multipleOf: exact for integers (int64 too), with a tolerance for decimals", function()
    assert.is_true(api:check("types.Fives", 9223372036854775805))
    fails("types.Fives", math.maxinteger, "9223372036854775807 is not a multiple of 5")
    fails("types.Fives", 12, "12 is not a multiple of 5")
    assert.is_true(api:check("types.Fives", math.mininteger + 3)) -- -9223372036854775805
    assert.equal("cannot decode the value: 9223372036854775807 is not a multiple of 5",
      (u.decode_error(api, "types.Fives", "9223372036854775807")))
    for _, d in ipairs({ 0.3, 0.7, 1.1, 3, 123.4, -0.2 }) do assert.is_true(api:check("types.Tenths", d), tostring(d)) end
    fails("types.Tenths", 0.35, "0.35 is not a multiple of 0.1")
    assert.equal(0.7, (api:decode("types.Tenths", "0.7")))
  end)

  it("rules on a property typed optional<T> apply to the value inside", function()
    assert.is_true(api:check("types.Person", { name = "a" }))
    local errs = u.check_errors(api, "types.Person", { name = "", age = 151 })
    local msgs = {}
    for _, e in ipairs(errs) do msgs[#msgs + 1] = e.message end
    table.sort(msgs)
    assert.same({ "age: 151 is above the maximum 150", "name: is 0 characters long, shorter than minLength 1" }, msgs)
    assert.same({ name = "a" }, (api:decode("types.Person", '{"name":"a","age":null}')))
    assert.equal("cannot decode the value: age: -1 is below the minimum 0", (u.decode_error(api, "types.Person", '{"name":"a","age":-1}')))
  end)

  it("every level of an alias chain keeps its rules", function()
    local a = u.load([[
types:
  Short:
    type: string
    validation:
      maxLength: 5
  Lower:
    type: Short
  Both:
    properties:
      s:
        type: string
        validation:
          minLength: 2
          pattern: "^[a-z]+$"
]])
    assert.equal("is 6 characters long, longer than maxLength 5", u.check_error(a, "Lower", "abcdef").message)
    local errs = u.check_errors(a, "Both", { s = "A" })
    assert.equal(2, #errs)
  end)

  it("minItems and maxItems bound lists and maps (newer Fern)", function()
    local a = u.load([[
types:
  L:
    type: list<string>
    validation:
      minItems: 1
      maxItems: 2
  M:
    type: map<string, string>
    validation:
      maxItems: 1
]])
    assert.equal("has 0 items, fewer than minItems 1", u.check_error(a, "L", {}).message)
    assert.equal("has 3 items, more than maxItems 2", u.check_error(a, "L", { "a", "b", "c" }).message)
    assert.equal("cannot decode the value: has 0 items, fewer than minItems 1", (u.decode_error(a, "L", "[]")))
    assert.equal("has 2 items, more than maxItems 1", u.check_error(a, "M", { a = "1", b = "2" }).message)
    assert.is_true(a:check("M", { a = "1" }))
  end)

  it("multipleOf 0 or below is refused by the loader (a warning in a type no channel uses), never divided by", function()
    for _, m in ipairs({ "0", "-1" }) do
      local a = u.load("types:\n  Z:\n    type: long\n    validation:\n      multipleOf: " .. m .. "\n")
      assert.equal("validation 'multipleOf' must be above 0 (in type 'defn.Z', which no channel uses)", a.warnings[1].message)
      assert.is_true(a:check("Z", math.mininteger))
      assert.equal(math.mininteger, (a:decode("Z", "-9223372036854775808")))
    end
  end)
end)
