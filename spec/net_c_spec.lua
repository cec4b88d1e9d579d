-- The C tests of csrc/net (spec/c/fws_net_test.c: loop, clients, servers, own framing on the wire,
-- keepalive, reconnect, TLS, slow peers...) run here, one spec per C test, from the build the suite
-- runs on (FWS_BUILD_DIR, set by scripts/env.sh): the -Werror build and the sanitizer build alike
-- (the binary carries its own sanitizers; LeakSanitizer findings make it exit non-zero).
local helper = require "helper"

local dir = os.getenv("FWS_BUILD_DIR") or (helper.root .. "/build-test")
local bin = dir .. "/spec/c/fws_net_test"

-- the test names, from the binary's own table in the source
local names = {}
do
  local f = assert(io.open(helper.root .. "/spec/c/fws_net_test.c"))
  local src = f:read("a")
  f:close()
  for name in src:gmatch('{"([%w_]+)", t_[%w_]+}') do names[#names + 1] = name end
end

describe("csrc/net C tests (" .. bin .. ")", function()
  it("are all listed", function()
    assert.is_true(#names >= 20, "found " .. #names .. " C tests in spec/c/fws_net_test.c")
  end)

  local built = io.open(bin) ~= nil
  for _, name in ipairs(names) do
    it(name, function()
      assert(built, bin .. " is not built (scripts/build.sh test or asan builds it: FWS_C_TESTS=ON)")
      local ok, out = helper.sh("cd " .. helper.q(helper.root) .. " && " .. helper.q(bin) .. " " .. name)
      assert(ok and out:match("1 tests, %d+ checks, 0 failed checks, 0 failed tests"), out)
    end)
  end
end)
