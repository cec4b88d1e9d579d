-- The channel the glue sweeps use, written into a fresh folder (returned): a message whose type
-- makes the codec use every kind of temporary memory it has: an object of more than 64
-- properties, a union of more than 64 members, a set, and a list of undiscriminated union values
-- (one failed member per element: the memo table grows past its inline part).
return function()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  local y = { "channel:", "  path: /glue", "  auth: false", "  messages:",
    "    big:", "      origin: client", "      body: Big",
    "    back:", "      origin: server", "      body: Big",
    "types:", "  Big:", "    properties:" }
  for i = 1, 70 do y[#y + 1] = ("      p%d: optional<integer>"):format(i) end
  y[#y + 1] = "      tags: optional<set<string>>"
  y[#y + 1] = "      shapes: optional<list<Shape>>"
  y[#y + 1] = "      many: optional<Many>"
  y[#y + 1] = "  Shape:\n    discriminated: false\n    union:\n      - Circle\n      - Square"
  y[#y + 1] = "  Circle:\n    properties:\n      radius: double"
  y[#y + 1] = "  Square:\n    properties:\n      side: double"
  y[#y + 1] = "  Many:\n    discriminated: false\n    union:"
  for i = 1, 66 do y[#y + 1] = ("      - M%d"):format(i) end
  for i = 1, 66 do y[#y + 1] = ("  M%d:\n    properties:\n      k%d: integer"):format(i, i) end
  local f = assert(io.open(dir .. "/glue.yml", "w"))
  f:write(table.concat(y, "\n"), "\n")
  f:close()
  return dir
end
