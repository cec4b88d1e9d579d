-- Run by spec/c/fws_lua_host (spec/glue_alloc_spec.lua): encode, check and decode, good and bad
-- values, each with the memory the state may take raised step by step from nothing spare to
-- plenty, so that a memory error strikes at every allocation of the codec and the bindings. Each
-- call must raise or return; afterwards everything works, and the host's lua_close must leave no
-- memory behind (the sanitizer build checks the C side).
local root = arg[1]
package.path = root .. "/spec/?.lua;" .. package.path
local fernws = require "fernws"
local dir = dofile(root .. "/spec/glue/definition.lua")()
local ch = assert(fernws.load(dir)):channel("glue")
os.execute("rm -rf '" .. dir .. "'")

local value = { tags = { "a", "b", "c" }, shapes = {}, many = { k66 = 1 } }
for i = 1, 70 do value["p" .. i] = i end
for i = 1, 40 do value.shapes[i] = { side = i + 0.5 } end
local text = ch:encode("big", value)
local bad = { tags = { "a", "b", "a" }, shapes = { { side = "x" }, { radius = true } }, many = { k66 = "no" }, p1 = "x" }
local badtext = text:gsub('"side":40.5', '"side":"x"')

local calls = {
  function() return ch:encode("big", value) end,
  function() return ch:encode("big", bad) end,
  function() return ch:check("big", bad) end,
  function() return ch:decode(text, "client") end,
  function() return ch:decode(badtext, "client") end,
}
local steps, raised = 0, 0
local max, step = tonumber(arg[2]) or 60000, tonumber(arg[3]) or 61
for k = 0, max, step do
  for i = 1, #calls do
    -- nothing below allocates outside the pcall: only the codec meets the limit
    collectgarbage()
    host.limit(host.used() + k)
    local ok = pcall(calls[i])
    host.limit()
    if not ok then raised = raised + 1 end
    steps = steps + 1
  end
end

-- all is well afterwards
assert(ch:encode("big", value) == text)
local id, v = ch:decode(text, "client")
assert(id == "big" and v.p70 == 70 and #v.shapes == 40 and v.many.k66 == 1)
local ok, errs = ch:check("big", bad)
assert(not ok and #errs >= 4, "check lists every failing field")
assert(select(2, pcall(ch.encode, ch, "big", bad)):find("is a duplicate"))
assert(ch:decode(badtext, "client") == nil)
print(("codec sweep: %d calls, %d raised, %d allocations refused"):format(steps, raised, host.refused()))
