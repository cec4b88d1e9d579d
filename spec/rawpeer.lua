-- spec/peers/raw_peer.py from the specs: a hostile peer on raw sockets (frames and handshakes that
-- no library would send), as a server for fernws clients or a client for fernws servers.
local helper = require "helper"
local cjson = require "cjson"

local rawpeer = {}
rawpeer.script = helper.root .. "/spec/peers/raw_peer.py"

local function cmdline(mode, first, opts)
  local parts = { helper.python, helper.q(rawpeer.script), mode }
  if first then parts[#parts + 1] = helper.q(first) end
  for k, v in pairs(opts or {}) do
    if k == "script" then v = cjson.encode(v) end
    if k == "header" then
      for _, h in ipairs(v) do parts[#parts + 1] = "--header " .. helper.q(h) end
    elseif v == true then
      parts[#parts + 1] = "--" .. k:gsub("_", "-")
    else
      parts[#parts + 1] = "--" .. k:gsub("_", "-") .. " " .. helper.q(v)
    end
  end
  return table.concat(parts, " ")
end

-- A raw server: opts are raw_peer.py's options as keys (script = a Lua list of actions, encoded
-- here; true for flags). Returns the process with .port and .url.
function rawpeer.server(opts)
  local proc, first = helper.spawn_proc(cmdline("server", nil, opts))
  proc.port = assert(math.tointeger(first.port), "raw peer did not say its port")
  local host = opts and opts.host or "127.0.0.1"
  proc.url = "ws://" .. (host:find(":") and "[" .. host .. "]" or host) .. ":" .. proc.port
  return proc
end

-- A raw client of url; returns the process (its first event is the handshake response).
function rawpeer.client(url, opts)
  return (helper.spawn_proc(cmdline("client", url, opts)))
end

-- The frames a raw peer reported, of one opcode when given.
function rawpeer.frames(proc, op)
  return proc:all(function(ev) return ev.event == "frame" and (op == nil or ev.op == op) end)
end

-- Waits (running the loop) for the raw peer's close frame, or its EOF; returns the close frame or nil.
function rawpeer.wait_close(proc, secs)
  local ev = proc:wait(function(e) return (e.event == "frame" and e.op == 8) or e.event == "eof" end, secs or 10)
  if ev and ev.event == "frame" then return ev end
  return nil
end

return rawpeer
