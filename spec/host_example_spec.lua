-- examples/host: a C program embedding Lua, two Lua states in two threads, each with its own
-- fernws loop driven by fernws.poll in a 60 frames/s loop (examples/host/host.c). Run briefly from
-- the build the suite runs on: every message gets its typed reply in both states, and both end with
-- nothing open (under the sanitizer build, LeakSanitizer fails the run on any leak). The frame
-- times it prints are a benchmark, not checked here.
local helper = require "helper"

local dir = os.getenv("FWS_BUILD_DIR") or (helper.root .. "/build-test")
local bin = dir .. "/examples/host/fws_host"

describe("examples/host (" .. bin .. ")", function()
  it("runs two Lua states with their own loops in two threads", function()
    assert(io.open(bin), bin .. " is not built (scripts/build.sh test or asan builds it)"):close()
    local ok, out = helper.sh("cd " .. helper.q(helper.root) .. " && " .. helper.q(bin) .. " 1 2")
    assert(ok, out)
    for _, name in ipairs { "host1", "host2" } do
      local frames, sent, got, left = out:match(name .. ": (%d+) frames, (%d+) messages sent, (%d+) typed replies, (%d+) left open")
      assert(frames, out)
      assert.is_true(tonumber(frames) > 0 and tonumber(sent) > 0, out)
      assert.equal(sent, got, out)
      assert.equal("0", left, out)
      assert.matches(name .. ": frame call %(5 publishes %+ fernws.poll%(2%)%): mean [%d.]+ ms, p99 [%d.]+ ms, worst [%d.]+ ms", out)
    end
  end)
end)
