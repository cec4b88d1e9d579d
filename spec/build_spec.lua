-- The build refuses a libwebsockets it is not tested with, saying so (CMakeLists.txt).
local helper = require "helper"

describe("the build", function()
  it("refuses a libwebsockets other than 4.1.x with a clear message, unless FWS_LWS_UNTESTED=ON", function()
    local dir = helper.write_definition {} -- a fresh temp folder
    finally(function() helper.rmtree(dir) end)
    assert(os.execute("mkdir -p " .. helper.q(dir .. "/inc") .. " " .. helper.q(dir .. "/b1") .. " " .. helper.q(dir .. "/b2")))
    local f = assert(io.open("/usr/include/lws_config.h"))
    local cfg = f:read("a"):gsub("LWS_LIBRARY_VERSION_MINOR 1", "LWS_LIBRARY_VERSION_MINOR 3")
    f:close()
    f = assert(io.open(dir .. "/inc/lws_config.h", "w"))
    f:write(cfg)
    f:close()
    assert(os.execute("cp /usr/include/libwebsockets.h " .. helper.q(dir .. "/inc/")))
    local ok, out = helper.sh("cmake -S " .. helper.q(helper.root) .. " -B " .. helper.q(dir .. "/b1") ..
      " -DLIBWEBSOCKETS_INCDIR=" .. helper.q(dir .. "/inc"))
    assert.is_false(ok)
    out = out:gsub("%s+", " ") -- cmake wraps its messages
    assert.matches("libwebsockets 4.3.6 found", out, 1, true)
    assert.matches("fernws is tested with 4.1.x", out, 1, true)
    assert.matches("-DFWS_LWS_UNTESTED=ON", out, 1, true)
    ok, out = helper.sh("cmake -S " .. helper.q(helper.root) .. " -B " .. helper.q(dir .. "/b2") ..
      " -DLIBWEBSOCKETS_INCDIR=" .. helper.q(dir .. "/inc") .. " -DFWS_LWS_UNTESTED=ON")
    assert.is_true(ok, out)
    out = out:gsub("%s+", " ")
    assert.matches("fernws is tested with 4.1.x only; building anyway", out, 1, true)
  end)
end)
