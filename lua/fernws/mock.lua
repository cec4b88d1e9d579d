-- fernws.mock(channel, opts): a server that plays the channel's examples.
--
-- It serves the channel at its bare path and at each environment's endpoint path (the base path
-- of the environment's URL before the channel's: /v1/speak, /v0/evi/chat), or under opts.base.
-- Each example is a script of client and server messages. When a peer connects, the server
-- messages an example opens with are sent; when a client message arrives that is the next one an
-- example expects, the server messages that follow it are sent: an example message matches by its
-- body (whatever id the frame decodes as: payloads that overlap, as ElevenLabs' multi-stream ones
-- do, decode as the first message they fit) and otherwise by its id. Server messages that the
-- definition marks binary go out as binary frames. A client message that no example has at all is answered with a
-- server message generated from the definition's types (fernws.sample; opts.seed makes it
-- repeatable), and the log says so. A message the examples know but do not expect at that point is
-- logged and reported to opts.on_error; the connection stays up. Refused handshakes are logged with
-- their reason. Credentials never reach the log (see redact).
local fernws = require "fernws"
local cjson = require "cjson"
local sample = require "fernws.sample"

local mock = {}

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

-- ---- credentials ---------------------------------------------------------------------------------

-- Words that make a property a credential: its name split at '_', '-' and camelCase humps has one
-- of these, or "api" then "key" (api_key, xi_api_key, apiKey). "max_tokens" is not one.
local CREDENTIAL_WORDS = { token = true, secret = true, password = true, passwd = true, authorization = true,
                           credential = true, credentials = true, apikey = true }

function mock.is_credential(name)
  local words = {}
  for w in name:gsub("(%l)(%u)", "%1_%2"):lower():gmatch("%w+") do words[#words + 1] = w end
  for i, w in ipairs(words) do
    if CREDENTIAL_WORDS[w] or (w == "api" and words[i + 1] == "key") then return true end
  end
  return false
end

local REDACTED = "[redacted]"

local function redact_value(v, depth)
  if type(v) ~= "table" or depth > 50 then return v end
  local out = setmetatable({}, getmetatable(v))
  for k, x in pairs(v) do
    if type(k) == "string" and type(x) == "string" and mock.is_credential(k) then out[k] = REDACTED
    else out[k] = redact_value(x, depth + 1) end
  end
  return out
end

-- A copy of a message value with what the definition marks as a credential replaced: the token of
-- the channel's auth-message (its token-property-path), and every string property whose name says
-- it is a key, a token, a secret or a password.
function mock.redact(channel, id, value)
  local out = redact_value(value, 0)
  local am = channel.auth_message
  if am and am.id == id and type(out) == "table" then
    local t = out
    local parts = {}
    for p in am.token_path:gmatch("[^.]+") do parts[#parts + 1] = p end
    for i = 1, #parts - 1 do
      t = type(t) == "table" and t[parts[i]] or nil
    end
    if type(t) == "table" and t[parts[#parts]] ~= nil then t[parts[#parts]] = REDACTED end
  end
  return out
end

-- The text a log shows for a message: its JSON with credentials redacted; a binary one, its size.
local function shown(channel, id, value)
  local m = channel.messages[id]
  if m and m.binary and type(value) == "string" then return string.format("(binary, %d bytes)", #value) end
  local v = mock.redact(channel, id, value)
  local ok, text = pcall(channel.encode, channel, id, v)
  if ok then return text end
  ok, text = pcall(cjson.encode, v)
  return ok and text or "(not JSON)"
end

-- ---- where it serves -----------------------------------------------------------------------------

-- The bases the channel is served under: "" (the bare path) first, then each environment's base
-- path (its endpoint's path before the channel's own), without repeats.
function mock.bases(channel)
  local bases, seen = { "" }, { [""] = true }
  for _, e in ipairs(channel:endpoints()) do
    local path = e.url and (e.url:match("^%a+://[^/?#]*([^?#]*)") or "")
    if path and #path > #channel.path and path:sub(-#channel.path) == channel.path then
      local base = path:sub(1, #path - #channel.path):gsub("/+$", "")
      if base ~= "" and not seen[base] and #bases < 5 then
        seen[base] = true
        bases[#bases + 1] = base
      end
    end
  end
  return bases
end

-- ---- the examples --------------------------------------------------------------------------------

-- The example's messages in the shape decoding gives (literals filled in, nulls as absent), so
-- they compare with what arrives; a body that does not fit its type is kept as written.
local function prepare(channel, example)
  local script = {}
  for i, m in ipairs(example.messages) do
    local value, ok = m.body, type(m.body) == "string"
    if not channel.messages[m.id].binary then
      local text
      ok, text = pcall(channel.encode, channel, m.id, m.body)
      if ok then
        local id, v = channel:decode(text, m.origin)
        if id ~= nil then value = v end
      end
    end
    script[i] = { id = m.id, origin = m.origin, body = value, fits = ok, line = m.line }
  end
  return script
end

local function start(channel, opts)
  opts = opts or {}
  local log = logger(opts.log)
  local on_error = opts.on_error or function() end
  local name = channel.name
  local scripts = {}
  -- the client messages some example has: the others get generated answers (an example that has
  -- a client message with nothing after it says that it gets no answer)
  local answered = {}
  for i, ex in ipairs(channel.examples) do
    if #ex.messages > 0 then
      local s = { name = ex.name or ("example " .. i), messages = prepare(channel, ex) }
      scripts[#scripts + 1] = s
      for _, m in ipairs(s.messages) do
        if m.origin == "client" then answered[m.id] = true end
      end
    end
  end
  local server_ids = {}
  for id, m in pairs(channel.messages) do
    if m.origin == "server" then server_ids[#server_ids + 1] = id end
  end
  table.sort(server_ids)
  local seed = math.tointeger(opts.seed) or 1
  local gen = sample.new(seed)
  if #scripts == 0 then
    log(string.format("mock %s: the channel has no examples: client messages get answers generated from its types " ..
      "(seed %d)", name, seed))
  end

  local base = opts.base
  if base == nil then base = mock.bases(channel) end
  local srv, err = channel:serve { host = opts.host or "127.0.0.1", port = opts.port or 0, base = base }
  if not srv then return nil, err end

  local peers = setmetatable({}, { __mode = "k" })

  local function send(peer, m)
    if channel.messages[m.id].binary then
      -- bytes go as they are; an example that wrote something else sends its JSON text as the bytes
      local bytes = m.body
      if type(bytes) ~= "string" then
        bytes = cjson.encode(bytes)
        log(string.format("mock %s: example message '%s' (line %d) is binary but not a string: its JSON sent as bytes",
          name, m.id, m.line or 0))
      end
      peer:send_binary(bytes)
      log(string.format("mock %s -> %s (binary, %d bytes)", name, m.id, #bytes))
      return
    end
    local ok, e = pcall(peer.publish, peer, m.id, m.body)
    if not ok then
      -- a wrong example still says what the API sends: written as it is, and said so
      log(string.format("mock %s: example message '%s' (line %d) does not fit its type (%s): sent as written",
        name, m.id, m.line or 0, tostring(e):gsub("^.-: ", "", 1)))
      peer:send_text(cjson.encode(m.body))
    end
    log(string.format("mock %s -> %s %s", name, m.id, shown(channel, m.id, m.body)))
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

  -- A client message no example answers: a generated server message, said so in the log.
  local function generated(peer, id)
    if #server_ids == 0 then
      log(string.format("mock %s: no example answers '%s' and the channel has no server message", name, id))
      return
    end
    local answer = server_ids[gen:int(1, #server_ids)]
    local value, why = gen:message(channel, answer)
    if value == nil then
      log(string.format("mock %s: no example answers '%s': %s", name, id, why))
      return
    end
    log(string.format("mock %s: no example answers '%s': answering with a generated '%s' (seed %d)", name, id,
      answer, seed))
    send(peer, { id = answer, body = value })
  end

  srv:on("refused", function(info)
    log(string.format("mock %s: refused %s %s: %d %s", name, info.peer, info.path, info.status, info.reason))
  end)

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
    -- the example messages expected next that this one is: by body (whatever id it decoded as),
    -- else by id
    local by_id, by_body = {}, {}
    for _, s in ipairs(st.candidates) do
      local m = s.messages[st.pos[s]]
      if m and m.origin == "client" then
        if equal(m.body, value, 0) then by_body[#by_body + 1] = s end
        if m.id == info.id then by_id[#by_id + 1] = s end
      end
    end
    local keep = #by_body > 0 and by_body or by_id
    local as = #by_body > 0 and by_body[1].messages[st.pos[by_body[1]]].id or info.id
    log(string.format("mock %s <- %s%s %s", name, as, as ~= info.id and (" (decoded as '" .. info.id .. "')") or "",
      shown(channel, info.id, value)))
    if #keep == 0 and not answered[info.id] then
      -- the auth-message is the client's credential, not a question: no example, no answer
      local am = channel.auth_message
      if not (am and am.id == info.id) then generated(peer, info.id) end
      return
    end
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
    -- an error's raw text is what the peer sent: a credential may be in it, so neither it nor the
    -- values a message quotes are logged
    local msg = string.format("mock %s: %s: %s", name, peer and peer.peer or "?",
      (tostring(e):gsub("'[^']*'", "'...'")))
    log(msg)
    on_error(msg, peer)
  end)

  return srv
end

return setmetatable(mock, { __call = function(_, channel, opts) return start(channel, opts) end })
