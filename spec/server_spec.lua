-- channel:serve against an independent client (spec/peers/ws_peer.py on python3-websockets) and
-- fernws clients: handshakes typed from the definition, refusals, typed messages both ways, close
-- codes, subprotocols, keepalive, many peers and a slow one. Real loopback sockets.
local helper = require "helper"
local fernws = helper.fernws
local cjson = require "cjson"

local ch = assert(fernws.load(helper.own("server/rooms.yml"))):channel("rooms")

-- ws_peer.py in client mode against url with these options; returns the process (its events).
local function client(url, args)
  local parts = { helper.python, helper.q(helper.peer_script), "client", helper.q(url) }
  for _, a in ipairs(args or {}) do parts[#parts + 1] = helper.q(a) end
  return (helper.spawn_proc(table.concat(parts, " ")))
end

local function ended(proc)
  return proc:wait(function(ev) return ev.event == "closed" or ev.event == "error" end, 10)
end

describe("channel:serve", function()
  local srv
  after_each(function()
    if srv then srv:close() end
    srv = nil
    helper.kill_all()
  end)

  it("types the path, query and headers of a handshake for srv:on('connect')", function()
    srv = assert(ch:serve { port = 0 })
    local seen
    srv:on("connect", function(peer, req) seen = req end)
    local url = srv.url .. "/rooms/42/chat?nick=ada&verbose=true&limit=7&tag=a&tag=b&filter%5Bkind%5D=x&filter%5Bmin%5D=3"
    local p = client(url, { "--header", "X-Client:py/1", "--send", '{"text":"hi"}', "--expect", "0" })
    assert.is_truthy(ended(p))
    assert.is_table(seen)
    assert.same({ room_id = 42 }, seen.path)
    assert.equal("integer", math.type(seen.path.room_id))
    assert.same({ nick = "ada", verbose = true, limit = 7, tag = { "a", "b" }, filter = { kind = "x", min = 3 } },
      seen.query)
    assert.equal("integer", math.type(seen.query.limit))
    assert.equal("py/1", seen.headers["x-client"])
    assert.matches("^/rooms/42/chat%?", seen.target)
  end)

  it("refuses what does not fit the definition with 400 and the reason, a wrong path with 404", function()
    srv = assert(ch:serve { port = 0 })
    local bad = {
      { "/rooms/42/chat?nick=ada&limit=many", 400 },     -- limit is an integer
      { "/rooms/abc/chat?nick=ada", 400 },                -- room_id is an integer
      { "/rooms/42/chat", 400 },                          -- nick is required
      { "/rooms/42/other?nick=ada", 404 },
    }
    for _, case in ipairs(bad) do
      local p = client(srv.url .. case[1])
      local ev = ended(p)
      assert.equal("error", ev.event, case[1])
      assert.equal(case[2], ev.status, case[1])
    end
  end)

  it("lets srv:on('connect') refuse with a status and a reason", function()
    srv = assert(ch:serve { port = 0 })
    srv:on("connect", function(peer, req)
      if req.headers["x-client"] ~= "trusted" then return false, 401, "who are you?" end
    end)
    local p = client(srv.url .. "/rooms/1/chat?nick=x")
    local ev = ended(p)
    assert.equal(401, ev.status)
    local ok = client(srv.url .. "/rooms/1/chat?nick=x", { "--header", "X-Client:trusted", "--expect", "0" })
    assert.equal("closed", ended(ok).event)
  end)

  it("exchanges typed messages with an independent client, both ways", function()
    srv = assert(ch:serve { port = 0 })
    local n = 0
    srv:subscribe("say", function(msg, info, peer)
      n = n + 1
      assert.equal("say", info.id)
      peer:publish("said", { from = "server", text = msg.text:upper(), seq = n })
    end)
    local errors = {}
    srv:on("error", function(e) errors[#errors + 1] = e end)
    local p = client(srv.url .. "/rooms/1/chat?nick=x",
      { "--send", '{"text":"hello"}', "--send", '{"text":"again"}', "--send", '{"nope":1}', "--expect", "2" })
    assert.equal("closed", ended(p).event)
    local got = p:all(function(ev) return ev.event == "message" end)
    assert.equal(2, #got)
    assert.same({ from = "server", text = "HELLO", seq = 1 }, cjson.decode(got[1].data))
    assert.same({ from = "server", text = "AGAIN", seq = 2 }, cjson.decode(got[2].data))
    -- the message that fits no client message went to the server's error handler, with its text
    helper.wait_until(function() return #errors == 1 end)
    assert.equal("decode", errors[1].kind)
    assert.equal('{"nope":1}', errors[1].raw)
  end)

  it("validates what a peer publishes and refuses client-origin ids", function()
    srv = assert(ch:serve { port = 0 })
    local raised = {}
    srv:on("open", function(peer)
      raised[1] = select(2, pcall(peer.publish, peer, "said", { from = "s", text = "t", seq = "one" }))
      raised[2] = select(2, pcall(peer.publish, peer, "say", { text = "t" }))
      peer:close(4001, "bye now")
    end)
    local p = client(srv.url .. "/rooms/1/chat?nick=x", { "--wait-close" })
    local ev = ended(p)
    assert.equal(4001, ev.code)
    assert.equal("bye now", ev.reason)
    assert.matches("seq: expected integer, got string", raised[1])
    assert.matches("sent by the client, not the server", raised[2])
  end)

  it("srv:publish reaches every open peer; srv:peers() lists them", function()
    srv = assert(ch:serve { port = 0 })
    local opened = 0
    srv:on("open", function() opened = opened + 1 end)
    local a = client(srv.url .. "/rooms/1/chat?nick=a", { "--expect", "1" })
    local b = client(srv.url .. "/rooms/1/chat?nick=b", { "--expect", "1" })
    assert.is_truthy(helper.wait_until(function() return opened == 2 end))
    assert.equal(2, #srv:peers())
    assert.equal(2, srv:publish("said", { from = "all", text = "news", seq = 1 }))
    for _, p in ipairs({ a, b }) do
      assert.equal("closed", ended(p).event)
      local m = p:find(function(ev) return ev.event == "message" end)
      assert.same({ from = "all", text = "news", seq = 1 }, cjson.decode(m.data))
    end
  end)

  it("answers the first subprotocol offered (an API key carried as one stays unanswered)", function()
    srv = assert(ch:serve { port = 0 })
    local req
    srv:on("connect", function(_, r) req = r end)
    local p = client(srv.url .. "/rooms/1/chat?nick=a",
      { "--subprotocol", "token", "--subprotocol", "s3cret-key", "--expect", "0" })
    local open = p:wait(function(ev) return ev.event == "open" end)
    assert.equal("token", open.subprotocol)
    assert.equal("token, s3cret-key", req.subprotocols)
    ended(p)
  end)

  it("pings its peers when asked and hears their pongs", function()
    srv = assert(ch:serve { port = 0, ping_interval = 0.2, ping_timeout = 5 })
    local pongs = 0
    srv:on("pong", function() pongs = pongs + 1 end)
    local p = client(srv.url .. "/rooms/1/chat?nick=a", { "--wait-close", "--timeout", "3" })
    assert.is_truthy(helper.wait_until(function() return pongs >= 2 end, 5))
    p:kill()
  end)

  it("a slow peer's queue is bounded and reported; the other peers keep receiving", function()
    srv = assert(ch:serve { port = 0, queue = 8 })
    local peers, dropped = {}, 0
    srv:on("open", function(peer) peers[#peers + 1] = peer end)
    srv:on("dropped", function() dropped = dropped + 1 end)
    -- a client that opens and then never reads: its socket fills, then its queue
    local slow_code = table.concat({
      "import asyncio, json, sys, websockets",
      "async def main():",
      "    ws = await websockets.connect(sys.argv[1], max_size=None, read_limit=2**16)",
      "    ws.transport.pause_reading()",
      "    print(json.dumps({'event': 'open'}), flush=True)",
      "    await asyncio.sleep(60)",
      "asyncio.run(main())",
    }, "\n")
    local slow = helper.spawn_proc(helper.python .. " -c " .. helper.q(slow_code) .. " " ..
      helper.q(srv.url .. "/rooms/1/chat?nick=slow"))
    assert.is_truthy(helper.wait_until(function() return #peers == 1 end))
    local fast = assert(ch:connect { url = srv.url, path = { room_id = 1 }, query = { nick = "fast" } })
    local got = 0
    fast:subscribe("said", function() got = got + 1 end)
    assert.is_truthy(helper.wait_until(function() return #peers == 2 end))
    -- each message goes to both; the fast peer takes each before the next is sent, so its own
    -- queue never fills, while the slow one's does
    local big = string.rep("x", 64 * 1024)
    for i = 1, 200 do
      srv:publish("said", { from = "s", text = big, seq = i })
      assert.is_truthy(helper.wait_until(function() return got == i end, 10), "the fast peer got " .. got)
    end
    assert.equal(200, got)
    assert.is_truthy(helper.wait_until(function() return dropped > 0 end, 5), "the slow peer's queue dropped")
    fast:close()
    slow:kill()
  end)
end)
