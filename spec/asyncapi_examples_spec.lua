-- Every example of every AsyncAPI fixture validates against its message (channel examples:
-- x-fern-examples and messages' `examples`) or its schema (JSON Schema `examples`), and round-trips;
-- the ones that do not are listed exactly, with the reason.
local helper = require "helper"
local fernws = helper.fernws

local fixtures = { "assemblyai", "deepgram-2.6", "deepgram-3.0", "elevenlabs-convai", "elevenlabs-tts" }

-- The wrong examples of the documents, as published.
local wrong = {
  -- RFC 3339 (and JSON Schema's date-time) needs an offset: "2023-05-24T08:09:10.161850" has none
  "assemblyai v2RealtimeWs example 1 message 3 finalTranscript: created",
  "assemblyai v2RealtimeWs example 1 message 2 partialTranscript: created",
  "assemblyai type realtime.FinalTranscript example 1: created",
  "assemblyai type realtime.PartialTranscript example 1: created",
  "assemblyai type realtime.SessionBegins example 1: expires_at",
  -- message examples ({name, payload}) written as the payload schema's `examples`
  "deepgram-3.0 type AgentV1SendFunctionCallResponse example 1: content",
  "deepgram-3.0 type AgentV1SendFunctionCallResponse example 2: content",
  -- a model name the enum of models does not list
  "deepgram-3.0 type ListenV1Model example 2: ",
}

-- Examples that fit an earlier message too: the document's payloads overlap (none has a literal that
-- tells it apart), and a message decodes as the first that fits, as Fern's unions do.
local overlapping = {
  -- InitializeConnectionMulti and InitialiseContext take every property as optional
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 2 sendTextMulti"] = "initialiseContext",
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 3 flushContextClient"] = "initialiseContext",
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 6 closeContextClient"] = "initializeConnectionMulti",
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 7 flushContextClient"] = "initializeConnectionMulti",
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 11 closeSocketClient"] = "initializeConnectionMulti",
}

-- Examples that leave out a required const property (the codec takes them, as a literal may be left
-- out, and writes it on encode): the round trip has it.
local adds_literal = {
  -- FinalOutputMulti requires isFinal: true; the example writes is_final
  ["elevenlabs-tts v1TextToSpeechVoiceIdMultiStreamInput example 1 message 9 finalOutputMulti"] = { isFinal = true },
}

local function same(a, b)
  if a == fernws.null and b == nil then return true end
  if type(a) == "number" and type(b) == "number" then return a == b end
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

describe("AsyncAPI fixture examples", function()
  it("validate and round-trip, but for the listed ones", function()
    if not helper.needs_fixtures(pending) then return end
    local got, checked = {}, 0
    for _, f in ipairs(fixtures) do
      local api = assert(fernws.load(helper.fixtures .. "/asyncapi/" .. f))
      for _, cn in ipairs(api:channels()) do
        local ch = api:channel(cn)
        for i, ex in ipairs(ch.examples) do
          for j, m in ipairs(ex.messages) do
            checked = checked + 1
            local where = string.format("%s %s example %d message %d %s", f, cn, i, j, m.id)
            if ch.messages[m.id].binary then
              assert.equal("string", type(m.body), where .. ": a binary message's example is its bytes")
            else
              local ok, errs = ch:check(m.id, m.body)
              if not ok then
                got[#got + 1] = where .. ": " .. errs[1].path
              else
                local id, value = ch:decode(ch:encode(m.id, m.body), m.origin)
                assert.equal(overlapping[where] or m.id, id, where)
                if overlapping[where] then assert.is_true(ch:check(id, m.body), where .. " fits " .. id .. " too")
                else
                  for k, v in pairs(adds_literal[where] or {}) do
                    assert.is_nil(m.body[k], where)
                    assert.equal(v, value[k], where)
                    value[k] = nil
                  end
                  assert.is_true(same(m.body, value), where .. ": round trip")
                end
              end
            end
          end
        end
      end
      for _, name in ipairs(api:types()) do
        local ex = api:type(name).examples
        for i, v in ipairs(type(ex) == "table" and ex or {}) do
          checked = checked + 1
          local ok, errs = api:check(name, v)
          if not ok then got[#got + 1] = string.format("%s type %s example %d: %s", f, name, i, errs[1].path) end
        end
      end
    end
    table.sort(got)
    local want = {}
    for i, w in ipairs(wrong) do want[i] = w end
    table.sort(want)
    assert.same(want, got)
    assert.is_true(checked > 100, "examples checked: " .. checked)
  end)
end)
