--[[
bench/codec: fernws's validated codec next to lua-cjson's unvalidated one, in one run.

  encode: chan:encode(id, value)   (validate + write JSON)   vs  cjson.encode(value)
  decode: chan:decode(text [, origin])  (parse + validate + dispatch to a message and union
          member, integers as integers)                        vs  cjson.decode(text)

Cases: the seed chat PublishEvent ({text = "Hello, world."}, corrected copy of the fixture in
bench/codec/seed-chat), a Hume SessionSettings through the 8-member PublishEvent union, and a
Hume AssistantMessage (48 prosody scores) through the 11-member SubscribeEvent union.

Run against the release build:  sh scripts/build.sh release && . scripts/env.sh build
                                lua5.4 bench/codec/bench_codec.lua [ROUNDS] [MS_PER_SAMPLE]
Times are CPU time (os.clock) per operation; each contender's figure is the median of ROUNDS
samples, and the ratio is the median of the per-round ratios (the two contenders of a round run
back to back, in alternating order), so machine noise mostly cancels out.
]]
local fernws = require "fernws"
local cjson = require "cjson"

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local ROUNDS = tonumber(arg and arg[1]) or 15
local SAMPLE = (tonumber(arg and arg[2]) or 40) / 1000
local HUME = os.getenv("FWS_HUME") or (here .. "/../../../shared/fixtures/fern/hume/definition")

-- ---- the values ----

local seed_api = assert(fernws.load(here .. "/seed-chat"))
local seed = seed_api:channel("chat")
local hume_api, err = fernws.load(HUME)
if not hume_api then error("cannot load the hume fixture at " .. HUME .. " (set FWS_HUME): " .. tostring(err)) end
local hume = hume_api:channel("empathic-voice.chat")

local publish = { text = "Hello, world." }

local session_settings = {
  type = "session_settings",
  custom_session_id = "c8f1d6a2-session-42",
  system_prompt = "You are a friendly weather assistant. Keep answers short.",
  context = { text = "The user prefers metric units.", type = "persistent" },
  variables = { name = "Ada", city = "Paris", vip = true, visits = 12 },
  audio = { encoding = "linear16", sample_rate = 16000, channels = 1 },
  tools = {
    { type = "function", name = "get_weather", description = "Current weather for a city",
      parameters = '{"type":"object","properties":{"city":{"type":"string"}}}' },
  },
  builtin_tools = { { name = "web_search" } },
}

-- 48 emotion scores as Hume sends them: float32 values written as the shortest double text
local EMOTIONS = { "Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe",
  "Awkwardness", "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt", "Contentment",
  "Craving", "Desire", "Determination", "Disappointment", "Disgust", "Distress", "Doubt", "Ecstasy",
  "Embarrassment", "Empathic Pain", "Entrancement", "Envy", "Excitement", "Fear", "Guilt", "Horror", "Interest",
  "Joy", "Love", "Nostalgia", "Pain", "Pride", "Realization", "Relief", "Romance", "Sadness", "Satisfaction",
  "Shame", "Surprise (negative)", "Surprise (positive)", "Sympathy", "Tiredness", "Triumph" }
local function shortest(x)
  for p = 15, 17 do
    local s = string.format("%." .. p .. "g", x)
    if tonumber(s) == x then return s end
  end
end
local seed_state = 12345
local function rnd()
  seed_state = (seed_state * 1103515245 + 12345) % 2147483648
  return seed_state / 2147483648
end
local parts = {}
for i, e in ipairs(EMOTIONS) do
  local f32 = math.floor(rnd() * 0.4 * 2 ^ 24) / 2 ^ 24 -- a float32-representable score
  parts[i] = string.format("%q:%s", e, shortest(f32))
end
local scores_json = "{" .. table.concat(parts, ",") .. "}"
local assistant_message_text = '{"type":"assistant_message","id":"d4c2f6a8-1b3e-4f5a-9c7d-2e8b0a6f1c3d",'
  .. '"message":{"role":"assistant","content":"Sure! It is 18 degrees and sunny in Paris right now."},'
  .. '"models":{"prosody":{"scores":' .. scores_json .. '}},"from_text":false,"language":"en"}'

-- texts and values for every case, checked before timing
local cases = {
  { name = "seed PublishEvent", chan = seed, id = "publish", origin = "client", value = publish },
  { name = "Hume SessionSettings", chan = hume, id = "publish", origin = "client", value = session_settings },
  { name = "Hume AssistantMessage", chan = hume, id = "subscribe", origin = nil,
    text = assistant_message_text },
}
for _, c in ipairs(cases) do
  if c.text then
    local id, v, info = c.chan:decode(c.text, c.origin)
    assert(id == c.id, v)
    c.value = v
    c.variant = info.variant
  end
  c.text = c.text or c.chan:encode(c.id, c.value)
  local id, v, info = c.chan:decode(c.text, c.origin)
  assert(id == c.id, v)
  c.variant = info.variant
  assert(cjson.decode(c.text))
end

-- ---- timing ----

local clock = os.clock
-- mean CPU seconds per call of fn over about SAMPLE seconds (n calibrated once per contender)
local function sample(fn, n)
  collectgarbage("collect")
  local t0 = clock()
  for _ = 1, n do fn() end
  return (clock() - t0) / n
end
local function calibrate(fn)
  local n = 16
  while true do
    local t = sample(fn, n) * n
    if t >= SAMPLE / 4 then return math.max(1, math.floor(n * SAMPLE / t)) end
    n = n * 4
  end
end
local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
end

-- runs a (fernws) and b (cjson) ROUNDS times in alternating order
local function duel(a, b)
  local na, nb = calibrate(a), calibrate(b)
  local ta, tb, r = {}, {}, {}
  for i = 1, ROUNDS do
    if i % 2 == 1 then
      ta[i] = sample(a, na); tb[i] = sample(b, nb)
    else
      tb[i] = sample(b, nb); ta[i] = sample(a, na)
    end
    r[i] = ta[i] / tb[i]
  end
  return median(ta), median(tb), median(r)
end

local encode, decode = cjson.encode, cjson.decode
local rows = {}
local function row(case, op, a, b, ratio)
  rows[#rows + 1] = { case, op, a * 1e6, b * 1e6, ratio }
end

print(string.format("fernws %s, lua-cjson %s, %s; %d rounds of ~%d ms samples", fernws.version,
  cjson._VERSION or "?", _VERSION, ROUNDS, math.floor(SAMPLE * 1000 + 0.5)))
for _, c in ipairs(cases) do
  print(string.format("  %-22s %4d bytes, message '%s', variant %s", c.name, #c.text, c.id, c.variant))
end
print()

for _, c in ipairs(cases) do
  local chan, id, value, text, origin = c.chan, c.id, c.value, c.text, c.origin
  local a, b, r = duel(function() return chan:encode(id, value) end, function() return encode(value) end)
  row(c.name, "encode", a, b, r)
  a, b, r = duel(function() return chan:decode(text, origin) end, function() return decode(text) end)
  row(c.name, "decode", a, b, r)
end

print(string.format("%-22s %-7s %12s %12s %8s  %s", "case", "op", "fernws µs", "cjson µs", "ratio", "target <= 1.0"))
local worst = 0
for _, r in ipairs(rows) do
  print(string.format("%-22s %-7s %12.3f %12.3f %7.2fx  %s", r[1], r[2], r[3], r[4], r[5], r[5] <= 1.0 and "met" or "NOT met"))
  worst = math.max(worst, r[5])
end

print(string.format("\nworst ratio %.2fx", worst))
