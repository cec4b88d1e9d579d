-- A small grammar of LuaLS annotations (the subset fernws writes), for the specs of `fernws types`
-- and of the meta file: every `---@` line is parsed into what it declares and what type names it
-- mentions, so that a spec can check that each name resolves. Tokens follow LuaLS's own
-- (script/parser/luadoc.lua): names may hold . - * after the first character.
local M = {}

local BUILTIN = {}
for n in ([[nil any boolean string number integer function table thread userdata lightuserdata
  unknown self file*]]):gmatch("%S+") do BUILTIN[n] = true end
M.builtin = BUILTIN

-- Tokens of one annotation's text: {t = "name"|"string"|"integer"|"sym", v = text, at = column}.
local function tokenize(s)
  local toks, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif s:match("^%-?%d+", i) and not s:match("^%-?%d+%.", i) and (c ~= "-" or s:sub(i + 1, i + 1):match("%d")) then
      local num = s:match("^%-?%d+", i)
      toks[#toks + 1] = { t = "integer", v = num, at = i }
      i = i + #num
    elseif c:match("[%w_\128-\255]") then
      local name = s:match("^[%w_\128-\255][%w_%.%*%-\128-\255]*", i)
      toks[#toks + 1] = { t = "name", v = name, at = i }
      i = i + #name
    elseif c == '"' or c == "'" then
      local j, buf = i + 1, {}
      while true do
        local d = s:sub(j, j)
        if d == "" then error("unterminated string at column " .. i, 0) end
        if d == c then break end
        if d == "\\" then
          local e = s:sub(j + 1, j + 1)
          local digits = s:match("^%d%d?%d?", j + 1)
          if digits then
            buf[#buf + 1] = string.char(tonumber(digits))
            j = j + 1 + #digits
          else
            buf[#buf + 1] = ({ n = "\n", t = "\t", r = "\r" })[e] or e
            j = j + 2
          end
        else
          buf[#buf + 1] = d
          j = j + 1
        end
      end
      toks[#toks + 1] = { t = "string", v = table.concat(buf), at = i, e = j }
      i = j + 1
    elseif s:sub(i, i + 1) == "[]" then
      toks[#toks + 1] = { t = "sym", v = "[]", at = i }
      i = i + 2
    elseif s:sub(i, i + 2) == "..." then
      toks[#toks + 1] = { t = "sym", v = "...", at = i }
      i = i + 3
    elseif c:match("[:|,;<>()?+#{}%[%]]") or (c == "-" and s:sub(i + 1, i + 1) ~= "-") then
      toks[#toks + 1] = { t = "sym", v = c, at = i }
      i = i + 1
    elseif c == "`" then
      local code = s:match("^`[^`]*`?", i)
      toks[#toks + 1] = { t = "code", v = code, at = i }
      i = i + #code
    else
      -- no token of LuaLS: an error where a type is expected, fine in a description
      toks[#toks + 1] = { t = "other", v = c, at = i }
      i = i + 1
    end
  end
  for _, t in ipairs(toks) do t.e = t.e or (t.at + #t.v - 1) end
  return toks
end
M.tokenize = tokenize

local P = {}
P.__index = P

local function parser(text)
  return setmetatable({ toks = tokenize(text), i = 1, refs = {}, text = text }, P)
end

function P:peek(k) return self.toks[self.i + (k or 0)] end
function P:is(t, v, k)
  local tok = self:peek(k)
  return tok ~= nil and tok.t == t and (v == nil or tok.v == v)
end
function P:next() local t = self.toks[self.i]; self.i = self.i + 1; return t end
function P:fail(what)
  local tok = self:peek()
  error(what .. (tok and (" at '" .. tok.v .. "' (column " .. tok.at .. ")") or " at the end"), 0)
end
function P:expect(t, v)
  if not self:is(t, v) then self:fail("expected " .. (v or t)) end
  return self:next()
end
function P:accept(t, v)
  if self:is(t, v) then return self:next() end
end
function P:done() return self.i > #self.toks end

-- type := unit ('|' unit)* '?'?
function P:type()
  self:unit()
  while self:accept("sym", "|") do self:unit() end
  self:accept("sym", "?")
end

function P:fun()
  self:expect("name", "fun")
  self:expect("sym", "(")
  if not self:accept("sym", ")") then
    repeat
      if not self:accept("sym", "...") then self:expect("name") end
      self:accept("sym", "?")
      if self:accept("sym", ":") then self:type() end
    until not self:accept("sym", ",")
    self:expect("sym", ")")
  end
  if self:accept("sym", ":") then
    local paren = self:accept("sym", "(")
    repeat
      if self:is("name") and self:is("sym", ":", 1) then self.i = self.i + 2 end -- a named return
      self:type()
    until not self:accept("sym", ",")
    if paren then self:expect("sym", ")") end
  end
end

function P:table_type()
  self:expect("sym", "{")
  if self:accept("sym", "}") then return end
  repeat
    if self:accept("sym", "[") then
      if self:is("string") or self:is("integer") then self:next() else self:type() end
      self:expect("sym", "]")
    else
      self:expect("name")
    end
    self:accept("sym", "?")
    self:expect("sym", ":")
    self:type()
  until not (self:accept("sym", ",") or self:accept("sym", ";"))
  self:expect("sym", "}")
end

function P:unit()
  if self:is("name", "fun") and self:is("sym", "(", 1) then
    self:fun()
  elseif self:is("sym", "{") then
    self:table_type()
  elseif self:is("string") or self:is("integer") or self:is("name", "true") or self:is("name", "false") then
    self:next()
  elseif self:accept("sym", "(") then
    self:type()
    self:expect("sym", ")")
  else
    local tok = self:expect("name")
    self.refs[#self.refs + 1] = tok.v
  end
  while self:accept("sym", "<") do
    repeat self:type() until not self:accept("sym", ",")
    self:expect("sym", ">")
  end
  while self:accept("sym", "[]") do end
end

-- What may follow a type: nothing, or (loose) a description.
function P:rest(loose, what)
  if self:done() then return end
  if not loose then self:fail("text after the " .. what) end
  self.i = #self.toks + 1
end

local function field_name(p)
  if p:accept("sym", "[") then
    if not (p:accept("string") or p:accept("integer")) then p:type() end
    p:expect("sym", "]")
  else
    p:expect("name")
  end
end

-- Parses one annotation (the text after "---@"); returns {tag=, name=, refs=}.
local TAGS = {}
function TAGS.meta(p) p:accept("name") end
function TAGS.class(p, r)
  r.name = p:expect("name").v
  if p:accept("sym", ":") then
    repeat
      if p:is("sym", "{") then p:table_type() else r.refs[#r.refs + 1] = p:expect("name").v end
    until not p:accept("sym", ",")
  end
end
function TAGS.field(p, r, loose)
  if p:is("name") and (p:peek().v == "private" or p:peek().v == "protected" or p:peek().v == "public") and p:peek(1) then
    p:next()
  end
  local start = p.i
  field_name(p)
  r.name = p.toks[start].t == "name" and p.toks[start].v or p.toks[start + 1].v
  r.optional = p:accept("sym", "?") ~= nil
  local from = p.i
  p:type()
  r.type_text = p.text:sub(p.toks[from].at, p.toks[p.i - 1].e)
  p:rest(loose, "field's type")
end
function TAGS.alias(p, r)
  r.name = p:expect("name").v
  if not p:done() then p:type() end
  p:rest(false, "alias")
end
function TAGS.param(p, r, loose)
  if not p:accept("sym", "...") then r.name = p:expect("name").v end
  r.optional = p:accept("sym", "?") ~= nil
  local from = p.i
  p:type()
  r.type_text = p.text:sub(p.toks[from].at, p.toks[p.i - 1].e)
  p:rest(loose, "parameter's type")
end
function TAGS.overload(p, r)
  local from = p.i
  p:fun()
  r.type_text = p.text:sub(p.toks[from].at, p.toks[p.i - 1].e)
  p:rest(false, "overload")
end
function TAGS.type(p)
  repeat p:type() until not p:accept("sym", ",")
  p:rest(false, "type")
end
TAGS["return"] = function(p, r, loose)
  repeat
    p:type()
    p:accept("sym", "?")
    if p:is("name") and not p:is("sym", "|", 1) then p:next() end -- the value's name
  until not p:accept("sym", ",")
  p:rest(loose, "return type")
end
TAGS.deprecated = function() end
TAGS.nodiscard = function() end

function M.annotation(text, loose)
  local tag, body = text:match("^@(%a+)%s*(.*)$")
  if not tag or not TAGS[tag] then error("unknown annotation '" .. (text:match("^@%S*") or text) .. "'", 0) end
  local p = parser(body)
  local r = { tag = tag, refs = p.refs }
  TAGS[tag](p, r, loose)
  return r
end

-- `---| T # doc` after an alias: one more member.
function M.member(text)
  local body = text:match("^|%s*(.*)$")
  local p = parser((body:gsub("%s+#.*$", "")))
  p:accept("sym", ">")
  p:accept("sym", "+")
  p:unit()
  if not p:done() then p:fail("text after the alias member") end
  return p.refs
end

-- Checks a whole file. Returns a report: {classes = {name = {fields = {name = {optional, type}}}},
-- aliases = {name = {members}}, methods = {["Class:name"] = {overloads = {...}, params = {...}}},
-- refs = {name = line}, errors = {"line N: ..."}}. opts.loose allows descriptions after types.
function M.check(text, opts)
  opts = opts or {}
  local rep = { classes = {}, aliases = {}, methods = {}, refs = {}, errors = {}, lines = 0, annotations = 0,
                locals = {} }
  local class, alias, block, last_class = nil, nil, nil, nil
  local function err(n, msg) rep.errors[#rep.errors + 1] = "line " .. n .. ": " .. msg end
  local n = 0
  for line in (text:gsub("\n?$", "\n")):gmatch("(.-)\n") do
    n = n + 1
    local ann = line:match("^%-%-%-(.*)$")
    if ann then
      block = block or { params = {}, overloads = {}, returns = {}, line = n }
      local s = ann:gsub("^%s+", "")
      if s:sub(1, 1) == "@" then
        rep.annotations = rep.annotations + 1
        local ok, r = pcall(M.annotation, s, opts.loose)
        if not ok then
          err(n, r .. ": " .. line)
        else
          for _, name in ipairs(r.refs) do rep.refs[name] = rep.refs[name] or n end
          alias = nil
          if r.tag == "class" then
            if rep.classes[r.name] or rep.aliases[r.name] then err(n, "declared twice: " .. r.name) end
            class = { fields = {}, parents = r.refs, line = n }
            rep.classes[r.name] = class
            last_class = r.name
          elseif r.tag == "alias" then
            if rep.classes[r.name] or rep.aliases[r.name] then err(n, "declared twice: " .. r.name) end
            alias = { members = {}, line = n, type_text = s:match("^@alias%s+%S+%s*(.*)$") }
            rep.aliases[r.name] = alias
          elseif r.tag == "field" then
            if not class then err(n, "a field outside a class") else
              class.fields[r.name] = { optional = r.optional, type = r.type_text }
            end
          elseif r.tag == "param" then
            block.params[#block.params + 1] = { name = r.name, optional = r.optional, type = r.type_text }
          elseif r.tag == "overload" then
            block.overloads[#block.overloads + 1] = r.type_text
          elseif r.tag == "return" then
            block.returns[#block.returns + 1] = s
          end
        end
      elseif s:sub(1, 1) == "|" then
        if not alias then err(n, "an alias member outside an alias: " .. line) else
          local ok, refs = pcall(M.member, s)
          if not ok then err(n, refs .. ": " .. line) else
            for _, name in ipairs(refs) do rep.refs[name] = rep.refs[name] or n end
            alias.members[#alias.members + 1] = (s:gsub("^|%s*", ""):gsub("%s+#.*$", ""))
          end
        end
      end
      -- other `---` lines are docs
    else
      local var = line:match("^local%s+([%w_]+)%s*=%s*{}%s*$")
      if var and last_class then rep.locals[var] = last_class end
      local fn = line:match("^function%s+([%w_%.:]+)%s*%(")
      if fn then
        local v, sep, m = fn:match("^([%w_]+)([%.:])(.+)$")
        if v and rep.locals[v] then fn = rep.locals[v] .. sep .. m end
        if block then
          rep.methods[fn] = block
        end
      elseif block and (#block.params > 0 or #block.overloads > 0 or #block.returns > 0) then
        err(block.line, "parameters, returns or overloads not followed by a function")
      end
      if not line:match("^%-%-") then class = nil end
      if line:match("^%s*$") then last_class = nil end
      alias, block = nil, nil
    end
  end
  rep.lines = n
  return rep
end

-- Every name mentioned in any of the reports that none of them declares (and LuaLS does not
-- know): {name = "file line"}.
function M.unresolved(reports)
  local known = {}
  for _, r in ipairs(reports) do
    for k in pairs(r.classes) do known[k] = true end
    for k in pairs(r.aliases) do known[k] = true end
  end
  local missing = {}
  for _, r in ipairs(reports) do
    for name, line in pairs(r.refs) do
      if not known[name] and not BUILTIN[name] then missing[name] = (r.name or "?") .. ":" .. line end
    end
  end
  return missing
end

return M
