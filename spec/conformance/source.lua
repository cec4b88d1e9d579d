--[==[
Conformance table source (human-edited). scripts/gen-conformance reads this file and writes
definition/api.yml, definition/types.yml and cases.lua next to it.

Format: return { types = { T, ... } } where each T is
  { name = "Foo",           -- declared in types.yml, so fernws names it "types.Foo"
    decl = [[...]],         -- the YAML body of the declaration (column 0 = the type's own level);
                            -- a type with cases needs the mapping form ("type: string", not "string")
    cases = { C, ... } }    -- optional; types without cases are helpers used by other types
and each case C is
  { [[JSON text]],          -- the value to try (JSON, exactly as fernws will see it); write
                            -- [=[...]=] when the text ends in "]" or holds "]]"
    note = "...",           -- optional: what the case settles
    valid = true|false,     -- optional OVERRIDE: fernws's verdict when it deliberately differs
    reason = "..." }        --   from the Fern CLI; both or neither. The generator fails when an
                            --   override agrees with Fern (so a fixed Fern bug is noticed).
Case ids are "Foo.<n>" with n the case's position in its list (or "Foo.<id>" if id= is given).
Values may not contain strings starting with "$" (Fern reads those as example references).
]==]

-- Reasons for the deliberate differences (valid ~= fern), shared by several cases.
local R = {
  int32 = "integer is 32-bit signed (Fern's OpenAPI importer maps format int32 to integer, int64 to long); "
    .. "the CLI's example check is only Number.isInteger, with no range",
  int64 = "long is 64-bit signed (format int64); the CLI checks only Number.isInteger on a JS double, with no range",
  uint32 = "uint is 32-bit unsigned (Fern's OpenAPI importer maps format uint32 to uint); the CLI checks only integer >= 0",
  uint64 = "uint64 is 64-bit unsigned; the CLI checks only integer >= 0 on a JS double, with no range",
  dt_zone = "datetime is RFC 3339 section 5.6 date-time (Fern docs), whose time-offset is mandatory; "
    .. "the CLI uses a loose ISO 8601 regex",
  dt_iso = "datetime is RFC 3339 section 5.6 date-time (Fern docs): full-date, 'T', hh:mm:ss, offset; "
    .. "the CLI uses a loose ISO 8601 regex that accepts this ISO-only form",
  dt_lower = "RFC 3339 section 5.6 NOTE allows lowercase 't' and 'z'; the CLI's regex accepts 'z' but not 't'",
  calendar = "not a calendar date (RFC 3339 section 5.7: the day must exist in that month and year); "
    .. "the CLI's regex only bounds the day to 01-31",
  base64 = "base64 is RFC 4648 section 4 base64 (standard alphabet, '=' padding to a multiple of 4); "
    .. "the CLI checks only that the value is a string",
  bigint = "bigint is an integer written as a decimal string (optional '-'); the CLI checks only that the value is a string",
  rule = "validation rules define the valid values (Fern docs, 'Validating types'); the CLI drops the rules "
    .. "before checking examples, so it never applies them",
  mime = "a literal matches only itself; the CLI treats any two JSON media types as equal literals "
    .. "(a content-type convenience)",
  mapkey = "JSON object keys are always strings, so a map<integer, V> key is an integer written as a string; "
    .. "the CLI applies Number.isInteger to the key string and so rejects every non-empty such map",
  setdup = "a set holds unique elements (Fern docs); the CLI's duplicate check compares by JS identity, "
    .. "so equal objects or lists are never caught",
  nullable = "nullable<T> is present-but-maybe-null: Fern's own OpenAPI export lists nullable<T> properties "
    .. "as required (optional<T> ones are not); the CLI's example check lets them be absent",
  extra = "extra-properties: true allows unknown properties; it does not switch off checking the declared "
    .. "ones, which the CLI skips entirely when extra-properties is true",
  single = "a non-object variant carries its value under 'value' (IR shape singleProperty), which must be "
    .. "present, of the variant's type, with nothing else beside it; the CLI checks nothing for such a variant",
  keyobj = "an object variant with key: is nested under that key (IR shape singleProperty), not flattened; "
    .. "the CLI checks it as if flattened",
  base_key = "base-properties sit beside every variant (IR baseProperties); the CLI reports them as "
    .. "unexpected beside a variant with key:",
  base_empty = "base-properties sit beside every variant, the empty {} one too; the CLI reports them as "
    .. "unexpected there",
  base_empty_missing = "base-properties are required beside every variant, the empty {} one too; "
    .. "the CLI checks nothing beside an empty variant",
}

return { types = {

  ------------------------------------------------------------------ primitives
  { name = "String", decl = [[type: string]], cases = {
    { [["hello"]] },
    { [[""]] },
    { [["héllo wörld ✓ 日本語"]], note = "raw UTF-8" },
    { [["\u00e9\u4e2d\ud83d\ude00"]], note = "\\u escapes incl. a surrogate pair" },
    { [["tab\tnew\nline \"q\" back\\slash"]] },
    { [[1]] },
    { [[true]] },
    { [[null]] },
    { [=[["a"]]=] },
    { [[{"a":"b"}]] },
  } },

  { name = "Integer", decl = [[type: integer]], cases = {
    { [[0]] },
    { [[7]] },
    { [[-7]] },
    { [[2147483647]], note = "int32 max" },
    { [[-2147483648]], note = "int32 min" },
    { [[2147483648]], valid = false, reason = R.int32 },
    { [[-2147483649]], valid = false, reason = R.int32 },
    { [[1e300]], valid = false, reason = R.int32 },
    { [[1.0]], note = "an integral number written with a fraction is an integer (Fern: JS sees 1)" },
    { [[1e2]], note = "exponent form of an integral number is an integer (Fern: JS sees 100)" },
    { [[-0]] },
    { [[7.5]] },
    { [[-0.5]] },
    { [["7"]] },
    { [[true]] },
    { [[null]] },
  } },

  { name = "Long", decl = [[type: long]], cases = {
    { [[0]] },
    { [[9007199254740993]], note = "2^53+1: exact in int64, not in a double" },
    { [[9223372036854775807]], note = "int64 max" },
    { [[-9223372036854775808]], note = "int64 min" },
    { [[9223372036854775808]], valid = false, reason = R.int64 },
    { [[-9223372036854775809]], valid = false, reason = R.int64 },
    { [[1e19]], valid = false, reason = R.int64 },
    { [[2.5]] },
    { [["5"]], note = "a long is a JSON number, not a string" },
    { [[null]] },
  } },

  { name = "Uint", decl = [[type: uint]], cases = {
    { [[0]] },
    { [[4294967295]], note = "uint32 max" },
    { [[4294967296]], valid = false, reason = R.uint32 },
    { [[-1]] },
    { [[-0]], note = "follows Fern: -0 is a non-negative integer" },
    { [[1.5]] },
    { [["1"]] },
  } },

  { name = "Uint64", decl = [[type: uint64]], cases = {
    { [[0]] },
    { [[9223372036854775808]], note = "above int64 max" },
    { [[18446744073709551615]], note = "uint64 max" },
    { [[18446744073709551616]], valid = false, reason = R.uint64 },
    { [[-1]] },
    { [[1.5]] },
  } },

  { name = "Float", decl = [[type: float]], cases = {
    { [[1.5]] },
    { [[1]], note = "an integer is a float" },
    { [[-0.0]] },
    { [[3.4e38]] },
    { [[1e39]], note = "follows Fern: any JSON number is a float (beyond float32 range it rounds)" },
    { [[1e-50]] },
    { [["1.5"]] },
    { [[true]] },
    { [[null]] },
  } },

  { name = "Double", decl = [[type: double]], cases = {
    { [[1.5]] },
    { [[2]], note = "an integer is a double" },
    { [[1e308]] },
    { [[5e-324]] },
    { [[-1.7976931348623157e308]] },
    { [["NaN"]] },
    { [["1.5"]] },
    { [=[[]]=] },
  } },

  { name = "Boolean", decl = [[type: boolean]], cases = {
    { [[true]] },
    { [[false]] },
    { [["true"]] },
    { [["false"]] },
    { [[1]] },
    { [[0]] },
    { [[null]] },
  } },

  { name = "Datetime", decl = [[type: datetime]], cases = {
    { [["2024-01-15T10:30:00Z"]] },
    { [["2024-01-15T10:30:00.123Z"]] },
    { [["2024-01-15T10:30:00.123456789Z"]] },
    { [["2024-01-15T10:30:00+05:30"]] },
    { [["2024-01-15T10:30:00-08:00"]] },
    { [["2024-01-15T10:30:00-00:00"]] },
    { [["2024-01-15T10:30:00.5+01:00"]] },
    { [["2024-01-15T10:30:00z"]], note = "lowercase z" },
    { [["2024-01-15t10:30:00Z"]], valid = true, reason = R.dt_lower },
    { [["2024-01-15 10:30:00Z"]], note = "follows Fern: RFC 3339 section 5.6 NOTE lets applications use a space for T" },
    { [["2024-02-29T00:00:00Z"]] },
    { [["2000-02-29T00:00:00Z"]] },
    { [["2024-01-15T10:30:00"]], valid = false, reason = R.dt_zone },
    { [["2024-01-15T10:30Z"]], valid = false, reason = R.dt_iso },
    { [["2024-01-15"]], valid = false, reason = R.dt_iso },
    { [["2024-01"]], valid = false, reason = R.dt_iso },
    { [["2024"]], valid = false, reason = R.dt_iso },
    { [["20240115T103000Z"]], valid = false, reason = R.dt_iso },
    { [["2024-01-15T10:30:00,5Z"]], valid = false, reason = R.dt_iso },
    { [["2024-01-15T10:30:00+0530"]], valid = false, reason = R.dt_iso },
    { [["2024-01-15T10:30:00+05"]], valid = false, reason = R.dt_iso },
    { [["2024-W03-1T10:30:00Z"]], valid = false, reason = R.dt_iso },
    { [["2024-015T10:30:00Z"]], valid = false, reason = R.dt_iso },
    { [["+2024-01-15T10:30:00Z"]], valid = false, reason = R.dt_iso },
    { [["2024-02-30T10:30:00Z"]], valid = false, reason = R.calendar },
    { [["2023-02-29T00:00:00Z"]], valid = false, reason = R.calendar },
    { [["2024-13-15T10:30:00Z"]] },
    { [["2024-01-15T25:00:00Z"]] },
    { [["2024-01-15T24:00:00Z"]] },
    { [["2016-12-31T23:59:60Z"]], note = "follows Fern: no leap seconds (RFC 3339 allows 60 only on real leap-second dates)" },
    { [["2024-01-15T10:30:00.Z"]] },
    { [["2024-01-15T10:30:00+24:00"]] },
    { [[" 2024-01-15T10:30:00Z"]] },
    { [[""]] },
    { [[1705314600]] },
  } },

  { name = "Date", decl = [[type: date]], cases = {
    { [["2024-01-15"]] },
    { [["2024-02-29"]] },
    { [["2024-12-31"]] },
    { [["2023-02-29"]], valid = false, reason = R.calendar },
    { [["2024-04-31"]], valid = false, reason = R.calendar },
    { [["2024-13-01"]] },
    { [["2024-00-10"]] },
    { [["2024-01-00"]] },
    { [["2024-01-32"]] },
    { [["2024-1-5"]] },
    { [["20240115"]] },
    { [["2024-01-15T00:00:00Z"]] },
    { [[""]] },
    { [[20240115]] },
  } },

  { name = "Uuid", decl = [[type: uuid]], cases = {
    { [["123e4567-e89b-12d3-a456-426614174000"]] },
    { [["123E4567-E89B-12D3-A456-426614174000"]], note = "uppercase" },
    { [["123e4567-E89B-12d3-A456-426614174000"]], note = "mixed case" },
    { [["00000000-0000-0000-0000-000000000000"]], note = "nil UUID; no version check" },
    { [["{123e4567-e89b-12d3-a456-426614174000}"]] },
    { [["123e4567e89b12d3a456426614174000"]] },
    { [["123e4567-e89b-12d3-a456-42661417400"]] },
    { [["123e4567-e89b-12d3-a456-4266141740000"]] },
    { [["urn:uuid:123e4567-e89b-12d3-a456-426614174000"]] },
    { [["g23e4567-e89b-12d3-a456-426614174000"]] },
    { [[1]] },
  } },

  { name = "Base64", decl = [[type: base64]], cases = {
    { [["aGVsbG8="]] },
    { [["aGVsbG8h"]] },
    { [[""]] },
    { [["YQ=="]] },
    { [["YWI="]] },
    { [["+/8="]] },
    { [["YQ"]], valid = false, reason = R.base64 .. " (unpadded)" },
    { [["YQ="]], valid = false, reason = R.base64 .. " (short padding)" },
    { [["-_8="]], valid = false, reason = R.base64 .. " (base64url alphabet)" },
    { [["not base64!"]], valid = false, reason = R.base64 },
    { [["aGVs bG8="]], valid = false, reason = R.base64 .. " (whitespace)" },
    { [["YQ==YQ=="]], valid = false, reason = R.base64 .. " (padding inside)" },
    { [[12]] },
    { [[null]] },
  } },

  { name = "Bigint", decl = [[type: bigint]], cases = {
    { [["0"]] },
    { [["123456789012345678901234567890"]] },
    { [["-98765432109876543210"]] },
    { [["12.5"]], valid = false, reason = R.bigint },
    { [["abc"]], valid = false, reason = R.bigint },
    { [[""]], valid = false, reason = R.bigint },
    { [["1e5"]], valid = false, reason = R.bigint },
    { [[" 1"]], valid = false, reason = R.bigint },
    { [[123]], note = "a bigint is a string on the wire, not a number" },
    { [[null]] },
  } },

  { name = "Unknown", decl = [[type: unknown]], cases = {
    { [[null]] },
    { [[1]] },
    { [[1.5]] },
    { [["s"]] },
    { [[true]] },
    { [=[[]]=] },
    { [[{}]] },
    { [[{"a":[1,{"b":null}]}]] },
  } },

  ------------------------------------------------------------------ optional / nullable
  { name = "OptString", decl = [[type: optional<string>]], cases = {
    { [["x"]] },
    { [[null]], note = "optional<T> accepts null" },
    { [[1]] },
    { [=[[]]=] },
  } },

  { name = "NullableString", decl = [[type: nullable<string>]], cases = {
    { [["x"]] },
    { [[null]] },
    { [[1]] },
  } },

  { name = "OptNullable", decl = [[type: optional<nullable<string>>]], cases = {
    { [[null]] },
    { [["x"]] },
    { [[1]] },
  } },

  ------------------------------------------------------------------ lists, sets, maps
  { name = "ListInt", decl = [[type: list<integer>]], cases = {
    { [=[[]]=] },
    { [=[[1,2,3]]=] },
    { [=[[1,1]]=], note = "a list allows duplicates" },
    { [=[[1,"2"]]=] },
    { [=[[1,null]]=] },
    { [=[[1.5]]=] },
    { [["1,2"]] },
    { [[null]] },
    { [[{"0":1}]] },
    { [=[[[1]]]=] },
  } },

  { name = "ListOptInt", decl = [[type: list<optional<integer>>]], cases = {
    { [=[[1,null,3]]=] },
    { [=[[null]]=] },
    { [=[["a"]]=] },
  } },

  { name = "ListList", decl = [[type: list<list<string>>]], cases = {
    { [=[[["a"],[]]]=] },
    { [=[[["a"],"b"]]=] },
  } },

  { name = "SetString", decl = [[type: set<string>]], cases = {
    { [=[[]]=] },
    { [=[["a","b"]]=] },
    { [=[["a","A"]]=] },
    { [=[["a","a"]]=], note = "a set rejects duplicates" },
    { [=[[1]]=] },
    { [["a"]] },
  } },

  { name = "SetInt", decl = [[type: set<integer>]], cases = {
    { [=[[1,2]]=] },
    { [=[[1,1]]=] },
    { [=[[1,1.0]]=], note = "1 and 1.0 are the same number, so duplicates" },
  } },

  { name = "SetPoint", decl = [[type: set<Point>]], cases = {
    { [=[[{"x":1,"y":2},{"x":2,"y":1}]]=] },
    { [=[[{"x":1,"y":2},{"x":1,"y":2}]]=], valid = false, reason = R.setdup },
    { [=[[{"x":1,"y":2},{"y":2,"x":1}]]=], valid = false, reason = R.setdup .. " (key order does not matter)" },
    { [=[[{"x":1}]]=] },
  } },

  { name = "SetList", decl = [[type: set<list<integer>>]], cases = {
    { [=[[[1],[1,2]]]=] },
    { [=[[[1],[1]]]=], valid = false, reason = R.setdup },
  } },

  { name = "MapStrInt", decl = [[type: map<string, integer>]], cases = {
    { [[{}]] },
    { [[{"a":1,"b":2}]] },
    { [[{"":0}]] },
    { [[{"é":1}]] },
    { [[{"a":"1"}]] },
    { [[{"a":null}]] },
    { [=[[]]=] },
    { [[null]] },
    { [["a"]] },
  } },

  { name = "MapColor", decl = [[type: map<Color, integer>]], cases = {
    { [[{"red":1,"blue":2}]] },
    { [[{}]] },
    { [[{"purple":1}]] },
    { [[{"RED":1}]] },
  } },

  { name = "MapIntStr", decl = [[type: map<integer, string>]], cases = {
    { [[{}]] },
    { [[{"1":"a"}]], valid = true, reason = R.mapkey },
    { [[{"-5":"a","7":"b"}]], valid = true, reason = R.mapkey },
    { [[{"x":"a"}]] },
    { [[{"1.5":"a"}]] },
    { [[{"2147483648":"a"}]], note = "key out of int32 range" },
    { [[{"1":2}]], note = "key fine (for fernws), value not a string" },
  } },

  { name = "MapStrOpt", decl = [[type: map<string, optional<integer>>]], cases = {
    { [[{"a":null,"b":1}]] },
    { [[{"a":"x"}]] },
  } },

  { name = "MapStrUnknown", decl = [[type: map<string, unknown>]], cases = {
    { [[{"a":null,"b":[1],"c":{"d":"e"}}]] },
  } },

  ------------------------------------------------------------------ literals
  { name = "LitHello", decl = [[type: literal<"hello">]], cases = {
    { [["hello"]] },
    { [["Hello"]] },
    { [["hello "]] },
    { [[""]] },
    { [[null]] },
    { [[1]] },
  } },

  { name = "LitTrue", decl = [[type: literal<true>]], cases = {
    { [[true]] },
    { [[false]] },
    { [["true"]] },
    { [[1]] },
  } },

  { name = "LitFalse", decl = [[type: literal<false>]], cases = {
    { [[false]] },
    { [[true]] },
  } },

  { name = "LitMime", decl = [[type: literal<"application/json">]], cases = {
    { [["application/json"]] },
    { [["application/json; charset=utf-8"]], valid = false, reason = R.mime },
    { [["application/vnd.api+json"]], valid = false, reason = R.mime },
    { [["text/plain"]] },
  } },

  ------------------------------------------------------------------ aliases and validation
  { name = "IntAlias", decl = [[type: integer]], cases = {
    { [[1]] },
    { [["1"]] },
  } },

  { name = "IntAlias2", decl = [[type: IntAlias]], cases = {
    { [[2]], note = "alias of alias" },
    { [[2.5]] },
  } },

  { name = "Percent", decl = [[
type: integer
validation:
  min: 0
  max: 100]], cases = {
    { [[0]] },
    { [[100]] },
    { [[50]] },
    { [[-1]], valid = false, reason = R.rule },
    { [[101]], valid = false, reason = R.rule },
    { [[50.5]] },
  } },

  { name = "PercentAlias", decl = [[type: Percent]], cases = {
    { [[100]] },
    { [[101]], valid = false, reason = R.rule .. " (the aliased type's rule)" },
  } },

  { name = "HalfPercent", decl = [[
type: Percent
validation:
  max: 50]], cases = {
    { [[75]], note = "follows Fern: the IR drops validation written on an alias of a named type; Percent's rule still applies" },
    { [[101]], valid = false, reason = R.rule .. " (the aliased type's rule)" },
  } },

  { name = "StrLen", decl = [[
type: string
validation:
  minLength: 2
  maxLength: 5]], cases = {
    { [["ab"]] },
    { [["abcde"]] },
    { [["héllo"]], note = "5 characters, 6 bytes" },
    { [["日本語"]] },
    { [["a"]], valid = false, reason = R.rule },
    { [["abcdef"]], valid = false, reason = R.rule },
    { [[""]], valid = false, reason = R.rule },
    { [[5]] },
  } },

  { name = "OneChar", decl = [[
type: string
validation:
  maxLength: 1]], cases = {
    { [["é"]] },
    { [["😀"]], note = "lengths count Unicode characters (code points): one here, though two UTF-16 units" },
    { [["ab"]], valid = false, reason = R.rule },
  } },

  { name = "Slug", decl = [[
type: string
validation:
  pattern: "^[a-z0-9-]+$"]], cases = {
    { [["abc-123"]] },
    { [["ABC"]], valid = false, reason = R.rule },
    { [["a b"]], valid = false, reason = R.rule },
    { [[""]], valid = false, reason = R.rule },
  } },

  { name = "HasDigit", decl = [[
type: string
validation:
  pattern: "[0-9]"]], cases = {
    { [["abc1"]], note = "a pattern matches anywhere unless anchored (as JS RegExp.test / JSON Schema)" },
    { [["1"]] },
    { [["abc"]], valid = false, reason = R.rule },
  } },

  { name = "Email", decl = [[
type: string
validation:
  format: email]], cases = {
    { [["a@example.com"]] },
    { [["not-an-email"]], valid = false, reason = R.rule .. " (format: Fern's docs list format, e.g. email, "
      .. "among the string validation constraints that generated SDKs enforce)" },
    { [[5]] },
  } },

  { name = "Bounded", decl = [[
type: integer
validation:
  min: 1
  max: 10]], cases = {
    { [[1]] },
    { [[10]] },
    { [[0]], valid = false, reason = R.rule },
    { [[11]], valid = false, reason = R.rule },
    { [[5.5]] },
  } },

  { name = "Ratio", decl = [[
type: double
validation:
  min: 0
  max: 1
  exclusiveMin: true
  exclusiveMax: true]], cases = {
    { [[0.5]] },
    { [[1e-9]] },
    { [[0]], valid = false, reason = R.rule },
    { [[1]], valid = false, reason = R.rule },
    { [[-0.1]], valid = false, reason = R.rule },
  } },

  { name = "InclusiveRatio", decl = [[
type: double
validation:
  min: 0
  max: 1]], cases = {
    { [[0]] },
    { [[1]] },
    { [[1.01]], valid = false, reason = R.rule },
  } },

  { name = "MultFive", decl = [[
type: integer
validation:
  multipleOf: 5]], cases = {
    { [[0]] },
    { [[15]] },
    { [[-10]] },
    { [[7]], valid = false, reason = R.rule },
  } },

  { name = "Halves", decl = [[
type: double
validation:
  multipleOf: 0.5]], cases = {
    { [[2.5]] },
    { [[3]] },
    { [[2.25]], valid = false, reason = R.rule },
  } },

  { name = "MinLong", decl = [[
type: long
validation:
  min: -5]], cases = {
    { [[-5]] },
    { [[9223372036854775807]] },
    { [[-6]], valid = false, reason = R.rule },
  } },

  { name = "FloatMin", decl = [[
type: float
validation:
  min: 0]], cases = {
    { [[-1]], note = "follows Fern: the IR keeps no validation for float (only integer, long, double, string)" },
  } },

  { name = "UintMin", decl = [[
type: uint
validation:
  min: 5]], cases = {
    { [[1]], note = "follows Fern: the IR keeps no validation for uint (only integer, long, double, string)" },
  } },

  { name = "Person", decl = [[
properties:
  name:
    type: string
    validation:
      minLength: 1
  age:
    type: integer
    validation:
      min: 0
      max: 150
  nick:
    type: optional<string>
    validation:
      maxLength: 3]], cases = {
    { [[{"name":"Al","age":30}]] },
    { [[{"name":"Al","age":30,"nick":"Bob"}]] },
    { [[{"name":"Al","age":30,"nick":null}]] },
    { [[{"name":"","age":30}]], valid = false, reason = R.rule },
    { [[{"name":"Al","age":151}]], valid = false, reason = R.rule },
    { [[{"name":"Al","age":30,"nick":"Robert"}]], valid = false, reason = R.rule .. " (rule on an optional<string> property applies to the string)" },
  } },

  ------------------------------------------------------------------ objects
  { name = "Point", decl = [[
properties:
  x: integer
  y: integer]], cases = {
    { [[{"x":1,"y":2}]] },
    { [[{"y":2,"x":1}]] },
    { [[{"x":1}]] },
    { [[{}]] },
    { [[{"x":1,"y":2,"z":3}]], note = "an undeclared property is rejected" },
    { [[{"x":"1","y":2}]] },
    { [[{"x":1,"y":null}]] },
    { [=[[1,2]]=] },
    { [[null]] },
    { [["p"]] },
  } },

  { name = "WithOptional", decl = [[
properties:
  id: string
  note: optional<string>]], cases = {
    { [[{"id":"a"}]], note = "optional property absent" },
    { [[{"id":"a","note":null}]], note = "optional property given explicit null" },
    { [[{"id":"a","note":"n"}]] },
    { [[{"id":"a","note":1}]] },
    { [[{"note":"n"}]] },
    { [[{"id":null}]] },
  } },

  { name = "WithNullable", decl = [[
properties:
  id: string
  note: nullable<string>]], cases = {
    { [[{"id":"a","note":null}]] },
    { [[{"id":"a","note":"x"}]] },
    { [[{"id":"a"}]], valid = false, reason = R.nullable },
    { [[{"id":"a","note":1}]] },
  } },

  { name = "WithOptNullable", decl = [[
properties:
  note: optional<nullable<string>>]], cases = {
    { [[{}]] },
    { [[{"note":null}]] },
    { [[{"note":"x"}]] },
  } },

  { name = "WithUnknown", decl = [[
properties:
  data: unknown]], cases = {
    { [[{}]], note = "follows Fern: an unknown property may be absent" },
    { [[{"data":null}]] },
    { [[{"data":[1,"a"]}]] },
  } },

  { name = "WithLiteral", decl = [[
properties:
  kind: literal<"k">
  v: integer]], cases = {
    { [[{"kind":"k","v":1}]] },
    { [[{"v":1}]], note = "follows Fern: a literal property may be absent (its value is implied)" },
    { [[{"kind":"j","v":1}]] },
    { [[{"kind":null,"v":1}]] },
  } },

  { name = "Empty", decl = [[properties: {}]], cases = {
    { [[{}]] },
    { [[{"a":1}]] },
  } },

  { name = "Open", decl = [[
extra-properties: true
properties:
  a: integer]], cases = {
    { [[{"a":1}]] },
    { [[{"a":1,"b":"x","c":null}]] },
    { [[{"a":"x"}]], valid = false, reason = R.extra },
    { [[{"a":"x","b":1}]], valid = false, reason = R.extra },
    { [[{"b":1}]], note = "declared properties stay required" },
  } },

  { name = "Base", decl = [[
properties:
  id: string]] },

  { name = "Timestamps", decl = [[
properties:
  createdAt: datetime]] },

  { name = "Child", decl = [[
extends: Base
properties:
  name: string]], cases = {
    { [[{"id":"1","name":"n"}]], note = "extends flattens the parent's properties" },
    { [[{"name":"n"}]] },
    { [[{"id":"1"}]] },
    { [[{"id":1,"name":"n"}]] },
    { [[{"id":"1","name":"n","x":1}]] },
  } },

  { name = "GrandChild", decl = [[
extends: Child
properties:
  z: boolean]], cases = {
    { [[{"id":"1","name":"n","z":true}]] },
    { [[{"name":"n","z":true}]] },
  } },

  { name = "MultiParent", decl = [[
extends:
  - Base
  - Timestamps
properties:
  n: integer]], cases = {
    { [[{"id":"1","createdAt":"2024-01-15T10:30:00Z","n":1}]] },
    { [[{"id":"1","n":1}]] },
    { [[{"id":"1","createdAt":"yesterday","n":1}]] },
  } },

  { name = "OpenChild", decl = [[
extends: Open
properties:
  b: integer]], cases = {
    { [[{"a":1,"b":2}]] },
    { [[{"a":1,"b":2,"c":3}]], note = "follows Fern: extra-properties is not inherited through extends" },
  } },

  { name = "Outer", decl = [[
properties:
  p: Point
  tags: list<string>
  meta: optional<map<string, string>>]], cases = {
    { [[{"p":{"x":1,"y":2},"tags":[]}]] },
    { [[{"p":{"x":1,"y":2},"tags":["a"],"meta":{"k":"v"}}]] },
    { [[{"p":{"x":1},"tags":[]}]] },
    { [[{"p":{"x":1,"y":2},"tags":[1]}]] },
    { [[{"p":{"x":1,"y":2},"tags":[],"meta":{"k":1}}]] },
  } },

  { name = "Tree", decl = [[
properties:
  value: integer
  children: optional<list<Tree>>]], cases = {
    { [[{"value":1}]] },
    { [[{"value":1,"children":[{"value":2,"children":[]},{"value":3}]}]] },
    { [[{"value":1,"children":[{"value":"x"}]}]] },
  } },

  ------------------------------------------------------------------ enums
  { name = "Color", decl = [[
enum:
  - red
  - green
  - blue]], cases = {
    { [["red"]] },
    { [["blue"]] },
    { [["RED"]] },
    { [["purple"]] },
    { [[""]] },
    { [[1]] },
    { [[null]] },
    { [=[["red"]]=] },
  } },

  { name = "Op", decl = [[
enum:
  - value: "<"
    name: LT
  - value: ">="
    name: GTE
  - eq]], cases = {
    { [["<"]] },
    { [[">="]] },
    { [["eq"]] },
    { [["LT"]], note = "the wire value counts, not the SDK name" },
    { [["GTE"]] },
  } },

  ------------------------------------------------------------------ discriminated unions
  { name = "Dog", decl = [[
properties:
  likesToWoof: boolean]] },

  { name = "Cat", decl = [[
properties:
  likesToMeow: boolean
  lives: optional<integer>]] },

  { name = "Circle", decl = [[
properties:
  radius: double]] },

  { name = "Animal", decl = [[
union:
  dog: Dog
  cat: Cat]], cases = {
    { [[{"type":"dog","likesToWoof":true}]] },
    { [[{"type":"cat","likesToMeow":false}]] },
    { [[{"type":"cat","likesToMeow":false,"lives":9}]] },
    { [[{"likesToWoof":true}]], note = "missing discriminant" },
    { [[{"type":"bird"}]], note = "unknown discriminant value" },
    { [[{"type":"Dog","likesToWoof":true}]] },
    { [[{"type":"dog"}]] },
    { [[{"type":"dog","likesToWoof":true,"extra":1}]] },
    { [[{"type":"dog","likesToMeow":true}]] },
    { [[{"type":1,"likesToWoof":true}]] },
    { [[{"type":null,"likesToWoof":true}]] },
    { [["dog"]] },
    { [[null]] },
  } },

  { name = "AnimalKind", decl = [[
discriminant: kind
union:
  dog: Dog
  cat: Cat]], cases = {
    { [[{"kind":"dog","likesToWoof":true}]] },
    { [[{"kind":"cat","likesToMeow":true}]] },
    { [[{"type":"dog","likesToWoof":true}]] },
  } },

  { name = "AnimalWire", decl = [[
discriminant:
  value: _type
  name: type
union:
  dog: Dog
  cat: Cat]], cases = {
    { [[{"_type":"dog","likesToWoof":true}]] },
    { [[{"type":"dog","likesToWoof":true}]], note = "the wire name is value (_type), not name" },
  } },

  { name = "Shape", decl = [[
union:
  circle: Circle
  count: integer
  label: string
  tags: list<string>
  maybe: optional<string>
  nothing: {}
  text:
    type: string
    key: text
  boxed:
    type: Point
    key: point]], cases = {
    { [[{"type":"circle","radius":1.5}]] },
    { [[{"type":"circle"}]] },
    { [[{"type":"circle","radius":"big"}]] },
    { [[{"type":"count","value":3}]], note = "non-object variant under value" },
    { [[{"type":"count","value":"3"}]], valid = false, reason = R.single },
    { [[{"type":"count","value":7.5}]], valid = false, reason = R.single },
    { [[{"type":"count"}]], valid = false, reason = R.single },
    { [[{"type":"count","value":3,"extra":1}]], valid = false, reason = R.single },
    { [[{"type":"label","value":"hi"}]] },
    { [[{"type":"label","value":5}]], valid = false, reason = R.single },
    { [[{"type":"tags","value":["a","b"]}]] },
    { [[{"type":"tags","value":"a"}]], valid = false, reason = R.single },
    { [[{"type":"maybe"}]], note = "optional variant value may be absent" },
    { [[{"type":"maybe","value":null}]] },
    { [[{"type":"maybe","value":"x"}]] },
    { [[{"type":"maybe","value":1}]], valid = false, reason = R.single },
    { [[{"type":"nothing"}]], note = "empty {} variant: the discriminant alone" },
    { [[{"type":"nothing","x":1}]] },
    { [[{"type":"text","text":"hi"}]], note = "key: renames value" },
    { [[{"type":"text","value":"hi"}]] },
    { [[{"type":"text","text":5}]] },
    { [[{"type":"text"}]] },
    { [[{"type":"boxed","point":{"x":1,"y":2}}]], valid = true, reason = R.keyobj },
    { [[{"type":"boxed","x":1,"y":2}]], valid = false, reason = R.keyobj },
    { [[{"type":"boxed","point":{"x":1}}]] },
    { [[{"type":"square"}]] },
    { [[{}]] },
    { [=[[]]=] },
  } },

  { name = "WithBase", decl = [[
base-properties:
  id: string
union:
  dog: Dog
  count: integer
  text:
    type: string
    key: text
  nothing: {}]], cases = {
    { [[{"type":"dog","id":"1","likesToWoof":true}]] },
    { [[{"type":"dog","likesToWoof":true}]] },
    { [[{"type":"dog","id":1,"likesToWoof":true}]] },
    { [[{"type":"dog","id":"1"}]] },
    { [[{"type":"count","id":"1","value":2}]] },
    { [[{"type":"count","value":2}]] },
    { [[{"type":"count","id":"1","value":"x"}]], valid = false, reason = R.single },
    { [[{"type":"text","id":"1","text":"hi"}]], valid = true, reason = R.base_key },
    { [[{"type":"text","text":"hi"}]] },
    { [[{"type":"nothing","id":"1"}]], valid = true, reason = R.base_empty },
    { [[{"type":"nothing"}]], valid = false, reason = R.base_empty_missing },
  } },

  { name = "UnionExt", decl = [[
extends: Base
union:
  dog: Dog]], cases = {
    { [[{"type":"dog","id":"1","likesToWoof":true}]], note = "a union's extends works like base-properties" },
    { [[{"type":"dog","likesToWoof":true}]] },
  } },

  ------------------------------------------------------------------ undiscriminated unions
  { name = "StrOrInt", decl = [[
discriminated: false
union:
  - string
  - integer]], cases = {
    { [["a"]] },
    { [[1]] },
    { [[7.5]], note = "an integer member does not take 7.5" },
    { [[2147483648]], valid = false, reason = R.int32 },
    { [[null]] },
    { [[true]] },
    { [=[[]]=] },
  } },

  { name = "IntOrDouble", decl = [[
discriminated: false
union:
  - integer
  - double]], cases = {
    { [[1]] },
    { [[7.5]] },
    { [["1"]] },
  } },

  { name = "MsgA", decl = [[
properties:
  type: literal<"a">
  x: integer]] },

  { name = "MsgB", decl = [[
properties:
  type: literal<"b">
  y: string]] },

  { name = "Msg", decl = [[
discriminated: false
union:
  - MsgA
  - MsgB]], cases = {
    { [[{"type":"a","x":1}]] },
    { [[{"type":"b","y":"s"}]] },
    { [[{"type":"a","y":"s"}]] },
    { [[{"type":"b","x":1}]] },
    { [[{"type":"c","x":1}]] },
    { [[{"type":"a","x":1,"y":"s"}]] },
    { [[{"x":1}]], note = "follows Fern: the literal type property may be absent, so MsgA matches" },
    { [[{"y":"s"}]] },
  } },

  { name = "PointOrStr", decl = [[
discriminated: false
union:
  - Point
  - string]], cases = {
    { [[{"x":1,"y":2}]] },
    { [["s"]] },
    { [[{"x":1}]] },
    { [[1]] },
  } },

  { name = "ListOrMap", decl = [[
discriminated: false
union:
  - list<integer>
  - map<string, integer>]], cases = {
    { [=[[1]]=] },
    { [[{"a":1}]] },
    { [[{"a":"x"}]] },
    { [["x"]] },
  } },

  { name = "OptUnion", decl = [[
discriminated: false
union:
  - optional<string>
  - integer]], cases = {
    { [[null]] },
    { [["a"]] },
    { [[1]] },
    { [[true]] },
  } },

  { name = "ColorOrNone", decl = [[
discriminated: false
union:
  - Color
  - literal<"none">]], cases = {
    { [["red"]] },
    { [["none"]] },
    { [["x"]] },
  } },

  { name = "Loose", decl = [[
properties:
  a: optional<string>]] },

  { name = "Strict", decl = [[
properties:
  a: string
  b: integer]] },

  { name = "LooseStrict", decl = [[
discriminated: false
union:
  - Loose
  - Strict]], cases = {
    { [[{}]] },
    { [[{"a":"x"}]] },
    { [[{"a":"x","b":1}]], note = "Loose rejects the extra b, Strict takes it: members are tried in order" },
    { [[{"b":1}]] },
    { [[{"a":1}]] },
  } },

  { name = "UnionOfUnions", decl = [[
discriminated: false
union:
  - Animal
  - StrOrInt]], cases = {
    { [[{"type":"dog","likesToWoof":true}]] },
    { [["s"]] },
    { [[{"type":"bird"}]] },
  } },

} }
