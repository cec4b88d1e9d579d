-- The protocol conformance cases (spec/wire_spec.lua), in the spirit of the Autobahn|Testsuite's
-- cases 1-7 and 9: each is what a raw peer sends (spec/peers/raw_peer.py script actions) and what
-- the protocol asks of the other end, run against a fernws server and a fernws client alike. The
-- ids follow Autobahn's sections; the cases are ours.
--
-- expect:
--   echo = { {op =, len =, data = | hex =}, ... }   messages sent back, in order (then a close 1000
--                                                    by the raw peer gets a close 1000 back)
--   pongs = { payload, ... }                        pongs (as text) that must come back
--   pongs_last = { payload, ... }                   pings sent in a row: their pongs in order, the
--                                                    last one's at least (one pong may answer several)
--   fail = code                                     a close frame with that code, then the end of
--                                                    the connection (a dropped connection with no
--                                                    close frame is "non-strict")
--   fail_fast = true                                the close must come before the rest is sent
--   reply = code | false                            the answer to the peer's own close frame
--                                                    (false: a close frame with no code)
local cases = {}

local function add(c) cases[#cases + 1] = c end

local function hexof(s) return (s:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)) end

local function frame(t) return { frame = t } end
local function text(s) return frame { op = 1, payload = s } end
local function bytes(hex) return frame { op = 2, hex = hex } end
local function close(code, reason_hex)
  local hex = code and string.format("%04x", code) .. (reason_hex or "") or ""
  return frame { op = 8, hex = hex }
end

-- 1: framing: every length edge, both opcodes
for _, n in ipairs { 0, 1, 125, 126, 127, 128, 65535, 65536, 65537 } do
  add { id = "1.1." .. n, group = "framing", what = "text of " .. n .. " bytes",
        send = { frame { op = 1, fill = "*", n = n } },
        expect = { echo = { { op = 1, len = n } } } }
  add { id = "1.2." .. n, group = "framing", what = "binary of " .. n .. " bytes",
        send = { frame { op = 2, fill_hex = "fe", n = n } },
        expect = { echo = { { op = 2, len = n } } } }
end
add { id = "1.3", group = "framing", what = "a frame written one byte at a time",
      send = { frame { op = 1, payload = "Hello, world", chunk = 1 } },
      expect = { echo = { { op = 1, len = 12, data = "Hello, world" } } } }

-- 2: ping and pong
add { id = "2.1", group = "ping/pong", what = "a ping with no payload gets a pong with none",
      send = { frame { op = 9, payload = "" } }, expect = { pongs = { "" } } }
add { id = "2.2", group = "ping/pong", what = "a ping's payload comes back in the pong",
      send = { frame { op = 9, payload = "Hello, world!" } }, expect = { pongs = { "Hello, world!" } } }
add { id = "2.3", group = "ping/pong", what = "a binary ping payload",
      send = { frame { op = 9, hex = "00fffefdfcfbfaf9" } }, expect = { pongs = { "\0\255\254\253\252\251\250\249" } } }
add { id = "2.4", group = "ping/pong", what = "a ping of 125 bytes",
      send = { frame { op = 9, fill = "p", n = 125 } }, expect = { pongs = { string.rep("p", 125) } } }
add { id = "2.5", group = "ping/pong", what = "a ping of 126 bytes fails the connection",
      send = { frame { op = 9, fill = "p", n = 126 } }, expect = { fail = 1002 } }
add { id = "2.6", group = "ping/pong", what = "a ping written one byte at a time",
      send = { frame { op = 9, payload = "slow", chunk = 1 } }, expect = { pongs = { "slow" } } }
add { id = "2.7", group = "ping/pong", what = "an unsolicited pong is ignored",
      send = { frame { op = 10, payload = "unasked" } }, expect = { echo = {} } }
add { id = "2.8", group = "ping/pong", what = "an unsolicited pong, then a ping",
      send = { frame { op = 10, payload = "unasked" }, frame { op = 9, payload = "asked" } },
      expect = { pongs = { "asked" } } }
add { id = "2.9", group = "ping/pong", what = "ten pings in a row: pongs in order, the last one's at least (RFC 6455 5.5.3)",
      send = (function()
        local t = {}
        for i = 1, 10 do t[i] = frame { op = 9, payload = "ping " .. i } end
        t[11] = text("end")
        return t
      end)(),
      expect = { pongs_last = { "ping 1", "ping 2", "ping 3", "ping 4", "ping 5", "ping 6", "ping 7", "ping 8",
                                "ping 9", "ping 10" }, echo = { { op = 1, len = 3, data = "end" } } } }

-- 3: reserved bits (no extension is ever agreed)
for i, rsv in ipairs { 1, 2, 3, 4, 5, 6, 7 } do
  add { id = "3." .. i, group = "reserved bits", what = "RSV " .. rsv .. " on a text frame",
        send = { frame { op = 1, rsv = rsv, payload = "hello" } }, expect = { fail = 1002 } }
end
add { id = "3.8", group = "reserved bits", what = "RSV1 on a ping",
      send = { frame { op = 9, rsv = 4, payload = "hello" } }, expect = { fail = 1002 } }
add { id = "3.9", group = "reserved bits", what = "RSV1 on a close",
      send = { frame { op = 8, rsv = 4, hex = "03e8" } }, expect = { fail = 1002 } }

-- 4: opcodes
for i, op in ipairs { 3, 4, 5, 6, 7 } do
  add { id = "4.1." .. i, group = "opcodes", what = "reserved data opcode " .. op,
        send = { frame { op = op, payload = "x" } }, expect = { fail = 1002 } }
end
for i, op in ipairs { 11, 12, 13, 14, 15 } do
  add { id = "4.2." .. i, group = "opcodes", what = "reserved control opcode " .. op,
        send = { frame { op = op, payload = "x" } }, expect = { fail = 1002 } }
end
add { id = "4.3", group = "opcodes", what = "a reserved opcode after a valid message",
      send = { text("first"), frame { op = 5, payload = "x" } }, expect = { echo = { { op = 1, len = 5, data = "first" } }, fail = 1002 } }

-- 5: fragmentation
add { id = "5.1", group = "fragmentation", what = "a ping in two fragments fails the connection",
      send = { frame { op = 9, fin = false, payload = "fr" }, frame { op = 0, payload = "ag" } }, expect = { fail = 1002 } }
add { id = "5.2", group = "fragmentation", what = "a pong in two fragments fails the connection",
      send = { frame { op = 10, fin = false, payload = "fr" }, frame { op = 0, payload = "ag" } }, expect = { fail = 1002 } }
add { id = "5.3", group = "fragmentation", what = "text in two fragments",
      send = { frame { op = 1, fin = false, payload = "frag" }, frame { op = 0, payload = "ment" } },
      expect = { echo = { { op = 1, len = 8, data = "fragment" } } } }
add { id = "5.4", group = "fragmentation", what = "binary in 100 fragments of 1 byte",
      send = { { message = { op = 2, fill = "b", n = 100, frag = 1 } } }, expect = { echo = { { op = 2, len = 100 } } } }
add { id = "5.5", group = "fragmentation", what = "text fragments with a ping between them",
      send = { frame { op = 1, fin = false, payload = "frag" }, frame { op = 9, payload = "between" },
               frame { op = 0, payload = "ment" } },
      expect = { pongs = { "between" }, echo = { { op = 1, len = 8, data = "fragment" } } } }
add { id = "5.6", group = "fragmentation", what = "empty fragments around the payload",
      send = { frame { op = 1, fin = false, payload = "" }, frame { op = 0, fin = false, payload = "mid" },
               frame { op = 0, payload = "" } },
      expect = { echo = { { op = 1, len = 3, data = "mid" } } } }
add { id = "5.7", group = "fragmentation", what = "a continuation with no message under way",
      send = { frame { op = 0, payload = "lost" } }, expect = { fail = 1002 } }
add { id = "5.8", group = "fragmentation", what = "a continuation after a whole message",
      send = { text("whole"), frame { op = 0, payload = "lost" } },
      expect = { echo = { { op = 1, len = 5, data = "whole" } }, fail = 1002 } }
add { id = "5.9", group = "fragmentation", what = "a new text frame while a message is under way",
      send = { frame { op = 1, fin = false, payload = "one" }, frame { op = 1, payload = "two" } }, expect = { fail = 1002 } }
add { id = "5.10", group = "fragmentation", what = "a new binary frame while a text message is under way",
      send = { frame { op = 1, fin = false, payload = "one" }, frame { op = 2, payload = "two" } }, expect = { fail = 1002 } }
add { id = "5.11", group = "fragmentation", what = "fragments written one byte at a time, pings between",
      send = { frame { op = 1, fin = false, payload = "ab", chunk = 1 }, frame { op = 9, payload = "p", chunk = 1 },
               frame { op = 0, payload = "cd", chunk = 1 } },
      expect = { pongs = { "p" }, echo = { { op = 1, len = 4, data = "abcd" } } } }

-- 6: UTF-8 in text messages
local valid = {
  { "6.1.1", "empty text", "" },
  { "6.1.2", "two-byte characters", "\xc3\xa9\xc3\xa8" },
  { "6.1.3", "three-byte characters", "\xe2\x82\xac\xe6\x97\xa5" },
  { "6.1.4", "four-byte characters", "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" },
  { "6.1.5", "the last code points before and after the surrogates", "\xed\x9f\xbf\xee\x80\x80" },
  { "6.1.6", "U+FFFE and U+FFFF (noncharacters, still valid)", "\xef\xbf\xbe\xef\xbf\xbf" },
}
for _, v in ipairs(valid) do
  add { id = v[1], group = "UTF-8", what = "valid: " .. v[2], send = { frame { op = 1, hex = hexof(v[3]) } },
        expect = { echo = { { op = 1, len = #v[3], hex = hexof(v[3]) } } } }
end
local invalid = {
  { "6.2.1", "a lone continuation byte", "80" },
  { "6.2.2", "an overlong '/' (C0 AF)", "c0af" },
  { "6.2.3", "an overlong three-byte form (E0 80 AF)", "e080af" },
  { "6.2.4", "a surrogate (ED A0 80)", "eda080" },
  { "6.2.5", "past U+10FFFF (F4 90 80 80)", "f4908080" },
  { "6.2.6", "byte FF", "68656c6cff" },
  { "6.2.7", "a sequence cut at the end of the message", "68e282" },
  { "6.2.8", "F5 (never in UTF-8)", "f5808080" },
}
for _, v in ipairs(invalid) do
  add { id = v[1], group = "UTF-8", what = "invalid: " .. v[2], send = { frame { op = 1, hex = v[3] } },
        expect = { fail = 1007 } }
end
add { id = "6.3.1", group = "UTF-8", what = "a character split across fragments is valid",
      send = { frame { op = 1, fin = false, hex = "e282" }, frame { op = 0, hex = "ac" } },
      expect = { echo = { { op = 1, len = 3, hex = "e282ac" } } } }
add { id = "6.3.2", group = "UTF-8", what = "invalid bytes in the first fragment fail at once, before the last one",
      send = { frame { op = 1, fin = false, hex = "68656c6cc0af" } }, later = { frame { op = 0, payload = "rest" } },
      expect = { fail = 1007, fail_fast = true } }
add { id = "6.3.3", group = "UTF-8", what = "a ping inside an invalid text message does not save it",
      send = { frame { op = 1, fin = false, hex = "ed" }, frame { op = 9, payload = "p" }, frame { op = 0, hex = "a080" } },
      expect = { fail = 1007 } }
add { id = "6.4", group = "UTF-8", what = "binary messages are not UTF-8 checked",
      send = { frame { op = 2, hex = "c0afff" } }, expect = { echo = { { op = 2, len = 3, hex = "c0afff" } } } }

-- 7: closing
add { id = "7.1.1", group = "close", what = "a close with code 1000 is answered with 1000",
      send = { close(1000) }, expect = { reply = 1000 } }
add { id = "7.1.2", group = "close", what = "a close with no code is answered with no code",
      send = { close() }, expect = { reply = false } }
add { id = "7.1.3", group = "close", what = "a close with a reason is answered with the code",
      send = { close(1000, hexof("bye")) }, expect = { reply = 1000 } }
add { id = "7.1.4", group = "close", what = "a close of 125 bytes",
      send = { close(1000, hexof(string.rep("*", 123))) }, expect = { reply = 1000 } }
add { id = "7.1.5", group = "close", what = "nothing sent after the close is taken",
      send = { close(1000), text("after close") }, expect = { reply = 1000 } }
add { id = "7.1.6", group = "close", what = "a message, then a close: the message is echoed first",
      send = { text("before"), close(1000) }, expect = { echo = { { op = 1, len = 6, data = "before" } }, reply = 1000 } }
add { id = "7.2", group = "close", what = "a close with a 1-byte payload fails the connection",
      send = { frame { op = 8, hex = "03" } }, expect = { fail = 1002 } }
for i, code in ipairs { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 } do
  add { id = "7.7." .. i, group = "close", what = "valid close code " .. code, send = { close(code) },
        expect = { reply = code } }
end
for i, code in ipairs { 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535 } do
  add { id = "7.9." .. i, group = "close", what = "invalid close code " .. code, send = { close(code) },
        expect = { fail = 1002 } }
end
add { id = "7.5.1", group = "close", what = "a close reason that is not UTF-8",
      send = { close(1000, "cebae1bdb9cf83cebcceb5eda080656469746564") }, expect = { fail = 1007 } }

-- masking (RFC 6455 5.1): a client masks every frame, a server none
add { id = "M.1", group = "masking", what = "a frame with the wrong masking for its sender",
      send = { frame { op = 1, payload = "wrong mask", mask = "wrong" } }, expect = { fail = 1002 } }

-- 9: limits and big messages
for i, n in ipairs { 65536, 262144, 1048576, 4194304 } do
  add { id = "9.1." .. i, group = "big messages", what = "text of " .. n .. " bytes",
        send = { frame { op = 1, fill = "*", n = n } }, expect = { echo = { { op = 1, len = n } } } }
  add { id = "9.2." .. i, group = "big messages", what = "binary of " .. n .. " bytes",
        send = { frame { op = 2, fill_hex = "fe", n = n } }, expect = { echo = { { op = 2, len = n } } } }
end
for i, f in ipairs { 64, 256, 1024, 4096, 65536 } do
  add { id = "9.3." .. i, group = "big messages", what = "1 MiB of text in fragments of " .. f .. " bytes",
        send = { { message = { op = 1, fill = "*", n = 1048576, frag = f } } }, expect = { echo = { { op = 1, len = 1048576 } } } }
end
add { id = "9.4", group = "big messages", what = "a frame over max_message_size (1 MiB here) fails with 1009 before its payload",
      max = 1048576, send = { frame { op = 2, len = 1048577, hex = "", header_only = true } }, expect = { fail = 1009 } }
add { id = "9.5", group = "big messages", what = "a frame length over 2^63",
      send = { { raw = "817f8000000000000000" } }, expect = { fail = 1002 } }

return cases
