-- A client that fails says why, as one error object: kind ("network", "tls", "handshake",
-- "redirect"), message, and what the network told (the HTTP status, the server's own words for a
-- refused upgrade, the Location of a redirect). Against raw_peer.py, a fernws server, and a
-- closed port, on loopback.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

describe("a client failure carries its cause", function()
  local ch
  setup(function()
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  -- connect, run until the end; returns the record (errors, closes, opens) and the connection
  local function fail(opts)
    local conn = assert(ch:connect(opts))
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 15), "the connection ended")
    assert.equal(0, r.opens)
    assert.equal(1, #r.errors)
    assert.equal(1006, r.closes[1].code)
    return r.errors[1], r, conn
  end

  local function raw(opts)
    local p = rawpeer.server(opts)
    finally(function() p:kill() end)
    return p
  end

  it("a refused upgrade: the status and the server's reason from the body", function()
    local p = raw { status = 400, body = "model_id: unknown model\r\n\tsee the docs" }
    local e = fail { url = p.url }
    assert.equal("handshake", e.kind)
    assert.equal(400, e.status)
    assert.equal("model_id: unknown model see the docs", e.body)
    assert.equal("handshake refused: HTTP 400: model_id: unknown model see the docs", e.message)
    assert.equal(e.message, tostring(e))
  end)

  it("a refusal's body is cut at 300 bytes and keeps printable characters only", function()
    local p = raw { status = 403, body = "\1\2bad\127key " .. string.rep("é", 10) .. string.rep("z", 400) }
    local e = fail { url = p.url, reconnect = { attempts = 3, min_delay = 0.01 } }
    assert.equal(403, e.status)
    assert.equal(300, #e.body)
    assert.matches("^%?%?bad%?key %?%?", e.body)
    assert.is_nil(e.body:find("[^\32-\126]"))
  end)

  it("a refusal with no body: the status alone", function()
    local p = raw { status = 503 }
    local e = fail { url = p.url }
    assert.equal("handshake refused: HTTP 503", e.message)
    assert.is_nil(e.body)
  end)

  it("a closed port: connection refused, with the address", function()
    local p = raw {}
    local port = p.port
    p:kill()
    local e = fail { url = "ws://127.0.0.1:" .. port }
    assert.equal("network", e.kind)
    assert.equal("connect failed: connection refused (127.0.0.1:" .. port .. ")", e.message)
    assert.is_nil(e.status)
  end)

  it("a name that does not resolve says so", function()
    local e = fail { url = "ws://no-such-host.invalid:9/x" }
    assert.equal("network", e.kind)
    assert.matches("^cannot resolve no%-such%-host%.invalid: ", e.message)
  end)

  it("wss:// to a plain ws:// server: the server does not speak TLS", function()
    local srv = assert(ch:serve { port = 0 })
    finally(function() srv:close() end)
    local e = fail { url = "wss://127.0.0.1:" .. srv.port, tls = { verify = false } }
    assert.equal("tls", e.kind)
    assert.equal("TLS handshake failed: the server does not speak TLS (a plain ws:// server?)", e.message)
  end)

  it("a subprotocol the client did not offer: what was offered and answered", function()
    local p = raw { subprotocol = "v2.chat" }
    local e = fail { url = p.url, subprotocol = "v1.chat" }
    assert.equal("handshake", e.kind)
    assert.equal("handshake failed: subprotocol mismatch: offered v1.chat, the server answered v2.chat", e.message)
  end)

  it("a subprotocol carrying a key is not quoted", function()
    local api = assert(helper.load_text([[
channel:
  path: /k
  auth: true
  messages:
    publish: { origin: client, body: string }
]], [[
name: k
auth: Key
auth-schemes:
  Key:
    header: Sec-WebSocket-Protocol
    name: key
    type: string
]]))
    local p = raw { subprotocol = "other" }
    local conn = assert(api:channel("defn"):connect { url = p.url, auth = { token = "s3cret-key" } })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.matches("offered %(a key%), the server answered other", r.errors[1].message)
    assert.is_nil(r.errors[1].message:find("s3cret", 1, true))
  end)

  for _, case in ipairs {
    { opts = { bad_accept = true }, says = "the answer's Sec-WebSocket-Accept does not match the key sent" },
    { opts = { no_upgrade = true }, says = "the answer has no Upgrade header" },
    { opts = { http10 = true }, says = "the server answered HTTP/1.0 101 (an upgrade needs HTTP/1.1)" },
  } do
    it("an answer that is no upgrade: " .. case.says, function()
      local p = raw(case.opts)
      local e = fail { url = p.url }
      assert.equal("handshake", e.kind)
      assert.equal(101, e.status)
      assert.equal("handshake failed: " .. case.says, e.message)
    end)
  end
end)
