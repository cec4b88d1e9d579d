-- Every example message body in every fixture channel is checked against its message's type and
-- round-trips (decode(encode(v)) equals v); the examples that are wrong are listed exactly.
--
-- Read from the YAML: the only wrong channel examples are assemblyai's, whose message `type` names no
-- message of the channel (receiveSessionBegins, sendAudio: the channels call them sessionBegins and
-- audioChunk), so the loader refuses them (and drops them when lenient). seed-chat does not load (its
-- bare `optional`), so its examples are checked on a copy with that repaired. Type-level `examples:`
-- are checked too: fern-unions' UnionWithLiteral example is wrong (see below).
local helper = require "helper"
local fernws = helper.fernws

-- Values equal as JSON: numbers by value (a double property decodes 1 as 1.0), tables by content, and
-- a null where the decoded value has nothing (an optional's null decodes to absent).
local function same(a, b, path)
  path = path or ""
  if a == fernws.null and b == nil then return true end
  if type(a) == "number" and type(b) == "number" then
    if a == b then return true end
    return false, string.format("%s: %s ~= %s", path, a, b)
  end
  if type(a) ~= type(b) then return false, string.format("%s: %s ~= %s", path, type(a), type(b)) end
  if type(a) ~= "table" then
    if a == b then return true end
    return false, string.format("%s: %q ~= %q", path, tostring(a), tostring(b))
  end
  for k, v in pairs(a) do
    local ok, e = same(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, e end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. "." .. tostring(k) .. ": absent ~= present" end
  end
  return true
end

local function fixture_names()
  local names = {}
  local p = io.popen("ls '" .. helper.fixtures .. "/fern' 2>/dev/null")
  for n in p:lines() do names[#names + 1] = n end
  p:close()
  table.sort(names)
  return names
end

-- Where a loader warning about an example message points: its example and message numbers, counted
-- from the channel file's `examples:` list (4-space items, messages at 8 spaces).
local function example_position(file, line)
  local ex, msg, n, inside = 0, 0, 0, false
  for l in io.lines(file) do
    n = n + 1
    if l:match("^  examples:") then inside = true
    elseif inside and l:match("^  %S") then inside = false
    elseif inside and l:match("^    %- ") then ex, msg = ex + 1, 0
    elseif inside and l:match("^        %- ") then msg = msg + 1 end
    if n == line then return ex, msg end
  end
end

-- Checks and round-trips one example message; returns a list of failure strings.
local function try_message(fixture, cname, ch, i, j, m)
  local where = string.format("%s %s example %d message %d (%s)", fixture, cname, i, j, m.id)
  local fails = {}
  local ok, errs = ch:check(m.id, m.body)
  if not ok then
    for _, e in ipairs(errs) do fails[#fails + 1] = where .. " " .. e.path .. ": " .. e.message end
    return fails
  end
  local text = ch:encode(m.id, m.body)
  local id, value, info = ch:decode(text, m.origin)
  if id ~= m.id then
    fails[#fails + 1] = string.format("%s: decoded as %s (%s)", where, tostring(id), tostring(value))
    return fails
  end
  assert.equal(m.id, info.id)
  local eq, diff = same(m.body, value)
  if not eq then fails[#fails + 1] = where .. ": round trip differs at " .. diff end
  return fails
end

describe("fixture channel examples", function()
  local failures, checked = {}, 0

  setup(function()
    if not helper.have_fixtures then return end
    for _, fixture in ipairs(fixture_names()) do
      local api = fernws.load(helper.fixture(fixture), { lenient = true })
      if api then
        for _, cname in ipairs(api:channels()) do
          local ch = api:channel(cname)
          for i, ex in ipairs(ch.examples) do
            for j, m in ipairs(ex.messages) do
              checked = checked + 1
              for _, f in ipairs(try_message(fixture, cname, ch, i, j, m)) do failures[#failures + 1] = f end
            end
          end
        end
        -- example messages the loader refused: they name no message of the channel
        for _, w in ipairs(api.warnings) do
          local bad = w.message:match("^example message type '([^']+)' is not a message of this channel$")
          if bad then
            local ex, msg = example_position(w.file, w.line)
            failures[#failures + 1] = string.format("%s %s example %d message %d (%s) type: names no message",
              fixture, w.file:match("([^/]+)%.yml$"), ex, msg, bad)
          end
        end
      end
    end
    table.sort(failures)
  end)

  it("checks every example message of every fixture that loads", function()
    if not helper.needs_fixtures(pending) then return end
    -- elevenlabs 11 + 4, fern-websocket 4, bearer-auth 4, inferred-auth 4, multi-url 2, oauth 2 + 2,
    -- hume controlPlane 2, expression-measurement stream 2, tts streamInput 2
    assert.equal(39, checked)
  end)

  it("finds exactly the wrong examples: assemblyai's message types that name no message", function()
    if not helper.needs_fixtures(pending) then return end
    assert.same({
      "assemblyai universal3ProStreaming example 1 message 1 (receiveSessionBegins) type: names no message",
      "assemblyai universal3ProStreaming example 1 message 2 (sendAudio) type: names no message",
      "assemblyai universal3ProStreaming example 1 message 3 (sendAudio) type: names no message",
      "assemblyai universalStreaming example 1 message 1 (receiveSessionBegins) type: names no message",
      "assemblyai universalStreaming example 1 message 2 (sendAudio) type: names no message",
      "assemblyai universalStreaming example 1 message 3 (sendAudio) type: names no message",
    }, failures)
  end)

  it("picks the union member the example means (info.variant)", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("elevenlabs")))
    local ch = api:channel("v1TextToSpeechVoiceIdMultiStreamInput")
    local variants = {}
    for _, m in ipairs(ch.examples[1].messages) do
      local _, _, info = ch:decode(ch:encode(m.id, m.body), m.origin)
      variants[#variants + 1] = info.variant
    end
    assert.same({ "InitializeConnectionMulti", "InitialiseContext", "SendTextMulti", "AudioOutputMulti",
      "InitialiseContext", "CloseContext", "FlushContext", "AudioOutputMulti", "FinalOutputMulti",
      "InitialiseContext", "CloseSocket" }, variants)
    -- `text: ''` is SendText, the first member that takes it (CloseConnection, literal "", comes later)
    local single = api:channel("v1TextToSpeechVoiceIdStreamInput")
    local m = single.examples[1].messages[3]
    assert.same({ text = "" }, m.body)
    local id, _, info = single:decode(single:encode(m.id, m.body), "client")
    assert.equal("publish", id)
    assert.equal("SendText", info.variant)
  end)

  it("seed-chat: with its bare `optional` repaired, both examples pass", function()
    if not helper.needs_fixtures(pending) then return end
    local f = assert(io.open(helper.fixture("seed-chat") .. "/chat.yml"))
    local text = f:read("a"):gsub("type: optional\n", "type: optional<string>\n")
    f:close()
    local dir = helper.write_definition({ ["chat.yml"] = text })
    local api, msg = fernws.load(dir)
    helper.rmtree(dir)
    assert.is_not_nil(api, msg)
    local ch = api:channel("chat")
    local got = {}
    for j, m in ipairs(ch.examples[1].messages) do
      for _, fail in ipairs(try_message("seed-chat", "chat", ch, 1, j, m)) do got[#got + 1] = fail end
    end
    assert.same({}, got)
    assert.equal(2, #ch.examples[1].messages)
  end)
end)

describe("fixture type examples", function()
  it("all pass but fern-unions' UnionWithLiteral, whose literal variant sits under its name, not `value`", function()
    if not helper.needs_fixtures(pending) then return end
    -- UnionWithLiteral: { base-properties: {base: literal<"base">}, union: {fern: literal<"fern">} }.
    -- A non-object variant without `key:` sits under `value` (Fern's IR: singleProperty "value"), so
    -- the example's `fern: fern` is an unknown property (the literal `value` may be left out).
    local failures, checked = {}, 0
    for _, fixture in ipairs(fixture_names()) do
      local api = fernws.load(helper.fixture(fixture), { lenient = true })
      for _, name in ipairs(api and api:types() or {}) do
        for i, ex in ipairs(api:type(name).examples or {}) do
          if type(ex) == "table" and ex.value ~= nil then
            checked = checked + 1
            local ok, errs = api:check(name, ex.value)
            if ok then
              local v = api:decode(name, api:encode(name, ex.value))
              local eq, diff = same(ex.value, v)
              if not eq then failures[#failures + 1] = string.format("%s %s[%d]: round trip %s", fixture, name, i, diff) end
            else
              for _, e in ipairs(errs) do
                failures[#failures + 1] = string.format("%s %s[%d] %s: %s", fixture, name, i, e.path, e.message)
              end
            end
          end
        end
      end
    end
    assert.equal(41, checked)
    assert.same({
      "fern-unions types.UnionWithLiteral[1] fern: fern: unknown property (not in union types.UnionWithLiteral (type \"fern\"))",
    }, failures)
  end)
end)
