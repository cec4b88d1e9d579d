-- The host loop and tasks on real loopback sockets: fernws.poll never stalls the host (100
-- connections streaming; a connection to a listener that never accepts; a name lookup), run /
-- stop, tasks (connect, receive, sleep), no callback after close, connection objects collected
-- once closed, and a Lua state closed with connections alive (the ASan run checks for leaks).
local helper = require "helper"
local fernws = helper.fernws

-- Liveness bounds, not speed claims. Each poll(2) call's CPU time shows it does a bounded amount
-- of work (a poll that ran until the stream stopped would take seconds of CPU); CPU time, unlike
-- wall time, is not stretched by other processes on a busy machine. Wall times are reported only.
-- That a poll never waits shows in what it leaves: a connect still under way after the polls.
local CPU_BOUND, SLOW = 0.05, 0.01

-- Calls poll(2) repeatedly for secs (pause seconds apart); returns the worst CPU and wall times,
-- the share of calls slower than SLOW (wall), and the number of calls.
local function time_polls(secs, pause)
  local worst_cpu, worst_wall, slow, calls = 0, 0, 0, 0
  local t_end = helper.now() + secs
  while helper.now() < t_end do
    local c0, t0 = os.clock(), helper.now()
    fernws.poll(2)
    local cpu, wall = os.clock() - c0, helper.now() - t0
    if cpu > worst_cpu then worst_cpu = cpu end
    if wall > worst_wall then worst_wall = wall end
    if wall > SLOW then slow = slow + 1 end
    calls = calls + 1
    if pause then -- a host's frame: the time passes outside poll
      local t = helper.now() + pause
      while helper.now() < t do end
    end
  end
  return worst_cpu, worst_wall, slow / calls, calls
end

describe("the loop", function()
  local peer, ch
  setup(function()
    peer = helper.peer{}
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)
  after_each(function() fernws.on_error = nil end)

  local function blob(data) return { type = "blob", data = data } end

  it("every poll(2) returns within a few ms while 100 connections stream", function()
    local conns, echoes = {}, 0
    finally(function() for _, c in ipairs(conns) do c:close() end end)
    for i = 1, 100 do
      local c = assert(ch:connect{ url = peer.url })
      c:on("open", function(self) self:publish("publish", blob("c" .. i)) end)
      -- each echo sends the next message: a stream per connection
      c:subscribe("subscribe", function(v, _, self)
        echoes = echoes + 1
        self:publish("publish", v)
      end)
      conns[i] = c
    end
    local cpu, wall, slow, calls = time_polls(1.5)
    local open = 0
    for _, c in ipairs(conns) do if c.state == "open" then open = open + 1 end end
    assert.equal(100, open)
    assert.is_true(echoes > 500, ("only %d round trips in 1.5 s"):format(echoes))
    local what = ("%d calls, %d round trips: worst %.1f ms CPU, %.1f ms wall, %.2f%% over %g ms"):format(calls, echoes,
      cpu * 1e3, wall * 1e3, slow * 100, SLOW * 1e3)
    assert.is_true(cpu < CPU_BOUND, what)
    print("  " .. what)
  end)

  it("poll returns at once while a connection to an unresponsive listener, and a name lookup, are under way", function()
    local stuck = helper.stuck_listener()
    finally(function() stuck:kill() end)
    local a = assert(ch:connect{ url = stuck.url })
    local b = assert(ch:connect{ url = "ws://localhost:" .. stuck.port })
    finally(function() a:close(); b:close() end)
    local cpu, wall, slow, calls = time_polls(0.4, 0.001)
    assert.equal("connecting", a.state)
    assert.is_true(b.state == "connecting" or b.state == "resolving", b.state)
    local what = ("%d calls: worst %.1f ms CPU, %.1f ms wall"):format(calls, cpu * 1e3, wall * 1e3)
    assert.is_true(cpu < CPU_BOUND, what)
    -- idle: nothing to do, nothing done (once what earlier steps left, such as a helper's sleeping
    -- task waking, has run)
    a:close()
    b:close()
    for _ = 1, 50 do
      if fernws.poll(2) == 0 then break end
    end
    assert.equal(0, fernws.poll(2))
  end)

  it("run(seconds) returns at the deadline; stop() from a callback ends it; it returns 0, true once nothing is left", function()
    local conn, r = helper.open(ch, { url = peer.url })
    finally(function() conn:close() end)
    local t0 = helper.now()
    assert.is_false(select(2, fernws.run(0.2))) -- a connection is alive: the time ran out
    assert.is_true(helper.now() - t0 >= 0.15)
    conn:subscribe("subscribe", function() fernws.stop() end)
    conn:publish("publish", blob("stop now"))
    t0 = helper.now()
    assert.is_false(select(2, fernws.run(120)))
    -- had stop() not ended it, run would have lasted its 120 s
    assert.is_true(helper.now() - t0 < 60, "stop() did not end run")
    assert.equal(1, #r.msgs)
    conn:on("close", function() end)
    conn:close()
    assert.same({ 0, true }, { fernws.run(10) }) -- no error reached on_error, nothing left
    assert.equal(0, fernws.active())
  end)

  it("poll, run and sleep cannot be called from inside a callback; receive only in a task", function()
    local reported = {}
    fernws.on_error = function(msg) reported[#reported + 1] = msg end
    local conn = assert(ch:connect{ url = peer.url })
    finally(function() conn:close() end)
    conn:on("open", function()
      fernws.poll()
    end)
    assert.truthy(helper.wait_until(function() return #reported > 0 end, 10))
    assert.matches("fernws.poll called from inside a callback", reported[1])
    assert.error_matches(function() conn:receive() end, "call it in a task")
  end)

  describe("tasks", function()
    it("connect waits for open, receive waits for a message, sleep waits", function()
      local log = {}
      fernws.spawn(function()
        local conn = assert(ch:connect{ url = peer.url })
        log[#log + 1] = conn.state
        conn:publish("publish", blob("in a task"))
        local v, info = conn:receive("subscribe", 5)
        log[#log + 1] = v and v.data
        log[#log + 1] = info and info.id .. "/" .. info.variant
        local t0 = helper.now()
        fernws.sleep(0.05)
        log[#log + 1] = helper.now() - t0 >= 0.04 and "slept" or "woke early"
        -- nothing comes: a timeout
        local none, why = conn:receive("status", 0.05)
        log[#log + 1] = tostring(none) .. " " .. why
        -- messages that arrive before receive is called are kept for it
        conn:send_text('{"status":"ok","uptime":9}')
        conn:publish("publish", blob("kept"))
        fernws.sleep(0.2)
        local s = conn:receive("status", 1)
        local k = conn:receive("*", 1)
        log[#log + 1] = (s and s.uptime or "?") .. " " .. (k and k.data or "?")
        conn:close()
        local after, why2 = conn:receive("subscribe", 1)
        log[#log + 1] = tostring(after) .. " " .. why2
      end)
      assert.truthy(helper.wait_until(function() return #log >= 7 end, 15))
      assert.same({ "open", "in a task", "subscribe/blob", "slept", "nil timeout", "9 kept", "nil closed" }, log)
    end)

    it("connect in a task returns nil and the error object the error event carries", function()
      local dead = helper.peer{}
      local port = dead.port
      dead:kill()
      local got
      fernws.spawn(function()
        got = { ch:connect{ url = "ws://127.0.0.1:" .. port } }
      end)
      assert.truthy(helper.wait_until(function() return got ~= nil end, 10))
      assert.is_nil(got[1])
      assert.equal("network", got[2].kind)
      assert.matches("connect failed", got[2].message)
      assert.equal(got[2].message, tostring(got[2]))
      -- the same failure in callback style: the event's object has the same fields
      local conn = assert(ch:connect{ url = "ws://127.0.0.1:" .. port })
      local ev
      conn:on("error", function(e) ev = e end)
      assert.truthy(helper.wait_until(function() return ev ~= nil end, 10))
      assert.same(ev, got[2])
      assert.equal(getmetatable(ev), getmetatable(got[2]))
    end)

    it("a task waiting in receive is woken when another closes the connection", function()
      local conn, result
      fernws.spawn(function()
        conn = assert(ch:connect{ url = peer.url })
        result = { conn:receive() }
      end)
      assert.truthy(helper.wait_until(function() return conn ~= nil end, 10))
      helper.nap(0.05)
      conn:close()
      assert.truthy(helper.wait_until(function() return result ~= nil end, 5))
      assert.same({ nil, "closed" }, result)
    end)

    it("many tasks at once", function()
      local done = 0
      for i = 1, 10 do
        fernws.spawn(function()
          local conn = assert(ch:connect{ url = peer.url })
          conn:publish("publish", blob("task-" .. i))
          local v = conn:receive("subscribe", 5)
          assert(v and v.data == "task-" .. i)
          conn:close()
          done = done + 1
        end)
      end
      assert.truthy(helper.wait_until(function() return done == 10 end, 15))
    end)
  end)

  describe("lifetime", function()
    it("no callback after close, even with messages and events already on their way", function()
      local conn, r = helper.open(ch, { url = peer.url, ping_interval = 0.01 })
      for i = 1, 50 do conn:publish("publish", blob("x" .. i)) end
      conn:send_text("__binary__ 10")
      conn:send_text("not json")
      assert.truthy(helper.wait_until(function() return #r.msgs > 0 end, 10))
      helper.close(conn, r)
      helper.nap(0.2)
      assert.equal(0, r.after_close)
    end)

    it("a closed connection is collected; an open one is kept alive by the loop while it lives", function()
      local weak = setmetatable({}, { __mode = "k" })
      do
        local conn = helper.open(ch, { url = peer.url })
        weak[conn] = true
      end
      collectgarbage()
      collectgarbage()
      local alive
      for c in pairs(weak) do alive = c end
      assert.truthy(alive, "an open connection was collected")
      assert.equal("open", alive.state)
      alive:close()
      alive = nil
      helper.nap(0.05)
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak), "a closed connection was not collected")
      -- the same for connections that ended on their own, in every way
      local stuck = helper.stuck_listener()
      finally(function() stuck:kill() end)
      do
        local refused_port = helper.peer{}
        local port = refused_port.port
        refused_port:kill()
        local a = assert(ch:connect{ url = "ws://127.0.0.1:" .. port })
        local b = assert(ch:connect{ url = stuck.url })
        local c = helper.open(ch, { url = peer.url })
        c:send_text("__close__ 4000 bye")
        weak[a], weak[b], weak[c] = true, true, true
        b:close()
        helper.wait_until(function() return a.state == "closed" and c.state == "closed" end, 10)
      end
      helper.nap(0.05)
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak), "connections that ended were not collected")
    end)

    it("a Lua state closed with connections alive frees everything (no crash; no leak under ASan)", function()
      local stuck = helper.stuck_listener()
      finally(function() stuck:kill() end)
      local ok, out = helper.lua_child({}, ([[
        local fernws = require "fernws"
        local ch = assert(fernws.load(%q)):channel("echo")
        local open = assert(ch:connect{ url = %q, queue = 10 })
        local hung = assert(ch:connect{ url = %q, queue = 10 })
        local lookup = assert(ch:connect{ url = "ws://localhost:9/x" })
        hung:publish("publish", { type = "blob", data = "never sent" })
        open:on("open", function(c)
          c:publish("publish", { type = "blob", data = "bye" })
          fernws.stop()
        end)
        fernws.spawn(function() fernws.sleep(100) end) -- a task still asleep
        fernws.run(10)
        print("state", open.state, hung.state)
        os.exit(0, true) -- closes the state: every handle goes with the loop
      ]]):format(helper.own("conn/echo"), peer.url, stuck.url))
      assert.is_true(ok, out)
      assert.matches("state\topen\tconnecting", out)
    end)
  end)
end)
