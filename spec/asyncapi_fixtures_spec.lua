-- Every AsyncAPI document (../shared/fixtures/asyncapi and spec/fixtures/asyncapi) loads, and its
-- channels, messages and origins, parameters and environments agree with what the Fern CLI makes of
-- it (spec/expected/asyncapi/, from scripts/gen-asyncapi-expectations), except where fernws differs
-- on purpose. Those places are the `differs` table below, each with its reason.
local helper = require "helper"
local fernws = helper.fernws

local function sorted_keys(t)
  local k = {}
  for key in pairs(t) do k[#k + 1] = key end
  table.sort(k)
  return k
end

local function norm(name) return (name:match("[^.]*$"):gsub("[^%w]", "")) end

local documents = {
  { name = "assemblyai", fixture = true, version = 2 },
  { name = "deepgram-2.6", fixture = true, version = 2 },
  { name = "deepgram-3.0", fixture = true, version = 3 },
  { name = "elevenlabs-convai", fixture = true, version = 2 },
  { name = "elevenlabs-tts", fixture = true, version = 2 },
  { name = "chat-2.6", version = 2 },
  { name = "chat-3.0", version = 3 },
  { name = "types", version = 3 },
}

local function path_of(doc)
  if doc.fixture then return helper.fixtures .. "/asyncapi/" .. doc.name end
  return helper.own("asyncapi/" .. doc.name .. ".yml")
end

-- Where fernws differs from Fern on purpose.
local differs = {
  -- Fern's importer marks every channel `auth: false` and keeps no scheme: fernws maps the
  -- securitySchemes the servers and operations name, so these channels send credentials.
  auth = { assemblyai = true, ["deepgram-3.0"] = true, ["chat-2.6"] = true, ["chat-3.0"] = true },
  -- Deepgram's 2.6 export calls its `publish` operations "Server messages": fernws reads the document
  -- as it says (with a warning), Fern by the AsyncAPI 2 rule (publish = what a client sends).
  reversed = { ["deepgram-2.6"] = true },
  -- Server URLs: fernws fills server variables with their defaults and keeps a 3.0 `pathname`;
  -- Fern leaves "{host}" in the URL and drops the pathname.
  urls = {
    ["chat-2.6"] = { ["local"] = "ws://127.0.0.1:8080/api" },
    ["chat-3.0"] = { prod = "wss://api.example.com/base", staging = "ws://eu.example.com" },
  },
  -- 3.0: a message that an operation sends and another receives is two messages (the second
  -- renamed as Fern renames, "X_0"); Fern keeps only the first direction.
  both_ways = { ["chat-3.0"] = { Shared_0 = "server" } },
  -- 3.0: an operation without `messages` carries every message of its channel; Fern takes none
  all_messages = { types = { tree = "client" } },
}

local function origin_of(doc, fern_origin)
  if differs.reversed[doc.name] then return fern_origin == "client" and "server" or "client" end
  return fern_origin
end

describe("AsyncAPI documents agree with Fern's view", function()
  for _, doc in ipairs(documents) do
    it(doc.name, function()
      if doc.fixture and not helper.needs_fixtures(pending) then return end
      local want = dofile(helper.root .. "/spec/expected/asyncapi/" .. doc.name .. ".lua")
      local api, err = fernws.load(path_of(doc))
      assert.is_not_nil(api, err)
      assert.same(sorted_keys(want.channels), api:channels())
      for cname, w in pairs(want.channels) do
        local ch = api:channel(cname)
        assert.equal(w.path, ch.path, cname .. " path")
        assert.equal(differs.auth[doc.name] or false, ch.auth, cname .. " auth")
        if doc.version == 3 then
          local got = {}
          for id, m in pairs(ch.messages) do got[id] = m.origin end
          for _, extra in ipairs({ differs.both_ways, differs.all_messages }) do
            for id, o in pairs(extra[doc.name] or {}) do
              assert.equal(o, got[id], id)
              got[id] = nil
            end
          end
          assert.same(w.messages, got, cname .. " messages and origins")
        else
          -- 2.6: Fern makes two messages whose bodies are unions of the payloads; fernws makes one
          -- message per member, so each payload has its own id (and binary ones can be told apart)
          for fern_id, members in pairs(w.members) do
            local origin = origin_of(doc, w.messages[fern_id])
            local bodies = {}
            for _, m in pairs(ch.messages) do
              if m.origin == origin then
                bodies[#bodies + 1] = m.type.kind == "primitive" and "primitive" or norm(m.type.name or "?")
              end
            end
            assert.equal(#members, #bodies, cname .. " " .. fern_id .. ": one message per member")
            local have = {}
            for _, b in ipairs(bodies) do have[b] = (have[b] or 0) + 1 end
            for _, mname in ipairs(members) do
              -- a name Fern made up for an inline payload is not a type of the document
              if mname == "primitive" or pcall(api.type, api, mname) or have[norm(mname)] then
                assert.is_true((have[norm(mname)] or 0) > 0, cname .. ": member " .. mname .. " as a message body")
                have[norm(mname)] = have[norm(mname)] - 1
              end
            end
          end
        end
        local q = {}
        for _, p in ipairs(ch.query) do q[p.name] = p.required end
        assert.same(w.query, q, cname .. " query parameters (name = required)")
        local pp = {}
        for _, p in ipairs(ch.path_params) do pp[#pp + 1] = p.name end
        table.sort(pp)
        assert.same(w.path_params, pp, cname .. " path parameters")
        local h = {}
        for _, p in ipairs(ch.headers) do h[p.name] = p.required end
        assert.same(w.headers, h, cname .. " headers (name = required)")
        -- where Fern gives a channel a base URL of its own, fernws connects there by default
        if doc.version == 3 and w.url and next(want.environments) then
          local base = (differs.urls[doc.name] or {})[w.url] or want.environments[w.url]
          assert.equal(base, ch:endpoint():sub(1, #base))
        end
      end
      -- environments: one per server, unless channels pick their servers (then one environment whose
      -- URLs are the servers, and each channel its own URL: see the channel check above)
      local envs = api.environments or {}
      local multi = false
      for _, e in pairs(envs) do if type(e) == "table" then multi = true end end
      if not multi then
        local got = {}
        for name, url in pairs(envs) do got[name] = url end
        local expect = {}
        for name, url in pairs(want.environments) do expect[name] = (differs.urls[doc.name] or {})[name] or url end
        assert.same(expect, got, "environments")
      else
        local urls = {}
        for _, e in pairs(envs) do for id, url in pairs(e) do urls[id] = url end end
        assert.same(want.environments, urls, "the servers' URLs")
      end
    end)
  end
end)

describe("AsyncAPI fixtures: what fernws adds", function()
  it("deepgram-3.0: each channel on its server, auth from securitySchemes with Fern's env fallbacks", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixtures .. "/asyncapi/deepgram-3.0"))
    assert.same({ "agent.v1", "listen.v1", "listen.v2", "speak.v1" }, api:channels())
    assert.equal("wss://agent.deepgram.com/v1/agent/converse", api:channel("agent.v1"):endpoint())
    assert.equal("wss://api.deepgram.com/v1/speak", api:channel("speak.v1"):endpoint())
    assert.equal(2, #api.auth)
    assert.same({ "ApiKeyAuth", "header", "Authorization", "Token", "DEEPGRAM_API_KEY" },
      { api.auth[1].name, api.auth[1].kind, api.auth[1].header, api.auth[1].prefix, api.auth[1].env })
    assert.same({ "JwtAuth", "bearer", "authToken", "DEEPGRAM_TOKEN" },
      { api.auth[2].name, api.auth[2].kind, api.auth[2].option, api.auth[2].env })
    assert.equal("sendText", api:channel("speak.v1").messages.SpeakV1Text.method_name)
  end)

  it("deepgram-2.6: the reversed reading is a warning at the operation that says so", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixtures .. "/asyncapi/deepgram-2.6"))
    local found
    for _, w in ipairs(api.warnings) do
      if w.message:find("publish operations are what the server sends", 1, true) then found = w end
    end
    assert.is_not_nil(found)
    assert.equal(16, found.line)
    -- the same message ids as the 3.0 document, with the same origins
    local v3 = assert(fernws.load(helper.fixtures .. "/asyncapi/deepgram-3.0"))
    for _, pair in ipairs({ { "v1Speak", "speak.v1" }, { "v1Listen", "listen.v1" } }) do
      local a, b = api:channel(pair[1]), v3:channel(pair[2])
      for id, m in pairs(b.messages) do assert.equal(m.origin, a.messages[id].origin, id) end
    end
  end)

  it("assemblyai: the query key scheme goes in the query", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixtures .. "/asyncapi/assemblyai"))
    assert.same({ "ApiKey", "Token" }, { api.auth[1].name, api.auth[2].name })
    assert.equal("token", api.auth[2].query)
    assert.is_nil(api.auth[2].header)
  end)

  it("fernws describe: listen v1/v2, speak and agent, with query parameters, auth and message kinds", function()
    if not helper.needs_fixtures(pending) then return end
    local q = function(x) return "'" .. x:gsub("'", "'\\''") .. "'" end
    local function describe_out(...)
      local args = {}
      for i, a in ipairs({ ... }) do args[i] = q(a) end
      local p = assert(io.popen("lua5.4 " .. q(helper.root .. "/bin/fernws") .. " describe " .. table.concat(args, " ")))
      local out = p:read("a")
      p:close()
      return out
    end
    local doc = helper.fixtures .. "/asyncapi/deepgram-3.0"
    local all = describe_out(doc)
    for _, name in ipairs({ "agent.v1", "listen.v1", "listen.v2", "speak.v1" }) do
      assert.matches("\n" .. name:gsub("%.", "%%.") .. "\n", "\n" .. all)
    end
    local speak = describe_out(doc, "speak.v1")
    assert.matches("URL    Production %(default%)  wss://api%.deepgram%.com/v1/speak", speak)
    assert.matches("Auth   ApiKeyAuth: Authorization: Token <value>, or %$DEEPGRAM_API_KEY; or JwtAuth: " ..
      "Authorization: Bearer <token>, or %$DEEPGRAM_TOKEN", speak)
    assert.matches("\n    model +optional<SpeakV1Model>", speak)
    assert.matches("SpeakV1Audio: binary frames %(send_binary%)", speak)
    assert.matches("SpeakV1Text: SpeakV1TextMessage", speak)
    assert.matches("wss://agent%.deepgram%.com/v1/agent/converse", describe_out(doc, "agent.v1"))
  end)

  it("a folder with an api.yml is still a Fern Definition", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("deepgram")))
    assert.same({ "speak" }, api:channels())
  end)
end)
