-- JSON Schema constructs read from an AsyncAPI document: the codec's verdict on JSON text agrees with
-- an independent validator (ajv, JSON Schema 2020-12 with formats: spec/expected/asyncapi/
-- types-verdicts.lua, made by scripts/gen-asyncapi-expectations) but for the listed differences.
local helper = require "helper"
local fernws = helper.fernws

local cases = dofile(helper.root .. "/spec/fixtures/asyncapi/types-cases.lua")
local verdicts = dofile(helper.root .. "/spec/expected/asyncapi/types-verdicts.lua")

-- Where the codec and JSON Schema part, on purpose ([schema .. " " .. json] = the codec's verdict):
local differs = {
  -- a property that is not required takes null in the codec (Fern's optional<T>); JSON Schema does not
  ['Obj {"a":"x","b":null}'] = true,
  -- a const property may be left out (the encoder writes it); JSON Schema's `required` wants it
  ['OneOfConst {"x":1}'] = true,
  -- decoding keeps unknown properties unless strict, even where additionalProperties is false
  -- (decode(..., {strict = true}) refuses them: checked below)
  ['Closed {"a":"x","b":1}'] = true,
}

describe("JSON Schema in AsyncAPI: the codec agrees with ajv", function()
  local api = assert(fernws.load(helper.own("asyncapi/types.yml")))
  for _, name in ipairs((function() local k = {} for n in pairs(cases) do k[#k + 1] = n end table.sort(k) return k end)()) do
    it(name, function()
      local want = assert(verdicts[name], "no ajv verdicts for " .. name .. ": run scripts/gen-asyncapi-expectations")
      for i, text in ipairs(cases[name]) do
        local key = name .. " " .. text
        local got = api:decode(name, text) ~= nil
        local expect = want[i]
        if differs[key] ~= nil then
          assert.are_not.equal(expect, differs[key], key .. " is listed as a difference but agrees")
          expect = differs[key]
        end
        assert.equal(expect, got, key)
      end
    end)
  end

  it("additionalProperties: false refuses other properties when decoding strictly, and when encoding", function()
    assert.is_nil(api:decode("Closed", '{"a":"x","b":1}', { strict = true }))
    assert.is_false(api:check("Closed", { a = "x", b = 1 }))
  end)

  it("reads the constructs as the model's types", function()
    assert.equal("long", api:type("Int").target.primitive)
    assert.equal("double", api:type("Num").target.primitive)
    assert.equal("nullable", api:type("NullableStr").target.kind)
    assert.equal("nullable", api:type("OapiNullable").target.kind)
    assert.equal("enum", api:type("Enum").kind)
    assert.equal("literal", api:type("Const").target.kind)
    assert.equal("map", api:type("Map").target.kind)
    assert.equal("set", api:type("Set").target.kind)
    assert.equal("undiscriminated_union", api:type("OneOfConst").kind)
    assert.equal("object", api:type("AllOf").kind)
    local tree = api:type("Tree")
    assert.equal("object", tree.kind)
    -- recursion goes through the declaration
    local kids
    for _, p in ipairs(tree.properties) do if p.name == "kids" then kids = p end end
    assert.equal("Tree", kids.type.element.element.name)
  end)
end)
