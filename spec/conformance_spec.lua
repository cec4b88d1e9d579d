-- The conformance table (spec/conformance/cases.lua): for every (type, JSON, verdict) case, fernws's
-- verdict equals `valid`, through check (on the value lua-cjson reads) and through decode (on the text).
-- Decode is strict here: the table is about validity, and a lenient decode keeps unknown properties
-- (forward compatibility), which the Fern CLI's example check does not.
local helper = require "helper"
local cjson = require "cjson"
local fernws = helper.fernws
local cases = require "conformance.cases"

-- The JSON text with every string emptied, so their contents do not count.
local function strip_strings(json)
  local out, i = {}, 1
  while i <= #json do
    local q = json:find('"', i, true)
    if not q then out[#out + 1] = json:sub(i); break end
    out[#out + 1] = json:sub(i, q)
    local j = q + 1
    while json:sub(j, j) ~= '"' do j = j + (json:sub(j, j) == "\\" and 2 or 1) end
    out[#out + 1] = '"'
    i = j + 1
  end
  return table.concat(out)
end

-- Where lua-cjson cannot hand check the value the JSON means, the check path is skipped (the decode
-- path, which reads the text itself, still runs). Returns the reason, or nil.
local objectish = { map = true, object = true, union = true }

local function cjson_inexact(api, case)
  local json = case.json
  local bare = strip_strings(json)
  for num in bare:gmatch("%-?%d[%d%.eE+%-]*") do
    -- Lua reads an integer numeral exactly when it fits int64; cjson reads a double
    local n = tonumber(num)
    if not num:find("[%.eE]") and (math.type(n) ~= "integer" or math.abs(n) > 2 ^ 53) then
      return "an integer beyond 2^53 (cjson reads a double)"
    end
  end
  -- an empty table is an empty list and an empty object alike: where an object or map is wanted,
  -- cjson's reading of `[]` is not the JSON's meaning
  local t = api:type(case.type)
  while t and t.kind == "alias" do t = t.target end
  if bare:match("^%s*%[%s*%]%s*$") and t and objectish[t.kind] then
    return "cjson reads [] as an empty table, which is an empty object to Lua"
  end
  return nil
end

-- cjson gives object keys as strings; fernws wants a map<integer, V>'s keys as Lua integers (JSON
-- writes them as "1"), so integral key strings become integers for that type's check.
local function lua_value(case)
  local v = cjson.decode(case.json)
  if case.type == "types.MapIntStr" and type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do t[math.tointeger(tonumber(k)) or k] = x end
    v = t
  end
  return v
end

-- decode's verdict: a value, or nil plus info (a valid null for an optional type), is valid;
-- nil plus an error text is not. Returns valid, error text.
local function decode_verdict(api, c, opts)
  local v, second = api:decode(c.type, c.json, opts or { strict = true })
  if v ~= nil or type(second) == "table" then return true end
  return false, second
end

-- The plain (lenient) decode agrees too, but for unknown properties, which it keeps: where it takes
-- a value the table calls invalid, strict decode must name an unknown property.
local function check_lenient(api, c)
  local ok, err = decode_verdict(api, c, {})
  if ok == c.valid then return end
  assert(ok and not c.valid, string.format("%s: the lenient decode refuses a valid value (%s)", c.id, tostring(err)))
  local _, strict_err = decode_verdict(api, c)
  -- (an undiscriminated union says only that no member matched: LooseStrict.4, {"b":1})
  assert(strict_err:find("unknown property", 1, true) or strict_err:find("matches none of", 1, true),
    string.format("%s: the lenient decode takes an invalid value for another reason than unknown properties (%s)",
      c.id, strict_err))
end

local function describe_errs(errs)
  local t = {}
  for _, e in ipairs(errs or {}) do t[#t + 1] = e.message end
  return table.concat(t, "; ")
end

describe("conformance table", function()
  local api, msg = fernws.load(helper.root .. "/spec/conformance/definition")

  it("loads its definition", function()
    assert.is_not_nil(api, msg)
  end)

  it("has 480 cases, each naming a type the definition declares", function()
    assert.equal(480, #cases)
    for _, c in ipairs(cases) do
      assert.is_not_nil(api:type(c.type), c.id .. ": " .. c.type)
    end
  end)

  for _, c in ipairs(cases) do
    local want = c.valid and "valid" or "invalid"
    local inexact = api and cjson_inexact(api, c)
    local name = string.format("%s %s is %s", c.id, c.json:sub(1, 60), want)

    local exact = inexact and math.tointeger(tonumber(c.json))
    if exact and math.type(tonumber(c.json)) == "integer" then
      -- a bare numeral that Lua reads exactly: check the Lua integer instead of cjson's double
      it(name .. " (check on the Lua integer, not cjson's double)", function()
        local ok, errs = api:check(c.type, exact)
        assert(ok == c.valid, string.format("%s: fernws check says %s (%s), the table says %s", c.id,
          ok and "valid" or "invalid", describe_errs(errs), want))
        local dok, err = decode_verdict(api, c)
        assert(dok == c.valid, string.format("%s: fernws decode says %s (%s), the table says %s", c.id,
          dok and "valid" or "invalid", tostring(err), want))
        check_lenient(api, c)
      end)
    elseif inexact then
      it(name .. " (decode only: check skipped, " .. inexact .. ")", function()
        local ok, err = decode_verdict(api, c)
        assert(ok == c.valid, string.format("%s: fernws decode says %s (%s), the table says %s", c.id,
          ok and "valid" or "invalid", tostring(err), want))
        check_lenient(api, c)
      end)
    else
      it(name, function()
        local ok, errs = api:check(c.type, lua_value(c))
        assert(ok == c.valid, string.format("%s: fernws check says %s (%s), the table says %s", c.id,
          ok and "valid" or "invalid", describe_errs(errs), want))
        local dok, err = decode_verdict(api, c)
        assert(dok == c.valid, string.format("%s: fernws decode says %s (%s), the table says %s", c.id,
          dok and "valid" or "invalid", tostring(err), want))
        check_lenient(api, c)
      end)
    end
  end
end)
