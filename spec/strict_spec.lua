-- What fernws refuses at the door (issue 13 item 5): an upgrade request that is not RFC 6455's,
-- text that is not UTF-8 on its way out, and what a Lua program sees when a peer breaks the
-- protocol. The frame-level cases are spec/wire_spec.lua's.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

describe("strict at the door", function()
  local ch
  setup(function()
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  local function serve()
    local srv = assert(ch:serve { port = 0 })
    finally(function() srv:close() end)
    return srv
  end

  local function ask(srv, opts)
    local p = rawpeer.client(srv.url .. "/echo", opts)
    finally(function() p:kill() end)
    return p.events[1]
  end

  it("a server answers Sec-WebSocket-Version 8 with 426 and the version it speaks", function()
    local r = ask(serve(), { version = "8" })
    assert.equal(426, r.status)
    assert.equal("13", r.headers["sec-websocket-version"])
  end)

  it("a server refuses a request with no Sec-WebSocket-Key, or one that is not 16 bytes", function()
    local srv = serve()
    assert.equal(400, ask(srv, { header = { "Sec-WebSocket-Key:" } }).status)
  end)

  it("a server refuses what is not a GET upgrade: plain HTTP is told 'WebSocket only'", function()
    local srv = serve()
    local code = table.concat({
      "import socket, sys",
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
      "s.sendall(b'GET /echo HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')",
      "print(s.recv(4096).decode().replace('\\r\\n', '|'), flush=True)",
    }, "\n")
    local p = helper.spawn_proc(helper.python .. " -c " .. helper.q(code) .. " " .. srv.port)
    finally(function() p:kill() end)
    assert.matches("^HTTP/1.1 400 Bad Request|.*WebSocket only$", p.events[1].line)
  end)

  it("send_text refuses text that is not UTF-8, naming the byte; send_binary takes any bytes", function()
    local srv = serve()
    local conn = helper.open(ch, { url = srv.url })
    finally(function() conn:close() end)
    assert.has_error(function() conn:send_text("ok\255") end,
      "send_text: the text is not UTF-8 (byte 3); send bytes with send_binary")
    assert.is_true(conn:send_binary("ok\255"))
  end)

  it("close refuses a reason that is not UTF-8", function()
    local srv = serve()
    local conn = helper.open(ch, { url = srv.url })
    assert.has_error(function() conn:close(1000, "bye\192") end, "a close reason must be UTF-8 text (byte 4 is not)")
    conn:close(1000, "bye")
  end)

  it("a peer that sends text that is not UTF-8: an error of kind protocol, then close 1007", function()
    local p = rawpeer.server { count = 1, linger = 5, script = { { frame = { op = 1, hex = "c0af" } }, { until_close = 5 } } }
    finally(function() p:kill() end)
    local conn = assert(ch:connect { url = p.url })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal("protocol", r.errors[1].kind)
    assert.equal("invalid UTF-8 in a text message", r.errors[1].message)
    assert.equal(1007, r.closes[1].code)
    assert.equal(1007, (rawpeer.wait_close(p) or {}).code)
  end)

  it("a server's close code 1012-1014 reaches the client as it was sent (libwebsockets 4.1.6 made it 1002)", function()
    local p = rawpeer.server { count = 1, linger = 5, script = { { frame = { op = 8, hex = "03f5" .. "7265737461727420" } }, { until_close = 5 } } }
    finally(function() p:kill() end)
    local conn = assert(ch:connect { url = p.url })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal(1013, r.closes[1].code)
    assert.equal("restart ", r.closes[1].reason)
    assert.equal(1013, (rawpeer.wait_close(p) or {}).code)  -- answered with its own code
  end)
end)
