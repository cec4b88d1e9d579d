-- A peer that sends more than max_message_size, at every size around lws' 4 KiB rx buffer, in one
-- frame or many, in one write or many: the message is refused with 1009 from a safe point, never
-- by corrupting memory (lws 4.1.6 writes past its rx buffer when RECEIVE returns -1 mid-frame,
-- upstream issue #3412). Both ends, each against raw_peer.py. Under the ASan build and under
-- valgrind (scripts/valgrind.sh runs spec/hostile/sizes.lua) any overrun fails the run.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

-- '{"type":"blob","data":"' .. x * n .. '"}' is a valid message of the echo channel
local PREFIX, SUFFIX = '{"type":"blob","data":"', '"}'
local function message(size, frag, chunk)
  return { message = { op = 1, prefix = PREFIX, fill = "x", n = size - #PREFIX - #SUFFIX, suffix = SUFFIX,
                       frag = frag or 0, chunk = chunk or 0 } }
end

-- limit, total size of the message, payload bytes per frame (0: one frame), TCP write size (0: one)
local cases = {}
for _, limit in ipairs { 4096, 5000 } do
  for _, size in ipairs { 4095, 4096, 4097, 4116, 4117, 5000, 5001, 8192, 8193, 65536, 300000 } do
    for _, frag in ipairs { 0, 1000, 4096 } do
      cases[#cases + 1] = { limit = limit, size = size, frag = frag, chunk = (size % 2 == 0) and 1500 or 0 }
    end
  end
end
cases[#cases + 1] = { limit = 65536, size = 65537, frag = 0, chunk = 0 }
cases[#cases + 1] = { limit = 65536, size = 65536, frag = 16384, chunk = 0 }

local function label(c)
  return ("limit %d, %d bytes, %s%s"):format(c.limit, c.size,
    c.frag > 0 and ("frames of " .. c.frag) or "one frame", c.chunk > 0 and (", writes of " .. c.chunk) or "")
end

describe("a message over max_message_size", function()
  local ch
  setup(function()
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
  end)
  teardown(function() helper.kill_all() end)

  describe("sent to a client", function()
    for _, c in ipairs(cases) do
      it(label(c), function()
        local p = rawpeer.server { count = 1, linger = 5, script = { message(c.size, c.frag, c.chunk) } }
        finally(function() p:kill() end)
        local conn = assert(ch:connect { url = p.url, max_message_size = c.limit })
        finally(function() conn:close() end)
        local r = helper.record(conn)
        assert.truthy(helper.wait_until(function() return #r.closes > 0 or #r.msgs > 0 end, 20))
        if c.size <= c.limit then
          assert.equal(1, #r.msgs)
          assert.equal(c.size - #PREFIX - #SUFFIX, #r.msgs[1].value.data)
          assert.equal(0, #r.errors)
        else
          assert.equal(0, #r.msgs)
          assert.equal(1, #r.errors)
          assert.matches("message too big: more than " .. c.limit .. " bytes", r.errors[1].message, 1, true)
          assert.equal(1009, r.closes[1].code)
          local close = rawpeer.wait_close(p)
          assert.truthy(close, "the server got a close frame")
          assert.equal(1009, close.code)
          assert.equal("closed", conn.state)
        end
      end)
    end

    it("the default limit (16 MiB) refuses a 17 MB message the same way", function()
      local p = rawpeer.server { count = 1, linger = 10,
                                 script = { message(17 * 1000 * 1000, 0, 65536) } }
      finally(function() p:kill() end)
      local conn = assert(ch:connect { url = p.url })
      finally(function() conn:close() end)
      local r = helper.record(conn)
      assert.truthy(helper.wait_until(function() return #r.closes > 0 end, 30))
      assert.equal(0, #r.msgs)
      assert.matches("more than 16777216 bytes", r.errors[1].message, 1, true)
      assert.equal(1009, r.closes[1].code)
      assert.equal(1009, (rawpeer.wait_close(p) or {}).code)
    end)
  end)

  describe("sent to a server's peer", function()
    local srv
    after_each(function()
      if srv then srv:close() end
      srv = nil
    end)

    for _, c in ipairs(cases) do
      it(label(c), function()
        srv = assert(ch:serve { port = 0, max_message_size = c.limit })
        local got, errors, closes = {}, {}, {}
        srv:subscribe("publish", function(v) got[#got + 1] = v end)
        srv:on("error", function(e) errors[#errors + 1] = e end)
        srv:on("close", function(code) closes[#closes + 1] = code end)
        local p = rawpeer.client(srv.url .. "/echo", { linger = 5, script = { message(c.size, c.frag, c.chunk) } })
        finally(function() p:kill() end)
        assert.equal(101, p.events[1].status)
        if c.size <= c.limit then
          assert.truthy(helper.wait_until(function() return #got > 0 end, 20))
          assert.equal(c.size - #PREFIX - #SUFFIX, #got[1].data)
          assert.equal(0, #errors)
        else
          local close = rawpeer.wait_close(p, 20)
          assert.truthy(close, "the client got a close frame")
          assert.equal(1009, close.code)
          assert.truthy(helper.wait_until(function() return #closes > 0 end, 10))
          assert.equal(1009, closes[1])
          assert.equal(0, #got)
          assert.equal(1, #errors)
          assert.matches("message too big", errors[1].message, 1, true)
        end
        -- the server goes on serving
        local conn = helper.open(ch, { url = srv.url })
        conn:close()
      end)
    end
  end)
end)
