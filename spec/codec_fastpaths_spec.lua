-- The codec's fast paths give the same answers as the slow ones: strings scanned eight bytes at a
-- time (every position and length around the 8-byte steps and the end of the text), property
-- names known by address once seen (short and long names, small and large objects, 64 and more
-- properties), and channel methods called on another channel than their own.
local u = require "codec_util"
local cjson = require "cjson"
local fernws = u.fernws

-- JSON string escaping as the encoder does it (\u00XX for other control bytes and DEL)
local short = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\b"] = "\\b", ["\f"] = "\\f" }
local function escaped(s)
  return '"' .. s:gsub('[%z\1-\31"\\\127]', function(c)
    return short[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

describe("codec fast paths: strings", function()
  local api = u.api()
  local specials = { '"', "\\", "\n", "\0", "\31", "\127", "é", "😀", "日" }

  it("encodes and decodes one special character at every place of strings of 0 to 40 bytes", function()
    for len = 0, 40 do
      local plain = string.rep("abcdefgh", 6):sub(1, len)
      assert.equal('"' .. plain .. '"', api:encode("types.Str", plain))
      assert.equal(plain, (api:decode("types.Str", '"' .. plain .. '"')))
      for pos = 1, len do
        for _, sp in ipairs(specials) do
          local s = plain:sub(1, pos - 1) .. sp .. plain:sub(pos + 1)
          local text = api:encode("types.Str", s)
          assert.equal(escaped(s), text, "encoding " .. string.format("%q", s))
          assert.equal(s, (api:decode("types.Str", text)), "decoding " .. text)
          assert.equal(s, cjson.decode(text))
        end
      end
    end
  end)

  it("finds two specials in one 8-byte step, and specials right after an escape", function()
    for _, s in ipairs({ 'ab"c"def', '""""""""""', 'a\\b\\c\\d\\e\\f', "abcdefg\"\nhijklmnop", 'x"' .. string.rep("y", 13),
                         string.rep("z", 9) .. '"', string.rep("é", 9), "é" .. string.rep("a", 20) .. "\n" }) do
      local text = api:encode("types.Str", s)
      assert.equal(escaped(s), text)
      assert.equal(s, (api:decode("types.Str", text)))
    end
  end)

  it("rejects bytes that are not UTF-8 at every place, after and inside 8-byte steps", function()
    for len = 1, 24 do
      for pos = 1, len do
        local s = string.rep("a", pos - 1) .. "\xff" .. string.rep("b", len - pos)
        assert.matches("is not valid UTF-8", u.encode_error(api, "types.Str", s), 1, true)
        assert.matches("a string is not valid UTF-8", (u.decode_error(api, "types.Str", '"' .. s .. '"')), 1, true)
        -- a control byte unescaped in the text is a syntax error wherever it is
        local c = string.rep("a", pos - 1) .. "\1" .. string.rep("b", len - pos)
        assert.matches("a control character inside a string must be escaped",
          (u.decode_error(api, "types.Str", '"' .. c .. '"')), 1, true)
      end
    end
  end)

  it("reads a string that ends the text without its closing quote as not closed", function()
    for len = 0, 20 do
      local err = u.decode_error(api, "types.Str", '"' .. string.rep("q", len))
      assert.matches("a string is not closed", err, 1, true)
    end
  end)
end)

describe("codec fast paths: property names", function()
  local function object_type(name, n, prefix)
    local lines = { "types:", "  " .. name .. ":", "    properties:" }
    for i = 1, n do lines[#lines + 1] = string.format("      %s%d: optional<integer>", prefix, i) end
    return table.concat(lines, "\n") .. "\n"
  end

  for _, case in ipairs({ { n = 1 }, { n = 8 }, { n = 9 }, { n = 16 }, { n = 17 }, { n = 63 }, { n = 64 }, { n = 65 }, { n = 70 } }) do
    it(("encodes and decodes an object of %d properties, again and again"):format(case.n), function()
      local long = string.rep("L", 45) -- above Lua's short-string length: not interned
      local api = u.load(object_type("Short", case.n, "p") .. object_type("Long", case.n, long):gsub("^types:\n", ""))
      for _, spec in ipairs({ { t = "defn.Short", prefix = "p" }, { t = "defn.Long", prefix = long } }) do
        for round = 1, 3 do
          local v = {}
          for i = 1, case.n, 2 do v[spec.prefix .. i] = i * round end
          local text = api:encode(spec.t, v)
          assert.same(v, cjson.decode(text))
          assert.same(v, (api:decode(spec.t, text)))
          -- every property given: nothing is missing
          local all = {}
          for i = 1, case.n do all[spec.prefix .. i] = -i end
          assert.same(all, (api:decode(spec.t, api:encode(spec.t, all))))
          -- a name the type lacks is refused, a near miss too
          local bad = { [spec.prefix .. "0"] = 1 }
          assert.matches("unknown property", u.encode_error(api, spec.t, bad), 1, true)
          assert.is_nil((api:decode(spec.t, '{"' .. spec.prefix .. '0":1}', { strict = true })))
        end
      end
    end)
  end

  it("reads a name spelt another way than the encoder writes it (escapes, spaces) as the same", function()
    local api = u.load([[
types:
  K:
    properties:
      text: string
      te: optional<string>
      "q\"x": optional<integer>
]])
    for _, text in ipairs({ '{"text":"a"}', '{ "text" : "a" }', '{"te\\u0078t":"a"}', '{"text"\n:"a"}' }) do
      assert.same({ text = "a" }, (api:decode("defn.K", text)), text)
    end
    assert.same({ text = "a", te = "b" }, (api:decode("defn.K", '{"te":"b","text":"a"}')))
    assert.same({ text = "a", ['q"x'] = 1 }, (api:decode("defn.K", '{"text":"a","q\\"x":1}')))
    local both = api:encode("defn.K", { text = "a", ['q"x'] = 1 })
    assert.matches('"q\\"x":1', both, 1, true)
    assert.same({ text = "a", ['q"x'] = 1 }, (api:decode("defn.K", both)))
    -- a prefix of a name is not the name (kept as an unknown property, refused when strict), and
    -- a name cut short by the end of the text is an error
    assert.same({ text = "a", tex = 1 }, (api:decode("defn.K", '{"text":"a","tex":1}')))
    assert.is_nil((api:decode("defn.K", '{"text":"a","tex":1}', { strict = true })))
    assert.matches("not closed", (u.decode_error(api, "defn.K", '{"text":"a","tex')), 1, true)
    assert.matches("expected ':'", (u.decode_error(api, "defn.K", '{"text"')), 1, true)
  end)

  it("reports a required property left out among 64 and more", function()
    for _, n in ipairs({ 63, 64, 65 }) do
      local lines = { "types:", "  Req:", "    properties:" }
      for i = 1, n do lines[#lines + 1] = string.format("      r%d: integer", i) end
      local api = u.load(table.concat(lines, "\n") .. "\n")
      local v = {}
      for i = 1, n do v["r" .. i] = i end
      assert.is_true(api:check("defn.Req", v))
      v["r" .. n] = nil
      local e = u.check_error(api, "defn.Req", v)
      assert.equal("r" .. n, e.path)
      assert.matches("required property is missing", e.message, 1, true)
      local err = u.decode_error(api, "defn.Req", cjson.encode(v))
      assert.matches("r" .. n .. ": required property is missing", err, 1, true)
    end
  end)

  it("knows the same name in two types apart, and keys made at run time", function()
    local api = u.load([[
types:
  A:
    properties:
      name: string
  B:
    properties:
      name: integer
]])
    local key = ("na" .. "me"):upper():lower() -- built, not a constant of the chunk
    assert.equal('{"name":"x"}', api:encode("defn.A", { [key] = "x" }))
    assert.equal('{"name":7}', api:encode("defn.B", { [key] = 7 }))
    assert.matches("expected integer", u.encode_error(api, "defn.B", { name = "x" }), 1, true)
    assert.same({ name = 7 }, (api:decode("defn.B", '{"name":7}')))
  end)
end)

describe("codec fast paths: channel methods", function()
  local helper = require "helper"
  local dir = helper.write_definition({
    ["a.yml"] = [[
channel:
  path: /a
  auth: false
  messages:
    ping: { origin: client, body: A }
    pong: { origin: server, body: A }
types:
  A:
    properties:
      x: integer
]],
    ["b.yml"] = [[
channel:
  path: /b
  auth: false
  messages:
    hello: { origin: client, body: B }
types:
  B:
    properties:
      y: string
]],
  })
  local api = assert(fernws.load(dir))
  helper.rmtree(dir)
  local a, b = api:channel("a"), api:channel("b")

  it("called on another channel, act on the channel given", function()
    assert.equal('{"y":"s"}', a.encode(b, "hello", { y = "s" }))
    local id, v, info = a.decode(b, '{"y":"s"}', "client")
    assert.equal("hello", id)
    assert.same({ y = "s" }, v)
    assert.equal("hello", info.id)
    assert.is_true(a.check(b, "hello", { y = "s" }))
    assert.matches("unknown message 'ping' (channel b has: hello)", u.encode_error(b, "ping", { x = 1 }), 1, true)
    local ok, err = pcall(a.encode, b, "ping", { x = 1 })
    assert.is_false(ok)
    assert.matches("unknown message 'ping'", err, 1, true)
    -- and on their own channel as usual
    assert.equal("ping", (a:decode('{"x":1}', "client")))
    assert.equal("pong", (a:decode('{"x":1}')))
  end)

  it("refuse what is not a channel", function()
    for _, bad in ipairs({ {}, "a", 1, api, io.stdout }) do
      local ok, err = pcall(a.encode, bad, "ping", { x = 1 })
      assert.is_false(ok)
      assert.matches("fernws.channel expected", err, 1, true)
    end
  end)

  it("kept alone, keep their channel and its api alive", function()
    local d = helper.write_definition({ ["c.yml"] = "channel:\n  path: /c\n  auth: false\n  messages:\n"
      .. "    hi: { origin: client, body: C }\ntypes:\n  C:\n    properties:\n      z: string\n" })
    local weak = setmetatable({}, { __mode = "v" })
    local enc
    do
      local api2 = assert(fernws.load(d))
      weak.api, weak.ch = api2, api2:channel("c")
      enc = weak.ch.encode
    end
    helper.rmtree(d)
    collectgarbage()
    collectgarbage()
    assert.is_not_nil(weak.ch)
    assert.is_not_nil(weak.api)
    assert.equal('{"z":"q"}', enc(weak.ch, "hi", { z = "q" }))
    enc = nil
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak.ch)
    assert.is_nil(weak.api)
  end)

  it("keep fields, tostring and the cached object", function()
    assert.equal(a, api:channel("a"))
    assert.equal("a", a.name)
    assert.equal("/a", a.path)
    assert.same({ "ping", "pong" }, (function()
      local t = {}
      for id in pairs(a.messages) do t[#t + 1] = id end
      table.sort(t)
      return t
    end)())
    assert.equal("fernws.channel a (/a)", tostring(a))
    assert.is_nil(a.no_such_field)
    assert.equal("userdata", type(a))
  end)
end)
