-- Query and header values of every shape, over real sockets: the exact query string a fernws
-- client writes (as seen by an independent server, spec/peers/ws_peer.py) is the one Fern's
-- TypeScript SDKs write for the same value (hume 0.16, @deepgram/sdk 5.13: a[b][c]=v, lists repeat
-- the key, empty objects and lists and nulls left out, encodeURIComponent), and a fernws server
-- reads it back into the typed value. scripts/interop.sh checks the same strings against the SDKs'
-- own toQueryString.
local helper = require "helper"
local fernws = helper.fernws

local ch = assert(fernws.load(helper.own("server/shapes"))):channel("shapes")

-- { name, query, the client's query string, what the server reads (nil: the query itself) }
local cases = {
  { "scalars, every reserved character percent-encoded as encodeURIComponent does",
    { s = "a b&c=d/é?#[]+%,;:@$", n = -3, d = 0.25, b = false, e = "slow-mode", when = "2024-01-02T03:04:05Z" },
    "s=a%20b%26c%3Dd%2F%C3%A9%3F%23%5B%5D%2B%25%2C%3B%3A%40%24&n=-3&d=0.25&b=false&e=slow-mode" ..
      "&when=2024-01-02T03%3A04%3A05Z" },
  { "what encodeURIComponent keeps", { s = "it's (ok)!*~-_." }, "s=it's%20(ok)!*~-_." },
  { "allow-multiple and list parameters repeat the key", { tags = { "red", "blue" }, ids = { 1, 2, 3 } },
    "tags=red&tags=blue&ids=1&ids=2&ids=3" },
  { "one value of an allow-multiple parameter reads as that value", { tags = { "red" } }, "tags=red",
    { tags = "red" } },
  { "objects nest at any depth, in the definition's order; lists inside objects repeat; empty ones are left out",
    { deep = { a = { b = { c = 1, s = "x" }, n = 2 }, words = { "p", "q" }, nums = {}, flag = true,
               ["odd[key]"] = "v", odd = "w" } },
    "deep%5Ba%5D%5Bb%5D%5Bc%5D=1&deep%5Ba%5D%5Bb%5D%5Bs%5D=x&deep%5Ba%5D%5Bn%5D=2&deep%5Bwords%5D=p" ..
      "&deep%5Bwords%5D=q&deep%5Bflag%5D=true&deep%5Bodd%5Bkey%5D%5D=v&deep%5Bodd%5D=w",
    { deep = { a = { b = { c = 1, s = "x" }, n = 2 }, words = { "p", "q" }, flag = true, ["odd[key]"] = "v",
               odd = "w" } } },
  { "a list with one element inside an object is still a list", { deep = { words = { "only" } } },
    "deep%5Bwords%5D=only" },
  { "map keys sorted, brackets and reserved characters in keys and values",
    { m = { ["&amp"] = "1", ["["] = "2", ["]"] = "3", ["a[b]"] = "4", ["sp ace"] = "5=5", ["é"] = "6&6" } },
    "m%5B%26amp%5D=1&m%5B%5B%5D=2&m%5B%5D%5D=3&m%5Ba%5Bb%5D%5D=4&m%5Bsp%20ace%5D=5%3D5&m%5B%C3%A9%5D=6%266" },
  { "a map of objects", { mo = { k1 = { c = 1 }, ["k[2]"] = { s = "z" } } },
    "mo%5Bk1%5D%5Bc%5D=1&mo%5Bk%5B2%5D%5D%5Bs%5D=z" },
  { "a list of objects, each element's parts in turn", { items = { { c = 1, s = "a" }, { c = 2, s = "b" } } },
    "items%5Bc%5D=1&items%5Bs%5D=a&items%5Bc%5D=2&items%5Bs%5D=b" },
  { "an undiscriminated union reads as the first member the text fits",
    { vars = { a = 1.5, b = true, c = "x" } }, "vars%5Ba%5D=1.5&vars%5Bb%5D=true&vars%5Bc%5D=x" },
  { "a union with its string member first still reads numbers and booleans as such (Hume's variables)",
    { svars = { a = 1.5, b = true, c = "x", d = 3 } }, "svars%5Ba%5D=1.5&svars%5Bb%5D=true&svars%5Bc%5D=x&svars%5Bd%5D=3",
    { svars = { a = 1.5, b = true, c = "x", d = 3.0 } } },
  { "a required object, Hume's session_settings: nested, booleans and numbers typed",
    { settings = { audio = { channels = 1, encoding = "linear16" }, prompt = "Be brief." } },
    "settings%5Baudio%5D%5Bchannels%5D=1&settings%5Baudio%5D%5Bencoding%5D=linear16&settings%5Bprompt%5D=Be%20brief." },
  { "an empty required object is not written, and reads as an empty object", { settings = { audio = {} } }, "",
    { settings = {} } },
  { "an empty list is not written", { ids = {}, tags = {} }, "", {} },
  { "unknown: tables by sorted key, repeated keys as a list of texts", { any = { y = "z", x = { 1, 2 } } },
    "any%5Bx%5D=1&any%5Bx%5D=2&any%5By%5D=z", { any = { x = { "1", "2" }, y = "z" } } },
}

local function with_settings(q)
  local r = { settings = {} }
  for k, v in pairs(q) do r[k] = v end
  return r
end

describe("query values of every shape", function()
  local peer, srv, seen
  setup(function()
    peer = helper.peer()
    srv = assert(ch:serve { port = 0 })
    srv:on("connect", function(_, req) seen[#seen + 1] = req end)
  end)
  teardown(function()
    srv:close()
    helper.kill_all()
  end)

  local probes = 0
  -- the raw query string the independent server saw
  local function raw_query(query)
    probes = probes + 1
    local probe = "shape-" .. probes
    local conn = assert(ch:connect { url = peer.url, query = query, headers = { ["X-Probe"] = probe } })
    local ev = peer:wait(function(e) return e.event == "connect" and e.headers["x-probe"] == probe end, 10)
    conn:close()
    return assert(ev, "the peer saw no connection").query
  end

  -- what the fernws server read
  local function read_back(opts)
    seen = {}
    opts.url = srv.url
    local conn = assert(ch:connect(opts))
    assert.is_truthy(helper.wait_until(function() return #seen == 1 end), "the server saw no handshake")
    conn:close()
    return seen[1]
  end

  for _, case in ipairs(cases) do
    local name, query, written, read = case[1], case[2], case[3], case[4]
    it(name, function()
      assert.equal(written, raw_query(with_settings(query)))
      local req = read_back { query = with_settings(query) }
      assert.same(with_settings(read or query), req.query)
    end)
  end

  it("keeps integers as integers and doubles as floats at every depth", function()
    local req = read_back { query = { settings = { audio = { channels = 2 } }, d = 1.0, n = 5,
                                      deep = { a = { n = 3, b = { c = 4 } }, nums = { 7 } } } }
    assert.equal("integer", math.type(req.query.settings.audio.channels))
    assert.equal("integer", math.type(req.query.n))
    assert.equal("float", math.type(req.query.d))
    assert.equal("integer", math.type(req.query.deep.a.b.c))
    assert.same({ 7 }, req.query.deep.nums)
  end)

  it("reads the indices form (a[0][b]=1) and empty brackets (a[]=1) too", function()
    local req = read_back { query = { settings = {} },
                            extra_query = { ["items[0][c]"] = 1, ["items[0][s]"] = "a", ["items[1][c]"] = 2,
                                            ["ids[]"] = 4 } }
    assert.same({ { c = 1, s = "a" }, { c = 2 } }, req.query.items)
    assert.same({ 4 }, req.query.ids)
  end)

  it("refuses what does not fit with 400 and a reason naming the key, never the value", function()
    local function refused(extra)
      local conn = assert(ch:connect { url = srv.url, query = { settings = {} }, extra_query = extra })
      local r = helper.record(conn)
      assert.is_truthy(helper.wait_until(function() return #r.errors > 0 end))
      conn:close()
      return r.errors[1]
    end
    seen = {}
    local e = refused { ["deep[a][n]"] = "s3cret-not-a-number" }
    assert.equal(400, e.status)
    local e2 = refused { ["deep[nope]"] = "s3cret" }
    assert.equal(400, e2.status)
    local e3 = refused { ["n[x]"] = "1" }
    assert.equal(400, e3.status)
    local e4 = refused { ["e"] = "s3cret-mode" }
    assert.equal(400, e4.status)
    for _, err in ipairs({ e, e2, e3, e4 }) do assert.not_matches("s3cret", tostring(err)) end
    assert.equal(0, #seen)
  end)
end)

describe("header values of every shape", function()
  local peer, srv, seen
  setup(function()
    peer = helper.peer()
    srv = assert(ch:serve { port = 0 })
    srv:on("connect", function(_, req) seen = req end)
  end)
  teardown(function()
    srv:close()
    helper.kill_all()
  end)

  local headers = { ["X-Int"] = -7, ["X-Bool"] = true, ["X-Mode"] = "slow-mode", ["X-List"] = { "a", "b c" },
                    ["X-Nums"] = { 1, 2 }, ["X-Api-Version"] = 3 }

  it("a list is written as its elements joined by ', '", function()
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    h["X-Probe"] = "headers-1"
    local conn = assert(ch:connect { url = peer.url, query = { settings = {} }, headers = h })
    local ev = peer:wait(function(e) return e.event == "connect" and e.headers["x-probe"] == "headers-1" end, 10)
    conn:close()
    assert.is_table(ev)
    assert.equal("-7", ev.headers["x-int"])
    assert.equal("true", ev.headers["x-bool"])
    assert.equal("slow-mode", ev.headers["x-mode"])
    assert.equal("a, b c", ev.headers["x-list"])
    assert.equal("1, 2", ev.headers["x-nums"])
    assert.equal("3", ev.headers["x-api-version"])
  end)

  it("a fernws server reads each back typed (channel and api.yml headers)", function()
    local conn = assert(ch:connect { url = srv.url, query = { settings = {} }, headers = headers })
    assert.is_truthy(helper.wait_until(function() return seen ~= nil end))
    conn:close()
    local h = seen.headers
    assert.equal(-7, h["x-int"])
    assert.equal("integer", math.type(h["x-int"]))
    assert.equal(true, h["x-bool"])
    assert.equal("slow-mode", h["x-mode"])
    assert.same({ "a", "b c" }, h["x-list"])
    assert.same({ 1, 2 }, h["x-nums"])
    assert.equal(3, h["x-api-version"])
  end)

  it("an object has no header form: connect raises, naming the header", function()
    assert.has_error(function()
      ch:connect { url = srv.url, query = { settings = {} }, headers = { ["X-List"] = { a = 1 } } }
    end)
  end)
end)
