-- Shared by the specs: the module, where the fixtures are, and small helpers.
local helper = {}

helper.fernws = require "fernws"

local function dir_exists(p)
  local f = io.open(p .. "/README.md", "r")
  if f then f:close() return true end
  return false
end

-- The real Fern Definitions live beside the checkout (../shared/fixtures); FWS_FIXTURES overrides.
local here = debug.getinfo(1, "S").source:match("^@(.*)/spec/helper%.lua$") or "."
helper.root = here
helper.fixtures = os.getenv("FWS_FIXTURES") or (here .. "/../shared/fixtures")
helper.have_fixtures = dir_exists(helper.fixtures)

function helper.fixture(name)
  return helper.fixtures .. "/fern/" .. name .. "/definition"
end

-- Specs that need the shared fixtures call this first: it marks them pending, saying why, when the
-- fixtures are absent (and only then).
function helper.needs_fixtures(pending)
  if helper.have_fixtures then return true end
  pending("needs ../shared/fixtures beside the checkout (or FWS_FIXTURES): absent here")
  return false
end

function helper.own(name)
  return here .. "/spec/fixtures/" .. name
end

-- Writes a definition from {["path/in/folder.yml"] = text} into a fresh temp folder; returns it.
function helper.write_definition(files)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  for rel, text in pairs(files) do
    local sub = rel:match("^(.*)/[^/]+$")
    if sub then assert(os.execute("mkdir -p '" .. dir .. "/" .. sub .. "'")) end
    local f = assert(io.open(dir .. "/" .. rel, "w"))
    f:write(text)
    f:close()
  end
  return dir
end

function helper.rmtree(dir)
  if dir and dir:match("^/tmp/") then os.execute("rm -rf '" .. dir .. "'") end
end

-- Loads a one-file definition given as text (plus optional api.yml) and returns api or nil, msg, errs.
function helper.load_text(text, api_yml, opts)
  local files = { ["defn.yml"] = text }
  if api_yml then files["api.yml"] = api_yml end
  local dir = helper.write_definition(files)
  local api, msg, errs = helper.fernws.load(dir, opts)
  helper.rmtree(dir)
  return api, msg, errs, dir
end

return helper
