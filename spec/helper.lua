-- Shared by the specs: the module, where the fixtures are, and small helpers.
local helper = {}

-- busted 2 keeps only the last finally() a test registers: a test that calls it twice (a peer,
-- then a connection) would leave the first resource open for the tests after it. Every finally
-- registered now runs, the last first; an error in one does not skip the others.
do
  local ok, busted = pcall(require, "busted")
  if ok and type(busted) == "table" and busted.subscribe then
    busted.subscribe({ "test", "start" }, function(element)
      local env = element.env
      local set = env and env.finally
      if type(set) == "function" then
        local list = {}
        env.finally = function(fn)
          list[#list + 1] = fn
          if #list == 1 then
            set(function()
              local first
              for i = #list, 1, -1 do
                local fine, err = pcall(list[i])
                if not fine and first == nil then first = err end
              end
              if first ~= nil then error(first, 0) end
            end)
          end
        end
      end
      return nil, true
    end)
  end
end

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

-- ---- live connections (spec/conn_*_spec.lua) ----------------------------------------------------
-- Real sockets on loopback against spec/peers/ws_peer.py (Debian's /usr/bin/python3 with
-- python3-websockets). Child processes run without LD_PRELOAD: under the ASan run it preloads libasan
-- for lua5.4, and python or openssl must not be judged by LeakSanitizer.

local cjson = require "cjson"

helper.python = "/usr/bin/python3"
helper.peer_script = here .. "/spec/peers/ws_peer.py"
helper.sanitized = os.getenv("FWS_SANITIZED") == "1"

function helper.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Seconds on a monotonic clock: fernws.now() where the module has it, else luasocket's gettime,
-- else /proc/uptime (10 ms steps).
do
  local ok, socket = pcall(require, "socket")
  if type(helper.fernws.now) == "function" then
    helper.now = helper.fernws.now
  elseif ok and type(socket) == "table" and socket.gettime then
    helper.now = socket.gettime
  else
    helper.now = function()
      local f = assert(io.open("/proc/uptime", "r"))
      local t = f:read("n")
      f:close()
      return t
    end
  end
end

-- Runs the fernws command as a user runs it (`lua5.4 bin/fernws ARGS`, at most 60 s; LUA_PATH and
-- LUA_CPATH inherited); returns stdout, stderr and the exit code.
function helper.cli(...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = helper.q(a) end
  local errfile = os.tmpname()
  local p = assert(io.popen("timeout 60 lua5.4 " .. helper.q(helper.root .. "/bin/fernws") .. " " ..
                            table.concat(args, " ") .. " 2>" .. errfile))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(errfile))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  return out, err, code
end

-- Runs a shell command (LD_PRELOAD unset); returns ok, combined output.
function helper.sh(cmd)
  local p = assert(io.popen("env -u LD_PRELOAD /bin/sh -c " .. helper.q("{ " .. cmd .. "; } 2>&1")))
  local out = p:read("a")
  local ok = p:close()
  return ok == true, out
end

-- Lets the loop run for about s seconds (a sleeping task keeps it busy when nothing else does).
function helper.nap(s)
  local fernws = helper.fernws
  if fernws.active() == 0 then fernws.spawn(function() fernws.sleep(s) end) end
  fernws.run(s)
end

-- Runs the loop until pred() is true (returns its value) or secs pass (returns false).
function helper.wait_until(pred, secs)
  local deadline = helper.now() + (secs or 5)
  while true do
    local v = pred()
    if v then return v end
    if helper.now() > deadline then return false end
    helper.nap(0.005)
  end
end

local Proc = {}
Proc.__index = Proc

helper.procs = {}

-- Starts a child process whose stdout (JSON lines) goes to a file read as it grows; returns it once
-- its first line (decoded) is there. argv: a shell-quoted command line. It dies with a 300 s cap
-- whatever happens (coreutils timeout), and by helper.kill_all / proc:kill before that.
function helper.spawn_proc(cmdline, secs)
  local out, err = os.tmpname(), os.tmpname()
  local p = assert(io.popen("echo $$; exec env -u LD_PRELOAD timeout 300 " .. cmdline .. " >" .. helper.q(out) ..
    " 2>" .. helper.q(err)))
  local pid = tonumber(p:read("l"))
  local proc = setmetatable({ pipe = p, pid = pid, out = out, err = err, pos = 0, partial = "", events = {} }, Proc)
  helper.procs[#helper.procs + 1] = proc
  local first = proc:wait(function() return true end, secs or 15)
  if not first then
    local e = proc:stderr()
    proc:kill()
    error("child process did not start: " .. cmdline .. "\n" .. e, 2)
  end
  return proc, first
end

function Proc:stderr()
  local f = io.open(self.err, "r")
  local s = f and f:read("a") or ""
  if f then f:close() end
  return s
end

-- Reads the lines printed since the last call into self.events.
function Proc:read()
  local f = io.open(self.out, "r")
  if not f then return end
  f:seek("set", self.pos)
  local chunk = f:read("a") or ""
  self.pos = f:seek()
  f:close()
  local text = self.partial .. chunk
  local start = 1
  while true do
    local nl = text:find("\n", start, true)
    if not nl then break end
    local line = text:sub(start, nl - 1)
    local ok, ev = pcall(cjson.decode, line)
    self.events[#self.events + 1] = ok and ev or { line = line }
    start = nl + 1
  end
  self.partial = text:sub(start)
end

-- The first event (in order) for which pred(ev) is true, or nil.
function Proc:find(pred)
  self:read()
  for _, ev in ipairs(self.events) do
    if pred(ev) then return ev end
  end
end

-- Every event for which pred(ev) is true.
function Proc:all(pred)
  self:read()
  local r = {}
  for _, ev in ipairs(self.events) do
    if pred(ev) then r[#r + 1] = ev end
  end
  return r
end

-- Runs the loop until an event matches pred (returned), or secs pass (nil).
function Proc:wait(pred, secs)
  local found
  helper.wait_until(function()
    found = self:find(pred)
    return found ~= nil
  end, secs or 10)
  return found
end

function Proc:alive()
  local f = io.open("/proc/" .. self.pid .. "/stat", "r")
  if not f then return false end
  local st = f:read("a")
  f:close()
  return not st:match("^%d+ %b() Z")
end

-- Ends the process: the signal (TERM by default; KILL for a crash) goes to its process group,
-- which coreutils timeout made its own (timeout and the command under it); then it is reaped and
-- its files removed. Idempotent.
function Proc:kill(sig)
  if self.dead then return end
  self.dead = true
  os.execute("kill -" .. (sig or "TERM") .. " -" .. self.pid .. " 2>/dev/null") -- the group
  local deadline = helper.now() + 3
  while self:alive() and helper.now() < deadline do os.execute("sleep 0.01") end
  if self:alive() then os.execute("kill -KILL -" .. self.pid .. " 2>/dev/null") end
  deadline = helper.now() + 2
  while self:alive() and helper.now() < deadline do os.execute("sleep 0.01") end
  if not self:alive() then self.pipe:close() end -- reaps it (never waits on a live one)
  self:read()
  os.remove(self.out)
  os.remove(self.err)
end

-- Every process started by the helpers: killed (for after_each / teardown, in case a test failed
-- before its own finally ran).
function helper.kill_all()
  for _, p in ipairs(helper.procs) do p:kill() end
  helper.procs = {}
end

-- ws_peer.py in server mode with these options (a list of strings); returns the process, with
-- .port and .url ("ws://127.0.0.1:PORT", or wss with --cert).
function helper.peer(args)
  local parts = { helper.python, helper.q(helper.peer_script), "server" }
  local tls = false
  for _, a in ipairs(args or {}) do
    parts[#parts + 1] = helper.q(a)
    if a == "--cert" then tls = true end
  end
  local host = "127.0.0.1"
  for i, a in ipairs(args or {}) do
    if a == "--host" then host = args[i + 1] end
  end
  local proc, first = helper.spawn_proc(table.concat(parts, " "))
  proc.port = assert(math.tointeger(first.port), "peer did not say its port")
  proc.host = host
  local h = host:find(":") and "[" .. host .. "]" or host
  proc.url = (tls and "wss://" or "ws://") .. h .. ":" .. proc.port
  return proc
end

-- The connect events the peer printed.
function Proc:connects()
  return self:all(function(ev) return ev.event == "connect" end)
end

-- A local TCP socket that listens and never accepts, its backlog filled: connecting to it hangs.
function helper.stuck_listener()
  local code = table.concat({
    "import socket, json, sys, time",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "port = s.getsockname()[1]; fill = []",
    "for i in range(8):",
    "    c = socket.socket(); c.setblocking(False)",
    "    try: c.connect(('127.0.0.1', port))",
    "    except OSError: pass",
    "    fill.append(c)",
    "time.sleep(0.2)",
    "print(json.dumps({'port': port}), flush=True)",
    "time.sleep(300)",
  }, "\n")
  local proc, first = helper.spawn_proc(helper.python .. " -c " .. helper.q(code))
  proc.port = math.tointeger(first.port)
  proc.url = "ws://127.0.0.1:" .. proc.port
  return proc
end

-- Runs a Lua chunk in a child lua5.4 (same LUA_PATH/CPATH and, under ASan, the same preload) with
-- extra environment variables; returns ok, output (stdout and stderr).
function helper.lua_child(env, chunk)
  local vars = {}
  for k, v in pairs(env or {}) do vars[#vars + 1] = k .. "=" .. helper.q(v) end
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(chunk)
  f:close()
  local p = assert(io.popen("env " .. table.concat(vars, " ") .. " lua5.4 " .. helper.q(file) .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(file)
  return ok == true, out
end

-- Decodes a query string into a list of {key, value} pairs (percent-decoded, in order).
function helper.query_pairs(q)
  local function dec(s)
    return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
  end
  local r = {}
  for part in (q or ""):gmatch("[^&]+") do
    local k, v = part:match("^([^=]*)=?(.*)$")
    r[#r + 1] = { dec(k), dec(v) }
  end
  return r
end

-- Records every event of a connection: r.opens, r.errors (error objects), r.closes ({code, reason}),
-- r.msgs ({value, id, variant}, through subscribe "*"), r.binaries, r.reconnects ({attempt, delay,
-- code}), r.dropped ({raw, binary}), r.pongs, r.after_close (callbacks run after conn:close returned,
-- once r.closed_by_me is set).
function helper.record(conn)
  local r = { opens = 0, errors = {}, closes = {}, msgs = {}, binaries = {}, reconnects = {}, dropped = {},
              pongs = 0, after_close = 0 }
  local function seen()
    if r.closed_by_me then r.after_close = r.after_close + 1 end
  end
  conn:on("open", function() seen(); r.opens = r.opens + 1 end)
  conn:on("error", function(e) seen(); r.errors[#r.errors + 1] = e end)
  conn:on("close", function(code, reason) seen(); r.closes[#r.closes + 1] = { code = code, reason = reason } end)
  conn:on("binary", function(b) seen(); r.binaries[#r.binaries + 1] = b end)
  conn:on("reconnect", function(a, d, c)
    seen(); r.reconnects[#r.reconnects + 1] = { attempt = a, delay = d, code = c }
  end)
  conn:on("dropped", function(raw, bin) seen(); r.dropped[#r.dropped + 1] = { raw = raw, binary = bin } end)
  conn:on("pong", function() seen(); r.pongs = r.pongs + 1 end)
  conn:subscribe("*", function(v, info)
    seen(); r.msgs[#r.msgs + 1] = { value = v, id = info.id, variant = info.variant }
  end)
  return r
end

-- Closes a connection and marks its record, so that any later callback is counted.
function helper.close(conn, r, code, reason)
  conn:close(code, reason)
  if r then r.closed_by_me = true end
end

-- channel:connect(opts), then the loop runs until it is open (or ended); returns conn, record.
-- Raises when connect returns nil or the connection does not open within secs.
function helper.open(ch, opts, secs)
  local conn = assert(ch:connect(opts))
  local r = helper.record(conn)
  helper.wait_until(function() return r.opens > 0 or #r.closes > 0 end, secs or 10)
  if r.opens == 0 then
    conn:close()
    local e = r.errors[1]
    error("connection did not open: " .. (e and tostring(e) or conn.state), 2)
  end
  return conn, r
end

return helper
