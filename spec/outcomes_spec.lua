-- One rule for outcomes (issue 11 item 2), nothing failing silently (issue 9 item 4) and exit
-- codes (issue 12 item 5): misuse raises; what the network decides returns nil, err or arrives as
-- an event; an error event nobody handles goes to fernws.on_error, which fernws.run counts.
-- Real loopback sockets between a fernws client and a fernws server.
local helper = require "helper"
local fernws = helper.fernws

local chat = assert(fernws.load(helper.root .. "/examples/chat/chat.yml")):channel("chat")

-- A port where nothing listens (a peer's, after it is gone).
local dead
local function closed_url()
  if not dead then
    local p = helper.peer {}
    dead = "ws://127.0.0.1:" .. p.port
    p:kill()
  end
  return dead
end

describe("outcomes", function()
  local srv, reported
  before_each(function()
    reported = {}
    fernws.on_error = function(e, obj) reported[#reported + 1] = { err = e, obj = obj } end
    -- room for a burst of 1030 in each peer's queue
    srv = assert(chat:serve { port = 0, queue = 2000 })
  end)
  after_each(function()
    fernws.on_error = nil
    srv:close()
  end)

  it("publish and send_* on a connection the peer closed return nil, 'closed', as receive does", function()
    srv:on("open", function(peer) peer:close(1000, "go away") end)
    local conn = assert(chat:connect { url = srv.url })
    local code
    conn:on("close", function(c) code = c end)
    assert.truthy(helper.wait_until(function() return code ~= nil end, 10))
    assert.equal("closed", conn.state)
    assert.same({ nil, "closed" }, { conn:publish("publish", { text = "late" }) })
    assert.same({ nil, "closed" }, { conn:send_text("late") })
    assert.same({ nil, "closed" }, { conn:send_binary("late") })
    -- misuse still raises, closed or not: an unknown message, an invalid body
    assert.error_matches(function() conn:publish("nope", {}) end, "unknown message 'nope'")
    assert.error_matches(function() conn:publish("publish", { text = 1 }) end, "text: expected string")
    local got
    fernws.spawn(function() got = { conn:receive() } end)
    assert.same({ nil, "closed" }, got)
  end)

  it("publish on a connection never open raises (wait for open), but returns nil, 'queue full' past its queue", function()
    local conn = assert(chat:connect { url = srv.url })
    assert.error_matches(function() conn:publish("publish", { text = "early" }) end, "is not open")
    conn:close()
    local q = assert(chat:connect { url = srv.url, queue = 1 })
    assert.is_true(q:publish("publish", { text = "held" }))
    assert.same({ nil, "queue full" }, { q:publish("publish", { text = "no room" }) })
    q:close()
  end)

  it("a full task inbox reports each message it cannot keep as dropped (why 'inbox full')", function()
    srv:on("open", function(peer)
      for i = 1, 1030 do peer:publish("subscribe", { id = tostring(i), message = "m" }) end
    end)
    local dropped, kept, first = {}, {}, nil
    fernws.spawn(function()
      local conn = assert(chat:connect { url = srv.url })
      conn:on("dropped", function(data, binary, c, why)
        assert(c == conn and binary == false)
        dropped[#dropped + 1] = { data = data, why = why }
      end)
      -- reads nothing until the server's burst is all in
      while #dropped < 6 do fernws.sleep(0.01) end
      for _ = 1, 1024 do
        local v = assert(conn:receive("subscribe", 5))
        kept[#kept + 1] = v.id
      end
      conn:close()
    end)
    assert.truthy(helper.wait_until(function() return #kept == 1024 end, 20))
    assert.equal(6, #dropped)
    assert.equal("inbox full", dropped[1].why)
    local _, first_dropped = chat:decode(dropped[1].data)
    assert.equal("1025", first_dropped.id)
    assert.equal("1", kept[1])
    assert.equal("1024", kept[1024])
    assert.same({}, reported)
  end)

  it("a full task inbox with no dropped handler is told to on_error, once per connection", function()
    srv:on("open", function(peer)
      for i = 1, 1030 do peer:publish("subscribe", { id = tostring(i), message = "m" }) end
    end)
    local conn
    fernws.spawn(function()
      conn = assert(chat:connect { url = srv.url })
      while #reported == 0 do fernws.sleep(0.01) end
      conn:close()
    end)
    assert.truthy(helper.wait_until(function() return #reported > 0 end, 20))
    helper.nap(0.05)
    assert.equal(1, #reported)
    assert.equal("dropped", reported[1].err.kind)
    assert.matches("inbox is full", tostring(reported[1].err))
    assert.equal(conn, reported[1].obj)
  end)

  it("state is one field with the same values on connections, peers and servers", function()
    local values = { resolving = true, connecting = true, open = true, closing = true, waiting = true, closed = true }
    local peer_states = {}
    srv:on("connect", function(peer) peer_states[#peer_states + 1] = peer.state end)
    srv:on("open", function(peer) peer_states[#peer_states + 1] = peer.state end)
    assert.equal("open", srv.state)
    local conn = assert(chat:connect { url = srv.url })
    assert.is_true(values[conn.state], conn.state)
    local open
    conn:on("open", function(c) open = c.state end)
    assert.truthy(helper.wait_until(function() return open ~= nil end, 10))
    assert.equal("open", open)
    assert.truthy(helper.wait_until(function() return #peer_states == 2 end, 10))
    assert.same({ "connecting", "open" }, peer_states)
    local peer = srv:peers()[1]
    assert.equal("open", peer.state)
    srv:close()
    assert.equal("closed", srv.state)
    assert.equal("closed", peer.state)
    assert.is_nil(srv.closed) -- one field
    conn:close()
    assert.equal("closed", conn.state)
  end)

  it("queue takes the same values on clients and servers: a count, true (1024), false", function()
    local url = closed_url()
    for _, bad in ipairs { -1, 1.5, "many", {} } do
      local msg = "queue must be a number of messages %(an integer, 0 or more%) or a boolean"
      assert.error_matches(function() chat:connect { url = url, queue = bad } end, msg)
      assert.error_matches(function() chat:serve { port = 0, queue = bad } end, msg)
    end
    -- a server's peers send through their queue: it holds one message at least
    assert.error_matches(function() chat:serve { port = 0, queue = false } end, "a server's queue must be 1 or more")
    assert.error_matches(function() chat:serve { port = 0, queue = 0 } end, "a server's queue must be 1 or more")
    for _, ok in ipairs { 1, 5, true } do
      local s = assert(chat:serve { port = 0, queue = ok })
      s:close()
    end
    -- a client: true holds 1024 messages while not open, false none
    local conn = assert(chat:connect { url = url, queue = true })
    conn:on("error", function() end)
    for i = 1, 1024 do assert(conn:publish("publish", { text = tostring(i) })) end
    assert.same({ nil, "queue full" }, { conn:publish("publish", { text = "1025" }) })
    conn:close()
    local none = assert(chat:connect { url = url, queue = false })
    none:on("error", function() end)
    assert.error_matches(function() none:publish("publish", { text = "x" }) end, "is not open")
    none:close()
  end)
end)

describe("nothing fails silently", function()
  local reported
  before_each(function()
    reported = {}
    fernws.on_error = function(e, obj) reported[#reported + 1] = { err = e, obj = obj } end
  end)
  after_each(function() fernws.on_error = nil end)

  it("a connection's error event with no handler goes to on_error(err, conn)", function()
    local conn = assert(chat:connect { url = closed_url() })
    assert.truthy(helper.wait_until(function() return #reported > 0 end, 10))
    assert.equal("network", reported[1].err.kind)
    assert.matches("connect failed", reported[1].err.message)
    assert.equal(conn, reported[1].obj)
    -- with a handler, on_error hears nothing
    reported = {}
    local seen
    local c2 = assert(chat:connect { url = closed_url() })
    c2:on("error", function(e) seen = e end)
    assert.truthy(helper.wait_until(function() return seen ~= nil end, 10))
    helper.nap(0.05)
    assert.same({}, reported)
  end)

  it("a server dropping a client message that matches nothing: on_error(err, peer) when no one handles it", function()
    local srv = assert(chat:serve { port = 0 })
    finally(function() srv:close() end)
    local conn = assert(chat:connect { url = srv.url })
    conn:on("open", function(c) c:send_text('{"no":"such message"}') end)
    assert.truthy(helper.wait_until(function() return #reported > 0 end, 10))
    local r = reported[1]
    assert.equal("decode", r.err.kind)
    assert.equal('{"no":"such message"}', r.err.raw)
    assert.matches("fernws.peer chat", tostring(r.obj))
    -- the server's own error handler, or the peer's, takes it instead
    reported = {}
    local by_server
    srv:on("error", function(e, peer) by_server = e end)
    conn:send_text('{"still":"nothing"}')
    assert.truthy(helper.wait_until(function() return by_server ~= nil end, 10))
    assert.same({}, reported)
    conn:close()
  end)

  it("the default on_error prints an unhandled error with the connection it happened on", function()
    local ok, out = helper.lua_child({}, ([[
      local fernws = require "fernws"
      local chat = assert(fernws.load(%q)):channel("chat")
      local conn = chat:connect { url = %q, query = { model_id = "123" } }
      conn:on("open", function(c) c:publish("publish", { text = "Hello, world." }) end)
      local errors = fernws.run()
      print("run returned " .. errors)
    ]]):format(helper.root .. "/examples/chat/chat.yml", closed_url()))
    assert.is_true(ok, out)
    assert.matches("fernws: error on fernws.conn chat ws://127%.0%.0%.1:%d+/chat %(closed%): connect failed: [^\n]+ %(no 'error' handler%)", out)
    assert.matches("run returned 1", out)
  end)
end)

describe("fernws.run's count", function()
  after_each(function() fernws.on_error = nil end)

  it("is the number of errors that reached on_error during it: callbacks, tasks, unhandled error events", function()
    fernws.on_error = function() end
    local srv = assert(chat:serve { port = 0 })
    srv:subscribe("publish", function(msg, info, peer)
      if msg.text == "raise" then error("in a subscription") end
      peer:publish("subscribe", { id = "1", message = msg.text })
    end)
    local conn = assert(chat:connect { url = srv.url })
    conn:on("open", function(c)
      c:publish("publish", { text = "raise" })
      c:publish("publish", { text = "fine" })
    end)
    conn:subscribe("subscribe", function(v, info, c)
      c:close()
      srv:close()
      error("in the echo's handler")
    end)
    fernws.spawn(function() error("in a task") end) -- before run: not counted by it
    fernws.spawn(function() fernws.sleep(0) error("in a task, during run") end)
    local unhandled = assert(chat:connect { url = closed_url() })
    local errors, done = fernws.run(10)
    assert.is_true(done)
    assert.equal(4, errors)
    assert.equal("closed", unhandled.state)
    assert.same({ 0, true }, { fernws.run(1) })
  end)

  it("makes `fernws mock` exit 1 when errors reached on_error", function()
    local cli = require "fernws.cli"
    local out = {}
    local conn
    -- the client starts once the mock says where it listens; its open handler fails, then stops the loop
    function out:write(...)
      local s = table.concat({ ... })
      local url = s:match("listening on (ws://%S+)")
      if url then
        conn = assert(chat:connect { url = url:gsub("/chat$", "") })
        conn:on("open", function(c)
          c:close()
          fernws.stop()
          error("a client of the mock failed")
        end)
      end
    end
    function out:flush() end
    local err = { write = function() end }
    fernws.on_error = function() end
    local code = cli.main({ "mock", helper.root .. "/examples/chat/chat.yml", "chat" }, out, err)
    assert.equal(1, code)
    assert.equal("closed", conn.state)
  end)
end)
