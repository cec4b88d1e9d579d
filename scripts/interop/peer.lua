-- One fernws end for the interop suite (scripts/interop.sh), driven by the Node scripts beside it.
-- Prints one JSON object per line on stdout.
--
--   lua5.4 peer.lua serve  DEFINITION CHANNEL        a fernws server (the mock's paths); first prints
--        one value of every client message kind ("sample") and of every query parameter
--        ("query_sample"), for the other side to send; on each connection it prints the typed
--        handshake, sends one value of every server message kind and prints each (then
--        "sent_all"), and prints every client message as it decoded it
--   lua5.4 peer.lua client DEFINITION CHANNEL URL    a fernws client: connects (query from the
--        JSON in $QUERY, auth from $AUTH_TOKEN), publishes one value of every client message
--        kind, prints each (then "published_all"); with $RECEIVE set, prints every server message until the server
--        closes; closes
-- Binary messages (the definition's `binary`) go by send_binary and arrive by their id; their
-- bytes travel in these lines as hex.
local fernws = require "fernws"
local cjson = require "cjson"
local sample = require "fernws.sample"

local mode, defn, cname, url = arg[1], arg[2], arg[3], arg[4]
local api = assert(fernws.load(defn))
local ch = api:channel(cname)
local gen = sample.new(tonumber(os.getenv("SEED") or "1"))
gen.full = true

local function out(t)
  io.stdout:write(cjson.encode(t), "\n")
  io.stdout:flush()
end

-- {path = math.type or type} for every leaf of a value: what arrived typed, as JSON cannot say
local function leaf_types(v, path, acc)
  acc = acc or {}
  if type(v) == "table" then
    for k, x in pairs(v) do leaf_types(x, path == "" and tostring(k) or path .. "." .. tostring(k), acc) end
  else
    acc[path] = math.type(v) or type(v)
  end
  return acc
end

local function hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Bytes for a binary message: every value a byte can have is likely among them (not UTF-8).
local function some_bytes()
  local t = {}
  for i = 1, 64 do t[i] = string.char(gen:int(0, 255)) end
  return table.concat(t)
end

-- One valid value of every kind of every message of this origin, in a stable order; a binary
-- message has bytes.
local function every(origin)
  local ids = {}
  for id, m in pairs(ch.messages) do
    if m.origin == origin then ids[#ids + 1] = id end
  end
  table.sort(ids)
  local list = {}
  for _, id in ipairs(ids) do
    local t = ch.messages[id].type
    if ch.messages[id].binary then
      list[#list + 1] = { id = id, kind = "bytes", bytes = some_bytes() }
    end
    for _, kind in ipairs(ch.messages[id].binary and {} or sample.kinds(t)) do
      local value, errs
      for _ = 1, 20 do
        value = gen:kind_value(t, kind)
        local ok, e = ch:check(id, value)
        if ok then break end
        value, errs = nil, e
      end
      list[#list + 1] = { id = id, kind = kind.name, value = value,
                          why = errs and errs[1] and errs[1].message or nil }
    end
  end
  return list
end

-- What a line says of a message: its JSON, or the hex of its bytes.
local function said(id, value)
  if ch.messages[id].binary then return { binary = true, hex = hex(value) } end
  return { json = ch:encode(id, value) }
end

local function with(t, extra)
  for k, v in pairs(extra) do t[k] = v end
  return t
end

-- Sends every sample message of an origin on c (a peer or a conn), each told as `event`, then
-- `event`_all.
local function send_all(c, origin, event)
  for _, k in ipairs(every(origin)) do
    if k.bytes then
      c:send_binary(k.bytes)
      out(with({ event = event, id = k.id, kind = k.kind }, said(k.id, k.bytes)))
    elseif k.value == nil then
      out { event = "unsendable", id = k.id, kind = k.kind, why = k.why }
    else
      c:publish(k.id, k.value)
      out(with({ event = event, id = k.id, kind = k.kind }, said(k.id, k.value)))
    end
  end
  out { event = event .. "_all" }
end

-- A value of every query parameter (optional ones too).
local function query_sample()
  local q = {}
  for _, p in ipairs(ch.query) do
    local t = p.type
    while t.kind == "optional" or t.kind == "alias" do t = t.kind == "optional" and t.element or t.target end
    local v = gen:value(t, 1)
    -- a list of one string reads back as the string where the type is string | list (Deepgram's
    -- keyterm): the query cannot tell them apart, so the sample's lists have two
    if type(v) == "table" and #v == 1 and type(v[1]) == "string" then v[2] = v[1] .. "-2" end
    q[p.name] = v
  end
  return q
end

if mode == "serve" then
  for _, k in ipairs(every("client")) do
    if k.value == nil and not k.bytes then
      out { event = "unsendable", id = k.id, kind = k.kind, why = k.why }
    else
      out(with({ event = "sample", id = k.id, kind = k.kind, method = ch.messages[k.id].method_name or cjson.null },
        said(k.id, k.bytes or k.value)))
    end
  end
  local q = query_sample()
  out { event = "query_sample", query = q, query_types = leaf_types(q, "") }
  local srv = assert(ch:serve { port = 0, base = require("fernws.mock").bases(ch) })
  srv:on("connect", function(_, req)
    out { event = "connect", target = req.target, query = req.query, query_types = leaf_types(req.query, ""),
          headers = req.headers, auth = req.auth or cjson.null }
  end)
  srv:on("refused", function(info) out { event = "refused", status = info.status, reason = info.reason } end)
  srv:on("open", function(peer)
    send_all(peer, "server", "sent")
  end)
  srv:subscribe("*", function(value, info)
    out(with({ event = "message", id = info.id, variant = info.variant }, said(info.id, value)))
  end)
  srv:on("error", function(e) out { event = "error", kind = e.kind, message = tostring(e), raw = e.raw } end)
  out { event = "listening", port = srv.port }
  fernws.run()
elseif mode == "client" then
  local query = os.getenv("QUERY") and cjson.decode(os.getenv("QUERY")) or nil
  fernws.spawn(function()
    local conn, err = ch:connect { url = url, query = query,
                                   auth = os.getenv("AUTH_TOKEN") and { token = os.getenv("AUTH_TOKEN") } or nil }
    if not conn then
      out { event = "error", message = tostring(err) }
      return
    end
    send_all(conn, "client", "published")
    if os.getenv("RECEIVE") then
      conn:on("error", function(e) out { event = "error", kind = e.kind, message = tostring(e), raw = e.raw } end)
      while true do
        local value, info = conn:receive("*", 20)
        if value == nil then break end
        out(with({ event = "received", id = info.id, variant = info.variant }, said(info.id, value)))
      end
    end
    conn:close()
    out { event = "done" }
  end)
  fernws.run()
else
  io.stderr:write("usage: peer.lua serve|client DEFINITION CHANNEL [URL]\n")
  os.exit(2)
end
