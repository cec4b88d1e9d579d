-- Foreign loops: fernws as one descriptor in a host's loop (the cqueues polling protocol:
-- pollfd, events, timeout, step), run inside luv (Debian lua-luv) and cqueues (lua-cqueues: its
-- example, which checks itself) with a server and clients on loopback. Everything is counted,
-- nothing timed.
local helper = require "helper"
local fernws = helper.fernws

local has_luv, uv = pcall(require, "luv")
local has_cq = pcall(require, "cqueues")

local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")

-- Is the descriptor readable now? (luv's own poll, without waiting)
local function readable(fd)
  local ready = false
  local p = uv.new_poll(fd)
  p:start("r", function() ready = true end)
  uv.run("nowait")
  p:close()
  uv.run("nowait")
  return ready
end

-- Steps until fernws is quiet: nothing ready, the descriptor not readable (a busy host loop
-- would never get there).
local function settle(fd)
  for _ = 1, 100 do
    if fernws.timeout() ~= 0 and not readable(fd) then return true end
    fernws.step(0)
  end
  return false
end

-- The luv glue of examples/luv_host.lua: returns a counter of steps and a function that stops it.
local function in_luv()
  local watch, due = uv.new_poll(fernws.pollfd()), uv.new_timer()
  local n = { steps = 0, busy = 0 }
  local function step()
    n.steps = n.steps + 1
    if fernws.step(0) > 0 then n.busy = n.busy + 1 end
    due:stop()
    if fernws.active() == 0 then return watch:stop() end
    local t = fernws.timeout()
    if t then due:start(math.ceil(t * 1000), 0, step) end
  end
  watch:start("r", step)
  step()
  return n, function()
    watch:close()
    due:close()
    uv.run("nowait")
  end
end

describe("the polling protocol", function()
  it("is on the module: pollfd, events, timeout, step, as functions and as methods", function()
    local fd = fernws.pollfd()
    assert.is_true(math.type(fd) == "integer" and fd >= 0)
    assert.equal(fd, fernws.pollfd())
    assert.equal(fd, fernws:pollfd())
    assert.equal("r", fernws.events())
    assert.equal("r", fernws:events())
    local t = fernws:timeout()
    assert.is_true(t == nil or (type(t) == "number" and t >= 0))
    assert.equal("integer", math.type(fernws.step(0)))
    assert.equal("integer", math.type(fernws:step(0)))
  end)

  it("leaves the descriptor quiet when there is nothing to do, and wakes it for work", function()
    if not has_luv then pending("lua-luv is not installed") return end
    local fd = fernws.pollfd()
    assert.is_true(settle(fd))
    -- a timer started between steps: readable at once (the host asks timeout() again)
    local fired = false
    fernws.spawn(function() fernws.sleep(0) fired = true end)
    assert.is_true(readable(fd))
    for _ = 1, 100 do
      if fired then break end
      fernws.step(0)
    end
    assert.is_true(fired)
    assert.is_true(settle(fd))
  end)

  it("timeout() tells when a timer is due, and step(t) waits for it", function()
    local fired = 0
    fernws.spawn(function() fernws.sleep(1) fired = fired + 1 end)
    local t = fernws.timeout()
    assert.is_true(t ~= nil and t > 0 and t <= 1, tostring(t))
    -- a second task due sooner: step(30) returns once it ran, long before 30 s
    fernws.spawn(function() fernws.sleep(0.02) fired = fired + 10 end)
    for _ = 1, 100 do
      if fired >= 10 then break end
      fernws.step(30)
    end
    assert.equal(10, fired)
    fernws.run() -- the 1 s sleeper: run waits for it
    assert.equal(11, fired)
  end)

  it("refuses step from inside a callback, like poll and run", function()
    local srv = assert(chat:serve { port = 0 })
    local err
    local conn = assert(chat:connect { url = srv.url })
    conn:on("open", function()
      local ok, e = pcall(fernws.step, 0)
      err = not ok and e
      conn:close()
      srv:close()
    end)
    fernws.run(10)
    assert.matches("fernws.step called from inside a callback", err)
  end)
end)

describe("inside luv", function()
  it("runs a server, clients, a task and host timers with uv.run() alone", function()
    if not has_luv then pending("lua-luv is not installed") return end
    local count = 30
    local srv = assert(chat:serve { port = 0 })
    local got = 0
    srv:subscribe("publish", function(msg, _, peer)
      got = got + 1
      peer:publish("subscribe", { id = "1", message = "re: " .. msg.text })
    end)
    local replies, opened = 0, false
    local conn = assert(chat:connect { url = srv.url })
    conn:on("open", function() opened = true end)
    conn:subscribe("subscribe", function() replies = replies + 1 end)
    -- the host's own timer publishes: work that starts outside fernws's callbacks
    local sent = 0
    local clock = uv.new_timer()
    clock:start(2, 2, function()
      if not opened then return end
      sent = sent + 1
      conn:publish("publish", { text = "tick " .. sent })
      if sent == count then clock:stop() end
    end)
    -- a task: a name lookup, receive and sleep, all inside the luv loop
    local answer
    fernws.spawn(function()
      local c = assert(chat:connect { url = srv.url:gsub("127%.0%.0%.1", "localhost") })
      c:publish("publish", { text = "task" })
      answer = c:receive("subscribe", 10)
      while replies < count do fernws.sleep(0.005) end
      c:close()
      conn:close()
      srv:close()
    end)
    local n, stop = in_luv()
    local guard = uv.new_timer()  -- a broken wake-up must fail the test, not hang it
    guard:start(30000, 0, function() uv.stop() end)
    guard:unref()  -- it does not keep uv.run() going by itself
    uv.run()
    guard:close()
    clock:close()
    stop()
    assert.equal(count, sent)
    assert.equal(count, replies)
    assert.equal(count + 1, got)
    assert.same({ id = "1", message = "re: task" }, answer)
    assert.equal(0, fernws.active())
    assert.is_true(n.busy > 0 and n.steps >= n.busy)
    assert.is_true(settle(fernws.pollfd()))
  end)
end)

describe("inside luv, over TLS", function()
  local dir
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. helper.q(dir)))
    local ok, out = helper.sh(table.concat({
      "cd " .. helper.q(dir),
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem " ..
        "-out cert.pem -subj /CN=localhost -days 2 -addext subjectAltName=DNS:localhost,IP:127.0.0.1",
    }, " && "))
    assert(ok, out)
  end)
  teardown(function() helper.rmtree(dir) end)

  -- lws does the server's handshake inside its service passes, with no callback of ours: the
  -- descriptor's edges alone must carry it through
  it("a wss server and a client trusting it exchange messages with uv.run() alone", function()
    if not has_luv then pending("lua-luv is not installed") return end
    local srv = assert(chat:serve { port = 0, tls = { cert = dir .. "/cert.pem", key = dir .. "/key.pem" } })
    srv:subscribe("publish", function(msg, _, peer)
      peer:publish("subscribe", { id = "1", message = "re: " .. msg.text })
    end)
    local replies, err = 0, nil
    local conn = assert(chat:connect { url = srv.url, tls = { ca_file = dir .. "/cert.pem" } })
    conn:on("error", function(e) err = tostring(e) end)
    conn:on("open", function() for i = 1, 10 do conn:publish("publish", { text = "s" .. i }) end end)
    conn:subscribe("subscribe", function()
      replies = replies + 1
      if replies == 10 then conn:close() srv:close() end
    end)
    local _, stop = in_luv()
    local guard = uv.new_timer()
    guard:start(30000, 0, function() uv.stop() end)
    guard:unref()
    uv.run()
    guard:close()
    stop()
    assert.is_nil(err)
    assert.equal(10, replies)
    assert.equal(0, fernws.active())
  end)
end)

describe("the examples", function()
  for _, ex in ipairs { { "luv_host.lua", has_luv, "lua-luv" }, { "cqueues_host.lua", has_cq, "lua-cqueues" } } do
    it(ex[1] .. " runs", function()
      if not ex[2] then pending(ex[3] .. " is not installed") return end
      local ok, out = helper.lua_child({}, ("arg = { [0] = %q, '15' }\ndofile(arg[0])"):format(helper.root .. "/examples/" .. ex[1]))
      assert(ok, out)
      assert.matches("15 messages published from a %w+ %w+, 15 typed replies", out)
      assert.matches("fernws steps taken by the %w+ loop: [1-9]%d*", out)
    end)
  end
end)
