-- Messages on a live connection against the python peer (it echoes every message back): typed
-- publish and subscribe both ways, what publish refuses, frames that are not JSON or match no
-- server message, binary frames, 4 MiB each way, and a message over max_message_size.
local helper = require "helper"
local cjson = require "cjson"
local fernws = helper.fernws

describe("messages", function()
  local peer, ch
  setup(function()
    peer = helper.peer{}
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  local function open(opts)
    opts = opts or {}
    opts.url = opts.url or peer.url
    local conn, r = helper.open(ch, opts)
    finally(function() conn:close() end)
    return conn, r
  end

  -- The message events the peer printed whose text (or head) satisfies pred.
  local function peer_got(pred, secs)
    return peer:wait(function(e) return e.event == "message" and pred(e) end, secs or 10)
  end

  it("publishes a typed message (validated, encoded in C) and gets the echo back typed", function()
    local conn, r = open()
    local chat = { type = "chat", text = "héllo \"world\"\n", n = 42, big = 9007199254740993, ratio = 0.5,
                   at = "2024-05-06T07:08:09.123Z", flag = true, tags = { "a", "b" },
                   extra = { nested = { 1, 2, { x = fernws.null } } } }
    assert.is_true(conn:publish("publish", chat))
    -- what went out is what channel:encode makes (the peer prints the length and the first 100
    -- characters, in code points)
    local text = ch:encode("publish", chat)
    local head = text:sub(1, (utf8.offset(text, 101) or #text + 1) - 1)
    local seen = peer_got(function(e) return e.len == utf8.len(text) and e.data == head end)
    assert.truthy(seen, "the peer did not get the message")
    local sent = cjson.decode(text)
    assert.equal("chat", sent.type)
    assert.equal("héllo \"world\"\n", sent.text)
    assert.matches('"big":9007199254740993', text, 1, true) -- a long is written exactly
    assert.truthy(helper.wait_until(function() return #r.msgs >= 1 end, 10))
    local m = r.msgs[1]
    assert.equal("subscribe", m.id)
    assert.equal("chat", m.variant)
    assert.equal("héllo \"world\"\n", m.value.text)
    assert.equal(42, m.value.n)
    assert.equal("integer", math.type(m.value.n))
    assert.equal(9007199254740993, m.value.big)
    assert.equal("integer", math.type(m.value.big))
    assert.equal(0.5, m.value.ratio)
    assert.equal("2024-05-06T07:08:09.123Z", m.value.at)
    assert.is_true(m.value.flag)
    assert.same({ "a", "b" }, m.value.tags)
    assert.equal(fernws.null, m.value.extra.nested[3].x)
    -- an empty list goes out as [] and comes back as an empty list
    local empty = { type = "chat", text = "empty", n = 0, big = 0, ratio = 0, at = "2024-01-01T00:00:00Z",
                    flag = false, tags = {} }
    conn:publish("publish", empty)
    local etext = ch:encode("publish", empty)
    assert.matches('"tags":%[%]', etext)
    assert.truthy(peer_got(function(e) return e.len == #etext and e.data == etext:sub(1, 100) end))
    assert.truthy(helper.wait_until(function() return #r.msgs >= 2 end, 10))
    assert.same({}, r.msgs[2].value.tags)
    assert.equal(0, #r.errors)
  end)

  it("tells server messages apart: a subscriber per id, and '*' for all", function()
    local conn, r = open()
    local statuses, chats = {}, {}
    conn:subscribe("status", function(v, info, c)
      assert.equal(conn, c)
      statuses[#statuses + 1] = { v = v, id = info.id }
    end)
    conn:subscribe("subscribe", function(v, info) chats[#chats + 1] = info.variant end)
    conn:send_text('{"status":"ok","uptime":5}')
    conn:publish("publish", { type = "blob", data = "b1" })
    assert.truthy(helper.wait_until(function() return #r.msgs >= 2 end, 10))
    assert.equal(1, #statuses)
    assert.equal("status", statuses[1].id)
    assert.equal(5, statuses[1].v.uptime)
    assert.same({ "blob" }, chats)
    -- unsubscribing: nil in place of the function
    conn:subscribe("status", nil)
    conn:send_text('{"status":"ok","uptime":6}')
    assert.truthy(helper.wait_until(function() return #r.msgs >= 3 end, 10))
    assert.equal(1, #statuses)
    assert.equal(6, r.msgs[3].value.uptime)
  end)

  it("publish raises on an invalid body (with its path), a server-origin id, an unknown id", function()
    local conn = open()
    assert.error_matches(function() conn:publish("publish", { type = "chat", text = 1 }) end,
      "invalid 'publish' message.*text")
    assert.error_matches(function() conn:publish("publish", { type = "blob" }) end, "data")
    assert.error_matches(function() conn:publish("publish", { type = "nope" }) end, "invalid 'publish' message")
    assert.error_matches(function() conn:publish("status", { status = "ok", uptime = 1 }) end, "status")
    assert.error_matches(function() conn:publish("nothing", {}) end, "nothing")
    assert.error_matches(function() conn:publish("publish") end, "bad argument")
    assert.error_matches(function() conn:subscribe("publish", function() end) end, "publish")
    assert.error_matches(function() conn:subscribe("status", 42) end, "function expected")
    assert.error_matches(function() conn:on("message", function() end) end, "conn:on: unknown event 'message'")
    assert.equal("open", conn.state)
  end)

  it("publish raises before the connection was ever open, unless queue = N: then it is delivered once open", function()
    local conn = assert(ch:connect{ url = peer.url })
    finally(function() conn:close() end)
    assert.equal("connecting", conn.state)
    assert.error_matches(function() conn:publish("publish", { type = "blob", data = "early" }) end,
      "is not open %(connecting%): wait for open, or connect with queue = N")
    assert.error_matches(function() conn:send_text("x") end, "is not open")
    conn:close()
    assert.equal("closed", conn.state)
    assert.same({ nil, "closed" }, { conn:publish("publish", { type = "blob", data = "late" }) })

    local q = assert(ch:connect{ url = peer.url, queue = 2 })
    finally(function() q:close() end)
    local r = helper.record(q)
    assert.is_true(q:publish("publish", { type = "blob", data = "queued-1" }))
    assert.is_true(q:send_text('{"type":"blob","data":"queued-2"}'))
    assert.equal(2, q.queued)
    local ok, err = q:publish("publish", { type = "blob", data = "queued-3" })
    assert.is_nil(ok)
    assert.equal("queue full", err)
    assert.truthy(helper.wait_until(function() return #r.msgs >= 2 end, 10))
    assert.equal("queued-1", r.msgs[1].value.data)
    assert.equal("queued-2", r.msgs[2].value.data)
    assert.equal(0, q.queued)
  end)

  it("a frame that is not JSON, or matches no server message, is an error event with the raw text; the connection stays up", function()
    local conn, r = open()
    conn:send_text("not json {")
    assert.truthy(helper.wait_until(function() return #r.errors >= 1 end, 10))
    local e = r.errors[1]
    assert.equal("decode", e.kind)
    assert.equal("not json {", e.raw)
    assert.is_string(e.message)
    assert.equal(e.message, tostring(e))
    conn:send_text('{"type":"unknown-variant","x":1}')
    assert.truthy(helper.wait_until(function() return #r.errors >= 2 end, 10))
    e = r.errors[2]
    assert.equal("decode", e.kind)
    assert.equal('{"type":"unknown-variant","x":1}', e.raw)
    assert.is_table(e.errors)
    assert.is_true(#e.errors >= 1)
    -- a server message with a wrong field type
    conn:send_text('{"status":"ok","uptime":"long"}')
    assert.truthy(helper.wait_until(function() return #r.errors >= 3 end, 10))
    assert.equal('{"status":"ok","uptime":"long"}', r.errors[3].raw)
    -- still open, still typed
    assert.equal("open", conn.state)
    conn:publish("publish", { type = "blob", data = "after" })
    assert.truthy(helper.wait_until(function() return #r.msgs >= 1 end, 10))
    assert.equal("after", r.msgs[1].value.data)
    assert.equal(0, #r.closes)
  end)

  it("strict = true makes unknown properties in server messages errors; lenient keeps them", function()
    local conn, r = open()
    conn:send_text('{"status":"ok","uptime":1,"more":true}')
    assert.truthy(helper.wait_until(function() return #r.msgs + #r.errors >= 1 end, 10))
    assert.equal(1, #r.msgs)
    local strict, rs = open{ strict = true }
    strict:send_text('{"status":"ok","uptime":1,"more":true}')
    assert.truthy(helper.wait_until(function() return #rs.msgs + #rs.errors >= 1 end, 10))
    assert.equal(0, #rs.msgs)
    assert.equal("decode", rs.errors[1].kind)
  end)

  it("binary frames both ways", function()
    local conn, r = open()
    local bytes = "\0\1\2\255\254 binary \0"
    assert.is_true(conn:send_binary(bytes))
    assert.truthy(peer_got(function(e) return e.type == "binary" end))
    local seen = peer:find(function(e) return e.event == "message" and e.type == "binary" end)
    assert.equal("000102fffe2062696e61727920" .. "00", seen.hex)
    assert.truthy(helper.wait_until(function() return #r.binaries >= 1 end, 10))
    assert.equal(bytes, r.binaries[1])
    conn:send_text("__binary__ 300")
    assert.truthy(helper.wait_until(function() return #r.binaries >= 2 end, 10))
    local b = r.binaries[2]
    assert.equal(300, #b)
    for i = 1, 300 do assert((i - 1) % 256 == b:byte(i)) end
    assert.equal(0, #r.errors)
    assert.error_matches(function() conn:send_binary({}) end, "string expected")
  end)

  it("a binary message sent by the server right after the handshake arrives", function()
    local early = helper.peer{ "--send-binary", "1000" }
    finally(function() early:kill() end)
    local conn, r = helper.open(ch, { url = early.url })
    finally(function() conn:close() end)
    assert.truthy(helper.wait_until(function() return #r.binaries >= 1 end, 10))
    assert.equal(1000, #r.binaries[1])
  end)

  it("a message the server sends in fragments arrives as one", function()
    local conn, r = open()
    local data = ("0123456789"):rep(50)
    conn:send_text('__fragments__ 7 {"type":"blob","data":"' .. data .. '"}')
    conn:send_text('__fragments__ 300 {"status":"ok","uptime":77}')
    assert.truthy(helper.wait_until(function() return #r.msgs >= 2 end, 10))
    assert.equal(data, r.msgs[1].value.data)
    assert.equal(77, r.msgs[2].value.uptime)
    assert.equal(0, #r.errors)
  end)

  it("a 4 MiB message each way, whole", function()
    local conn, r = open()
    local parts = {}
    for i = 1, 4096 do parts[i] = ("%04d"):format(i % 10000) .. ("y"):rep(1020) end
    local data = table.concat(parts)
    assert.equal(4 * 1024 * 1024, #data)
    assert.is_true(conn:publish("publish", { type = "blob", data = data }))
    local expected_len = #'{"type":"blob","data":""}' + #data
    local seen = peer_got(function(e) return e.len == expected_len end, 30)
    assert.truthy(seen, "the peer did not get 4 MiB")
    assert.truthy(helper.wait_until(function() return #r.msgs >= 1 end, 30))
    assert.equal("blob", r.msgs[1].variant)
    assert.equal(#data, #r.msgs[1].value.data)
    assert.is_true(r.msgs[1].value.data == data)
    -- and a 4 MiB text the server makes itself (not JSON: it comes whole in the error's raw)
    conn:send_text("__text__ 4194304")
    assert.truthy(helper.wait_until(function() return #r.errors >= 1 end, 30))
    assert.equal(4194304, #r.errors[1].raw)
    assert.is_nil(r.errors[1].raw:find("[^x]"))
    assert.equal("open", conn.state)
  end)

  it("a message over max_message_size closes the connection with 1009", function()
    local conn, r = open{ max_message_size = 1000 }
    conn:send_text("__text__ 1000") -- at the limit: fine
    assert.truthy(helper.wait_until(function() return #r.errors >= 1 end, 10))
    assert.equal(1000, #r.errors[1].raw)
    conn:send_text("__text__ 1001")
    assert.truthy(helper.wait_until(function() return #r.closes >= 1 end, 10))
    assert.equal(1009, r.closes[1].code)
    assert.matches("too big", tostring(r.errors[#r.errors]))
    assert.equal("closed", conn.state)
    local closed = peer:wait(function(e) return e.event == "closed" and e.code == 1009 end, 10)
    assert.truthy(closed, "the peer did not see 1009")
  end)

  it("the limit counts the whole message, not its fragments", function()
    local conn, r = open{ max_message_size = 100 }
    conn:send_text("__fragments__ 10 " .. ("f"):rep(101)) -- 10 fragments of about 10 bytes
    assert.truthy(helper.wait_until(function() return #r.closes >= 1 end, 10))
    assert.equal(1009, r.closes[1].code)
    assert.equal("closed", conn.state)
  end)

  it("the server's first message over max_message_size (--send-text) closes with 1009 too", function()
    local big = helper.peer{ "--send-text", "5000" }
    finally(function() big:kill() end)
    local conn = assert(ch:connect{ url = big.url, max_message_size = 4096 })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return #r.closes >= 1 end, 10))
    assert.equal(1, r.opens)
    assert.equal(1009, r.closes[1].code)
  end)
end)
