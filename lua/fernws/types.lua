-- LuaLS annotations (a `---@meta` file) for a loaded definition: a class per object type, aliases
-- for enums, literals and unions, and per channel the classes whose publish/subscribe/check/...
-- know the body type of each message id. Written against the API's own meta file
-- (types/fernws.lua), whose classes (fernws.Api, fernws.Connection, ...) these extend.
local types = {}

-- Fern primitives as Lua sees them after decoding.
local PRIM = {
  string = "string", datetime = "string", date = "string", uuid = "string", base64 = "string",
  bigint = "string", integer = "integer", long = "integer", uint = "integer", uint64 = "integer",
  float = "number", double = "number", boolean = "boolean",
}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or repeat
  return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

-- A string as a LuaLS (and Lua) string literal.
local function quote(s)
  return '"' .. s:gsub('[\\"%c]', function(c)
    if c == "\\" or c == '"' then return "\\" .. c end
    return string.format("\\%03d", c:byte())
  end) .. '"'
end

-- A name LuaLS reads as one name token: letters, digits, _ . - (and * which we never need).
local function safe_name(s)
  s = s:gsub("[^%w_%.%-]", "_")
  if s == "" or s:sub(1, 1) == "." or s:sub(1, 1) == "-" then s = "_" .. s end
  return s
end

-- A field or argument name: plain when Lua could index with it, else ["..."].
local function field_name(s)
  if s:match("^[%a_][%w_]*$") and not KEYWORDS[s] then return s end
  return "[" .. quote(s) .. "]"
end

-- Docs as comment lines. A line that LuaLS would read as an annotation (@...) or an alias member
-- (|...) is escaped; markdown shows "\@" as "@".
local function doc_lines(out, docs, indent)
  if type(docs) ~= "string" then return end
  local text = docs:gsub("\r", ""):match("^%s*(.-)%s*$")
  if text == "" then return end
  for line in (text .. "\n"):gmatch("(.-)\n") do
    line = line:gsub("%s+$", "")
    if line:match("^%s*[@|]") then line = line:gsub("^(%s*)([@|])", "%1\\%2") end
    out[#out + 1] = (indent or "") .. "---" .. line
  end
end

-- The first line of docs, for `---| "value" # ...`.
local function one_line(docs)
  if type(docs) ~= "string" then return nil end
  local s = docs:gsub("\r", ""):match("^%s*(.-)%s*$")
  s = s:match("^([^\n]*)") or s
  return s ~= "" and s or nil
end

local Gen = {}
Gen.__index = Gen

-- Declared kinds get a name of their own; the others are written out where they are used.
local NAMED = { alias = true, object = true, enum = true, union = true, undiscriminated_union = true }

function Gen:name_of(t)
  local n = self.names[t]
  if n then return n end
  if t.name then
    n = self.prefix .. safe_name(t.name)
  else
    self.anon = self.anon + 1
    n = self.prefix .. "Anonymous" .. self.anon
  end
  self.names[t] = n
  self.pending[#self.pending + 1] = t
  return n
end

-- The LuaLS type of a fernws type object; second result: true when the text is a union (so it
-- needs parentheses before [] or ?).
function Gen:expr(t)
  if t == nil then return "any", false end
  local k = t.kind
  if k == "primitive" then return PRIM[t.primitive] or "any", false end
  if k == "unknown" then return "any", false end
  if k == "literal" then
    if type(t.value) == "boolean" then return tostring(t.value), false end
    return quote(t.value), false
  end
  if k == "optional" then
    local e = self:expr(t.element)
    return e .. "|nil", true
  end
  if k == "nullable" then
    local e = self:expr(t.element)
    return e .. "|fernws.Null", true
  end
  if k == "list" or k == "set" then
    local e, u = self:expr(t.element)
    return (u and "(" .. e .. ")" or e) .. "[]", false
  end
  if k == "map" then
    local key = self:expr(t.key)
    local v = self:expr(t.value)
    return "table<" .. key .. ", " .. v .. ">", false
  end
  if k == "alias" and not t.name then
    -- a reference carrying rules of its own, or one that could not be resolved (a warning)
    if t.target == nil then return "any", false end
    return self:expr(t.target)
  end
  if NAMED[k] then return self:name_of(t), false end
  return "any", false
end

-- "name?" for an optional property, with the optional<...> dropped from its type.
function Gen:field(out, p, indent)
  doc_lines(out, p.docs, indent)
  local t, opt = p.type, not p.required
  if opt and t and t.kind == "optional" then t = t.element end
  local e = self:expr(t)
  out[#out + 1] = (indent or "") .. "---@field " .. field_name(p.name) .. (opt and "? " or " ") .. e
end

function Gen:object(out, t, name)
  doc_lines(out, t.docs)
  local parents = {}
  for _, e in ipairs(t.extends or {}) do parents[#parents + 1] = self:name_of(e) end
  out[#out + 1] = "---@class " .. name .. (#parents > 0 and (" : " .. table.concat(parents, ", ")) or "")
  local inherited = {}
  for _, e in ipairs(t.extends or {}) do
    for _, p in ipairs(e.properties or {}) do inherited[p.name] = true end
  end
  for _, p in ipairs(t.properties) do
    -- what a parent declares comes with the parent class
    if not inherited[p.name] then self:field(out, p) end
  end
  if t.extra_properties then out[#out + 1] = "---@field [string] any" end
end

function Gen:enum(out, t, name)
  doc_lines(out, t.docs)
  if #t.values == 0 then
    out[#out + 1] = "---@alias " .. name .. " string"
    return
  end
  out[#out + 1] = "---@alias " .. name
  for _, v in ipairs(t.values) do
    local d = one_line(v.docs)
    out[#out + 1] = "---| " .. quote(v.value) .. (d and (" # " .. d) or "")
  end
end

-- A discriminated union: one class per variant (the discriminant and, flattened, the variant's
-- object; or the variant's value under "value" or its key), the union an alias of them.
function Gen:union(out, t, name)
  local members = {}
  local used = {}
  for _, v in ipairs(t.variants) do
    local vname = name .. "." .. safe_name(v.value)
    while used[vname] or self.taken[vname] do vname = vname .. "_" end
    used[vname] = true
    self:claim(vname, "a variant of " .. name)
    members[#members + 1] = vname
    local body = {}
    doc_lines(body, v.docs)
    local parents = {}
    if v.type and v.flattened then parents[1] = self:expr(v.type) end
    body[#body + 1] = "---@class " .. vname .. (#parents > 0 and (" : " .. parents[1]) or "")
    body[#body + 1] = "---@field " .. field_name(t.discriminant) .. " " .. quote(v.value)
    if v.type and not v.flattened then
      local vt, opt = v.type, false
      if vt.kind == "optional" then vt, opt = vt.element, true end
      body[#body + 1] = "---@field " .. field_name(v.key or "value") .. (opt and "? " or " ") .. self:expr(vt)
    end
    for _, p in ipairs(t.base_properties or {}) do self:field(body, p) end
    self.variant_blocks[#self.variant_blocks + 1] = body
  end
  doc_lines(out, t.docs)
  if #members == 0 then
    out[#out + 1] = "---@alias " .. name .. " table"
    return
  end
  out[#out + 1] = "---@alias " .. name
  for _, m in ipairs(members) do out[#out + 1] = "---| " .. m end
end

function Gen:undiscriminated(out, t, name)
  doc_lines(out, t.docs)
  out[#out + 1] = "---@alias " .. name
  if #t.members == 0 then
    out[#out] = out[#out] .. " any"
    return
  end
  for _, m in ipairs(t.members) do
    local e = self:expr(m.type)
    local d = one_line(m.docs) or one_line(m.display_name)
    out[#out + 1] = "---| " .. e .. (d and (" # " .. d) or "")
  end
end

function Gen:declaration(t)
  local name = self.names[t]
  local out = {}
  local k = t.kind
  if k == "object" then self:object(out, t, name)
  elseif k == "enum" then self:enum(out, t, name)
  elseif k == "union" then self:union(out, t, name)
  elseif k == "undiscriminated_union" then self:undiscriminated(out, t, name)
  else -- alias
    doc_lines(out, t.docs)
    out[#out + 1] = "---@alias " .. name .. " " .. (t.target and self:expr(t.target) or "any")
  end
  return out
end

-- ---- channels ----

local function lua_local(name, used)
  local n = name:gsub("[^%w_]", "_")
  if n:match("^%d") then n = "_" .. n end
  while used[n] do n = n .. "_" end
  used[n] = true
  return n
end

local function sorted_ids(ch, origin)
  local ids = {}
  for id, m in pairs(ch.messages) do
    if origin == nil or m.origin == origin then ids[#ids + 1] = id end
  end
  table.sort(ids)
  return ids
end

-- Parentheses around a union, before "?" or "|string".
local function paren(e) return e:find("|", 1, true) and "(" .. e .. ")" or e end

-- "a"|"b" (or `none` when there are no such messages, so that a call is flagged).
local function id_union(ids, none)
  if #ids == 0 then return none end
  local q = {}
  for i, id in ipairs(ids) do q[i] = quote(id) end
  return table.concat(q, "|")
end

function Gen:body_union(ch, ids)
  local seen, parts = {}, {}
  for _, id in ipairs(ids) do
    local e = self:expr(ch.messages[id].type)
    if not seen[e] then
      seen[e] = true
      parts[#parts + 1] = e
    end
  end
  return #parts > 0 and table.concat(parts, "|") or "nil"
end

-- Lines for one method: the signature over every id (so a wrong id is flagged), then an overload
-- per id. sig(id) gives the overload's text after "fun(self: cls, ".
local function method(out, cls, var, name, docs, params, returns, ids, overload)
  for _, d in ipairs(docs) do out[#out + 1] = "---" .. d end
  for _, p in ipairs(params) do out[#out + 1] = "---@param " .. p end
  for _, r in ipairs(returns) do out[#out + 1] = "---@return " .. r end
  for _, id in ipairs(ids) do out[#out + 1] = "---@overload fun(self: " .. cls .. ", " .. overload(id) end
  local args = {}
  for i, p in ipairs(params) do args[i] = p:match("^([%w_]+)") end
  out[#out + 1] = "function " .. var .. ":" .. name .. "(" .. table.concat(args, ", ") .. ") end"
  out[#out + 1] = ""
end

-- {a: T, ["b-c"]?: U} for the path, query and header parameters of connect; and whether one of
-- them must be given.
function Gen:params_table(list)
  if #list == 0 then return nil end
  local parts, required = {}, false
  for _, p in ipairs(list) do
    -- what an environment variable can give, or a literal (written by connect), may be left out
    local t, opt = p.type, not p.required or p.env ~= nil or (p.type and p.type.kind == "literal")
    if t and t.kind == "optional" then t, opt = t.element, true end
    local e = self:expr(t)
    if p.allow_multiple then e = paren(e) .. "|" .. paren(e) .. "[]" end
    parts[#parts + 1] = field_name(p.name) .. (opt and "?: " or ": ") .. e
    required = required or not opt
  end
  return "{" .. table.concat(parts, ", ") .. "}", required
end

function Gen:channel(out, api, ch, used_locals)
  local P = self.prefix
  local n = safe_name(ch.name)
  local C = { channel = P .. "Channel." .. n, conn = P .. "Connection." .. n, server = P .. "Server." .. n,
              peer = P .. "Peer." .. n, opts = P .. "ConnectOptions." .. n }
  for _, v in pairs(C) do self:claim(v, "channel " .. ch.name) end
  local client, server, all = sorted_ids(ch, "client"), sorted_ids(ch, "server"), sorted_ids(ch)
  local function body(id) return self:expr(ch.messages[id].type) end

  out[#out + 1] = "-- ---- channel " .. ch.name .. " (" .. ch.path .. ") ----"
  out[#out + 1] = ""
  -- connect's options, with this channel's parameters typed
  out[#out + 1] = "---The options of `connect` for channel " .. ch.name .. "."
  out[#out + 1] = "---@class " .. C.opts .. " : fernws.ConnectOptions"
  local headers = {}
  for _, h in ipairs(ch.headers) do headers[#headers + 1] = h end
  for _, h in ipairs(api.headers) do
    local dup = false
    for _, c in ipairs(ch.headers) do if c.name:lower() == h.name:lower() then dup = true end end
    if not dup then headers[#headers + 1] = h end
  end
  for _, part in ipairs({ { "path", ch.path_params }, { "query", ch.query }, { "headers", headers } }) do
    local key, list = part[1], part[2]
    local tt, required = self:params_table(list)
    if tt then
      out[#out + 1] = "---@field " .. key .. (required and " " or "? ") .. tt
    end
  end
  out[#out + 1] = ""

  doc_lines(out, ch.docs)
  out[#out + 1] = "---@class " .. C.channel .. " : fernws.Channel"
  local var = lua_local(C.channel, used_locals)
  out[#out + 1] = "local " .. var .. " = {}"
  out[#out + 1] = ""
  method(out, C.channel, var, "connect", { "Connects (in a task: waits until open, or returns nil, err)." },
    { "opts? " .. C.opts }, { C.conn .. "? conn", "string? err" }, {}, nil)
  method(out, C.channel, var, "serve", { "Serves this channel." }, { "opts? fernws.ServeOptions" },
    { C.server .. "? server", "string? err" }, {}, nil)
  method(out, C.channel, var, "check", { "Validates a message body: true, or false and every failing field." },
    { "id " .. id_union(all, "nil"), "value " .. self:body_union(ch, all) },
    { "boolean ok", "fernws.ValueError[]? errors" }, all,
    function(id) return "id: " .. quote(id) .. ", value: " .. body(id) .. "): boolean, fernws.ValueError[]?" end)
  method(out, C.channel, var, "encode", { "A message body as validated JSON text; raises listing every failing field." },
    { "id " .. id_union(all, "nil"), "value " .. self:body_union(ch, all) }, { "string json" }, all,
    function(id) return "id: " .. quote(id) .. ", value: " .. body(id) .. "): string" end)
  method(out, C.channel, var, "decode", { "Which message a text is (a server message by default), decoded." },
    { "text string", "opts? fernws.DecodeOptions|\"client\"|\"server\"" },
    { paren(id_union(all, "string")) .. "? id", paren(self:body_union(ch, all)) .. "|string value", "fernws.Info|fernws.ValueError[] info" },
    {}, nil)

  -- the client's connection: publishes client messages, receives server messages
  local function side(cls, self_var_name, sends, receives, peer_cls, what)
    local v = lua_local(cls, used_locals)
    out[#out + 1] = "---" .. what
    out[#out + 1] = "---@class " .. cls .. " : fernws.Connection"
    out[#out + 1] = "local " .. v .. " = {}"
    out[#out + 1] = ""
    method(out, cls, v, "publish", { "Sends a message, validated against its type; raises with the path of each failing field.",
      "Returns true, or nil and why when the queue is full or the message was dropped." },
      { "id " .. id_union(sends, "nil"), "body " .. self:body_union(ch, sends) }, { "true? ok", "string? err" }, sends,
      function(id) return "id: " .. quote(id) .. ", body: " .. body(id) .. "): true?, string?" end)
    local cb_any = "fun(value: " .. self:body_union(ch, receives) .. ", info: fernws.Info, " .. self_var_name .. ": " .. peer_cls .. ")"
    method(out, cls, v, "subscribe", { "Calls fn with each received message of that id (\"*\": every message); nil removes it." },
      { "id " .. id_union(receives, "nil") .. "|\"*\"", "fn (" .. cb_any .. ")?" }, { cls }, receives,
      function(id)
        return "id: " .. quote(id) .. ", fn: (fun(value: " .. body(id) .. ", info: fernws.Info, " .. self_var_name .. ": " ..
          peer_cls .. "))?): " .. cls
      end)
    method(out, cls, v, "receive", { "In a task: waits for the next message of that id (or any), up to timeout seconds." },
      { "id? " .. id_union(receives, "nil") .. "|\"*\"", "timeout? number" },
      { paren(self:body_union(ch, receives)) .. "? value", "fernws.Info|string info_or_err" }, receives,
      function(id) return "id: " .. quote(id) .. ", timeout?: number): " .. paren(body(id)) .. "?, fernws.Info|string" end)
  end
  side(C.conn, "conn", client, server, C.conn, "A connection to channel " .. ch.name .. " (the client's end).")
  side(C.peer, "peer", server, client, C.peer, "A peer of a server of channel " .. ch.name .. " (the server's end of one connection).")

  local sv = lua_local(C.server, used_locals)
  out[#out + 1] = "---A server of channel " .. ch.name .. "."
  out[#out + 1] = "---@class " .. C.server .. " : fernws.Server"
  out[#out + 1] = "local " .. sv .. " = {}"
  out[#out + 1] = ""
  method(out, C.server, sv, "publish", { "Sends a message to every open peer; returns how many took it." },
    { "id " .. id_union(server, "nil"), "body " .. self:body_union(ch, server) }, { "integer sent" }, server,
    function(id) return "id: " .. quote(id) .. ", body: " .. body(id) .. "): integer" end)
  method(out, C.server, sv, "subscribe", { "Calls fn with each message of that id any peer sends (\"*\": every message)." },
    { "id " .. id_union(client, "nil") .. "|\"*\"",
      "fn (fun(value: " .. self:body_union(ch, client) .. ", info: fernws.Info, peer: " .. C.peer .. "))?" }, { C.server }, client,
    function(id)
      return "id: " .. quote(id) .. ", fn: (fun(value: " .. body(id) .. ", info: fernws.Info, peer: " .. C.peer .. "))?): " .. C.server
    end)
  return C.channel
end

function Gen:claim(name, what)
  if self.taken[name] and self.taken[name] ~= what then
    error(string.format("fernws types: the name %s is used by both %s and %s (try --prefix)", name, self.taken[name], what), 0)
  end
  self.taken[name] = what
end

-- The whole file for api; opts.prefix is put before every name it declares; opts.source says
-- where the definition came from (in the header).
function types.generate(api, opts)
  opts = opts or {}
  local g = setmetatable({ prefix = opts.prefix or "", names = {}, pending = {}, anon = 0, taken = {},
                           variant_blocks = {} }, Gen)
  local out = { "---@meta", "-- LuaLS annotations for the Fern definition " .. api.name ..
    (opts.source and (" (" .. opts.source .. ")") or "") .. ", written by `fernws types`: do not edit.",
    "-- Needs the meta file of fernws itself (its types/ folder) in the same workspace library.", "" }
  -- every declaration, in the definition's order, then what they brought in (anonymous ones)
  local decls = {}
  for _, n in ipairs(api:types()) do
    local t = api:type(n)
    if NAMED[t.kind] then
      g:name_of(t)
      g:claim(g.names[t], "type " .. n)
    end
  end
  -- the channel section refers to types too: write it first (into its own list), so that every
  -- type it brings in is declared below
  local chan = {}
  local used_locals = {}
  local api_cls = g.prefix .. "Api." .. safe_name(api.name)
  g:claim(api_cls, "the api")
  local channels = api:channels()
  local chan_cls = {}
  for i, n in ipairs(channels) do chan_cls[i] = g:channel(chan, api, api:channel(n), used_locals) end
  local i = 1
  while i <= #g.pending do
    local t = g.pending[i]
    decls[#decls + 1] = g:declaration(t)
    i = i + 1
  end
  for _, block in ipairs(decls) do
    for _, l in ipairs(block) do out[#out + 1] = l end
    out[#out + 1] = ""
  end
  for _, block in ipairs(g.variant_blocks) do
    for _, l in ipairs(block) do out[#out + 1] = l end
    out[#out + 1] = ""
  end
  for _, l in ipairs(chan) do out[#out + 1] = l end

  -- the api: channel(name) knows each channel's class
  local av = lua_local(api_cls, used_locals)
  out[#out + 1] = "-- ---- the api ----"
  out[#out + 1] = ""
  doc_lines(out, api.docs)
  out[#out + 1] = "---The definition " .. api.name .. ": `local api = fernws.load(path) ---@type " .. api_cls .. "`"
  out[#out + 1] = "---@class " .. api_cls .. " : fernws.Api"
  out[#out + 1] = "local " .. av .. " = {}"
  out[#out + 1] = ""
  method(out, api_cls, av, "channel", { "The channel of that name." },
    { "name " .. id_union(channels, "nil") }, { #chan_cls > 0 and table.concat(chan_cls, "|") or "fernws.Channel" },
    channels, function(name)
      for k, n in ipairs(channels) do if n == name then return "name: " .. quote(name) .. "): " .. chan_cls[k] end end
    end)
  -- drop the blank line the last method left, and end with one newline
  while out[#out] == "" do out[#out] = nil end
  return table.concat(out, "\n") .. "\n"
end

return types
