-- Protocol conformance (RFC 6455), in the spirit of the Autobahn|Testsuite's cases 1-7 and 9:
-- spec/wire/cases.lua run by spec/peers/raw_peer.py against fernws's net layer as a server and as
-- a client (spec/c/fws_wire_peer.c, an echo peer), each verdict "pass". The README's conformance
-- table is made from the same cases by scripts/wire-table.
local helper = require "helper"
local run = require "wire.run"
local cases = require "wire.cases"

describe("protocol conformance", function()
  teardown(function() helper.kill_all() end)
  local built = io.open(run.bin) ~= nil

  for _, side in ipairs { "server", "client" } do
    describe("fernws as the " .. side, function()
      for _, case in ipairs(cases) do
        it(case.id .. " " .. case.group .. ": " .. case.what, function()
          assert(built, run.bin .. " is not built (scripts/build.sh test or asan: FWS_C_TESTS=ON)")
          local verdict, why = run.case(case, side)
          assert.equal("pass", verdict, why)
        end)
      end
    end)
  end
end)
