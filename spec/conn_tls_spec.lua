-- wss against the python peer serving certificates this spec makes with the openssl CLI (in a
-- temp dir): verification is on by default and says why it failed (unknown issuer, hostname
-- mismatch, expired); tls.ca_file trusts our CA; tls.verify = false is the way off; an https
-- environment means wss.
local helper = require "helper"
local fernws = helper.fernws

local function make_certs(dir)
  local ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  local steps = {
    "cd " .. helper.q(dir),
    "openssl req -x509 " .. ec .. " -keyout ca.key -out ca.crt -subj /CN=fws-test-ca -days 2",
    -- the server's own: localhost and 127.0.0.1
    "openssl req " .. ec .. " -keyout srv.key -out srv.csr -subj /CN=localhost",
    "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > srv.ext",
    "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile srv.ext",
    -- trusted, but for another name
    "openssl req " .. ec .. " -keyout other.key -out other.csr -subj /CN=other.example",
    "printf 'subjectAltName=DNS:other.example\\n' > other.ext",
    "openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out other.crt -days 2 -extfile other.ext",
    -- trusted, right name, expired: -days -1 puts notAfter a day before notBefore (now)
    "openssl req " .. ec .. " -keyout old.key -out old.csr -subj /CN=localhost",
    "openssl x509 -req -in old.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out old.crt -days -1 -extfile srv.ext",
  }
  local ok, out = helper.sh(table.concat(steps, " && "))
  assert(ok, "openssl failed: " .. out)
end

describe("tls", function()
  local dir, ch, good, other, old
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. helper.q(dir)))
    make_certs(dir)
    ch = assert(fernws.load(helper.own("conn/echo"))):channel("echo")
    good = helper.peer{ "--cert", dir .. "/srv.crt", "--key", dir .. "/srv.key" }
    other = helper.peer{ "--cert", dir .. "/other.crt", "--key", dir .. "/other.key" }
    old = helper.peer{ "--cert", dir .. "/old.crt", "--key", dir .. "/old.key" }
  end)
  teardown(function()
    helper.kill_all()
    helper.rmtree(dir)
  end)

  -- Connects and runs until open or closed; returns conn, record.
  local function attempt(opts)
    local conn = assert(ch:connect(opts))
    finally(function() conn:close() end)
    local r = helper.record(conn)
    helper.wait_until(function() return r.opens > 0 or #r.closes > 0 end, 10)
    return conn, r
  end

  local function wss(peer, host)
    return ("wss://%s:%d"):format(host or "localhost", peer.port)
  end

  it("an untrusted certificate fails with its reason, and is not retried", function()
    local conn, r = attempt{ url = wss(good), reconnect = { attempts = 3, min_delay = 0.01 } }
    assert.equal(0, r.opens)
    assert.equal(1, #r.closes)
    assert.equal(1006, r.closes[1].code)
    assert.equal(1, #r.errors)
    assert.equal("tls", r.errors[1].kind)
    assert.equal("certificate verify failed: unable to get local issuer certificate", tostring(r.errors[1]))
    assert.equal(0, #r.reconnects)
    assert.equal("closed", conn.state)
  end)

  it("tls.ca_file trusts the CA: by name and by IP address, and messages flow", function()
    for _, host in ipairs{ "localhost", "127.0.0.1" } do
      local conn, r = attempt{ url = wss(good, host), tls = { ca_file = dir .. "/ca.crt" } }
      assert.equal(1, r.opens, r.errors[1] and tostring(r.errors[1]))
      assert.equal(wss(good, host) .. "/echo", conn.url)
      conn:publish("publish", { type = "blob", data = "over tls via " .. host })
      assert.truthy(helper.wait_until(function() return #r.msgs > 0 end, 10))
      assert.equal("over tls via " .. host, r.msgs[1].value.data)
      conn:close()
    end
  end)

  it("a trusted certificate for another name fails: hostname mismatch", function()
    local _, r = attempt{ url = wss(other), tls = { ca_file = dir .. "/ca.crt" },
                          reconnect = { attempts = 3, min_delay = 0.01 } }
    assert.equal(0, r.opens)
    assert.equal("certificate verify failed: hostname mismatch", tostring(r.errors[1]))
    assert.equal(0, #r.reconnects)
    -- by IP address too: the certificate names other.example only
    _, r = attempt{ url = wss(other, "127.0.0.1"), tls = { ca_file = dir .. "/ca.crt" } }
    assert.equal(0, r.opens)
    assert.matches("^certificate verify failed: ", tostring(r.errors[1]))
  end)

  it("an expired certificate fails: certificate has expired", function()
    local _, r = attempt{ url = wss(old), tls = { ca_file = dir .. "/ca.crt" } }
    assert.equal(0, r.opens)
    assert.equal("certificate verify failed: certificate has expired", tostring(r.errors[1]))
  end)

  it("tls.verify = false connects to each of them", function()
    for _, peer in ipairs{ good, other, old } do
      local conn, r = attempt{ url = wss(peer), tls = { verify = false } }
      assert.equal(1, r.opens, r.errors[1] and tostring(r.errors[1]))
      conn:send_text("__text__ 3")
      assert.truthy(helper.wait_until(function() return #r.errors > 0 end, 10))
      assert.equal("xxx", r.errors[1].raw)
      conn:close()
    end
    -- verify = true (or anything but false) leaves verification on
    local _, r = attempt{ url = wss(good), tls = { verify = true } }
    assert.equal(0, r.opens)
  end)

  it("wss over IPv6 loopback with verify = false (lws cannot verify an IPv6 literal's name)", function()
    local v6 = helper.peer{ "--host", "::1", "--cert", dir .. "/srv.crt", "--key", dir .. "/srv.key" }
    finally(function() v6:kill() end)
    local conn, r = attempt{ url = v6.url, tls = { verify = false } }
    assert.equal(("wss://[::1]:%d/echo"):format(v6.port), conn.url)
    assert.equal(1, r.opens, r.errors[1] and tostring(r.errors[1]))
  end)

  it("a ca_file that cannot be read: connect returns nil and why", function()
    local conn, err = ch:connect{ url = wss(good), tls = { ca_file = dir .. "/missing.pem" } }
    assert.is_nil(conn)
    assert.matches("cannot read ca_file .*missing%.pem", err)
  end)

  it("an https environment means wss", function()
    local def = helper.write_definition{
      ["api.yml"] = ("name: secure\nenvironments:\n  Local: https://localhost:%d/base\ndefault-environment: Local\n")
        :format(good.port),
      ["live.yml"] = "channel:\n  path: /live\n  auth: false\n  messages:\n    publish:\n      origin: client\n      body: string\n",
    }
    finally(function() helper.rmtree(def) end)
    local live = assert(fernws.load(def)):channel("live")
    assert.equal(("wss://localhost:%d/base/live"):format(good.port), (live:endpoint()))
    local conn = assert(live:connect{ tls = { ca_file = dir .. "/ca.crt" } })
    finally(function() conn:close() end)
    local r = helper.record(conn)
    assert.truthy(helper.wait_until(function() return r.opens > 0 or #r.closes > 0 end, 10))
    assert.equal(1, r.opens, r.errors[1] and tostring(r.errors[1]))
    local ev = good:wait(function(e) return e.event == "connect" and e.path == "/base/live" end)
    assert.truthy(ev)
  end)
end)
