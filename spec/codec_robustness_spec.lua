-- Decode never raises on bad bytes (garbage, truncations, mutations of valid messages: nil, err,
-- errs), what decode accepts check accepts and encodes back, nesting and size limits hold both ways,
-- cycles are errors, and error lists are bounded.
local u = require "codec_util"
local fernws = u.fernws

-- Valid texts of several types, to cut and mutate.
local samples = {
  { "types.Any", '{"a":[1,2.5,"s\\u00e9",true,null,{"b":[]}],"c":{"d":-0}}' },
  { "types.GrandChild", '{"id":"i","name":"n","at":"2024-01-15T10:30:00Z","z":true}' },
  { "types.Tagged", '{"kind":"boxed","id":"1","point":{"x":1,"y":2}}' },
  { "types.Msg", '{"type":"b","y":"s\\"q"}' },
  { "types.Tree", '{"value":1,"children":[{"value":2,"children":[]},{"value":3}]}' },
  { "types.Points", '[{"x":1,"y":2},{"x":2,"y":1}]' },
  { "types.IntStr", '{"1":"a","-5":"b"}' },
  { "types.Holder", '{"req":"r","opt":null,"nul":null,"optnul":null,"any":[{}],"lit":"fixed","flag":true}' },
  { "types.LooseStrict", '{"a":"x","b":1}' },
  { "types.Deep", '{"next":{"next":{"b":"x"}}}' },
}

local function decode_is_clean(api, ty, text, opts)
  local ok, v, second, third = pcall(api.decode, api, ty, text, opts)
  assert(ok, "decode raised on " .. string.format("%q", text) .. ": " .. tostring(v))
  if v == nil and type(second) ~= "table" then
    assert(type(second) == "string", "no error text for " .. string.format("%q", text))
    assert(type(third) == "table" and #third >= 1, "no error list for " .. string.format("%q", text))
    assert(second:find("^cannot decode the value"), second)
    assert(utf8.len(second), "error text is not UTF-8: " .. string.format("%q", second))
    for _, e in ipairs(third) do
      assert(type(e.path) == "string" and type(e.message) == "string" and type(e.got) == "string")
      assert(utf8.len(e.message), "error message is not UTF-8: " .. string.format("%q", e.message))
    end
    return false
  end
  return true, v
end

-- Whatever decode accepts (strictly), check accepts and encode writes back to the same value.
local function accepted_is_consistent(api, ty, text)
  local ok, v = decode_is_clean(api, ty, text, { strict = true })
  if not ok then return end
  local good, errs = api:check(ty, v)
  assert(good, string.format("decode accepted %q but check refuses it: %s", text, good or u.messages(errs)))
  local again = api:encode(ty, v)
  local back = api:decode(ty, again)
  assert(u.same(v, back), string.format("%q -> %q did not come back the same", text, again))
end

describe("codec: bad bytes never raise", function()
  local api = u.api()

  it("fixed garbage: nil, an error text and a list, for every type", function()
    local garbage = { "", " ", "{", "[", "}", "]", "[1,", "[1,]", "{\"a\"", "{\"a\":}", "{\"a\":1,}", "nul", "tru",
      "1.", "-", "01", "\"abc", "\"\\u12\"", "\"\\x\"", "[1]x", "\xff", "\0", "\"\\ud800\"", "\"\xed\xa0\x80\"",
      "\"\xc0\x80\"", "{\"x\":1 \"y\":2}", "[1 2]", "1e", "--1", "+1", ".5", "NaN", "Infinity", "\"\t\"",
      "{\"type\":", "{\"type\":\"a", "{\"type\":\"\xff\"}", "{\"kind\":\"\\u00\"}", "[\"\\", "\"\\", "{\"\\",
      string.rep("[", 100000), string.rep("{\"a\":", 50000), string.rep("\"", 3) }
    for _, s in ipairs(samples) do
      for _, g in ipairs(garbage) do
        assert.is_false((decode_is_clean(api, s[1], g)), s[1] .. " accepted " .. string.format("%q", g))
      end
    end
  end)

  it("every truncation of valid messages", function()
    for _, s in ipairs(samples) do
      local text = s[2]
      assert.is_true((decode_is_clean(api, s[1], text)), s[1])
      for n = 0, #text - 1 do
        local cut = text:sub(1, n)
        assert.is_false((decode_is_clean(api, s[1], cut)), s[1] .. " accepted the cut " .. cut)
      end
    end
  end)

  it("random mutations of valid messages: clean errors, and what is accepted is consistent", function()
    local rnd = u.rng(20240115)
    local alphabet = '{}[]",:\\ 0123456789.-+eEtrufalsn\xff\xc3\xa9\0\t\n/ux'
    for _, s in ipairs(samples) do
      for _ = 1, 400 do
        local t = s[2]
        for _ = 1, rnd(3) do
          local at, op = rnd(#t + 1), rnd(3)
          local k = rnd(#alphabet)
          local c = alphabet:sub(k, k)
          if op == 1 then t = t:sub(1, at - 1) .. c .. t:sub(at + 1)   -- replace
          elseif op == 2 then t = t:sub(1, at - 1) .. c .. t:sub(at)   -- insert
          else t = t:sub(1, at - 1) .. t:sub(at + 1) end                -- delete
        end
        decode_is_clean(api, s[1], t)
        accepted_is_consistent(api, s[1], t)
      end
    end
  end)

  it("random bytes, through a channel's dispatch too", function()
    local rnd = u.rng(7)
    local ch = api:channel("chat")
    for _ = 1, 1000 do
      local b = {}
      for i = 1, rnd(40) do b[i] = string.char(rnd(256) - 1) end
      local text = table.concat(b)
      decode_is_clean(api, "types.Any", text)
      local ok, id, err = pcall(ch.decode, ch, text)
      assert(ok, id)
      assert(id == nil and type(err) == "string")
      ok = pcall(ch.decode, ch, text, "client")
      assert.is_true(ok)
    end
  end)

  it("a failed decode leaves the codec ready for the next", function()
    for _ = 1, 3 do
      assert.is_nil((api:decode("types.Str", '"\\ud800"')))
      assert.equal("é\n", (api:decode("types.Str", '"\\u00e9\\n"')))
      assert.is_nil((api:decode("types.Msg", '{"type":"b","y":')))
      assert.equal("MsgB", select(2, api:decode("types.Msg", '{"type":"b","y":"s"}')).variant)
    end
  end)
end)

describe("codec: check, encode and decode agree", function()
  local api = u.api()
  local null = fernws.null
  local rnd = u.rng(12345)
  local keys = { "x", "y", "type", "kind", "id", "value", "text", "point", "likesToWoof", "lives", "a", "b", "next",
    "children", "req", "opt", "nul", "optnul", "any", "lit", "flag", "name", "at", "z", "_t", "x-y", "1st", "n", "session" }
  local strs = { "a", "b", "dog", "cat", "fixed", "count", "note", "boxed", "empty", "red", "<", ">=", "2024-01-15T10:30:00Z",
    "2024-02-29", "123e4567-e89b-12d3-a456-426614174000", "YQ==", "123", "-5", "1", "x", "", "only", "tick", "é", "welcome" }
  local nums = { 0, 1, -1, 2, 2147483648, math.maxinteger, math.mininteger, 1.5, 1.0, -0.0, 100, 0.1, 2 ^ 63, 3 }
  local function gen(depth)
    local r = depth > 3 and rnd(5) or rnd(10)
    if r == 1 or r == 5 then return strs[rnd(#strs)]
    elseif r == 2 then return nums[rnd(#nums)]
    elseif r == 3 then return rnd(2) == 1
    elseif r == 4 then return null
    end
    local t = {}
    if r <= 7 then
      for i = 1, rnd(4) - 1 do t[i] = gen(depth + 1) end
    else
      for _ = 1, rnd(4) - 1 do t[keys[rnd(#keys)]] = gen(depth + 1) end
    end
    return t
  end

  -- random values against every type: check and encode give the same verdict; what encode writes,
  -- decode reads (strictly too), check accepts, and it is stable from there on
  local function agree(check, encode, decode)
    local v = gen(0)
    local ok = check(v)
    local eok, text = pcall(encode, v)
    assert(ok == eok, "check and encode disagree: " .. tostring(text))
    if not ok then return 0 end
    local back, info = decode(text)
    assert(type(info) == "table", "decode refuses what encode wrote: " .. text .. ": " .. tostring(info))
    assert(decode(text, true) ~= nil or back == nil, "strict decode refuses what encode wrote: " .. text)
    assert(check(back), "check refuses what decode read from " .. text)
    local again = decode(encode(back))
    assert(u.same(back, again), "not stable: " .. text)
    return 1
  end

  it("on every type of the codec definition", function()
    local names = api:types()
    table.sort(names)
    local accepted = 0
    for _ = 1, 30000 do
      local ty = names[rnd(#names)]
      accepted = accepted + agree(function(v) return (api:check(ty, v)) end,
        function(v) return api:encode(ty, v) end,
        function(text, strict) return api:decode(ty, text, strict and { strict = true } or nil) end)
    end
    assert.is_true(accepted > 1000, "only " .. accepted .. " random values were valid")
  end)

  it("on every message of the chat channel, both sides", function()
    local ch = api:channel("chat")
    local ids = { "hello", "say", "ping", "welcome", "said", "pong", "event" }
    local origin = { hello = "client", say = "client", ping = "client", welcome = "server", said = "server",
      pong = "server", event = "server" }
    for _ = 1, 5000 do
      local id = ids[rnd(#ids)]
      agree(function(v) return (ch:check(id, v)) end, function(v) return ch:encode(id, v) end,
        function(text, strict)
          local got, value, info = ch:decode(text, { origin = origin[id], strict = strict })
          if got == nil then return nil, value end
          -- another message of the same side may take the text first: it must be valid as that one
          return value, info
        end)
    end
  end)
end)

describe("codec: limits", function()
  local api = u.api()

  local function arrays(n) return string.rep("[", n) .. string.rep("]", n) end
  local function tables(n)
    local t = {}
    for _ = 2, n do t = { t } end
    return t
  end

  it("nesting: 200 levels decode and encode, 201 do not", function()
    assert.is_table((api:decode("types.Any", arrays(200))))
    local err, e = u.decode_error(api, "types.Any", arrays(201))
    assert.matches(": nests deeper than 200 levels$", err)
    assert.equal("JSON", e.expected)
    assert.is_string(api:encode("types.Any", tables(200)))
    assert.matches("nests deeper than 200 levels", u.encode_error(api, "types.Any", tables(201)), 1, true)
    -- in typed positions as well
    local deep = string.rep('{"value":1,"children":[', 100) .. '{"value":1}' .. string.rep("]}", 100) -- 201
    assert.matches("nests deeper than 200 levels", (u.decode_error(api, "types.Tree", deep)), 1, true)
  end)

  it("max_depth lowers the limit for one decode (and cannot raise it)", function()
    assert.is_table((api:decode("types.Any", arrays(10), { max_depth = 10 })))
    assert.matches("nests deeper than 10 levels", (u.decode_error(api, "types.Any", arrays(11), { max_depth = 10 })), 1, true)
    assert.matches("nests deeper than 200 levels", (u.decode_error(api, "types.Any", arrays(201), { max_depth = 10000 })), 1, true)
  end)

  it("a table that holds itself is an error in typed positions too", function()
    local t = { value = 1 }
    t.children = { t }
    local e = u.check_error(api, "types.Tree", t)
    assert.same({ path = "children[1]", expected = "value", got = "table", message = "children[1]: contains itself (a cycle)" }, e)
    local l = {}
    l[1] = l
    assert.matches("contains itself", u.check_error(api, "types.Grid", l).message, 1, true)
  end)

  it("check lists up to 100 errors; encode's message counts the rest", function()
    local bad = {}
    for i = 1, 150 do bad[i] = "x" end
    local ok, errs = api:check("types.Ints", bad)
    assert.is_false(ok)
    assert.equal(100, #errs)
    assert.equal("[100]: expected integer, got string", errs[100].message)
    assert.matches("; %[100%]: expected integer, got string %(and 50 more%)$", u.encode_error(api, "types.Ints", bad))
  end)

  it("decode stops at the first error", function()
    local _, _, errs = u.decode_error(api, "types.Ints", '["x","y","z"]')
    assert.equal(1, #errs)
    assert.equal("[1]", errs[1].path)
  end)

  it("large texts: 1 MB of unknown JSON round-trips", function()
    local parts = {}
    for i = 1, 20000 do parts[i] = string.format('{"k%d":[%d,%d.5,"v%d"]}', i, i, i, i) end
    local text = "[" .. table.concat(parts, ",") .. "]"
    assert.is_true(#text > 500000)
    local v = api:decode("types.Any", text)
    assert.equal(20000, #v)
    assert.equal(20000, v[20000].k20000[1])
    local back = api:decode("types.Any", api:encode("types.Any", v))
    assert.is_true(u.same(v, back))
  end)

  it("a value that is not a table or string where one is wanted is an error, not a crash", function()
    for _, v in ipairs({ print, coroutine.create(print), io.stdout, fernws.null, true, 1, 1.5 }) do
      assert.is_false((api:check("types.Point", v)))
      assert.is_false((api:check("types.Ints", v)))
      assert.is_false((api:check("types.StrInt", v)))
      assert.is_false((api:check("types.Animal", v)))
      assert.is_false((api:check("types.Msg", v)))
    end
  end)
end)

describe("fuzz findings stay fixed", function()
  local helper = require "helper"
  local fernws = helper.fernws
  local dir = helper.root .. "/fuzz/regressions"

  local function files(sub)
    local list = {}
    local p = io.popen("ls " .. helper.q(dir .. "/" .. sub) .. " 2>/dev/null")
    for name in p:lines() do
      if not name:match("%.md$") then list[#list + 1] = dir .. "/" .. sub .. "/" .. name end
    end
    p:close()
    return list
  end

  local function read(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
  end

  it("every fuzz_load reproducer loads or fails with errors, never a crash", function()
    for _, path in ipairs(files("fuzz_load")) do
      -- the fuzzer splits its input at "#---" lines into files; one file is enough to replay it
      local dir2 = helper.write_definition { ["api.yml"] = "name: fuzz\n", ["f.yml"] = read(path) }
      local ok, api, msg = pcall(fernws.load, dir2)
      helper.rmtree(dir2)
      assert.is_true(ok, path)
      assert.is_true(api ~= nil or type(msg) == "string", path)
    end
  end)

  it("every fuzz_decode and fuzz_roundtrip reproducer decodes or fails with nil, err", function()
    if not helper.needs_fixtures(pending) then return end
    local ch = assert(fernws.load(helper.fixture("hume"))):channel("empathic-voice.chat")
    local api = ch.api
    for _, sub in ipairs({ "fuzz_decode", "fuzz_roundtrip" }) do
      for _, path in ipairs(files(sub)) do
        local text = read(path)
        for _, f in ipairs({
          function() return ch:decode(text) end,
          function() return ch:decode(text, "client") end,
          function() return api:decode("empathic-voice.SubscribeEvent", text, { strict = true }) end,
        }) do
          local ok, a, b = pcall(f)
          assert.is_true(ok, path)
          assert.is_true(a ~= nil or type(b) == "string", path)
        end
        -- whatever decodes re-encodes and decodes to the same value
        local id, v = ch:decode(text)
        if id then
          local again = select(2, ch:decode(ch:encode(id, v)))
          assert.same(v, again, path)
        end
      end
    end
  end)

  it("a number too large for a double is refused in unknown values", function()
    local api = assert(helper.load_text("types:\n  Any: unknown\n"))
    local v, err = api:decode("defn.Any", "5e400")
    assert.is_nil(v)
    assert.matches("too large for a double", err)
  end)
end)
