-- Redirects: refused by default (an error of kind "redirect" with the status and the Location,
-- never its query), followed only when follow_redirects allows, to the same origin unless
-- cross_origin is given, and then without credentials. Nothing is sent to a redirect's target
-- that was not allowed. Raw peers on 127.0.0.1 and ::1, so that the origins differ.
local helper = require "helper"
local rawpeer = require "rawpeer"
local fernws = helper.fernws

local API = [[
name: r
auth: bearer
headers:
  X-Org:
    type: optional<string>
    name: org
channel:
  path: /start
  auth: true
  messages:
    publish: { origin: client, body: string }
    subscribe: { origin: server, body: string }
]]

describe("redirects", function()
  local ch
  setup(function()
    local dir = helper.write_definition { ["api.yml"] = API:gsub("channel:.*", ""), ["defn.yml"] = API:match("channel:.*") }
    ch = assert(fernws.load(dir)):channel("defn")
    helper.rmtree(dir)
  end)
  teardown(function() helper.kill_all() end)

  local function raw(opts)
    local p = rawpeer.server(opts)
    finally(function() p:kill() end)
    return p
  end

  local OPTS = { auth = { token = "s3cret" }, headers = { ["X-Org"] = "acme", ["X-Trace"] = "t1" } }
  local function connect(url, extra)
    local o = { url = url }
    for k, v in pairs(OPTS) do o[k] = v end
    for k, v in pairs(extra or {}) do o[k] = v end
    local conn = assert(ch:connect(o))
    finally(function() conn:close() end)
    return conn, helper.record(conn)
  end

  local function ended(r) return helper.wait_until(function() return #r.closes > 0 or r.opens > 0 end, 15) end
  local function requests(p) return p:all(function(ev) return ev.event == "request" end) end

  it("are refused by default: a redirect error with the status and the Location without its query", function()
    local target = raw { host = "::1" }
    local p = raw { status = 302, location = target.url .. "/elsewhere?token=leak" }
    local conn, r = connect(p.url)
    assert.truthy(ended(r))
    assert.equal(0, r.opens)
    local e = r.errors[1]
    assert.equal("redirect", e.kind)
    assert.equal(302, e.status)
    assert.equal(target.url .. "/elsewhere", e.location)
    assert.matches("^redirect refused: HTTP 302 to ", e.message)
    assert.is_nil(e.message:find("leak", 1, true))
    assert.equal(0, #r.reconnects) -- it will not get better by trying again
    helper.nap(0.2)
    assert.equal(0, #requests(target), "the target never heard from us")
    assert.equal("closed", conn.state)
  end)

  it("follow_redirects = N follows the same origin, with the credentials, at the new path", function()
    local p = raw { status = "307,101", location = "/moved?x=1", count = 2 }
    local conn, r = connect(p.url, { follow_redirects = 2 })
    assert.truthy(ended(r))
    assert.equal(1, r.opens)
    local reqs = requests(p)
    assert.equal(2, #reqs)
    assert.equal("/moved?x=1", reqs[2].target)
    assert.equal("Bearer s3cret", reqs[2].headers.authorization)
    assert.equal("acme", reqs[2].headers["x-org"])
    assert.matches("/moved$", conn.url)
    assert.matches("/moved %(open%)$", tostring(conn))
  end)

  it("an http:// Location is read as ws://", function()
    local q = raw { status = "301,101", count = 2, location = "http://127.0.0.1:{port}/h" }
    local _, r = connect(q.url, { follow_redirects = 1 })
    assert.truthy(ended(r))
    assert.equal(1, r.opens, r.errors[1] and r.errors[1].message)
    assert.equal("/h", requests(q)[2].target)
  end)

  it("another origin is refused even with follow_redirects, naming it", function()
    local target = raw { host = "::1" }
    local p = raw { status = 302, location = target.url .. "/x" }
    local _, r = connect(p.url, { follow_redirects = 3 })
    assert.truthy(ended(r))
    assert.equal(0, r.opens)
    assert.equal("redirect", r.errors[1].kind)
    assert.matches("another origin", r.errors[1].message)
    helper.nap(0.2)
    assert.equal(0, #requests(target))
  end)

  it("cross_origin = true follows, without the extra headers and credentials", function()
    local target = raw { host = "::1" }
    local p = raw { status = 302, location = target.url .. "/x?ok=1" }
    local conn, r = connect(p.url, { follow_redirects = { max = 2, cross_origin = true } })
    assert.truthy(ended(r))
    assert.equal(1, r.opens)
    local req = requests(target)[1]
    assert.equal("/x?ok=1", req.target)
    assert.is_nil(req.headers.authorization)
    assert.is_nil(req.headers["x-org"])
    assert.is_nil(req.headers["x-trace"])
    assert.equal(target.url .. "/x", conn.url)
    -- the first origin had them
    assert.equal("Bearer s3cret", requests(p)[1].headers.authorization)
  end)

  it("a key carried as the subprotocol is not offered to another origin", function()
    local api = assert(helper.load_text("channel:\n  path: /k\n  auth: true\n  messages:\n    publish: { origin: client, body: string }\n",
      "name: k\nauth: Key\nauth-schemes:\n  Key:\n    header: Sec-WebSocket-Protocol\n    name: key\n    type: string\n"))
    local target = raw { host = "::1" }
    local p = raw { status = 302, location = target.url .. "/k" }
    local conn = assert(api:channel("defn"):connect { url = p.url, auth = { token = "s3cret-key" },
                                                      follow_redirects = { max = 1, cross_origin = true } })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(ended(r))
    assert.equal("s3cret-key", requests(p)[1].headers["sec-websocket-protocol"])
    assert.is_nil(requests(target)[1].headers["sec-websocket-protocol"])
  end)

  it("more redirects than allowed: refused at the one over the limit", function()
    local p = raw { status = 302, location = "/again", count = 5 }
    local _, r = connect(p.url, { follow_redirects = 2 })
    assert.truthy(ended(r))
    assert.equal(0, r.opens)
    assert.matches("more than 2 redirects", r.errors[1].message)
    assert.equal(3, #requests(p))
  end)

  it("a Location that is no URL is a redirect error too", function()
    local p = raw { status = 302, location = "ftp://x/y" }
    local _, r = connect(p.url, { follow_redirects = 1 })
    assert.truthy(ended(r))
    assert.equal("redirect", r.errors[1].kind)
    assert.matches("unusable Location", r.errors[1].message)
  end)
end)
