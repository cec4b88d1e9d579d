-- fernws.mock plays a channel's examples; a fernws client against it completes every example session
-- of every fixture channel that has examples (fernws on both ends, real loopback sockets).
local helper = require "helper"
local fernws = helper.fernws

local function run_until(cond, seconds)
  local deadline = fernws.now() + (seconds or 5)
  while not cond() and fernws.now() < deadline do fernws.poll(5) end
  return cond()
end

-- A value of a type, for required parameters an example leaves out.
local function sample(t)
  if t.kind == "alias" then return sample(t.target) end
  if t.kind == "optional" or t.kind == "nullable" then return sample(t.element) end
  if t.kind == "enum" then return t.values[1].value end
  if t.kind == "literal" then return t.value end
  if t.kind == "primitive" then
    local p = t.primitive
    if p == "boolean" then return true end
    if p == "integer" or p == "long" or p == "uint" or p == "uint64" then return 1 end
    if p == "float" or p == "double" then return 1.5 end
    if p == "uuid" then return "123e4567-e89b-12d3-a456-426614174000" end
    if p == "date" then return "2024-01-31" end
    if p == "datetime" then return "2024-01-31T12:00:00Z" end
    return "x"
  end
  if t.kind == "object" then
    local v = {}
    for _, prop in ipairs(t.properties) do if prop.required then v[prop.name] = sample(prop.type) end end
    return v
  end
  if t.kind == "list" or t.kind == "set" then return { sample(t.element) } end
  return "x"
end

-- The handshake an example describes, completed with sample values for what it leaves out.
local function handshake(channel, example, url)
  local opts = { url = url, queue = 100, path = {}, query = {}, headers = {} }
  for k, v in pairs(example.path or {}) do opts.path[k] = v end
  for k, v in pairs(example.query or {}) do opts.query[k] = v end
  for k, v in pairs(example.headers or {}) do opts.headers[k] = v end
  for _, p in ipairs(channel.path_params) do
    if opts.path[p.name] == nil then opts.path[p.name] = sample(p.type) end
  end
  for _, p in ipairs(channel.query) do
    if p.required and opts.query[p.name] == nil then opts.query[p.name] = sample(p.type) end
  end
  for _, list in ipairs({ channel.headers, channel.api.headers }) do
    for _, p in ipairs(list) do
      if p.required and opts.headers[p.name] == nil then opts.headers[p.name] = sample(p.type) end
    end
  end
  if channel.auth then opts.auth = { token = "test-token", value = "test-value", username = "u", password = "p" } end
  return opts
end

-- Replays one example from the client side: each client message is published when the messages
-- before it have arrived; returns the ids the client received, in order, and any error seen.
local function replay(channel, example, mock)
  local received, errors = {}, {}
  local expected = {}
  for _, m in ipairs(example.messages) do
    if m.origin == "server" then expected[#expected + 1] = m.id end
  end
  local conn = assert(channel:connect(handshake(channel, example, mock.url)))
  conn:subscribe("*", function(_, info) received[#received + 1] = info.id end)
  conn:on("error", function(e) errors[#errors + 1] = tostring(e) end)
  local opened = run_until(function() return conn.state == "open" end)
  assert.is_true(opened, "the client did not open")
  local waiting = 0
  for _, m in ipairs(example.messages) do
    if m.origin == "server" then
      waiting = waiting + 1
    else
      local want = waiting
      run_until(function() return #received >= want end)
      conn:publish(m.id, m.body)
    end
  end
  run_until(function() return #received >= #expected end)
  conn:close()
  return received, expected, errors
end

describe("fernws.mock", function()
  it("answers the demo's publish with the example's typed SubscribeEvent", function()
    local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")
    local lines = {}
    local mock = assert(fernws.mock(chat, { log = function(l) lines[#lines + 1] = l end }))
    local got
    local conn = assert(chat:connect { url = mock.url, query = { model_id = "123" } })
    conn:on("open", function(c) c:publish("publish", { text = "Hello, world." }) end)
    conn:subscribe("subscribe", function(v, info) got = { v, info } end)
    assert.is_true(run_until(function() return got ~= nil end))
    assert.same({ id = "23823049", message = "Hello there, how are you?" }, got[1])
    assert.equal("subscribe", got[2].id)
    conn:close()
    mock:close()
    local cjson = require "cjson"
    local heard, said
    for _, l in ipairs(lines) do
      heard = heard or l:match("<%- publish (.*)$")
      said = said or l:match("%-> subscribe (.*)$")
    end
    assert.same({ text = "Hello, world." }, cjson.decode(heard))
    assert.same({ id = "23823049", message = "Hello there, how are you?" }, cjson.decode(said))
  end)

  it("reports a message no example expects, and stays up", function()
    local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")
    local reported = {}
    local mock = assert(fernws.mock(chat, { on_error = function(msg) reported[#reported + 1] = msg end }))
    local got = 0
    local conn = assert(chat:connect { url = mock.url })
    conn:subscribe("subscribe", function() got = got + 1 end)
    assert.is_true(run_until(function() return conn.state == "open" end))
    conn:publish("publish", { text = "first" })          -- the example's publish: answered
    assert.is_true(run_until(function() return got == 1 end))
    conn:publish("publish", { text = "again" })          -- the example is over: reported
    assert.is_true(run_until(function() return #reported == 1 end))
    assert.matches("no example expects 'publish' here", reported[1])
    assert.equal("open", conn.state)
    conn:close()
    mock:close()
  end)
end)

describe("every fixture channel with examples, fernws client against fernws.mock", function()
  -- (assemblyai's one example names no message of its channels: nothing to replay; deepgram has none)
  local fixtures = { "fern-websocket", "fern-websocket-bearer-auth", "fern-websocket-inferred-auth",
    "fern-websocket-multi-url", "fern-websocket-oauth", "elevenlabs", "hume" }
  for _, name in ipairs(fixtures) do
    it(name, function()
      if not helper.needs_fixtures(pending) then return end
      local api = assert(fernws.load(helper.fixture(name), { lenient = true }))
      local sessions = 0
      for _, cname in ipairs(api:channels()) do
        local ch = api:channel(cname)
        for i, ex in ipairs(ch.examples) do
          if #ex.messages > 0 then
            local mock = assert(fernws.mock(ch, {}))
            local received, expected = replay(ch, ex, mock)
            mock:close()
            assert.same(expected, received, string.format("%s example %d: server messages in order", cname, i))
            sessions = sessions + 1
          end
        end
      end
      assert.is_true(sessions > 0, name .. " has example sessions")
    end)
  end
end)
