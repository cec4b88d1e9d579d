-- fernws.mock(channel, opts): a server that plays the channel's examples.
--
-- Each example is a script of client and server messages. When a peer connects, the server
-- messages an example opens with are sent; when a client message arrives that is the next one an
-- example expects (by message id, preferring an example whose body is equal), the server messages
-- that follow it are sent. A message no example expects is logged and reported to opts.on_error;
-- the connection stays up.
local fernws = require "fernws"
local cjson = require "cjson"

local function equal(a, b, depth)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" or depth > 50 then return false end
  for k, v in pairs(a) do
    if not equal(v, b[k], depth + 1) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function logger(log)
  if log == nil or log == false then return function() end end
  if type(log) == "function" then return log end
  return function(line)
    log:write(line, "\n")
    if log.flush then log:flush() end
  end
end

-- The example's messages in the shape decoding gives (literals filled in, nulls as absent), so
-- they compare with what arrives; a body that does not fit its type is kept as written.
local function prepare(channel, example)
  local script = {}
  for i, m in ipairs(example.messages) do
    local ok, text = pcall(channel.encode, channel, m.id, m.body)
    local value = m.body
    if ok then
      local _, v = channel:decode(text, m.origin)
      if v ~= nil then value = v end
    end
    script[i] = { id = m.id, origin = m.origin, body = value, fits = ok, line = m.line }
  end
  return script
end

return function(channel, opts)
  opts = opts or {}
  local log = logger(opts.log)
  local on_error = opts.on_error or function() end
  local name = channel.name
  local scripts = {}
  for i, ex in ipairs(channel.examples) do
    if #ex.messages > 0 then
      scripts[#scripts + 1] = { name = ex.name or ("example " .. i), messages = prepare(channel, ex) }
    end
  end
  if #scripts == 0 then
    log(string.format("mock %s: the channel has no examples: it will accept connections and answer nothing", name))
  end

  local srv, err = channel:serve { host = opts.host or "127.0.0.1", port = opts.port or 0, base = opts.base }
  if not srv then return nil, err end

  local peers = setmetatable({}, { __mode = "k" })

  local function send(peer, m)
    local ok, e = pcall(peer.publish, peer, m.id, m.body)
    if not ok then
      -- a wrong example still says what the API sends: written as it is, and said so
      log(string.format("mock %s: example message '%s' (line %d) does not fit its type (%s): sent as written",
        name, m.id, m.line or 0, tostring(e):gsub("^.-: ", "", 1)))
      peer:send_text(cjson.encode(m.body))
    end
    log(string.format("mock %s -> %s %s", name, m.id, ok and channel:encode(m.id, m.body) or cjson.encode(m.body)))
  end

  -- Sends the server messages from position pos of the primary script; returns the new position.
  local function play(peer, st)
    local s = st.candidates[1]
    local pos = st.pos[s]
    while s.messages[pos] and s.messages[pos].origin == "server" do
      local m = s.messages[pos]
      send(peer, m)
      pos = pos + 1
      -- the other scripts stay only if they say the same
      for i = #st.candidates, 2, -1 do
        local o = st.candidates[i]
        local om = o.messages[st.pos[o]]
        if om and om.id == m.id and om.origin == "server" then st.pos[o] = st.pos[o] + 1
        else table.remove(st.candidates, i) end
      end
    end
    st.pos[s] = pos
  end

  srv:on("open", function(peer)
    local st = { candidates = {}, pos = {} }
    for _, s in ipairs(scripts) do
      st.candidates[#st.candidates + 1] = s
      st.pos[s] = 1
    end
    peers[peer] = st
    log(string.format("mock %s: %s connected", name, peer.peer))
    if #st.candidates > 0 then play(peer, st) end
  end)

  srv:subscribe("*", function(value, info, peer)
    local st = peers[peer]
    if not st then return end
    log(string.format("mock %s <- %s %s", name, info.id, channel:encode(info.id, value)))
    local by_id, by_body = {}, {}
    for _, s in ipairs(st.candidates) do
      local m = s.messages[st.pos[s]]
      if m and m.origin == "client" and m.id == info.id then
        by_id[#by_id + 1] = s
        if equal(m.body, value, 0) then by_body[#by_body + 1] = s end
      end
    end
    local keep = #by_body > 0 and by_body or by_id
    if #keep == 0 then
      local expected = {}
      for _, s in ipairs(st.candidates) do
        local m = s.messages[st.pos[s]]
        expected[#expected + 1] = m and (m.origin .. " " .. m.id) or "(end of example)"
      end
      local msg = string.format("mock %s: no example expects '%s' here (expected: %s)", name, info.id,
        #expected > 0 and table.concat(expected, ", ") or "nothing")
      log(msg)
      on_error(msg, peer)
      return
    end
    for _, s in ipairs(keep) do st.pos[s] = st.pos[s] + 1 end
    st.candidates = keep
    play(peer, st)
  end)

  srv:on("close", function(code, reason, peer)
    log(string.format("mock %s: %s closed (%d%s)", name, peer.peer, code, reason ~= "" and (" " .. reason) or ""))
    peers[peer] = nil
  end)

  srv:on("error", function(e, peer)
    local msg = string.format("mock %s: %s: %s", name, peer and peer.peer or "?", tostring(e))
    log(msg)
    on_error(msg, peer)
  end)

  return srv
end
