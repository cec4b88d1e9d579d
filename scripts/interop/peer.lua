-- One fernws end for the interop suite (scripts/interop.sh), driven by the Node scripts beside it.
-- Prints one JSON object per line on stdout.
--
--   lua5.4 peer.lua serve  DEFINITION CHANNEL        a fernws server (the mock's paths); on each
--        connection it prints the typed handshake, sends one value of every server message kind
--        and prints each, and prints every client message as it decoded it
--   lua5.4 peer.lua client DEFINITION CHANNEL URL    a fernws client: connects (query from the
--        JSON in $QUERY, auth from $AUTH_TOKEN), publishes one value of every client message
--        kind, prints each, closes
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

-- One valid value of every kind of every message of this origin, in a stable order.
local function every(origin)
  local ids = {}
  for id, m in pairs(ch.messages) do
    if m.origin == origin then ids[#ids + 1] = id end
  end
  table.sort(ids)
  local list = {}
  for _, id in ipairs(ids) do
    local t = ch.messages[id].type
    for _, kind in ipairs(sample.kinds(t)) do
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

if mode == "serve" then
  local srv = assert(ch:serve { port = 0, base = require("fernws.mock").bases(ch) })
  srv:on("connect", function(_, req)
    out { event = "connect", target = req.target, query = req.query, query_types = leaf_types(req.query, ""),
          headers = req.headers, auth = req.auth or cjson.null }
  end)
  srv:on("refused", function(info) out { event = "refused", status = info.status, reason = info.reason } end)
  srv:on("open", function(peer)
    for _, k in ipairs(every("server")) do
      if k.value == nil then
        out { event = "unsendable", id = k.id, kind = k.kind, why = k.why }
      else
        peer:publish(k.id, k.value)
        out { event = "sent", id = k.id, kind = k.kind, json = ch:encode(k.id, k.value) }
      end
    end
  end)
  srv:subscribe("*", function(value, info)
    out { event = "message", id = info.id, variant = info.variant, json = ch:encode(info.id, value) }
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
    for _, k in ipairs(every("client")) do
      if k.value == nil then
        out { event = "unsendable", id = k.id, kind = k.kind, why = k.why }
      else
        conn:publish(k.id, k.value)
        out { event = "published", id = k.id, kind = k.kind, json = ch:encode(k.id, k.value) }
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
