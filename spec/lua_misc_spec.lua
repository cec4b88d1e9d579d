-- A channel's auth-message: the token goes out in the named client message, first, on every
-- connection (fernws client against a fernws server, loopback).
local helper = require "helper"
local fernws = helper.fernws

local function run_until(cond, seconds)
  local deadline = fernws.now() + (seconds or 5)
  while not cond() and fernws.now() < deadline do fernws.poll(5) end
  return cond()
end

describe("auth-message", function()
  local ch = assert(fernws.load(helper.own("lua/auth_message.yml"))):channel("auth_message")

  it("is read from the definition", function()
    assert.same({ id = "authenticate", token_path = "params.token" }, ch.auth_message)
  end)

  it("sends the token first, before messages published while connecting", function()
    local srv = assert(ch:serve { port = 0 })
    local seen = {}
    srv:subscribe("*", function(v, info) seen[#seen + 1] = { info.id, v } end)
    local conn = assert(ch:connect { url = srv.url, auth = { token = "s3cret" }, queue = 5 })
    conn:publish("say", { text = "hi" })
    assert.is_true(run_until(function() return #seen == 2 end))
    assert.same({ "authenticate", { type = "auth", params = { token = "s3cret" } } }, seen[1])
    assert.same({ "say", { text = "hi" } }, seen[2])
    conn:close()
    srv:close()
  end)

  it("is not sent without a token", function()
    local srv = assert(ch:serve { port = 0 })
    local seen = {}
    srv:subscribe("*", function(_, info) seen[#seen + 1] = info.id end)
    local conn = assert(ch:connect { url = srv.url })
    conn:on("open", function(c) c:publish("say", { text = "plain" }) end)
    assert.is_true(run_until(function() return #seen == 1 end))
    assert.same({ "say" }, seen)
    conn:close()
    srv:close()
  end)
end)

describe("decode size limit", function()
  it("refuses a text over max_size before parsing (default 16 MiB, as connections)", function()
    local ch = assert(fernws.load(helper.own("lua/auth_message.yml"))):channel("auth_message")
    local text = '{"text":"' .. string.rep("x", 100) .. '"}'
    local v, err = ch:decode(text, { max_size = 50 })
    assert.is_nil(v)
    assert.equal("cannot decode: the text is 111 bytes, over the limit of 50 (max_size)", err)
    local id, value = ch:decode(text, { max_size = 200 })
    assert.equal("heard", id)
    assert.equal(100, #value.text)
    local big = '{"text":"' .. string.rep("y", 16 * 1024 * 1024) .. '"}'
    assert.is_nil((ch:decode(big)))
  end)
end)

describe("a failed load", function()
  it("also gives its warnings and how many errors were not kept", function()
    local api, msg, errs = helper.load_text([[
channel:
  path: /a
  auth: false
  messages:
    m:
      origin: client
      body: A
types:
  A:
    properties:
      x: Missing
      y: string
    colour: blue
]])
    assert.is_nil(api)
    assert.matches("unknown type 'Missing'", msg)
    assert.equal(1, #errs)
    assert.equal(1, #errs.warnings)
    assert.matches("unknown key 'colour'", errs.warnings[1].message)
    assert.equal(0, errs.more)
  end)

  it("refuses types chained thousands deep instead of overflowing the stack", function()
    local lines = { "types:" }
    for i = 0, 3999 do lines[#lines + 1] = string.format("  T%d:\n    properties:\n      a: optional<T%d>", i, i + 1) end
    lines[#lines + 1] = "  T4000:\n    properties:\n      b: string"
    local api, msg = helper.load_text(table.concat(lines, "\n") .. "\n")
    assert.is_nil(api)
    assert.matches("types nest more than 1000 deep here", msg)
  end)
end)

describe("publish", function()
  it("returns exactly true when the message is taken, over a real connection", function()
    local ch = assert(fernws.load(helper.own("lua/auth_message.yml"))):channel("auth_message")
    local srv = assert(ch:serve { port = 0 })
    local got = 0
    srv:subscribe("say", function() got = got + 1 end)
    local conn = assert(ch:connect { url = srv.url })
    assert.is_truthy(run_until(function() return conn.state == "open" end))
    local results = table.pack(conn:publish("say", { text = "one" }))
    assert.same({ n = 1, true }, results)
    results = table.pack(conn:send_text('{"text":"two"}'))
    assert.same({ n = 1, true }, results)
    assert.is_truthy(run_until(function() return got == 2 end))
    conn:close()
    srv:close()
  end)
end)
