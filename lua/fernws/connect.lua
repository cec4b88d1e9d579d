-- `fernws connect PATH CHANNEL`: wscat for a described channel. At a terminal: each received
-- message as its id and member with the value pretty-printed; a typed `ID {json}` or
-- `ID lua-table` is validated and sent (errors with their paths); /help, /messages, /close; line
-- editing (lua/fernws/lineedit.lua). From a pipe: one message per line in, JSON lines out.
-- stdin is read through luv (Debian lua-luv), which reads a terminal in raw mode and a pipe
-- without blocking the fernws loop.
local fernws = require "fernws"
local cjson = require "cjson"

local M = {}

M.USAGE = [[
usage: fernws connect PATH CHANNEL [--env E | --url U] [--path k=v] [--query k=v] [--header k=v]
                      [--auth TOKEN] [--count N]
]]

local COMMANDS = { "/help", "/messages", "/close" }

local HELP = [==[
ID {json}        send message ID with a JSON body (validated first), e.g. publish {"text": "hi"}
ID lua-table     the same with a Lua table constructor, e.g. publish {text = "hi"}
/messages        what can be sent, each with a skeleton body
/close [code [reason]]   close the connection (1000 by default) and quit
/help            this text
Keys: Left/Right, Home/End (Ctrl-A/E), Up/Down history, Tab completes ids, Ctrl-U/K/W, Ctrl-D quits.]==]

-- ---- values and text ----

-- JSON text re-indented, two spaces a level ({} and [] stay as they are).
function M.pretty(json)
  local out, depth, i, n = {}, 0, 1, #json
  local function nl() out[#out + 1] = "\n" .. string.rep("  ", depth) end
  while i <= n do
    local c = json:sub(i, i)
    if c == '"' then
      local j = i + 1
      while j <= n do
        local d = json:sub(j, j)
        if d == "\\" then j = j + 2
        elseif d == '"' then break
        else j = j + 1 end
      end
      out[#out + 1] = json:sub(i, j)
      i = j + 1
    elseif c == "{" or c == "[" then
      local close = c == "{" and "}" or "]"
      local after = json:match("^%s*(.)", i + 1)
      if after == close then
        out[#out + 1] = c .. close
        i = json:find(close, i + 1, true) + 1
      else
        out[#out + 1] = c
        depth = depth + 1
        nl()
        i = i + 1
      end
    elseif c == "}" or c == "]" then
      depth = depth - 1
      nl()
      out[#out + 1] = c
      i = i + 1
    elseif c == "," then
      out[#out + 1] = ","
      nl()
      i = i + 1
    elseif c == ":" then
      out[#out + 1] = ": "
      i = i + 1
    elseif c:match("%s") then
      i = i + 1
    else
      local j = json:find('[%s,:{}%[%]"]', i) or n + 1
      out[#out + 1] = json:sub(i, j - 1)
      i = j
    end
  end
  return table.concat(out)
end

-- The type under optional/nullable/anonymous aliases.
local function bare(t)
  while t and (t.kind == "optional" or t.kind == "nullable" or (t.kind == "alias" and t.target)) do
    t = t.kind == "alias" and t.target or t.element
  end
  return t
end

local PLACEHOLDER = {
  string = '""', datetime = '"2024-01-01T00:00:00Z"', date = '"2024-01-01"',
  uuid = '"00000000-0000-0000-0000-000000000000"', base64 = '""', bigint = '"0"', integer = "0",
  long = "0", uint = "0", uint64 = "0", float = "0.0", double = "0.0", boolean = "false",
}

-- A skeleton body of type t as JSON text: required properties with placeholder values, the
-- first variant of a union, the first value of an enum.
function M.skeleton(t, depth)
  depth = depth or 0
  local enc = cjson.encode
  if t == nil or depth > 8 then return "null" end
  local k = t.kind
  if k == "optional" then return M.skeleton(t.element, depth + 1) end
  if k == "nullable" then return M.skeleton(t.element, depth + 1) end
  if k == "alias" then return t.target and M.skeleton(t.target, depth + 1) or "null" end
  if k == "primitive" then return PLACEHOLDER[t.primitive] or "null" end
  if k == "unknown" then return "{}" end
  if k == "literal" then return type(t.value) == "boolean" and tostring(t.value) or enc(t.value) end
  if k == "enum" then return #t.values > 0 and enc(t.values[1].value) or '""' end
  if k == "list" or k == "set" then return "[]" end
  if k == "map" then return "{}" end
  local function props(list, parts)
    for _, p in ipairs(list or {}) do
      if p.required then parts[#parts + 1] = enc(p.name) .. ": " .. M.skeleton(p.type, depth + 1) end
    end
  end
  if k == "object" then
    local parts = {}
    props(t.properties, parts)
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  if k == "union" then
    local v = t.variants[1]
    if not v then return "{}" end
    local parts = { enc(t.discriminant) .. ": " .. enc(v.value) }
    if v.type and v.flattened then
      local inner = bare(v.type)
      props(inner and inner.properties, parts)
    elseif v.type then
      parts[#parts + 1] = enc(v.key or "value") .. ": " .. M.skeleton(v.type, depth + 1)
    end
    props(t.base_properties, parts)
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  if k == "undiscriminated_union" then
    return t.members[1] and M.skeleton(t.members[1].type, depth + 1) or "null"
  end
  return "null"
end

-- A body typed after an id: JSON (a value JSON reads), else a Lua expression (a table
-- constructor, evaluated with no access to anything). Returns the value or nil, why.
function M.parse_body(text)
  if text:match("^%s*$") then return nil, "no body: write ID {json} or ID {lua = 'table'}" end
  local ok, v = pcall(cjson.decode, text)
  if ok then return v end
  local chunk = load("return " .. text, "=body", "t", {})
  if not chunk then
    return nil, "the body is neither JSON (" .. tostring(v):gsub("^Expected", "expected") .. ") nor a Lua value"
  end
  local ok2, lv = pcall(chunk)
  if not ok2 then return nil, "the body is neither JSON nor a Lua value: " .. tostring(lv) end
  return lv
end

-- ---- options ----

-- A k=v argument's value, typed by the parameter that takes it.
local function typed(p, v)
  local t = bare(p and p.type)
  local k = t and (t.kind == "primitive" and t.primitive or t.kind)
  if k == "integer" or k == "long" or k == "uint" or k == "uint64" then
    local n = math.tointeger(tonumber(v))
    if not n then error(string.format("%s: '%s' is not an integer", p.name, v), 0) end
    return n
  elseif k == "float" or k == "double" then
    local n = tonumber(v)
    if not n then error(string.format("%s: '%s' is not a number", p.name, v), 0) end
    return n
  elseif k == "boolean" then
    if v ~= "true" and v ~= "false" then error(string.format("%s: '%s' is not true or false", p.name, v), 0) end
    return v == "true"
  elseif k == "object" or k == "map" or k == "union" or k == "undiscriminated_union" or k == "unknown" or
    (k == "list" and not p.allow_multiple) then
    local ok, j = pcall(cjson.decode, v)
    if ok then return j end
  end
  return v
end

local function find_param(list, name)
  for _, p in ipairs(list) do if p.name == name then return p end end
end

-- argv -> the session's settings, or nil, usage error.
function M.parse_args(args)
  local o = { path = {}, query = {}, headers = {} }
  local i = 1
  local function value(a)
    local v = args[i + 1]
    if v == nil then error("fernws connect: " .. a .. " needs a value", 0) end
    i = i + 2
    return v
  end
  local ok, e = pcall(function()
    while args[i] do
      local a = args[i]
      if a == "--env" then o.environment = value(a)
      elseif a == "--url" then o.url = value(a)
      elseif a == "--auth" then o.auth = value(a)
      elseif a == "--count" then
        o.count = math.tointeger(tonumber(value(a)))
        if not o.count or o.count < 1 then error("fernws connect: --count needs a number above 0", 0) end
      elseif a == "--path" or a == "--query" or a == "--header" then
        local kv = value(a)
        local key, v = kv:match("^([^=]+)=(.*)$")
        if not key then error("fernws connect: " .. a .. " takes k=v, not '" .. kv .. "'", 0) end
        local list = o[({ ["--path"] = "path", ["--query"] = "query", ["--header"] = "headers" })[a]]
        list[#list + 1] = { key, v }
      elseif a:sub(1, 2) ~= "--" and not o.file then o.file = a; i = i + 1
      elseif a:sub(1, 2) ~= "--" and not o.channel then o.channel = a; i = i + 1
      else error("fernws connect: unexpected argument '" .. a .. "'", 0) end
    end
    if not (o.file and o.channel) then error("fernws connect: PATH and CHANNEL are needed", 0) end
    if o.environment and o.url then error("fernws connect: --env or --url, not both", 0) end
  end)
  if not ok then return nil, e end
  return o
end

-- The options of channel:connect from the session's settings (typed by the channel).
function M.connect_options(api, ch, o)
  local opts = { environment = o.environment, url = o.url }
  local function fill(pairs_list, params, into, extra)
    for _, kv in ipairs(pairs_list) do
      local k, v = kv[1], kv[2]
      local p = find_param(params, k)
      if not p and extra then
        opts.extra_query = opts.extra_query or {}
        opts.extra_query[k] = v
      else
        v = typed(p, v)
        if p and p.allow_multiple then
          into[k] = into[k] or {}
          table.insert(into[k], v)
        else
          into[k] = v
        end
      end
    end
  end
  if #o.path > 0 then opts.path = {}; fill(o.path, ch.path_params, opts.path) end
  if #o.query > 0 then opts.query = {}; fill(o.query, ch.query, opts.query, true) end
  if #o.headers > 0 then
    opts.headers = {}
    local all = {}
    for _, h in ipairs(ch.headers) do all[#all + 1] = h end
    for _, h in ipairs(api.headers) do all[#all + 1] = h end
    fill(o.headers, all, opts.headers)
  end
  if o.auth then
    local basic = false
    for _, s in ipairs(api.auth) do if s.kind == "basic" then basic = true end end
    local user, pass = o.auth:match("^([^:]*):(.*)$")
    if basic and user then opts.auth = { username = user, password = pass }
    else opts.auth = { token = o.auth } end
  end
  return opts
end

-- ---- the session ----

local function sorted_ids(ch, origin)
  local ids = {}
  for id, m in pairs(ch.messages) do if m.origin == origin then ids[#ids + 1] = id end end
  table.sort(ids)
  return ids
end

-- A string as JSON (lua-cjson would also escape "/").
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" elseif c == "\n" then return "\\n"
    elseif c == "\t" then return "\\t" elseif c == "\r" then return "\\r" end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function number_json(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

-- Whether value v looks like a value of object type t: its literal properties (how real
-- definitions tell the members of an undiscriminated union apart) all hold.
local function fits(t, v)
  t = bare(t)
  if not (t and t.kind == "object" and type(v) == "table") then return false end
  for _, p in ipairs(t.properties) do
    local pt = bare(p.type)
    if pt and pt.kind == "literal" and v[p.name] ~= pt.value then return false end
    if p.required and v[p.name] == nil then return false end
  end
  return true
end

-- A value as JSON text with its properties in the order the definition declares them (the
-- discriminant of a union first); what the type does not declare follows, sorted.
function M.ordered_json(t, v, depth)
  depth = depth or 0
  if v == nil or v == fernws.null then return "null" end
  local tv = type(v)
  if tv == "string" then return json_string(v) end
  if tv == "number" then return number_json(v) end
  if tv == "boolean" then return tostring(v) end
  if tv ~= "table" or depth > 200 then return json_string(tostring(v)) end
  t = bare(t)
  local k = t and t.kind
  if k == "undiscriminated_union" then
    local pick
    for _, m in ipairs(t.members) do if fits(m.type, v) then pick = m.type break end end
    t = bare(pick)
    k = t and t.kind
  end
  local order, types = {}, {}
  if k == "list" or k == "set" then
    local parts = {}
    for i = 1, #v do parts[i] = M.ordered_json(t.element, v[i], depth + 1) end
    return "[" .. table.concat(parts, ",") .. "]"
  elseif k == "object" then
    for _, p in ipairs(t.properties) do order[#order + 1] = p.name; types[p.name] = p.type end
  elseif k == "union" then
    order[1] = t.discriminant
    for _, var in ipairs(t.variants) do
      if var.value == v[t.discriminant] and var.type then
        local inner = bare(var.type)
        if var.flattened and inner and inner.properties then
          for _, p in ipairs(inner.properties) do order[#order + 1] = p.name; types[p.name] = p.type end
        else
          order[#order + 1] = var.key or "value"
          types[var.key or "value"] = var.type
        end
      end
    end
    for _, p in ipairs(t.base_properties or {}) do order[#order + 1] = p.name; types[p.name] = p.type end
  elseif k == "map" then
    for key in pairs(v) do types[key] = t.value end
  end
  local is_array = getmetatable(v) == fernws.array_mt or (next(v) ~= nil and #v > 0 and k ~= "map" and k ~= "object")
  if is_array then
    local parts = {}
    for i = 1, #v do parts[i] = M.ordered_json(nil, v[i], depth + 1) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local seen, rest, parts = {}, {}, {}
  for _, name in ipairs(order) do
    seen[name] = true
    if v[name] ~= nil then parts[#parts + 1] = json_string(name) .. ":" .. M.ordered_json(types[name], v[name], depth + 1) end
  end
  for key in pairs(v) do if not seen[key] then rest[#rest + 1] = tostring(key) end end
  table.sort(rest)
  for _, name in ipairs(rest) do
    local val = v[name]
    if val == nil then val = v[tonumber(name)] end
    parts[#parts + 1] = json_string(name) .. ":" .. M.ordered_json(types[name], val, depth + 1)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- A received value as JSON, in the definition's order; at the top the member it decoded as
-- (info.variant) is the type when it names a declared one.
local function value_json(api, ch, info, value)
  local t = ch.messages[info.id].type
  if info.variant then
    local ok, vt = pcall(api.type, api, info.variant)
    if ok and vt then t = vt end
  end
  return M.ordered_json(t, value)
end

-- Runs the session; returns the exit code. io: {stdin_kind = "tty"|"pipe"|"file", out, err}.
function M.session(api, ch, o, out, err)
  local uv = require "luv"
  local interactive = uv.guess_handle(0) == "tty" and uv.guess_handle(1) == "tty"
  local client_ids = sorted_ids(ch, "client")
  local failed, done, received = false, false, 0
  local conn, editor, input
  local opened = false

  -- what the session says: lines above the prompt at a terminal, JSON lines from a pipe
  local function say(text)
    if editor then editor:print(text) else out:write(text, "\n") out:flush() end
  end
  local function event(fields)
    local parts = {}
    for _, kv in ipairs(fields) do
      local v = kv[2]
      if kv[3] then parts[#parts + 1] = json_string(kv[1]) .. ":" .. v
      elseif v ~= nil then parts[#parts + 1] = json_string(kv[1]) .. ":" .. (type(v) == "string" and json_string(v) or tostring(v)) end
    end
    out:write("{", table.concat(parts, ","), "}\n")
    out:flush()
  end

  local function finish()
    if done then return end
    done = true
    if editor then editor:stop() end
    if input then
      if input.read_stop then input:read_stop() end
      if not input:is_closing() then input:close() end
    end
    fernws.stop()
  end

  local function close_conn(code, reason)
    if conn then
      conn:close(code or 1000, reason or "")
      if interactive then say("closed " .. (code or 1000)) else event({ { "event", "close" }, { "code", code or 1000 }, { "reason", reason or "" }, { "by", "client" } }) end
    end
    finish()
  end

  local function messages_text()
    local lines = {}
    if #client_ids == 0 then return "this channel takes no messages from clients" end
    for _, id in ipairs(client_ids) do
      local m = ch.messages[id]
      local d = m.docs or m.type.docs
      d = d and d:match("^%s*([^\n]*)")
      lines[#lines + 1] = id .. " " .. M.skeleton(m.type) .. "    -- " .. tostring(m.type) .. (d and d ~= "" and ("  " .. d) or "")
    end
    return table.concat(lines, "\n")
  end

  -- one line of input: a command, or ID body
  local lineno = 0
  local function handle(line)
    lineno = lineno + 1
    if line:match("^%s*$") then return end
    local cmd, rest = line:match("^%s*(/%S+)%s*(.-)%s*$")
    if cmd then
      if cmd == "/help" then
        if interactive then say(HELP) else event({ { "event", "help" }, { "text", HELP } }) end
      elseif cmd == "/messages" then
        if interactive then say(messages_text())
        else
          local list = {}
          for _, mid in ipairs(client_ids) do
            local m = ch.messages[mid]
            list[#list + 1] = "{" .. json_string("id") .. ":" .. json_string(mid) .. "," .. json_string("type") .. ":" ..
              json_string(tostring(m.type)) .. "," .. json_string("skeleton") .. ":" .. M.skeleton(m.type) .. "}"
          end
          event({ { "event", "messages" }, { "messages", "[" .. table.concat(list, ",") .. "]", true } })
        end
      elseif cmd == "/close" or cmd == "/quit" then
        local code, reason = rest:match("^(%d*)%s*(.-)$")
        close_conn(tonumber(code) or 1000, reason)
      else
        if interactive then say("unknown command " .. cmd .. " (/help lists them)")
        else
          failed = true
          event({ { "event", "invalid" }, { "line", lineno }, { "message", "unknown command " .. cmd } })
        end
      end
      return
    end
    local id, body = line:match("^%s*(%S+)%s*(.-)%s*$")
    local problem, errs
    local msg = ch.messages[id]
    if not msg then
      problem = "unknown message '" .. id .. "' (clients send: " .. (#client_ids > 0 and table.concat(client_ids, ", ") or "none") .. ")"
    elseif msg.origin ~= "client" then
      problem = "message '" .. id .. "' is sent by the server, not the client"
    else
      local value, why = M.parse_body(body)
      if why then problem = why
      else
        local ok, list = ch:check(id, value)
        if not ok then
          errs = list
          problem = "cannot send " .. id .. ": " .. #list .. " problem" .. (#list == 1 and "" or "s")
        else
          local sent, e = pcall(conn.publish, conn, id, value)
          if not sent then problem = tostring(e):gsub("^[^:]*:%d+: ", "")
          elseif interactive then
            -- the line stays on the screen; nothing more to say
          else
            event({ { "event", "sent" }, { "id", id } })
          end
        end
      end
    end
    if problem then
      if interactive then
        local t = { problem }
        for _, e in ipairs(errs or {}) do t[#t + 1] = "  " .. e.message end
        say(table.concat(t, "\n"))
      else
        failed = true
        local list = {}
        for _, e in ipairs(errs or {}) do
          list[#list + 1] = "{" .. json_string("path") .. ":" .. json_string(e.path) .. "," .. json_string("message") .. ":" ..
            json_string(e.message) .. "}"
        end
        event({ { "event", "invalid" }, { "line", lineno }, { "message", problem }, { "errors", "[" .. table.concat(list, ",") .. "]", true } })
      end
    end
  end

  -- ---- the connection ----
  local ok, c, cerr = pcall(ch.connect, ch, M.connect_options(api, ch, o))
  if not ok then err:write("fernws connect: ", (tostring(c):gsub("^[^:]*:%d+: ", "")), "\n") return 1 end
  if not c then err:write("fernws connect: ", tostring(cerr), "\n") return 1 end
  conn = c

  local function start_input()
    local kind = uv.guess_handle(0)
    if kind == "tty" and interactive then
      input = uv.new_tty(0, true)
      input:set_mode(1)
      local lineedit = require "fernws.lineedit"
      editor = lineedit.new {
        prompt = ch.name .. "> ",
        write = function(s) out:write(s) out:flush() end,
        on_line = handle,
        on_eof = function() close_conn(1000) end,
        on_interrupt = function() close_conn(1000) end,
        complete = function(prefix)
          local r = {}
          for _, w in ipairs(client_ids) do if w:sub(1, #prefix) == prefix then r[#r + 1] = w end end
          for _, w in ipairs(COMMANDS) do if w:sub(1, #prefix) == prefix then r[#r + 1] = w end end
          return r
        end,
        width = function()
          local w = input:get_winsize()
          return (type(w) == "number" and w > 0) and w or 80
        end,
      }
      editor:redraw()
      input:read_start(function(e, data)
        if e or not data then close_conn(1000) return end
        editor:feed(data)
      end)
    elseif kind == "pipe" or kind == "tty" then
      input = kind == "pipe" and uv.new_pipe(false) or uv.new_tty(0, true)
      if kind == "pipe" then input:open(0) end
      local partial = ""
      input:read_start(function(e, data)
        if e or not data then
          if partial ~= "" then handle(partial) partial = "" end
          if not done and not o.count then close_conn(1000) end
          return
        end
        partial = partial .. data
        while not done do
          local nl = partial:find("\n", 1, true)
          if not nl then break end
          local line = partial:sub(1, nl - 1):gsub("\r$", "")
          partial = partial:sub(nl + 1)
          handle(line)
        end
      end)
    else
      -- a file: every line is there already
      for line in io.stdin:lines() do
        if done then break end
        handle(line)
      end
      if not done and not o.count then close_conn(1000) end
    end
  end

  conn:on("open", function()
    opened = true
    if interactive then
      out:write("connected to ", conn.url, " (channel ", ch.name, "); /help for commands\n")
      out:flush()
    else
      event({ { "event", "open" }, { "url", conn.url } })
    end
    start_input()
  end)
  conn:subscribe("*", function(value, info)
    received = received + 1
    local json = value_json(api, ch, info, value)
    if interactive then
      say("< " .. info.id .. (info.variant and ("  (" .. info.variant .. ")") or "") .. "\n" .. M.pretty(json))
    else
      event({ { "event", "message" }, { "id", info.id }, { "variant", info.variant }, { "value", json, true } })
    end
    if o.count and received >= o.count then close_conn(1000) end
  end)
  conn:on("error", function(e)
    failed = true
    if interactive then say("error (" .. tostring(e.kind) .. "): " .. tostring(e.message))
    else event({ { "event", "error" }, { "kind", e.kind }, { "message", e.message }, { "status", e.status } }) end
    if not opened and e.kind ~= "decode" then finish() end
  end)
  conn:on("close", function(code, reason)
    if code ~= 1000 then failed = true end
    if interactive then say("connection closed: " .. tostring(code) .. (reason ~= "" and (" " .. reason) or ""))
    else event({ { "event", "close" }, { "code", code }, { "reason", reason }, { "by", "server" } }) end
    finish()
  end)
  fernws.on_error = function(e)
    -- a fault of this session's own code: said, and the session ends
    failed = true
    err:write("fernws connect: ", tostring(e), "\n")
    close_conn(1011, "client error")
  end

  -- both loops: fernws's for the connection, luv's for stdin; each waits a little for the other
  local tick = uv.new_timer()
  local ok_run, run_err = pcall(function()
    while not done do
      tick:start(10, 0, function() end)
      uv.run("once")
      if done then break end
      fernws.poll(5)
    end
  end)
  if input and not input:is_closing() then input:close() end
  if not tick:is_closing() then tick:close() end
  uv.run("nowait")
  -- the close handshake (bounded: a peer that never answers does not hold the command)
  if ok_run then pcall(fernws.run, 2) end
  if interactive then uv.tty_reset_mode() end
  if not ok_run then err:write("fernws connect: ", tostring(run_err), "\n") return 1 end
  return failed and 1 or 0
end

function M.main(args, out, err)
  local o, e = M.parse_args(args)
  if not o then err:write(e, "\n", M.USAGE) return 2 end
  local api, msg = fernws.load(o.file, { lenient = true })
  if not api then err:write(tostring(msg), "\n") return 1 end
  local ok, ch = pcall(api.channel, api, o.channel)
  if not ok then err:write("fernws: ", (tostring(ch):gsub("^[^%s:]+:%d+: ", "")), "\n") return 1 end
  local ok2, typed_err = pcall(M.connect_options, api, ch, o)
  if not ok2 then err:write("fernws connect: ", tostring(typed_err), "\n") return 2 end
  return M.session(api, ch, o, out, err)
end

return M
