-- Closing and keepalive against the python peer: close codes and reasons both ways, no callback
-- after close returns, server pings answered, client keepalive pings, and a peer that stops
-- reading hung up after ping_timeout while publish keeps returning.
local helper = require "helper"
local fernws = helper.fernws

describe("close and keepalive", function()
  local peer, ch
  setup(function()
    peer = helper.peer{}
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  -- Opens a connection marked with a probe header; returns conn, record, probe.
  local probes = 0
  local function open(opts, target)
    probes = probes + 1
    opts = opts or {}
    opts.url = opts.url or (target or peer).url
    opts.headers = { ["X-Probe"] = "c" .. probes }
    local conn, r = helper.open(ch, opts)
    finally(function() conn:close() end)
    return conn, r
  end

  -- A peer of its own for one test, so that its "closed" events are that test's.
  local function fresh(args)
    local p = helper.peer(args or {})
    finally(function() p:kill() end)
    return p
  end

  local function peer_closed(target, secs)
    return target:wait(function(e) return e.event == "closed" end, secs or 10)
  end

  it("close(code, reason) reaches the server after the messages queued; no callback after close returns", function()
    local own = fresh()
    local conn, r = open({}, own)
    conn:publish("publish", { type = "blob", data = "1" })
    conn:publish("publish", { type = "blob", data = "2" })
    helper.close(conn, r, 4001, "bye now")
    assert.equal("closed", conn.state)
    local closed = peer_closed(own)
    assert.truthy(closed, "the peer saw no close")
    assert.equal(4001, closed.code)
    assert.equal("bye now", closed.reason)
    -- messages queued before the close went out first
    local msgs = own:all(function(e) return e.event == "message" and e.data and e.data:find('"data":"[12]"') end)
    assert.equal(2, #msgs)
    helper.nap(0.1)
    assert.equal(0, r.after_close)
    assert.equal(0, #r.closes)
    -- closing again, publishing after: idempotent close, publish returns nil, "closed"
    conn:close()
    assert.same({ nil, "closed" }, { conn:publish("publish", { type = "blob", data = "3" }) })
  end)

  it("close() without arguments sends 1000 and an empty reason; codes that cannot be sent raise", function()
    local own = fresh()
    local conn = open({}, own)
    assert.error_matches(function() conn:close(1005) end, "close code 1005 cannot be sent")
    assert.error_matches(function() conn:close(1006) end, "cannot be sent")
    assert.error_matches(function() conn:close(999) end, "cannot be sent")
    assert.error_matches(function() conn:close(5000) end, "cannot be sent")
    assert.error_matches(function() conn:close(1000, ("r"):rep(124)) end, "at most 123 bytes")
    assert.equal("open", conn.state)
    conn:close()
    local closed = peer_closed(own)
    assert.equal(1000, closed.code)
    assert.equal("", closed.reason)
  end)

  it("a to-be-closed variable closes with 1001 when it goes out of scope", function()
    local own = fresh()
    do
      local conn <close> = open({}, own)
      assert.equal("open", conn.state)
    end
    local closed = peer_closed(own)
    assert.equal(1001, closed.code)
  end)

  it("the server's close code and reason reach the close event", function()
    local conn, r = open()
    conn:send_text("__close__ 4002 server says bye")
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.same({ code = 4002, reason = "server says bye" }, r.closes[1])
    assert.equal("closed", conn.state)
    assert.equal(0, #r.reconnects)
    assert.equal(0, #r.errors)
  end)

  it("a server that closes right after the handshake: 1001 with its reason; a 1000 is not retried", function()
    local going = fresh{ "--close", "1001:going away" }
    local conn = assert(ch:connect{ url = going.url })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal(1, r.opens)
    assert.same({ code = 1001, reason = "going away" }, r.closes[1])

    local normal = fresh{ "--close", "1000:done" }
    local c2 = assert(ch:connect{ url = normal.url, reconnect = { attempts = 5, min_delay = 0.01 } })
    finally(function() c2:close() end)
    local r2 = helper.record(c2)
    assert.truthy(helper.wait_until(function() return #r2.closes > 0 end, 10))
    assert.same({ code = 1000, reason = "done" }, r2.closes[1])
    assert.equal(0, #r2.reconnects)
    assert.equal(1, #normal:connects())
  end)

  it("answers the server's ping", function()
    local conn, r = open()
    conn:send_text("__ping_wait__")
    assert.truthy(helper.wait_until(function() return #r.errors > 0 end, 10))
    assert.equal("__pong__", r.errors[1].raw) -- not JSON: it comes as a decode error, raw
    assert.equal("open", conn.state)
  end)

  it("stays up with a server that pings on its own (--ping)", function()
    local pinging = fresh{ "--ping", "0.05" }
    local conn, r = open({ ping_timeout = 5 }, pinging)
    helper.nap(0.3)
    conn:publish("publish", { type = "blob", data = "still here" })
    assert.truthy(helper.wait_until(function() return #r.msgs > 0 end, 10))
    assert.equal("open", conn.state)
    assert.equal(0, #r.errors)
  end)

  it("sends keepalive pings every ping_interval; the pongs come back as pong events", function()
    local conn, r = open{ ping_interval = 0.05, ping_timeout = 2 }
    assert.truthy(helper.wait_until(function() return r.pongs >= 3 end, 10))
    assert.equal("open", conn.state)
    assert.equal(0, #r.errors)
  end)

  it("hangs up on a peer that stops reading, after ping_timeout, while publish keeps returning", function()
    local stuck = fresh{ "--no-read" }
    local conn, r = open({ ping_interval = 0.1, ping_timeout = 0.6 }, stuck)
    local opened = helper.now()
    local published, chunk = 0, ("z"):rep(64 * 1024)
    -- publish keeps returning (queued) while the socket is full and the peer never answers
    while #r.closes == 0 and helper.now() - opened < 10 do
      if conn.state == "open" then
        assert.is_true(conn:publish("publish", { type = "blob", data = chunk }))
        published = published + 1
      end
      fernws.poll(2)
      helper.nap(0.01)
    end
    local elapsed = helper.now() - opened
    assert.equal(1, #r.closes, "no hang-up within 10 s")
    assert.equal(1006, r.closes[1].code)
    assert.equal("network", r.errors[1].kind)
    assert.equal("keepalive timeout", tostring(r.errors[1]))
    assert.is_true(elapsed >= 0.5, ("hung up after %.2f s, before ping_timeout"):format(elapsed))
    assert.is_true(published >= 10, "publish did not keep returning")
    assert.equal("closed", conn.state)
  end)
end)
