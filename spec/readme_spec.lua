-- The README's first snippet, as a newcomer runs it against a port where nothing listens and with
-- no error handler: it must say why it failed (issue 9: nothing fails silently).
local helper = require "helper"

describe("the README's first snippet", function()
  it("run against a closed port, with no handler, prints the reason and run counts the error", function()
    local f = assert(io.open(helper.root .. "/README.md"))
    local readme = f:read("a")
    f:close()
    local snippet = assert(readme:match("```lua\n(.-)```"), "the README has a Lua snippet")
    assert.matches('fernws.load%("fern/definition"%)', snippet)
    assert.matches("ws://127.0.0.1:8080", snippet)
    -- where this checkout keeps a definition with that channel, and a port nobody listens on
    local p = helper.peer {}
    local port = p.port
    p:kill()
    snippet = snippet:gsub('"fern/definition"', string.format("%q", helper.root .. "/examples/chat"))
      :gsub("ws://127.0.0.1:8080", "ws://127.0.0.1:" .. port)
      :gsub("fernws.run%(%)", "print('errors', (fernws.run()))")
    local file = os.tmpname()
    f = assert(io.open(file, "w"))
    f:write(snippet)
    f:close()
    finally(function() os.remove(file) end)
    -- as the suite runs lua5.4 (LD_PRELOAD kept: the sanitizer build's module needs its runtime)
    local pipe = assert(io.popen("lua5.4 " .. helper.q(file) .. " 2>&1"))
    local out = pipe:read("a")
    local ok = pipe:close()
    assert.is_true(ok == true, out)
    assert.matches("connect failed: connection refused %(127.0.0.1:" .. port .. "%)", out)
    assert.matches("no 'error' handler", out, 1, true)
    assert.matches("errors\t1", out, 1, true)
  end)
end)
