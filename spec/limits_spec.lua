-- Memory has bounds, each an option with a safe default, and each reached says so (an error or a
-- dropped event, never silence): a message that takes too long to arrive, a server's peers
-- holding too many bytes of unfinished messages, too many peers, send queues by bytes.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

local PREFIX = '{"type":"blob","data":"'

describe("limits", function()
  local ch
  setup(function()
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  local function serve(opts)
    local srv = assert(ch:serve(opts))
    finally(function() srv:close() end)
    local seen = { errors = {}, closes = {}, msgs = {}, dropped = {} }
    srv:on("error", function(e) seen.errors[#seen.errors + 1] = e end)
    srv:on("close", function(code) seen.closes[#seen.closes + 1] = code end)
    srv:on("dropped", function(raw) seen.dropped[#seen.dropped + 1] = raw end)
    srv:subscribe("publish", function(v) seen.msgs[#seen.msgs + 1] = v end)
    return srv, seen
  end

  local function unfinished(n) -- the first fragment of a message, never finished
    return { frame = { op = 1, fin = false, prefix = PREFIX, fill = "x", n = n } }
  end

  describe("a message that takes too long to arrive whole", function()
    it("in fragments: the peer is closed with 1008 after message_timeout", function()
      local srv, seen = serve { port = 0, message_timeout = 0.3 }
      local p = rawpeer.client(srv.url .. "/echo", { linger = 10, script = { unfinished(100), { sleep = 5 } } })
      finally(function() p:kill() end)
      local t0 = helper.now()
      local close = rawpeer.wait_close(p, 10)
      assert.truthy(close)
      assert.equal(1008, close.code)
      assert.is_true(helper.now() - t0 >= 0.25)
      assert.truthy(helper.wait_until(function() return #seen.closes > 0 end))
      assert.equal(1008, seen.closes[1])
      assert.equal("limit", seen.errors[1].kind)
      assert.equal("message too slow: not whole after 0.3 s", seen.errors[1].message)
    end)

    it("in the middle of one frame: the same", function()
      local srv = serve { port = 0, message_timeout = 0.3 }
      local p = rawpeer.client(srv.url .. "/echo", { linger = 10, script = {
        { frame = { op = 1, len = 100000, fill = "x", n = 5000, cut = 3000 } }, { sleep = 5 } } })
      finally(function() p:kill() end)
      local close = rawpeer.wait_close(p, 10)
      assert.truthy(close)
      assert.equal(1008, close.code)
    end)

    it("a client is held to it too", function()
      local p = rawpeer.server { count = 1, linger = 10, script = { unfinished(100), { sleep = 5 } } }
      finally(function() p:kill() end)
      local conn = assert(ch:connect { url = p.url, message_timeout = 0.3 })
      finally(function() conn:close() end)
      local r = helper.record(conn)
      assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
      assert.equal(1008, r.closes[1].code)
      assert.equal("limit", r.errors[1].kind)
      assert.equal(1008, (rawpeer.wait_close(p) or {}).code)
    end)

    it("message_timeout = false: no limit; a message in time arrives", function()
      local srv, seen = serve { port = 0, message_timeout = false }
      local p = rawpeer.client(srv.url .. "/echo", { linger = 3, script = {
        unfinished(10), { sleep = 0.5 }, { frame = { op = 0, fin = true, payload = '"}' } } } })
      finally(function() p:kill() end)
      assert.truthy(helper.wait_until(function() return #seen.msgs > 0 end, 10))
      assert.equal(string.rep("x", 10), seen.msgs[1].data)
      assert.equal(0, #seen.errors)
    end)

    it("is refused as an option unless a positive number or false", function()
      assert.has_error(function() ch:connect { url = "ws://127.0.0.1:9", message_timeout = 0 } end,
        "message_timeout must be a positive number of seconds, or false for none")
    end)
  end)

  it("a server's peers together hold at most assembly_total bytes of unfinished messages", function()
    local srv, seen = serve { port = 0, assembly_total = 100000, max_message_size = 1000000 }
    local a = rawpeer.client(srv.url .. "/echo", { linger = 10, script = {
      unfinished(80000), { sleep = 1.5 }, { frame = { op = 0, fin = true, payload = '"}' } } } })
    finally(function() a:kill() end)
    helper.nap(0.3) -- a's 80 KB are held
    local b = rawpeer.client(srv.url .. "/echo", { linger = 10, script = { unfinished(30000), { sleep = 5 } } })
    local close = rawpeer.wait_close(b, 10)
    b:kill()
    assert.truthy(close)
    assert.equal(1013, close.code)
    assert.equal("limit", seen.errors[1].kind)
    assert.matches("server busy", seen.errors[1].message)
    -- a was not touched: its message arrives whole
    assert.truthy(helper.wait_until(function() return #seen.msgs > 0 end, 10))
    assert.equal(80000, #seen.msgs[1].data)
  end)

  it("max_peers: one more upgrade is refused with 503, a place freed is taken again", function()
    local srv = serve { port = 0, max_peers = 2 }
    local c1 = helper.open(ch, { url = srv.url })
    local c2 = helper.open(ch, { url = srv.url })
    local c3 = assert(ch:connect { url = srv.url })
    local r3 = helper.record(c3)
    assert.truthy(helper.wait_until(function() return #r3.closes > 0 end, 10))
    assert.equal(503, r3.errors[1].status)
    assert.equal("handshake refused: HTTP 503: server full: too many connections", r3.errors[1].message)
    c1:close()
    assert.truthy(helper.wait_until(function() return #srv:peers() == 1 end, 10))
    local c4 = helper.open(ch, { url = srv.url })
    c2:close()
    c4:close()
  end)

  describe("send queues are bounded by bytes", function()
    local body = { type = "blob", data = string.rep("q", 10000) }

    it("a client's, while open: publish returns nil, 'dropped...' and a dropped event, past queue_bytes", function()
      local srv = serve { port = 0 }
      local conn, r = helper.open(ch, { url = srv.url, queue_bytes = 51000 })
      finally(function() conn:close() end)
      local took, refused, why = 0, 0
      for _ = 1, 20 do -- all before the loop writes any of them
        local ok, err = conn:publish("publish", body)
        if ok then took = took + 1 else refused = refused + 1; why = err end
      end
      assert.equal(5, took) -- 5 x 10025 bytes fit in 51000
      assert.equal(15, refused)
      assert.equal("dropped: the send queue is full", why)
      helper.wait_until(function() return #r.dropped == 15 end, 5)
      assert.equal(15, #r.dropped)
      assert.equal(ch:encode("publish", body), r.dropped[1].raw)
    end)

    it("one message bigger than the bound still goes when the queue is empty", function()
      local srv, seen = serve { port = 0 }
      local conn = helper.open(ch, { url = srv.url, queue_bytes = 1000 })
      finally(function() conn:close() end)
      assert.is_true(conn:publish("publish", body))
      assert.truthy(helper.wait_until(function() return #seen.msgs == 1 end, 10))
    end)

    -- two open peers, and a server message of 10025 bytes
    local function two_peers(opts)
      local srv, seen = serve(opts)
      local peers = {}
      srv:on("open", function(peer) peers[#peers + 1] = peer end)
      local a = helper.open(ch, { url = srv.url })
      local b = helper.open(ch, { url = srv.url })
      finally(function() a:close(); b:close() end)
      assert.truthy(helper.wait_until(function() return #peers == 2 end))
      return srv, seen, peers, { type = "blob", data = string.rep("s", 10000) }
    end

    it("a peer's, by queue_bytes: past it, dropped and reported", function()
      local srv, seen, peers, sub = two_peers { port = 0, queue_bytes = 25000 }
      assert.equal(2, srv:publish("subscribe", sub))
      assert.equal(2, srv:publish("subscribe", sub)) -- 20050 bytes queued for each
      assert.equal(0, srv:publish("subscribe", sub)) -- a third would pass 25000
      local ok, err = peers[1]:publish("subscribe", sub)
      assert.is_nil(ok)
      assert.equal("dropped: the peer's queue is full", err)
      assert.truthy(helper.wait_until(function() return #seen.dropped == 3 end, 5))
      assert.equal(ch:encode("subscribe", sub), seen.dropped[1])
    end)

    it("all peers' together, by queue_total", function()
      local srv, seen, _, sub = two_peers { port = 0, queue_total = 45000 }
      assert.equal(2, srv:publish("subscribe", sub))
      assert.equal(2, srv:publish("subscribe", sub)) -- 40100 bytes queued in all
      assert.equal(0, srv:publish("subscribe", sub)) -- each would take it past 45000
      assert.truthy(helper.wait_until(function() return #seen.dropped == 2 end, 5))
      -- once written, the room is there again
      assert.truthy(helper.wait_until(function()
        return srv:publish("subscribe", sub) == 2
      end, 5))
    end)
  end)

  it("the upgrade request must come whole within handshake_timeout: a silent socket is cut", function()
    local srv = serve { port = 0, handshake_timeout = 1 }
    local code = table.concat({
      "import socket, sys, time, json",
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
      "s.sendall(b'GET /echo HTTP/1.1\\r\\nHost: x\\r\\n')", -- never finished
      "t = time.time(); s.settimeout(30)",
      "data = s.recv(100)",
      "print(json.dumps({'closed_after': time.time() - t}), flush=True)",
    }, "\n")
    local p = helper.spawn_proc(helper.python .. " -c " .. helper.q(code) .. " " .. srv.port, 30)
    finally(function() p:kill() end)
    assert.truthy(p.events[1].closed_after < 20)
  end)
end)
