-- fernws's own frames judged by a strict peer (Debian's python3-websockets, which fails a
-- connection on any frame it finds wrong: masking, reserved bits, lengths, UTF-8): messages of
-- every size around the length encodings, text and binary, one at a time and in bursts, written
-- by a fernws server and by a fernws client.
local helper = require "helper"
local run = require "wire.run"
local fernws = helper.fernws

local SIZES = { 0, 1, 125, 126, 127, 65535, 65536, 65537, 1048576 }

describe("fernws's frames, judged by python3-websockets", function()
  teardown(function() helper.kill_all() end)

  it("from a server: every size, text and binary, in one burst (the echo of what the peer sent)", function()
    local items = {}
    for _, n in ipairs(SIZES) do items[#items + 1] = "t" .. n end
    for _, n in ipairs(SIZES) do items[#items + 1] = "b" .. n end
    local srv = helper.spawn_proc(helper.q(run.bin) .. " server")
    finally(function() srv:kill() end)
    local url = "ws://127.0.0.1:" .. math.tointeger(srv.events[1].port) .. "/"
    local p = helper.spawn_proc(table.concat({ helper.python, helper.q(helper.peer_script), "client", helper.q(url),
      "--send-sizes", table.concat(items, ","), "--timeout", "30" }, " "), 30)
    finally(function() p:kill() end)
    local closed = p:wait(function(ev) return ev.event == "closed" or ev.event == "error" end, 60)
    assert.equal("closed", closed and closed.event, closed and closed.message)
    assert.equal(1000, closed.code)
    local msgs = p:all(function(ev) return ev.event == "message" end)
    assert.equal(#items, #msgs)
    for i, item in ipairs(items) do
      assert.equal(item:sub(1, 1) == "t" and "text" or "binary", msgs[i].type, item)
      assert.equal(tonumber(item:sub(2)), msgs[i].len, item)
    end
  end)

  it("from a client: every size, text and binary, one at a time and in a burst", function()
    local ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
    local peer = helper.peer {}
    finally(function() peer:kill() end)
    local conn, r = helper.open(ch, { url = peer.url, max_message_size = 2 * 1048576 })
    finally(function() conn:close() end)
    local raw = {}
    conn:on("binary", function(b) raw[#raw + 1] = { "b", b } end)
    conn:on("error", function(e) raw[#raw + 1] = { "e", e } end)
    local function expect(n, kind, payload)
      assert.truthy(helper.wait_until(function() return #raw >= n end, 30))
      local got = raw[n]
      assert.equal(kind, got[1])
      if kind == "b" then assert.equal(payload, got[2]) end
    end
    -- one at a time: binary (text that is not a channel message arrives as a decode error, with the text)
    local n = 0
    for _, size in ipairs(SIZES) do
      local payload = string.rep("\254", size)
      assert.is_true(conn:send_binary(payload))
      n = n + 1
      expect(n, "b", payload)
    end
    -- a burst of both kinds
    local want = {}
    for _, size in ipairs(SIZES) do
      local t = string.rep("x", size)
      local b = string.rep("\1\2\3", size // 3 + 1):sub(1, size)
      assert.is_true(conn:send_text(t))
      assert.is_true(conn:send_binary(b))
      want[#want + 1] = { "e", t }
      want[#want + 1] = { "b", b }
    end
    for i, w in ipairs(want) do
      assert.truthy(helper.wait_until(function() return #raw >= n + i end, 30))
      local got = raw[n + i]
      assert.equal(w[1], got[1], "message " .. i)
      if w[1] == "b" then
        assert.equal(w[2], got[2])
      else
        assert.equal(w[2], got[2].raw)
      end
    end
    -- the strict peer saw nothing wrong: it is still there to close normally
    assert.equal("open", conn.state)
    assert.equal(0, #r.closes)
  end)
end)
