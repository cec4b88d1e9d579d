-- Values generated from a definition's types, for a mock that has no example to answer with.
--
-- sample.new(seed) gives a generator whose values depend only on the seed and on what was asked
-- before (a xorshift generator in plain Lua integers): the same seed gives the same answers.
-- gen:message(channel, id) returns a value of that message's body that fernws's own codec accepts
-- (channel:check), trying again with the next numbers when validation rules (a pattern, say) refuse
-- a try; nil and a reason when none of them fits.
local sample = {}

local Gen = {}
Gen.__index = Gen

function sample.new(seed)
  local s = math.tointeger(seed) or 1
  if s == 0 then s = 88172645463325252 end
  return setmetatable({ state = s }, Gen)
end

-- The next number in [0, 1).
function Gen:random()
  local x = self.state
  x = x ~ (x << 13)
  x = x ~ (x >> 7)
  x = x ~ (x << 17)
  self.state = x
  return ((x >> 11) & 0xFFFFFFFFFFFFF) / 0x10000000000000
end

-- An integer in [lo, hi].
function Gen:int(lo, hi)
  if hi <= lo then return lo end
  return lo + math.floor(self:random() * (hi - lo + 1))
end

function Gen:pick(list)
  return list[self:int(1, #list)]
end

local WORDS = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel" }

local function hex(gen, n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", gen:int(0, 15)) end
  return table.concat(t)
end

-- A string for a format the codec checks (README: date-time, date, uuid, email, uri/url, hostname,
-- ipv4, ipv6, byte), or nil.
local function formatted(gen, format)
  format = format and format:lower()
  if format == "date-time" then return string.format("2024-%02d-%02dT%02d:00:00Z", gen:int(1, 12), gen:int(1, 28), gen:int(0, 23)) end
  if format == "date" then return string.format("2024-%02d-%02d", gen:int(1, 12), gen:int(1, 28)) end
  if format == "uuid" then return hex(gen, 8) .. "-" .. hex(gen, 4) .. "-4" .. hex(gen, 3) .. "-a" .. hex(gen, 3) .. "-" .. hex(gen, 12) end
  if format == "email" then return gen:pick(WORDS) .. "@example.com" end
  if format == "uri" or format == "url" then return "https://example.com/" .. gen:pick(WORDS) end
  if format == "hostname" then return gen:pick(WORDS) .. ".example.com" end
  if format == "ipv4" then return string.format("192.0.2.%d", gen:int(1, 254)) end
  if format == "ipv6" then return "2001:db8::" .. string.format("%x", gen:int(1, 4095)) end
  if format == "byte" then return "aGVsbG8=" end
end

local function text(gen, rules)
  rules = rules or {}
  local s = formatted(gen, rules.format)
  if s then return s end
  s = gen:pick(WORDS)
  local min, max = rules.min_length or 0, rules.max_length
  while utf8.len(s) < min do s = s .. " " .. gen:pick(WORDS) end
  if max and utf8.len(s) > max then s = s:sub(1, max) end
  return s
end

local function number(gen, rules, integral)
  rules = rules or {}
  local lo, hi = rules.min or 0, rules.max or (rules.min or 0) + 100
  if rules.exclusive_min then lo = lo + (integral and 1 or 0.5) end
  if rules.exclusive_max then hi = hi - (integral and 1 or 0.5) end
  if hi < lo then hi = lo end
  local v
  if integral then
    v = gen:int(math.ceil(lo), math.floor(hi))
  else
    v = lo + gen:random() * (hi - lo)
    v = math.floor(v * 100 + 0.5) / 100
    if v < lo then v = lo end
    if v > hi then v = hi end
  end
  if rules.multiple_of and rules.multiple_of > 0 then
    local m = rules.multiple_of
    v = math.ceil(lo / m) * m
    if integral then v = math.tointeger(v) or math.floor(v) end
  end
  if integral then return math.tointeger(v) or math.floor(v) end
  return v + 0.0
end

local PRIMITIVES = {
  string = function(gen, r) return text(gen, r) end,
  integer = function(gen, r) return number(gen, r, true) end,
  long = function(gen, r) return number(gen, r, true) end,
  uint = function(gen, r) return number(gen, r, true) end,
  uint64 = function(gen, r) return number(gen, r, true) end,
  float = function(gen, r) return number(gen, r, false) end,
  double = function(gen, r) return number(gen, r, false) end,
  boolean = function(gen) return gen:random() < 0.5 end,
  datetime = function(gen) return formatted(gen, "date-time") end,
  date = function(gen) return formatted(gen, "date") end,
  uuid = function(gen) return formatted(gen, "uuid") end,
  base64 = function() return "aGVsbG8=" end,
  bigint = function(gen) return tostring(gen:int(1, 999999)) end,
}

local MAX_DEPTH = 6

-- A value of type t (a fernws type object). Optional properties are filled now and then, less
-- often deeper down, so that recursive types end.
function Gen:value(t, depth)
  depth = depth or 0
  local kind = t.kind
  if kind == "alias" then
    local target = t.target
    if t.rules and target.kind == "primitive" then
      local f = PRIMITIVES[target.primitive]
      if f then return f(self, t.rules) end
    end
    return self:value(target, depth)
  elseif kind == "optional" or kind == "nullable" then
    return self:value(t.element, depth)
  elseif kind == "primitive" then
    return PRIMITIVES[t.primitive](self, t.rules)
  elseif kind == "literal" then
    return t.value
  elseif kind == "enum" then
    return self:pick(t.values).value
  elseif kind == "list" or kind == "set" then
    local r = t.rules or {}
    local n = depth >= MAX_DEPTH and 0 or self:int(1, 2)
    if r.min_items and n < r.min_items then n = r.min_items end
    if r.max_items and n > r.max_items then n = r.max_items end
    local out, seen = setmetatable({}, require("fernws").array_mt), {}
    local tries = 0
    while #out < n and tries < n * 8 do
      tries = tries + 1
      local v = self:value(t.element, depth + 1)
      local key = type(v) == "table" and tostring(tries) or tostring(v) -- a set holds each value once
      if kind ~= "set" or not seen[key] then
        seen[key] = true
        out[#out + 1] = v
      end
    end
    return out
  elseif kind == "map" then
    local out = {}
    if depth < MAX_DEPTH then
      local k = self:value(t.key, depth + 1)
      out[k] = self:value(t.value, depth + 1)
    end
    return out
  elseif kind == "object" then
    return self:properties(t.properties, {}, depth)
  elseif kind == "union" then
    local v = self:pick(t.variants)
    local out = self:properties(t.base_properties or {}, {}, depth)
    out[t.discriminant or "type"] = v.value
    if v.type then
      if v.flattened then
        self:properties(v.type.properties or {}, out, depth)
      else
        out[v.key or "value"] = self:value(v.type, depth + 1)
      end
    end
    return out
  elseif kind == "undiscriminated_union" then
    return self:value(self:pick(t.members).type, depth)
  end
  return self:pick(WORDS) -- unknown: any JSON value
end

-- The kinds a message body comes in: each member of an undiscriminated union, each variant of a
-- discriminated one, else the type itself; as {name = ..., member = i or nil}.
function sample.kinds(t)
  while t.kind == "alias" do t = t.target end
  local out = {}
  if t.kind == "undiscriminated_union" then
    for i, m in ipairs(t.members) do
      local mt = m.type
      out[i] = { name = mt.short_name or mt.name or ("member " .. i), member = i }
    end
  elseif t.kind == "union" then
    for i, v in ipairs(t.variants) do out[i] = { name = v.value, member = i } end
  else
    out[1] = { name = t.short_name or t.name or t.kind }
  end
  return out
end

-- A value of one kind (see sample.kinds) of type t.
function Gen:kind_value(t, kind)
  while t.kind == "alias" do t = t.target end
  if not kind.member then return self:value(t, 0) end
  if t.kind == "undiscriminated_union" then return self:value(t.members[kind.member].type, 0) end
  local v = t.variants[kind.member]
  local out = self:properties(t.base_properties or {}, {}, 0)
  out[t.discriminant or "type"] = v.value
  if v.type then
    if v.flattened then self:properties(v.type.properties or {}, out, 0)
    else out[v.key or "value"] = self:value(v.type, 1) end
  end
  return out
end

-- gen.full = true fills every optional property near the top (depth < 3): values that show every
-- field, for checking another implementation's schemas.
function Gen:properties(props, out, depth)
  local chance = depth >= MAX_DEPTH and 0 or 0.6 / (depth + 1)
  if self.full then chance = depth < 3 and 1 or 0 end
  for _, p in ipairs(props) do
    if p.required or self:random() < chance then out[p.name] = self:value(p.type, depth + 1) end
  end
  return out
end

-- A value of message id of channel that channel:check accepts; nil, reason when none was found.
function Gen:message(channel, id, tries)
  local m = channel.messages[id]
  local last
  for _ = 1, tries or 20 do
    local v = self:value(m.type, 0)
    local ok, errs = channel:check(id, v)
    if ok then return v end
    last = errs and errs[1] and errs[1].message
  end
  return nil, "no generated value of '" .. id .. "' passed its validation rules (" .. tostring(last) .. ")"
end

return sample
