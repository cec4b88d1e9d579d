-- A terminal reference of a channel, in the three parts Fern's API reference shows:
-- Handshake (URL, parameters, headers, auth), Send (client messages), Receive (server messages).
local describe = {}

local WIDTH = 100

-- First paragraph of docs, on one line, cut to fit.
local function brief(docs, room)
  if not docs then return nil end
  local s = docs:gsub("\r", ""):match("^%s*(.-)%s*$")
  s = s:match("^(.-)\n%s*\n") or s
  s = s:gsub("%s+", " ")
  room = math.max(room or 60, 20)
  if #s > room then
    local cut = s:sub(1, room - 3)
    s = (cut:match("^(.*)%s") or cut) .. "..."
  end
  return s
end

local function type_text(t)
  if t == nil then return "?" end
  return tostring(t)
end

local function pad(s, n) return s .. string.rep(" ", math.max(1, n - #s)) end

local function default_text(v)
  if v == nil then return nil end
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

-- The type a value of t holds, under optional/nullable/list/set/map and aliases: what is worth
-- expanding (an object, a union, an enum).
local function inner(t)
  while t do
    local k = t.kind
    if k == "optional" or k == "nullable" or k == "list" or k == "set" then t = t.element
    elseif k == "map" then t = t.value
    elseif k == "alias" and t.target then t = t.target
    else return t end
  end
end

-- "one of: "a", "b", ... (N more)" for an enum, fitted to the width.
local function enum_text(t, room)
  local vals, used = {}, 8
  for i, v in ipairs(t.values) do
    local q = string.format("%q", v.value)
    if used + #q + 2 > room - 14 and i > 1 then -- room for ", ... (NN more)"
      vals[#vals + 1] = "... (" .. (#t.values - i + 1) .. " more)"
      break
    end
    vals[#vals + 1] = q
    used = used + #q + 2
  end
  return "one of: " .. table.concat(vals, ", ")
end

local function params(lines, title, list)
  if #list == 0 then return end
  lines[#lines + 1] = "  " .. title
  local w = 0
  for _, p in ipairs(list) do w = math.max(w, #p.name) end
  for _, p in ipairs(list) do
    local t = type_text(p.type)
    local flags = {}
    if p.required then flags[#flags + 1] = "required" end
    if p.allow_multiple then flags[#flags + 1] = "repeatable" end
    if p.default ~= nil then flags[#flags + 1] = "default " .. default_text(p.default) end
    if p.env then flags[#flags + 1] = "env " .. p.env end
    if p.deprecated then flags[#flags + 1] = "deprecated" end
    local head = "    " .. pad(p.name, w + 2) .. t .. (#flags > 0 and ("  (" .. table.concat(flags, ", ") .. ")") or "")
    local d = brief(p.docs, WIDTH - #head - 5)
    lines[#lines + 1] = head .. (d and ("  - " .. d) or "")
    local e = inner(p.type)
    if e and e.kind == "enum" then lines[#lines + 1] = "      " .. enum_text(e, WIDTH - 6) end
  end
end

local function auth_text(api, ch)
  if not ch.auth then return "none (the channel says auth: false)" end
  local schemes = api.auth
  if #schemes == 0 then return "none declared in api.yml" end
  local parts = {}
  for _, s in ipairs(schemes) do
    local how
    if s.kind == "bearer" then how = "Authorization: Bearer <token>"
    elseif s.kind == "basic" then how = "Authorization: Basic <username:password>"
    elseif s.kind == "header" then how = s.header .. ": " .. (s.prefix and (s.prefix .. " ") or "") .. "<" .. (s.option or "value") .. ">"
    elseif s.kind == "oauth" then how = (s.header or "Authorization") .. ": " .. (s.prefix or "Bearer") .. " <token> (OAuth client credentials)"
    else how = "Authorization: Bearer <token> (fetched from an endpoint)" end
    if s.env then how = how .. ", or $" .. s.env end
    parts[#parts + 1] = s.name .. ": " .. how
  end
  return table.concat(parts, "; or ")
end

-- The fields of a type, indented; unions list each member. A property's own type (an object, a
-- union, an enum) is shown below it, nested, down to maxdepth levels; a type already shown in
-- this message is named, not shown again.
local fields

local function nested(lines, pt, indent, depth, seen, maxdepth)
  local e = inner(pt)
  if not e then return end
  if e.kind == "enum" then
    lines[#lines + 1] = indent .. enum_text(e, WIDTH - #indent)
  elseif (e.kind == "object" or e.kind == "union" or e.kind == "undiscriminated_union") and depth < maxdepth then
    if seen[e] then
      lines[#lines + 1] = indent .. "(" .. (e.name or e.kind) .. ", shown above)"
    else
      fields(lines, e, indent, depth + 1, seen, maxdepth)
    end
  end
end

function fields(lines, t, indent, depth, seen, maxdepth)
  if depth > maxdepth + 3 then return end
  local kind = t.kind
  if kind == "alias" then return fields(lines, t.target, indent, depth, seen, maxdepth) end
  if kind == "optional" or kind == "nullable" or kind == "list" or kind == "set" then
    return fields(lines, t.element, indent, depth, seen, maxdepth)
  end
  if kind == "object" then
    if seen[t] then
      lines[#lines + 1] = indent .. "(" .. (t.name or "object") .. ", shown above)"
      return
    end
    seen[t] = true
    local props = t.properties
    local w = 0
    for _, p in ipairs(props) do w = math.max(w, #p.name) end
    for _, p in ipairs(props) do
      local pt = p.type
      local ttext = type_text(pt)
      if pt.kind == "literal" then ttext = string.format("%q", tostring(pt.value)) end
      local implied = p.required or ttext:find("^optional<")
      local head = indent .. pad(p.name, w + 2) .. ttext .. (implied and "" or "  (optional)")
      local d = brief(p.docs, WIDTH - #head - 5)
      lines[#lines + 1] = head .. (d and ("  - " .. d) or "")
      nested(lines, pt, indent .. "    ", depth, seen, maxdepth)
    end
  elseif kind == "union" then
    lines[#lines + 1] = indent .. "one of, by \"" .. t.discriminant .. "\":"
    for _, v in ipairs(t.variants) do
      lines[#lines + 1] = indent .. "  " .. t.discriminant .. " = " .. string.format("%q", v.value) ..
        (v.type and ("  " .. type_text(v.type) .. (v.key and (" under \"" .. v.key .. "\"") or (v.flattened and "" or " under \"value\""))) or "")
      if v.type and v.flattened then fields(lines, v.type, indent .. "    ", depth, seen, maxdepth)
      elseif v.type then nested(lines, v.type, indent .. "    ", depth, seen, maxdepth) end
    end
    local base = t.base_properties
    if base and #base > 0 then
      lines[#lines + 1] = indent .. "  in every variant:"
      for _, p in ipairs(base) do
        lines[#lines + 1] = indent .. "    " .. p.name .. "  " .. type_text(p.type)
        nested(lines, p.type, indent .. "      ", depth, seen, maxdepth)
      end
    end
  elseif kind == "undiscriminated_union" then
    lines[#lines + 1] = indent .. "one of:"
    for _, m in ipairs(t.members) do
      local mt = m.type
      local d = brief(mt.docs or m.docs, WIDTH - #indent - #type_text(mt) - 10)
      lines[#lines + 1] = indent .. "  " .. type_text(mt) .. (d and ("  - " .. d) or "")
      fields(lines, mt, indent .. "      ", depth, seen, maxdepth)
    end
  elseif kind == "enum" then
    lines[#lines + 1] = indent .. enum_text(t, WIDTH - #indent)
  end
end

local function messages(lines, ch, origin, maxdepth)
  local ids = {}
  for id, m in pairs(ch.messages) do if m.origin == origin then ids[#ids + 1] = id end end
  table.sort(ids)
  if #ids == 0 then lines[#lines + 1] = "  (none)" return end
  for _, id in ipairs(ids) do
    local m = ch.messages[id]
    local head = "  " .. id .. ": " .. (m.binary and "binary frames (send_binary)" or type_text(m.type))
    local d = brief(m.docs or m.type.docs, WIDTH - #head - 5)
    lines[#lines + 1] = head .. (d and ("  - " .. d) or "")
    fields(lines, m.type, "      ", 0, {}, maxdepth)
  end
end

-- opts.depth: how many levels of nested types to show below a message's own fields (1).
function describe.channel(api, ch, opts)
  local maxdepth = opts and opts.depth or 1
  local lines = {}
  local title = ch.name .. (ch.display_name and (" - " .. ch.display_name) or "")
  lines[#lines + 1] = title
  lines[#lines + 1] = string.rep("=", #title)
  local d = brief(ch.docs, WIDTH)
  if d then lines[#lines + 1] = d end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Handshake"
  local urls = ch:endpoints()
  if #urls == 0 then
    lines[#lines + 1] = "  URL    (no environments: connect with url = ...)" .. "  path " .. ch.path
  else
    -- the only environment is the one connect() uses without being told
    local function label(u) return u.environment .. ((u.default or #urls == 1) and " (default)" or "") end
    local w = 0
    for _, u in ipairs(urls) do w = math.max(w, #label(u)) end
    for _, u in ipairs(urls) do
      lines[#lines + 1] = "  URL    " .. pad(label(u), w + 2) .. (u.url or ("cannot be formed: " .. u.error))
    end
  end
  lines[#lines + 1] = "  Auth   " .. auth_text(api, ch)
  local am = ch.auth_message
  if am then
    lines[#lines + 1] = "         then the token goes in message " .. am.id .. ", at " .. am.token_path
  end
  params(lines, "Path parameters", ch.path_params)
  params(lines, "Query parameters", ch.query)
  local headers = {}
  for _, h in ipairs(ch.headers) do headers[#headers + 1] = h end
  for _, h in ipairs(api.headers) do
    local dup = false
    for _, c in ipairs(ch.headers) do if c.name:lower() == h.name:lower() then dup = true end end
    if not dup then headers[#headers + 1] = h end
  end
  params(lines, "Headers", headers)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Send (client -> server)"
  messages(lines, ch, "client", maxdepth)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Receive (server -> client)"
  messages(lines, ch, "server", maxdepth)
  return table.concat(lines, "\n") .. "\n"
end

return describe
