-- Servers echo what they were sent ("invalid key sk-..."): whatever the server says back (a refused
-- upgrade's body, a subprotocol it answered, a close reason) reaches the user with every credential
-- the request carried masked as ***. Against raw_peer.py on loopback.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

describe("credentials never come back in the server's words", function()
  teardown(function() helper.kill_all() end)

  local function raw(opts)
    local p = rawpeer.server(opts)
    finally(function() p:kill() end)
    return p
  end

  -- connects and runs until the end; returns the record
  local function run(ch, opts)
    local conn = assert(ch:connect(opts))
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 15), "the connection ended")
    return r
  end

  local function refusal(ch, opts)
    local r = run(ch, opts)
    assert.equal(1, #r.errors)
    local e = r.errors[1]
    assert.equal("handshake", e.kind)
    return e
  end

  local function lacks(text, ...)
    for _, secret in ipairs { ... } do
      assert.is_nil(text:find(secret, 1, true), "the text holds a credential: " .. text)
    end
  end

  it("the definition's header key, bare and with its prefix", function()
    local ch = assert(fernws.load(helper.own("conn/header"))):channel("live")
    local p = raw { status = 401, body = "invalid key 'Token sk-live-0123456789' (sk-live-0123456789)" }
    local e = refusal(ch, { url = p.url, auth = "sk-live-0123456789" })
    assert.equal(401, e.status)
    assert.equal("invalid key 'Token ***' (***)", e.body)
    assert.equal("handshake refused: HTTP 401: invalid key 'Token ***' (***)", e.message)
    lacks(tostring(e), "sk-live")
  end)

  it("basic auth: the password, the encoded pair, and whatever else auth holds", function()
    local ch = assert(fernws.load(helper.own("conn/basic"))):channel("live")
    local pair = "Basic Y2xpZW50LTc6cGE1NS13b3JkLXNlY3JldA=="  -- client-7:pa55-word-secret
    local p = raw { status = 403, body = "client-7 with pa55-word-secret refused; you sent " .. pair }
    local e = refusal(ch, { url = p.url, auth = { clientId = "client-7", clientSecret = "pa55-word-secret" } })
    assert.equal("*** with *** refused; you sent ***", e.body)
    lacks(e.message, "pa55", "Y2xpZW50")
  end)

  it("a key typed into the url or an Authorization header by hand; other values stay", function()
    local ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
    local p = raw { status = 400, body = "bad api_key=QKEY-1234, accessToken=TKEY-9012 or Bearer HKEY-5678 " ..
                                         "for model nova-2, keyterm hello-there, author Jane-Doe" }
    local e = refusal(ch, { url = p.url .. "/?model=nova-2&api_key=QKEY-1234&accessToken=TKEY-9012&keyterm=hello-there",
                            headers = { Authorization = "Bearer HKEY-5678", ["X-Model"] = "nova-2",
                                        ["X-Author"] = "Jane-Doe" } })
    assert.equal("bad api_key=***, accessToken=*** or *** for model nova-2, keyterm hello-there, author Jane-Doe", e.body)
  end)

  it("a body cut at 300 bytes in the middle of a key: its start is masked too", function()
    local ch = assert(fernws.load(helper.own("conn/header"))):channel("live")
    local p = raw { status = 401, body = string.rep("x", 290) .. " sk-live-0123456789 and more" }
    local e = refusal(ch, { url = p.url, auth = "sk-live-0123456789" })
    assert.equal(string.rep("x", 290) .. " ***", e.body)
    lacks(e.message, "sk-l")
  end)

  it("a key the server answers as the subprotocol is not quoted", function()
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
    prefix: token
]]))
    local p = raw { subprotocol = "token-x, s3cret-key-42" }
    local r = run(api:channel("defn"), { url = p.url, auth = { token = "s3cret-key-42" } })
    assert.equal("handshake failed: subprotocol mismatch: offered (a key), the server answered token-x, ***",
                 r.errors[1].message)
  end)

  it("a close reason that quotes the key", function()
    local ch = assert(fernws.load(helper.own("conn/header"))):channel("live")
    local reason = "key sk-live-0123456789 revoked"
    local p = raw { script = { { frame = { op = 8, hex = "0fa0" .. reason:gsub(".", function(c)
      return string.format("%02x", c:byte())
    end) } }, { until_close = 5 } } }
    local r = run(ch, { url = p.url, auth = "sk-live-0123456789" })
    assert.equal(1, r.opens)
    assert.same({ code = 4000, reason = "key *** revoked" }, r.closes[1])
  end)
end)
