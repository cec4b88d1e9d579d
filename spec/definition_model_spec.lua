-- The model of a Fern Definition as Lua sees it: api.yml, imports and folders, every declaration
-- kind and its parts, every channel key, and where a channel connects.
-- spec/fixtures/defn/full passes `fern check` and `fern ir` (Fern CLI 5.131.1).
local helper = require "helper"
local fernws = helper.fernws

local full = assert(fernws.load(helper.own("defn/full")))
local multi = assert(fernws.load(helper.own("defn/multi")))

-- Loads a one-file definition (plus api.yml) and fails the test on an error.
local function load_ok(text, api_yml)
  local api, msg = helper.load_text(text, api_yml)
  assert(api, msg)
  return api
end

local function by_name(list)
  local t = {}
  for _, x in ipairs(list) do t[x.name] = x end
  return t
end

local function names(list)
  local t = {}
  for i, x in ipairs(list) do t[i] = x.name end
  return t
end

describe("api.yml", function()
  it("name, display name, docs, base path, default environment", function()
    assert.equal("full", full.name)
    assert.equal("Full Example API", full.display_name)
    assert.equal("Every part of a Fern Definition that fernws reads.", full.docs)
    assert.equal("/api", full.base_path)
    assert.equal("Production", full.default_environment)
    assert.is_nil(full.default_url)
    assert.same({}, full.warnings)
  end)

  it("single-URL environments", function()
    assert.same({ Production = "https://api.example.com/v1/", Local = "http://localhost:8080" }, full.environments)
  end)

  it("an environment given as {url, docs}", function()
    local a = load_ok("channel:\n  path: /x\n  auth: false\n",
      "name: t\nenvironments:\n  Prod:\n    url: https://p.example.com\n    docs: The real one.\n")
    assert.same({ Prod = "https://p.example.com" }, a.environments)
    assert.equal("wss://p.example.com/x", (a:channel("defn"):endpoint()))
  end)

  it("multi-URL environments and default-url", function()
    assert.same({
      Production = { rest = "https://api.example.com", wss = "wss://ws.example.com/base/" },
      Staging = { rest = "https://api.staging.example.com", wss = "ws://ws.staging.example.com",
        other = "https://other.example.com/x" },
    }, multi.environments)
    assert.equal("rest", multi.default_url)
  end)

  it("a URL id one multi-URL environment lacks is a warning (Fern: an error), once per id", function()
    assert.equal(1, #multi.warnings)
    local w = multi.warnings[1]
    assert.matches("defn/multi/api%.yml$", w.file)
    assert.same({ 4, 3, "environment 'Production' has no URL 'other' (environment 'Staging' has it)" },
      { w.line, w.column, w.message })
  end)

  it("auth: {any: [...]} of a header scheme and a bearer scheme, by name and by {scheme}", function()
    assert.same({
      { name = "ApiKey", kind = "header", header = "X-Api-Key", prefix = "Key", option = "apiKey", env = "FULL_API_KEY" },
      { name = "Token", kind = "bearer", header = "Authorization", prefix = "Bearer", option = "accessToken", env = "FULL_TOKEN" },
    }, full.auth)
  end)

  it("auth: the built-in bearer, with no auth-schemes", function()
    assert.same({ { name = "bearer", kind = "bearer", header = "Authorization", prefix = "Bearer" } }, multi.auth)
  end)

  it("auth: one scheme by name, or as {scheme: name}", function()
    local schemes = "auth-schemes:\n  Key:\n    header: X-Key\n"
    local a = load_ok("types: {}\n", "name: t\nauth: Key\n" .. schemes)
    assert.same({ { name = "Key", kind = "header", header = "X-Key" } }, a.auth)
    a = load_ok("types: {}\n", "name: t\nauth:\n  scheme: Key\n" .. schemes)
    assert.same({ { name = "Key", kind = "header", header = "X-Key" } }, a.auth)
  end)

  it("auth: basic, oauth and a bearer token fetched from an endpoint", function()
    local schemes = table.concat({
      "auth-schemes:",
      "  Login:",
      "    scheme: basic",
      "    username: {name: user, env: U}",
      "    password: {name: pass, env: P}",
      "  Client:",
      "    scheme: oauth",
      "    type: client-credentials",
      "    get-token: {endpoint: auth.token}",
      "    token-header: X-Auth",
      "    token-prefix: Token",
      "  PlainOAuth:",
      "    scheme: oauth",
      "    type: client-credentials",
      "    get-token: {endpoint: auth.token}",
      "  Fetched:",
      "    scheme: bearer",
      "    get-token: POST /token",
      "    docs: A token from /token.",
    }, "\n") .. "\n"
    local a = load_ok("types: {}\n", "name: t\nauth:\n  any: [Login, Client, PlainOAuth, Fetched]\n" .. schemes)
    assert.same({
      { name = "Login", kind = "basic", header = "Authorization", username_env = "U", password_env = "P" },
      { name = "Client", kind = "oauth", header = "X-Auth", prefix = "Token" },
      { name = "PlainOAuth", kind = "oauth", header = "Authorization", prefix = "Bearer" },
      { name = "Fetched", kind = "inferred", header = "Authorization", prefix = "Bearer", docs = "A token from /token." },
    }, a.auth)
  end)

  it("global headers: a type, or {type, name, env, docs}", function()
    local h = full.headers
    assert.same({ "X-Version", "X-Trace" }, names(h))
    assert.equal("literal", h[1].type.kind)
    assert.equal("2024-01", h[1].type.value)
    assert.equal("The API version.", h[1].docs)
    assert.is_true(h[1].required)
    assert.equal("optional<string>", tostring(h[2].type))
    assert.equal("trace", h[2].option)
    assert.equal("FULL_TRACE", h[2].env)
    assert.is_false(h[2].required)
  end)

  it("no api.yml: the api is named after the folder (a 'definition' folder after its parent) or the file", function()
    local dir = helper.write_definition({ ["my-api/definition/chat.yml"] = "types: {}\n" })
    local a = assert(fernws.load(dir .. "/my-api/definition"))
    local b = assert(fernws.load(dir .. "/my-api/definition/chat.yml"))
    helper.rmtree(dir)
    assert.equal("my-api", a.name)
    assert.equal("chat", b.name)
  end)
end)

describe("files, folders and imports", function()
  it("every declaration is named by its package: folders joined with '.', __package__.yml is the folder", function()
    assert.same({
      "Count", "Id", "Meta", "Score", "auth.TokenResponse", "types.Animal", "types.Color", "types.Containers",
      "types.Dog", "types.Either", "types.IdAlias", "types.Named", "types.Pet", "types.Primitives", "types.Ranged",
      "types.ShowDog", "types.Twice", "types.Wrapped", "voice.Voice", "voice.chat.Hello", "voice.chat.Publish",
      "voice.chat.Transcript",
    }, full:types())
  end)

  it("a channel is named by its file's path", function()
    assert.same({ "voice.chat" }, full:channels())
    assert.same({ "live", "rest" }, multi:channels())
  end)

  it("root.X across folders resolves to the declaration in the imported file", function()
    local voice = full:type("voice.Voice")
    assert.equal(full:type("Id"), voice.properties[1].type)
    assert.equal("Id", voice.properties[1].type.name)
  end)

  it("api:type finds a qualified name, or a short name when only one declaration has it", function()
    assert.equal(full:type("types.Dog"), full:type("Dog"))
    assert.equal("voice.chat.Hello", full:type("Hello").name)
    assert.error_matches(function() full:type("Nope") end, "unknown type 'Nope'")
    local dir = helper.write_definition({ ["a.yml"] = "types:\n  X: string\n", ["b.yml"] = "types:\n  X: integer\n" })
    local api = assert(fernws.load(dir))
    helper.rmtree(dir)
    assert.error_matches(function() api:type("X") end, "type name 'X' is ambiguous: a.X, b.X")
  end)

  it("a .yaml file is read like a .yml one, named without its extension", function()
    local dir = helper.write_definition({
      ["chat.yaml"] = "types:\n  M: string\nchannel:\n  path: /c\n  auth: false\n  messages:\n    m: {origin: client, body: M}\n",
    })
    local api = assert(fernws.load(dir))
    helper.rmtree(dir)
    assert.same({ "chat" }, api:channels())
    assert.same({ "chat.M" }, api:types())
  end)

  it("one channel file loads with api.yml from a folder above it, and the files it imports", function()
    local api = assert(fernws.load(helper.own("defn/full/voice/chat.yml")))
    assert.same({ "voice.chat" }, api:channels())
    assert.equal("full", api.name)
    assert.equal(2, #api.auth)
    -- the files it imports are read, and what they import (api.yml imports auth.yml)
    assert.is_not_nil(api:type("types.Dog"))
    assert.is_not_nil(api:type("Id"))
    assert.is_not_nil(api:type("auth.TokenResponse"))
  end)

  it("one channel file reads no file it does not import", function()
    local dir = helper.write_definition({
      ["api.yml"] = "name: t\n",
      ["chat.yml"] = "imports:\n  a: a.yml\nchannel:\n  path: /c\n  auth: false\n  messages:\n    m: {origin: client, body: a.A}\n",
      ["a.yml"] = "types:\n  A: string\n",
      ["broken.yml"] = "types:\n  B: [\n",
    })
    local api = assert(fernws.load(dir .. "/chat.yml"))
    helper.rmtree(dir)
    assert.same({ "a.A" }, api:types())
  end)
end)

describe("declarations", function()
  it("every primitive", function()
    local p = by_name(full:type("types.Primitives").properties)
    local want = { s = "string", i = "integer", l = "long", u = "uint", u64 = "uint64", f = "float", d = "double",
      b = "boolean", dt = "datetime", da = "date", id = "uuid", b64 = "base64", big = "bigint" }
    for prop, prim in pairs(want) do
      assert.equal("primitive", p[prop].type.kind, prop)
      assert.equal(prim, p[prop].type.primitive, prop)
      assert.equal(prim, tostring(p[prop].type))
    end
    assert.equal("unknown", p.any.type.kind)
    assert.equal("One property per primitive.", full:type("types.Primitives").docs)
  end)

  it("every container, with its parts", function()
    local p = by_name(full:type("types.Containers").properties)
    assert.equal("optional", p.opt.type.kind)
    assert.equal("string", p.opt.type.element.primitive)
    assert.is_false(p.opt.required)
    assert.equal("nullable", p.nul.type.kind)
    assert.equal("integer", p.nul.type.element.primitive)
    assert.is_true(p.nul.required) -- the key must be there; its value may be null
    assert.equal("list", p.lst.type.kind)
    assert.equal(full:type("Id"), p.lst.type.element)
    assert.equal("list<Id>", tostring(p.lst.type))
    assert.equal("set", p.st.type.kind)
    assert.equal("map", p.mp.type.kind)
    assert.equal("string", p.mp.type.key.primitive)
    assert.equal("list", p.mp.type.value.kind)
    assert.equal("map<string, list<integer>>", tostring(p.mp.type))
    assert.equal("literal", p.lit.type.kind)
    assert.equal("fixed", p.lit.type.value)
    assert.equal('literal<"fixed">', tostring(p.lit.type))
    assert.is_true(p.yes.type.value)
    assert.is_false(p.no.type.value)
    assert.equal("literal<false>", tostring(p.no.type))
  end)

  it("aliases: a name, {type, docs, validation}, and chains of them", function()
    local id = full:type("Id")
    assert.equal("alias", id.kind)
    assert.equal("Id", id.name)
    assert.equal("Id", id.short_name)
    assert.equal("An identifier.", id.docs)
    assert.equal("string", id.target.primitive)
    assert.same({ min_length = 3, max_length = 64, pattern = "^[a-z0-9-]+$", format = "slug" }, id.rules)
    local twice = full:type("types.Twice")
    assert.equal("alias", twice.kind)
    assert.equal(full:type("types.IdAlias"), twice.target)
    assert.equal(id, twice.target.target)
    assert.equal("types.Twice", tostring(twice))
    assert.equal("Meta", tostring(full:type("Meta")))
    assert.equal("map<string, unknown>", tostring(full:type("Meta").target))
  end)

  it("number rules: min, max, exclusive bounds, multipleOf", function()
    assert.same({ min = 0, max = 1, exclusive_max = true, multiple_of = 0.5 }, full:type("Score").rules)
    assert.same({ min = 1, exclusive_min = true }, full:type("Count").rules)
    assert.same({ max = 10 }, full:type("types.Ranged").rules)
    assert.is_nil(full:type("Meta").rules)
  end)

  it("objects: properties with docs and defaults, extends flattened (bases first), extra-properties", function()
    local animal = full:type("types.Animal")
    assert.equal("object", animal.kind)
    assert.equal("Something alive.", animal.docs)
    local legs = animal.properties[2]
    assert.same({ "name", "legs" }, names(animal.properties))
    assert.equal("What it is called.", animal.properties[1].docs)
    assert.equal(4, legs.default)
    assert.is_false(legs.required)
    assert.is_false(animal.extra_properties)

    local dog = full:type("types.Dog")
    assert.same({ "name", "legs", "breed" }, names(dog.properties))
    assert.same({ "types.Animal", "types.Animal", "types.Dog" }, {
      dog.properties[1].declared_by, dog.properties[2].declared_by, dog.properties[3].declared_by })
    assert.same({ animal }, dog.extends)
    assert.is_true(dog.extra_properties)

    local show = full:type("types.ShowDog")
    assert.same({ "name", "legs", "breed", "title", "prize" }, names(show.properties))
    assert.same({ dog, full:type("types.Named") }, show.extends)
  end)

  it("enums: plain values and {value, name, docs}, with a default", function()
    local color = full:type("types.Color")
    assert.equal("enum", color.kind)
    assert.same({
      { value = "red" },
      { value = "dark-green", name = "DarkGreen", docs = "The green of a forest." },
      { value = "blue" },
    }, color.values)
    assert.equal("red", color.default)
  end)

  it("discriminated unions: a flattened object, a value, a key, an empty variant, base properties", function()
    local pet = full:type("types.Pet")
    assert.equal("union", pet.kind)
    assert.equal("type", pet.discriminant)
    assert.equal("A pet, told apart by its type.", pet.docs)
    local v = pet.variants
    assert.equal(4, #v)
    assert.same({ "dog", "color", "count", "nothing" }, { v[1].value, v[2].value, v[3].value, v[4].value })
    assert.equal(full:type("types.Dog"), v[1].type)
    assert.is_true(v[1].flattened)
    assert.equal(full:type("types.Color"), v[2].type)
    assert.is_false(v[2].flattened) -- an enum's value goes under "value"
    assert.is_nil(v[2].key)
    assert.equal("Just a color.", v[2].docs)
    assert.equal("integer", v[3].type.primitive)
    assert.equal("howMany", v[3].key)
    assert.is_nil(v[4].type)
    assert.is_false(v[4].flattened)
    assert.same({ "owner" }, names(pet.base_properties))
    assert.equal("types.Pet", pet.base_properties[1].declared_by)
  end)

  it("a discriminant {value, name}: the wire name is the value; extends adds base properties", function()
    local w = full:type("types.Wrapped")
    assert.equal("_kind", w.discriminant)
    assert.same({ "title" }, names(w.base_properties))
    assert.same({ full:type("types.Named") }, w.extends)
    assert.equal("string", w.variants[1].type.primitive)
  end)

  it("undiscriminated unions: members in order, with their docs", function()
    local e = full:type("types.Either")
    assert.equal("undiscriminated_union", e.kind)
    assert.equal("A string or a dog.", e.docs)
    assert.equal(2, #e.members)
    assert.equal("string", e.members[1].type.primitive)
    assert.equal(full:type("types.Dog"), e.members[2].type)
    assert.equal("A whole dog.", e.members[2].docs)
  end)

  it("the same type is the same object, however it is reached", function()
    assert.equal(full:type("types.Dog"), full:type("types.Pet").variants[1].type)
    assert.equal(full:type("types.Dog"), full:channel("voice.chat").messages.settings.type)
  end)

  it("a reference with its own validation is an anonymous alias carrying the rules", function()
    local rate = by_name(full:channel("voice.chat").query).rate
    assert.equal("optional", rate.type.kind)
    assert.same({ min = 8000, max = 48000 }, rate.type.rules)
    local api = load_ok("types:\n  O:\n    properties:\n      a:\n        type: Id\n        validation: {maxLength: 5}\n  Id: string\n")
    local a = api:type("defn.O").properties[1].type
    assert.equal("alias", a.kind)
    assert.is_nil(a.name)
    assert.same({ max_length = 5 }, a.rules)
    assert.equal(api:type("defn.Id"), a.target)
  end)
end)

describe("a channel", function()
  local ch = full:channel("voice.chat")

  it("name, path, auth, docs, display name, file", function()
    assert.equal("voice.chat", ch.name)
    assert.equal("/chat/{voice_id}", ch.path)
    assert.is_true(ch.auth)
    assert.is_nil(ch.url)
    assert.equal("Talk to a voice.", ch.docs)
    assert.equal("Voice chat", ch.display_name)
    assert.matches("defn/full/voice/chat%.yml$", ch.file)
    assert.equal(full, ch.api)
    assert.equal("fernws.channel voice.chat (/chat/{voice_id})", tostring(ch))
  end)

  it("api:channel of an unknown name lists the known ones", function()
    assert.error_matches(function() full:channel("voice.chta") end, "unknown channel 'voice.chta' %(channels: voice.chat%)")
    assert.error_matches(function() load_ok("types: {}\n"):channel("x") end, "unknown channel 'x' %(channels: none%)")
  end)

  it("headers: a type, or {type, name, env, docs}", function()
    assert.same({ "X-Session", "X-Client" }, names(ch.headers))
    local s, c = ch.headers[1], ch.headers[2]
    assert.equal("optional<string>", tostring(s.type))
    assert.is_false(s.required)
    assert.is_false(s.allow_multiple)
    assert.equal("client", c.option)
    assert.equal("FULL_CLIENT", c.env)
    assert.equal("Who is calling.", c.docs)
    assert.is_true(c.required)
  end)

  it("path parameters: always required, with their type and docs", function()
    assert.equal(1, #ch.path_params)
    local p = ch.path_params[1]
    assert.equal("voice_id", p.name)
    assert.equal(full:type("Id"), p.type)
    assert.equal("The voice to use.", p.docs)
    assert.is_true(p.required)
  end)

  it("query parameters: a type, allow-multiple, {type, docs, default, validation}, required unless optional", function()
    assert.same({ "model", "tags", "rate", "lang" }, names(ch.query))
    local q = by_name(ch.query)
    assert.is_true(q.model.required)
    assert.equal("string", q.model.type.primitive)
    assert.is_true(q.tags.allow_multiple)
    assert.is_false(q.tags.required)
    assert.equal(16000, q.rate.default)
    assert.equal("Samples per second.", q.rate.docs)
    assert.equal(full:type("types.Color"), q.lang.type.element)
  end)

  it("required follows aliases to optional", function()
    local api = load_ok("types:\n  Maybe: optional<string>\n  Also: Maybe\nchannel:\n  path: /x\n  auth: false\n" ..
      "  query-parameters:\n    a: Also\n    b: nullable<string>\n  headers:\n    H: Maybe\n  messages: {}\n")
    local q = by_name(api:channel("defn").query)
    assert.is_false(q.a.required)
    assert.is_false(q.b.required)
    assert.is_false(api:channel("defn").headers[1].required)
  end)

  it("messages: origin, body, docs, display name, method name", function()
    local m = ch.messages
    local ids = {}
    for id, msg in pairs(m) do
      ids[#ids + 1] = id .. "=" .. msg.origin
      assert.equal(id, msg.id)
    end
    table.sort(ids)
    assert.same({ "audio=client", "hello=server", "pets=server", "publish=client", "settings=client", "transcript=server" }, ids)
    assert.equal(full:type("voice.chat.Publish"), m.publish.type)
    assert.equal("Say something.", m.publish.docs)
    assert.equal("Publish text", m.publish.display_name)
    assert.equal("sendText", m.publish.method_name)
    assert.equal("base64", m.audio.type.primitive)
    assert.equal("list<types.Pet>", tostring(m.pets.type))
  end)

  it("a body {type, docs}: the type, and its docs as the message's when it has none", function()
    assert.equal(full:type("types.Dog"), ch.messages.settings.type)
    assert.equal("Settings as a dog.", ch.messages.settings.docs)
  end)

  it("an inline body {name, extends, properties} is a declaration api:type finds", function()
    local hello = ch.messages.hello.type
    assert.equal(full:type("voice.chat.Hello"), hello)
    assert.equal("object", hello.kind)
    assert.equal("Hello", hello.short_name)
    assert.same({ "title", "greeting", "at" }, names(hello.properties))
    assert.same({ full:type("types.Named") }, hello.extends)
    assert.equal("When.", hello.properties[3].docs)
    assert.is_false(hello.properties[3].required)
  end)

  it("examples: name, docs, parameters, headers, and messages with their origin and body", function()
    local ex = ch.examples
    assert.equal(2, #ex)
    assert.equal("Greeting", ex[1].name)
    assert.equal("A short talk.", ex[1].docs)
    assert.same({ voice_id = "voice-1" }, ex[1].path)
    assert.same({ model = "small" }, ex[1].query)
    assert.same({ ["X-Client"] = "cli" }, ex[1].headers)
    assert.equal(2, #ex[1].messages)
    assert.equal("publish", ex[1].messages[1].id)
    assert.equal("client", ex[1].messages[1].origin)
    assert.same({ text = "hi" }, ex[1].messages[1].body)
    assert.same({ text = "hi", final = true }, ex[1].messages[2].body)
    assert.equal("server", ex[1].messages[2].origin)
    assert.is_nil(ex[2].name)
    assert.same({ id = "audio", origin = "client", body = "aGk=", line = ex[2].messages[1].line }, ex[2].messages[1])
    assert.matches("voice/chat%.yml$", ex[2].file)
  end)

  it("auth-message: the client message that carries the token, and where in it", function()
    assert.is_nil(ch.auth_message)
    local api = load_ok("channel:\n  path: /x\n  auth: true\n  messages:\n    login: {origin: client, body: unknown}\n" ..
      "  auth-message:\n    message-id: login\n    token-property-path: params.token\n", "name: t\nauth: bearer\n")
    assert.same({ id = "login", token_path = "params.token" }, api:channel("defn").auth_message)
  end)

  it("a channel with no messages, and 'messages: {}'", function()
    local api = load_ok("channel:\n  path: /x\n  auth: false\n")
    assert.same({}, api:channel("defn").messages)
    api = load_ok("channel:\n  path: /x\n  auth: false\n  messages: {}\n")
    assert.same({}, api:channel("defn").messages)
  end)

  it("an empty section (`headers:` with nothing after it) is no section, as in the Fern CLI", function()
    local api = load_ok("imports:\ntypes:\nchannel:\n  path: /x\n  auth: false\n  headers:\n  query-parameters:\n" ..
      "  path-parameters:\n  examples:\n  docs:\n  messages:\n", "name: t\nenvironments:\nauth-schemes:\nheaders:\n")
    local ch = api:channel("defn")
    assert.same({}, ch.headers)
    assert.same({}, ch.query)
    assert.same({}, ch.messages)
    assert.is_nil(ch.docs)
    assert.same({}, api.warnings)
    api = load_ok("types:\n  O:\n    extends:\n    properties: {a: string}\n")
    assert.same({}, api:type("defn.O").extends)
  end)

  it("a file with a REST service and a channel: the service is skipped, its types are read", function()
    local api = load_ok(table.concat({
      "types:",
      "  Item: {properties: {id: string}}",
      "service:",
      "  auth: false",
      "  base-path: /items",
      "  endpoints:",
      "    get:",
      "      method: GET",
      "      path: /{id}",
      "      path-parameters: {id: string}",
      "      response: Item",
      "channel:",
      "  path: /items/live",
      "  auth: false",
      "  messages:",
      "    item: {origin: server, body: Item}",
    }, "\n") .. "\n")
    assert.same({ "defn" }, api:channels())
    assert.equal(api:type("defn.Item"), api:channel("defn").messages.item.type)
    assert.same({}, api.warnings)
  end)
end)

describe("channel:endpoint()", function()
  local function endpoint_of(base, path, env)
    local api = load_ok("channel:\n  path: " .. path .. "\n  auth: false\n  messages: {}\n",
      "name: t\nenvironments:\n  E: " .. base .. "\n")
    return api:channel("defn"):endpoint(env)
  end

  it("https becomes wss, http becomes ws; wss and ws stay", function()
    assert.equal("wss://a.example.com/x", endpoint_of("https://a.example.com", "/x"))
    assert.equal("ws://a.example.com/x", endpoint_of("http://a.example.com", "/x"))
    assert.equal("wss://a.example.com/x", endpoint_of("wss://a.example.com", "/x"))
    assert.equal("ws://a.example.com:81/x", endpoint_of("ws://a.example.com:81", "/x"))
    assert.equal("wss://a.example.com/x", endpoint_of("HTTPS://a.example.com", "/x"))
  end)

  it("the base URL's path is kept, with one slash between it and the channel's path", function()
    assert.equal("wss://a.example.com/v1/speak", endpoint_of("https://a.example.com/v1/", "/speak"))
    assert.equal("wss://a.example.com/v1/speak", endpoint_of("https://a.example.com/v1", "speak"))
    assert.equal("wss://a.example.com/v1/speak/", endpoint_of("https://a.example.com/v1//", "/speak/"))
  end)

  it("placeholders stay in the template", function()
    local url, env = full:channel("voice.chat"):endpoint()
    assert.equal("wss://api.example.com/v1/chat/{voice_id}", url)
    assert.equal("Production", env)
  end)

  it("an environment by name", function()
    assert.same({ "ws://localhost:8080/chat/{voice_id}", "Local" }, { full:channel("voice.chat"):endpoint("Local") })
  end)

  it("multi-URL: the channel's url id, else default-url", function()
    assert.same({ "wss://ws.example.com/base/live", "Production" }, { multi:channel("live"):endpoint() })
    assert.same({ "ws://ws.staging.example.com/live", "Staging" }, { multi:channel("live"):endpoint("Staging") })
    assert.same({ "wss://api.example.com/events/", "Production" }, { multi:channel("rest"):endpoint() })
  end)

  it("errors: an unknown environment, none to choose, a URL id an environment lacks", function()
    assert.error_matches(function() full:channel("voice.chat"):endpoint("Prod") end,
      "channel voice.chat: unknown environment 'Prod' %(Production, Local%)")
    local api = load_ok("channel:\n  path: /x\n  auth: false\n  messages: {}\n")
    assert.error_matches(function() api:channel("defn"):endpoint() end, "the definition has no environments: pass url = ...")
    api = load_ok("channel:\n  path: /x\n  auth: false\n  messages: {}\n", "name: t\nenvironments:\n  A: https://a\n  B: https://b\n")
    assert.error_matches(function() api:channel("defn"):endpoint() end, "several environments and no default%-environment")
    assert.equal("wss://b/x", (api:channel("defn"):endpoint("B")))
    api = load_ok("channel:\n  path: /x\n  auth: false\n  messages: {}\n",
      "name: t\nenvironments:\n  A:\n    urls: {rest: https://a, ws: wss://w}\n")
    assert.error_matches(function() api:channel("defn"):endpoint() end,
      "environment 'A' has several URLs and the channel names none %(no url:, no default%-url%)")
    api = load_ok("channel:\n  path: /x\n  auth: false\n  messages: {}\n", "name: t\nenvironments:\n  A: ftp://a\n")
    assert.error_matches(function() api:channel("defn"):endpoint() end, "'ftp://a' is not an http%(s%) or ws%(s%) URL")
  end)

  it("channel:endpoints() gives every environment, in declaration order, with errors in place", function()
    assert.same({
      { environment = "Production", url = "wss://api.example.com/v1/chat/{voice_id}", default = true },
      { environment = "Local", url = "ws://localhost:8080/chat/{voice_id}" },
    }, full:channel("voice.chat"):endpoints())
    local api = load_ok("channel:\n  path: /x\n  auth: false\n  url: ws\n  messages: {}\n",
      "name: t\nenvironments:\n  A:\n    urls: {ws: wss://a}\n  B:\n    urls: {rest: https://b}\n")
    assert.same({
      { environment = "A", url = "wss://a/x" },
      { environment = "B", error = "environment 'B' has no URL 'ws'" },
    }, api:channel("defn"):endpoints())
  end)
end)

describe("type objects", function()
  it("describe themselves with tostring", function()
    assert.equal("types.Dog", tostring(full:type("types.Dog")))
    assert.equal("optional<types.Color>", tostring(by_name(full:channel("voice.chat").query).lang.type))
  end)

  it("report nil for parts their kind does not have", function()
    local dog = full:type("types.Dog")
    assert.is_nil(dog.variants)
    assert.is_nil(dog.element)
    assert.is_nil(dog.primitive)
    assert.is_nil(dog.discriminant)
    assert.is_nil(dog.rules)
  end)

  it("keep the place they were declared", function()
    local dog = full:type("types.Dog")
    assert.matches("defn/full/types%.yml$", dog.file)
    assert.equal(40, dog.line)
  end)
end)

describe("text as the Fern CLI reads it", function()
  it("deepgram: a tab after a block scalar's indentation stays in the docs (Fern's IR: '\\tSend text ...')", function()
    if not helper.needs_fixtures(pending) then return end
    local api = assert(fernws.load(helper.fixture("deepgram")))
    local q = by_name(api:channel("speak").query)
    assert.equal("\tSend text as a string or text/plain.\n", q.text.docs)
  end)
end)
