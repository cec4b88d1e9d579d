-- AsyncAPI documents that are wrong: every problem at file:line:column (a failed $ref at the $ref,
-- naming the JSON Pointer and the part that does not resolve), all of them in one load; and
-- $refs into files beside the document.
local helper = require "helper"
local fernws = helper.fernws

local function load_files(files, opts)
  local dir = helper.write_definition(files)
  local api, msg, errs = fernws.load(dir, opts)
  helper.rmtree(dir)
  return api, msg, errs
end

local function texts(errs)
  local t = {}
  for _, e in ipairs(errs or {}) do t[#t + 1] = string.format("%s:%d:%d: %s", e.file:match("[^/]+$"), e.line, e.column, e.message) end
  return t
end

local head = [[
asyncapi: 3.0.0
info: {title: t, version: '1'}
]]

describe("AsyncAPI errors", function()
  it("a $ref that does not resolve: at the $ref, with the pointer and the missing part", function()
    local api, msg, errs = load_files({ ["doc.yml"] = head .. [[
channels:
  c:
    address: /c
    messages:
      m:
        payload:
          $ref: '#/components/schemas/Nope'
operations:
  o: {action: send, channel: {$ref: '#/channels/c'}}
components:
  schemas:
    Yes: {type: string}
]] })
    assert.is_nil(api)
    assert.same({ "doc.yml:9:17: $ref '#/components/schemas/Nope': no 'Nope' at '/components/schemas'" }, texts(errs))
    assert.matches("doc%.yml:9:17", msg)
  end)

  it("every problem of a document, each at its place", function()
    local api, _, errs = load_files({ ["doc.yml"] = head .. [[
servers:
  s: {host: x.example.com, protocol: wss, security: [{$ref: '#/components/securitySchemes/Missing'}]}
channels:
  c:
    address: /c
    messages:
      m:
        payload: {type: strng}
      n:
        payload: {$ref: 'other.yml#/components/schemas/X'}
operations:
  o: {channel: {$ref: '#/channels/c'}}
  p: {action: receive, channel: {$ref: '#/channels/c'}}
]] })
    assert.is_nil(api)
    local got = texts(errs)
    assert.equal(4, #got, table.concat(got, "\n"))
    assert.matches("^doc%.yml:4:61: security: no scheme 'Missing' in components%.securitySchemes", got[1])
    assert.matches("^doc%.yml:10:25: unknown JSON Schema type 'strng'", got[2])
    assert.matches("^doc%.yml:12:25: cannot open .*other%.yml", got[3])
    assert.matches("^doc%.yml:14:6: operation 'o' needs 'action': send or receive", got[4])
  end)

  it("$refs into files beside the document, and a failure inside one at its own place", function()
    local api = assert(load_files({
      ["doc.yml"] = head .. [[
channels:
  c:
    address: /c
    messages:
      m: {$ref: 'parts/messages.yml#/Hello'}
operations:
  o: {action: send, channel: {$ref: '#/channels/c'}}
]],
      ["parts/messages.yml"] = [[
Hello:
  payload:
    $ref: 'schemas.yml#/Hello'
]],
      ["parts/schemas.yml"] = [[
Hello:
  type: object
  required: [type]
  properties:
    type: {const: hello}
    name: {type: string, maxLength: 3}
]],
    }))
    local ch = api:channel("c")
    assert.equal("client", ch.messages.m.origin)
    assert.is_true(ch:check("m", { type = "hello", name = "abc" }))
    assert.is_false(ch:check("m", { type = "hello", name = "abcd" }))
    local _, _, errs = load_files({
      ["doc.yml"] = head .. [[
channels:
  c:
    address: /c
    messages:
      m: {payload: {$ref: 'schemas.yml#/Hello/properties/nope'}}
operations:
  o: {action: send, channel: {$ref: '#/channels/c'}}
]],
      ["schemas.yml"] = "Hello:\n  properties: {}\n",
    })
    assert.same({ "doc.yml:7:27: $ref 'schemas.yml#/Hello/properties/nope': no 'nope' at '/Hello/properties'" },
      texts(errs))
  end)

  it("a chain of $refs that loops is an error, not a hang", function()
    local _, _, errs = load_files({ ["doc.yml"] = head .. [[
channels:
  c: {$ref: '#/components/channels/a'}
components:
  channels:
    a: {$ref: '#/components/channels/b'}
    b: {$ref: '#/components/channels/a'}
]] })
    assert.matches("a chain of more than 32 references", texts(errs)[1])
  end)

  it("a version fernws does not read", function()
    local _, _, errs = load_files({ ["doc.yml"] = "asyncapi: 1.2.0\ninfo: {title: t, version: '1'}\n" })
    assert.same({ "doc.yml:1:11: unsupported AsyncAPI version '1.2.0': fernws reads 2.x (2.6) and 3.0" }, texts(errs))
  end)

  it("JSON: a syntax error at its line and column", function()
    local _, _, errs = load_files({ ["doc.json"] = '{"asyncapi": "3.0.0",\n "info": {"title": "t" "version": "1"}}\n' })
    assert.equal(1, #errs)
    assert.equal(2, errs[1].line)
  end)

  it("what the codec cannot enforce is a warning naming the keyword at its place", function()
    local api = assert(load_files({ ["doc.yml"] = head .. [[
channels:
  c:
    address: /c
    messages:
      m:
        payload:
          type: object
          minProperties: 1
          properties:
            n: {type: integer, enum: [1, 2]}
operations:
  o: {action: send, channel: {$ref: '#/channels/c'}}
]] }))
    local got = {}
    for _, w in ipairs(api.warnings) do got[#got + 1] = string.format("%d:%d: %s", w.line, w.column, w.message) end
    assert.same({
      "10:11: JSON Schema 'minProperties' is not enforced by the codec (ignored)",
      "12:39: enum values that are not strings are not enforced by the codec: read as integer",
    }, got)
  end)

  it("a folder holding two AsyncAPI documents: load one of them", function()
    local _, msg = load_files({ ["a.yml"] = head, ["b.yml"] = head })
    assert.matches("the folder holds several AsyncAPI documents: load one of them", msg)
  end)
end)
