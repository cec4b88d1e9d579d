-- What a server's req carries of the definition's headers and auth: every header the definition
-- names (channel, api.yml, auth schemes) in req.headers, typed, and req.auth with the credential
-- of the channel's scheme (bearer token, basic user and password, header value without its prefix,
-- a key carried as a subprotocol). fernws clients and the python peer as clients; real sockets.
local helper = require "helper"
local fernws = helper.fernws

local CHANNEL = [[
channel:
  path: /live
  auth: true
  messages:
    ping:
      origin: client
      body: string
]]

local function api_of(api_yml)
  local dir = helper.write_definition { ["api.yml"] = api_yml, ["live.yml"] = CHANNEL }
  local api = assert(fernws.load(dir))
  helper.rmtree(dir)
  return api
end

-- Serves ch, connects a fernws client with opts (or the python peer with args), returns req.
local function req_of(ch, opts, peer_args, path)
  local srv = assert(ch:serve { port = 0 })
  local seen
  srv:on("connect", function(_, req) seen = req end)
  local conn
  if peer_args then
    local parts = { helper.python, helper.q(helper.peer_script), "client", helper.q(srv.url .. (path or "/live")) }
    for _, a in ipairs(peer_args) do parts[#parts + 1] = helper.q(a) end
    helper.spawn_proc(table.concat(parts, " "))
  else
    opts.url = srv.url
    conn = assert(ch:connect(opts))
  end
  local ok = helper.wait_until(function() return seen ~= nil end)
  if conn then conn:close() end
  srv:close()
  helper.kill_all()
  assert(ok, "the server saw no handshake")
  return seen
end

describe("a server's req: the definition's headers and the credential", function()
  it("bearer: req.auth.token, and the Authorization header in req.headers", function()
    local ch = api_of([[
name: b
auth: Bearer
auth-schemes:
  Bearer:
    scheme: bearer
]]):channel("live")
    local req = req_of(ch, { auth = { token = "tok-123" } })
    assert.same({ scheme = "Bearer", token = "tok-123" }, req.auth)
    assert.equal("Bearer tok-123", req.headers.authorization)
  end)

  it("basic: req.auth.username and password (a password may hold ':')", function()
    local ch = api_of([[
name: b
auth: Basic
auth-schemes:
  Basic:
    scheme: basic
]]):channel("live")
    local req = req_of(ch, { auth = { username = "ada", password = "p:ss wörd" } })
    assert.same({ scheme = "Basic", username = "ada", password = "p:ss wörd" }, req.auth)
  end)

  it("header scheme: the scheme's own header is in req.headers, req.auth.token without its prefix", function()
    local ch = api_of([[
name: h
auth: ApiKey
auth-schemes:
  ApiKey:
    header: X-Api-Key
    prefix: Token
    type: string
headers:
  X-Global:
    type: optional<integer>
]]):channel("live")
    local req = req_of(ch, { auth = { value = "k-456" }, headers = { ["X-Global"] = 12 } })
    assert.same({ scheme = "ApiKey", token = "k-456" }, req.auth)
    assert.equal("Token k-456", req.headers["x-api-key"])
    assert.equal(12, req.headers["x-global"])
    assert.equal("integer", math.type(req.headers["x-global"]))
  end)

  it("Hume: X-Hume-Api-Key reaches req.headers though the chat channel has auth: false (req.auth nil)", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("hume"))):channel("empathic-voice.chat")
    local req = req_of(ch, nil, { "--header", "X-Hume-Api-Key:hk-789", "--expect", "0" }, "/chat")
    assert.equal("hk-789", req.headers["x-hume-api-key"])
    assert.is_nil(req.auth)
    assert.same({}, req.query.session_settings)
  end)

  it("Deepgram: the key carried as the subprotocol (alone, or as 'token, KEY')", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("deepgram"))):channel("speak")
    local q = { encoding = "linear16", model = "aura-asteria-en", sample_rate = "24000", text = "hi" }
    local req = req_of(ch, { auth = { value = "dg-key" }, query = q })
    assert.same({ scheme = "APIKeyHeader", token = "dg-key" }, req.auth)
    local url_q = "?encoding=linear16&model=aura-asteria-en&sample_rate=24000&text=hi"
    local srv = assert(ch:serve { port = 0 })
    local seen
    srv:on("connect", function(_, r) seen = r end)
    helper.spawn_proc(table.concat({ helper.python, helper.q(helper.peer_script), "client",
      helper.q(srv.url .. "/speak" .. url_q), "--subprotocol", "token", "--subprotocol", "dg-key2", "--expect", "0" },
      " "))
    assert.is_truthy(helper.wait_until(function() return seen ~= nil end))
    srv:close()
    helper.kill_all()
    assert.same({ scheme = "APIKeyHeader", token = "dg-key2" }, seen.auth)
  end)

  it("no credential: req.auth is nil and the handshake goes on (the connect handler decides)", function()
    local ch = api_of([[
name: b
auth: Bearer
auth-schemes:
  Bearer:
    scheme: bearer
]]):channel("live")
    local req = req_of(ch, nil, { "--expect", "0" })
    assert.is_nil(req.auth)
  end)

  it("a credential never appears in a refusal", function()
    local ch = api_of([[
name: h
auth: ApiKey
auth-schemes:
  ApiKey:
    header: X-Api-Key
    type: string
headers:
  X-Level:
    type: integer
]]):channel("live")
    local srv = assert(ch:serve { port = 0 })
    local conn = assert(ch:connect { url = srv.url, auth = { value = "s3cret" }, headers = { ["X-Level"] = 1 } })
    conn:close()
    -- a header whose value does not fit: the reason (the response body) names the header and the
    -- type, not the value
    local code = table.concat({
      "import socket, json, sys",
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
      "s.sendall(b'GET /live HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'",
      "  b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n'",
      "  b'X-Level: s3cret-level\\r\\nX-Api-Key: s3cret\\r\\n\\r\\n')",
      "data = b''",
      "while True:",
      "    c = s.recv(4096)",
      "    if not c: break",
      "    data += c",
      "print(json.dumps({'event': 'response', 'text': data.decode('latin-1')}), flush=True)",
    }, "\n")
    local p = helper.spawn_proc(helper.python .. " -c " .. helper.q(code) .. " " .. srv.port)
    local ev = p:wait(function(e) return e.event == "response" end, 10)
    srv:close()
    helper.kill_all()
    assert.is_table(ev)
    assert.matches("^HTTP/1%.1 400", ev.text)
    assert.matches("header 'X%-Level'", ev.text)
    assert.not_matches("s3cret", ev.text)
  end)
end)
