-- Shared by the codec_*_spec files: the codec definition (spec/fixtures/codec), loaded once, and
-- small assertions about check/encode/decode results.
local helper = require "helper"
local assert = require "luassert"
local fernws = helper.fernws

local util = { fernws = fernws, null = fernws.null }

local api
function util.api()
  if not api then api = assert(fernws.load(helper.own("codec"))) end
  return api
end

-- Loads a one-file definition from text (types named "defn.X"); raises with the loader's message.
function util.load(text)
  local a, msg = helper.load_text(text)
  assert(a, msg)
  return a
end

-- The error records of a failing check, as {path=, expected=, got=, message=} in order.
function util.check_errors(a, tname, value)
  local ok, errs = a:check(tname, value)
  assert(ok == false, "expected check of " .. tname .. " to fail")
  assert.is_table(errs)
  return errs
end

-- The one error of a failing check.
function util.check_error(a, tname, value)
  local errs = util.check_errors(a, tname, value)
  assert.equal(1, #errs, "one error expected, got: " .. util.messages(errs))
  return errs[1]
end

function util.messages(errs)
  local t = {}
  for _, e in ipairs(errs) do t[#t + 1] = e.message end
  return table.concat(t, " | ")
end

-- A failing decode: asserts the nil, text, list shape and returns the text and the first error.
function util.decode_error(a, tname, text, opts)
  local v, err, errs = a:decode(tname, text, opts)
  assert(v == nil, "expected decode of " .. tname .. " to fail on " .. text)
  assert.is_string(err)
  assert.is_table(errs)
  assert(#errs >= 1)
  return err, errs[1], errs
end

-- The value and info of a decode that must succeed.
function util.decoded(a, tname, text, opts)
  local v, info = a:decode(tname, text, opts)
  assert(type(info) == "table", "decode of " .. text .. " as " .. tname .. " failed: " .. tostring(info))
  return v, info
end

-- The message of the error encode raises.
function util.encode_error(a, tname, value)
  local ok, err = pcall(a.encode, a, tname, value)
  assert(not ok, "expected encode of " .. tname .. " to raise")
  return err
end

-- Deep equality as JSON values: numbers by value, integers and floats alike; tables by content.
function util.same(x, y)
  if type(x) ~= type(y) then return false end
  if type(x) ~= "table" then return x == y end
  for k, v in pairs(x) do
    if not util.same(v, y[k]) then return false end
  end
  for k in pairs(y) do
    if x[k] == nil then return false end
  end
  return true
end

-- decode(encode(v)) as the given type; returns the text and the decoded value.
function util.round_trip(a, tname, v)
  local text = a:encode(tname, v)
  local back, info = a:decode(tname, text)
  assert(type(info) == "table", "decoding back " .. text .. " failed: " .. tostring(info))
  return text, back
end

-- A deterministic pseudo-random generator (xorshift), so garbage tests repeat exactly.
function util.rng(seed)
  local s = seed
  return function(n)
    s = s ~ (s << 13)
    s = s ~ (s >> 7)
    s = s ~ (s << 17)
    return (s & 0x7fffffff) % n + 1
  end
end

return util
