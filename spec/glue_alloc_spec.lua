-- Memory errors everywhere the loop enters Lua: spec/c/fws_lua_host runs a script in a Lua state
-- whose allocator refuses memory on demand (something lua5.4 cannot do), raising the memory the
-- state may take step by step so that the failure strikes at each allocation in turn. The scripts
-- (spec/glue/*.lua) check that every call raises or returns, that the loop then serves a new
-- client and ends, and the host checks that lua_close leaves no Lua memory in use; in the
-- sanitizer build LeakSanitizer makes the host fail on any C allocation left behind.
local helper = require "helper"

local dir = os.getenv("FWS_BUILD_DIR") or (helper.root .. "/build-test")
local host = dir .. "/spec/c/fws_lua_host"

-- Runs a glue script in the host (the build's module, its own sanitizers: no LD_PRELOAD).
local function run(script, ...)
  local f = io.open(host)
  assert(f, host .. " is not built (scripts/build.sh test or asan builds it: FWS_C_TESTS=ON)")
  f:close()
  local args = { helper.q(host), helper.q(helper.root .. "/spec/glue/" .. script), helper.q(helper.root) }
  for _, a in ipairs { ... } do args[#args + 1] = helper.q(a) end
  local cmd = "cd " .. helper.q(helper.root) .. " && LUA_CPATH=" .. helper.q(dir .. "/?.so;;") .. " " ..
    table.concat(args, " ")
  return helper.sh(cmd)
end

describe("memory errors from a limiting allocator", function()
  it("in the codec (encode, check, decode; good and bad values): each call raises or returns, nothing leaks", function()
    local ok, out = run("codec_sweep.lua", "60000", "61")
    assert(ok, out)
    local calls, raised, refused = out:match("codec sweep: (%d+) calls, (%d+) raised, (%d+) allocations refused")
    assert(calls, out)
    -- the sweep went from failing to working: both happened, many times
    assert.is_true(tonumber(raised) > 100, out)
    assert.is_true(tonumber(raised) < tonumber(calls), out)
    assert.is_true(tonumber(refused) > 100, out)
  end)

  for _, step in ipairs { "199", "53" } do
    it("in the loop (accept inside lws_service, events, callbacks, on_error), every " .. step ..
      " bytes: the loop goes on serving and frees everything", function()
      local ok, out = run("loop_sweep.lua", "40000", step)
      assert(ok, out)
      local rounds, served, reported, _, refused, tasks = out:match(
        "loop sweep: (%d+) rounds, (%d+) served, (%d+) reported, (%d+) polls raised, (%d+) allocations refused, (%d+) tasks ended")
      assert(rounds, out)
      assert.is_true(tonumber(refused) > 100, out)
      -- memory errors inside callbacks reached on_error (or stderr when on_error itself had none)
      assert.is_true(tonumber(reported) > 0 or out:find("fernws: error in a callback: not enough memory", 1, true) ~= nil, out)
      assert.is_true(tonumber(served) > 0, out)
      assert.is_true(tonumber(tasks) > 0, out)
    end)
  end
end)
