-- Faults on real loopback sockets: connection refused, a server killed mid-stream (reconnect and
-- resume, queued messages delivered or reported as dropped), a server that closes abnormally, a
-- connection closed while it is being made, connect timeouts, and callbacks that raise.
local helper = require "helper"
local fernws = helper.fernws

describe("faults", function()
  local ch
  setup(function()
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)
  after_each(function() fernws.on_error = nil end)

  local function fresh(args)
    local p = helper.peer(args or {})
    finally(function() p:kill() end)
    return p
  end

  local function connect(opts)
    local conn = assert(ch:connect(opts))
    finally(function() conn:close() end)
    return conn, helper.record(conn)
  end

  -- A port nobody listens on: a peer's, after it is gone.
  local function dead_port()
    local p = helper.peer{}
    local port = p.port
    p:kill()
    return port
  end

  local function blob(data) return { type = "blob", data = data } end

  it("connection refused: an error event, then close 1006; nothing raised", function()
    local port = dead_port()
    local conn, r = connect{ url = "ws://127.0.0.1:" .. port }
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal(1, #r.errors)
    assert.equal("network", r.errors[1].kind)
    assert.matches("connect failed", tostring(r.errors[1]))
    assert.is_nil(r.errors[1].status)
    assert.equal(1006, r.closes[1].code)
    assert.equal(0, r.opens)
    assert.equal("closed", conn.state)
  end)

  it("connection refused with reconnect: a reconnect event per try (attempt, delay, code), then the end", function()
    local port = dead_port()
    local conn, r = connect{ url = "ws://127.0.0.1:" .. port, queue = 10,
                             reconnect = { attempts = 3, min_delay = 0.02, max_delay = 0.05, factor = 2, jitter = 0 } }
    assert.is_true(conn:publish("publish", blob("never delivered")))
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal(3, #r.reconnects)
    for i, rc in ipairs(r.reconnects) do
      assert.equal(i, rc.attempt)
      assert.equal(1006, rc.code)
    end
    assert.near(0.02, r.reconnects[1].delay, 1e-9)
    assert.near(0.04, r.reconnects[2].delay, 1e-9)
    assert.near(0.05, r.reconnects[3].delay, 1e-9) -- capped at max_delay
    assert.equal(4, #r.errors) -- one per failed try
    -- the message held for the connection is not lost silently
    assert.equal(1, #r.dropped)
    assert.equal(ch:encode("publish", blob("never delivered")), r.dropped[1].raw)
    assert.is_false(r.dropped[1].binary)
    assert.equal("closed", conn.state)
  end)

  it("reconnect jitter adds up to that fraction of the delay", function()
    local port = dead_port()
    local conn, r = connect{ url = "ws://127.0.0.1:" .. port,
                             reconnect = { attempts = 6, min_delay = 0.01, max_delay = 1, factor = 1, jitter = 0.5 } }
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.equal(6, #r.reconnects)
    local varied = false
    for _, rc in ipairs(r.reconnects) do
      assert.is_true(rc.delay >= 0.01 - 1e-12 and rc.delay <= 0.015 + 1e-12, tostring(rc.delay))
      if math.abs(rc.delay - r.reconnects[1].delay) > 1e-9 then varied = true end
    end
    assert.is_true(varied, "six delays with jitter were all equal")
    assert.equal("closed", conn.state)
  end)

  it("server killed mid-stream: unsent messages kept up to queue = N for the next connection, the rest dropped", function()
    local first = fresh{ "--no-read" }
    local port = first.port
    local conn, r = connect{ url = first.url, queue = 5,
                             reconnect = { attempts = 50, min_delay = 0.05, max_delay = 0.1, jitter = 0 } }
    assert.truthy(helper.wait_until(function() return r.opens == 1 end, 10))
    -- stream 64 KiB messages to a server that does not read until some wait in our queue
    local chunk, n = ("s"):rep(64 * 1024), 0
    local t0 = helper.now()
    while conn.queued < 10 and helper.now() - t0 < 10 do
      n = n + 1
      assert.is_true(conn:publish("publish", blob(("m%03d-"):format(n) .. chunk)))
      fernws.poll(2)
    end
    local waiting = conn.queued
    assert.is_true(waiting >= 10, "the queue did not fill")
    first:kill() -- SIGTERM: the process dies without a close frame; kill returns once it is gone
    assert.truthy(helper.wait_until(function() return #r.reconnects > 0 end, 10), "no reconnect after the kill")
    assert.equal(1006, r.reconnects[1].code)
    assert.equal("connection lost", tostring(r.errors[1]))
    -- the oldest 5 are kept for the next connection, the newest waiting - 5 are reported
    assert.equal(5, conn.queued)
    assert.equal(waiting - 5, #r.dropped)
    for i, d in ipairs(r.dropped) do
      assert.equal(("m%03d"):format(n - (waiting - 5) + i), d.raw:match('"data":"(m%d%d%d)'))
    end
    -- while down the queue is full: refused, not lost
    local ok, err = conn:publish("publish", blob("one too many"))
    assert.is_nil(ok)
    assert.equal("queue full", err)
    -- the server comes back on the same port: the kept messages go out, echoes reach the same subscription
    local second = fresh{ "--port", tostring(port) }
    assert.truthy(helper.wait_until(function() return r.opens == 2 end, 10), "did not reconnect")
    assert.truthy(helper.wait_until(function() return #r.msgs == 5 end, 10))
    local first_kept = n - waiting + 1
    for i, m in ipairs(r.msgs) do
      assert.equal(("m%03d"):format(first_kept + i - 1), m.value.data:sub(1, 4))
      assert.equal(#chunk + 5, #m.value.data)
    end
    assert.equal(5, #second:all(function(e) return e.event == "message" end))
    conn:publish("publish", blob("after"))
    assert.truthy(helper.wait_until(function() return r.msgs[#r.msgs].value.data == "after" end, 10))
    assert.equal(0, #r.closes)
    assert.equal("open", conn.state)
  end)

  it("messages published while waiting to reconnect are held and delivered", function()
    local first = fresh()
    local conn, r = connect{ url = first.url, queue = 3,
                             reconnect = { attempts = 50, min_delay = 0.05, max_delay = 0.1, jitter = 0 } }
    assert.truthy(helper.wait_until(function() return r.opens == 1 end, 10))
    first:kill()
    assert.truthy(helper.wait_until(function() return conn.state == "waiting" end, 10))
    for i = 1, 3 do assert.is_true(conn:publish("publish", blob("held-" .. i))) end
    assert.is_nil((conn:publish("publish", blob("held-4"))))
    assert.equal(3, conn.queued)
    local second = fresh{ "--port", tostring(first.port) }
    assert.truthy(helper.wait_until(function() return #r.msgs == 3 end, 10), "held messages not delivered")
    assert.same({ "held-1", "held-2", "held-3" }, { r.msgs[1].value.data, r.msgs[2].value.data, r.msgs[3].value.data })
    assert.equal(3, #second:all(function(e) return e.event == "message" end))
    assert.equal(0, #r.dropped)
  end)

  it("a server close other than 1000 is retried; after it the connection is open again", function()
    local p = fresh()
    local conn, r = connect{ url = p.url, reconnect = { attempts = 3, min_delay = 0.01, jitter = 0 } }
    assert.truthy(helper.wait_until(function() return r.opens == 1 end, 10))
    conn:send_text("__close__ 4000 try again")
    assert.truthy(helper.wait_until(function() return r.opens == 2 end, 10))
    assert.equal(1, #r.reconnects)
    assert.equal(4000, r.reconnects[1].code)
    assert.equal(0, #r.closes)
    assert.truthy(helper.wait_until(function() return #p:connects() == 2 end, 10), "the peer saw one connection")
  end)

  it("close while connecting to a listener that never accepts: no abort, no callback after", function()
    local stuck = helper.stuck_listener()
    finally(function() stuck:kill() end)
    local conn, r = connect{ url = stuck.url }
    helper.nap(0.1)
    assert.equal("connecting", conn.state)
    helper.close(conn, r, 1000, "never mind")
    assert.equal("closed", conn.state)
    helper.nap(0.1)
    assert.equal(0, r.after_close)
    assert.equal(0, r.opens)
  end)

  it("close while resolving, and while waiting to reconnect", function()
    local conn, r = connect{ url = "ws://localhost:9/x" }
    assert.is_true(conn.state == "resolving" or conn.state == "connecting", conn.state)
    helper.close(conn, r)
    assert.equal("closed", conn.state)

    local port = dead_port()
    local c2, r2 = connect{ url = "ws://127.0.0.1:" .. port, reconnect = { attempts = 5, min_delay = 5 } }
    assert.truthy(helper.wait_until(function() return c2.state == "waiting" end, 10))
    helper.close(c2, r2)
    assert.equal("closed", c2.state)
    helper.nap(0.1)
    assert.equal(0, r.after_close + r2.after_close)
  end)

  it("connect_timeout ends an attempt that hangs", function()
    local stuck = helper.stuck_listener()
    finally(function() stuck:kill() end)
    local conn, r = connect{ url = stuck.url, connect_timeout = 0.3 }
    local t0 = helper.now()
    assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 10))
    assert.is_true(helper.now() - t0 >= 0.25)
    assert.equal("connect failed: timed out after 0.3 s (" .. stuck.url:match("//(.*)") .. ")", tostring(r.errors[1]))
    assert.equal("network", r.errors[1].kind)
    assert.equal(1006, r.closes[1].code)
    assert.equal("closed", conn.state)
  end)

  it("an error raised in a callback goes to fernws.on_error with a traceback; the loop goes on", function()
    local p = fresh()
    local reported = {}
    fernws.on_error = function(msg) reported[#reported + 1] = msg end
    local conn = assert(ch:connect{ url = p.url })
    finally(function() conn:close() end)
    local got = {}
    conn:on("open", function() error("boom in open") end)
    conn:subscribe("subscribe", function(v)
      got[#got + 1] = v.data
      if v.data == "raise" then error({ "a table" }) end
      if v.data == "raise2" then error(setmetatable({}, { __tostring = function() return "boom as object" end })) end
    end)
    assert.truthy(helper.wait_until(function() return #reported >= 1 end, 10))
    assert.matches("boom in open", reported[1])
    assert.matches("stack traceback", reported[1])
    conn:publish("publish", blob("raise"))
    conn:publish("publish", blob("raise2"))
    conn:publish("publish", blob("fine"))
    assert.truthy(helper.wait_until(function() return #got >= 3 end, 10))
    assert.same({ "raise", "raise2", "fine" }, got)
    assert.equal(3, #reported)
    assert.matches("error object is a table value", reported[2])
    assert.matches("boom as object", reported[3])
    assert.equal("open", conn.state)
    -- on_error itself failing: stderr is the last resort, and the loop still goes on
    fernws.on_error = function() error("on_error broke") end
    conn:publish("publish", blob("raise"))
    conn:publish("publish", blob("after"))
    assert.truthy(helper.wait_until(function() return got[#got] == "after" end, 10))
  end)

  it("the default on_error prints the error with its traceback to stderr", function()
    local p = fresh()
    local ok, out = helper.lua_child({}, ([[
      local fernws = require "fernws"
      local ch = assert(fernws.load(%q)):channel("echo")
      local conn = assert(ch:connect{ url = %q })
      conn:on("open", function(c) error("raised in open") end)
      conn:on("close", function() print("closed fine") end)
      fernws.spawn(function()
        fernws.sleep(0.2)
        conn:close()
        print("loop went on")
      end)
      fernws.run(5)
    ]]):format(helper.own("conn/echo"), p.url))
    assert.is_true(ok, out)
    assert.matches("fernws: error in a callback: .*raised in open", out)
    assert.matches("stack traceback", out)
    assert.matches("loop went on", out)
  end)

  it("an error raised in a task goes to on_error too", function()
    local reported = {}
    fernws.on_error = function(msg) reported[#reported + 1] = msg end
    fernws.spawn(function()
      fernws.sleep(0.01)
      error("task failed")
    end)
    assert.truthy(helper.wait_until(function() return #reported > 0 end, 5))
    assert.matches("task failed", reported[1])
  end)
end)
