-- Runs one protocol conformance case (spec/wire/cases.lua) against fernws's net layer, as a server
-- or as a client, and judges what the raw peer saw: "pass", "non-strict" (the connection was
-- failed, but by dropping TCP without the close frame the protocol asks for, or later than it
-- could have been), or "fail", with the reason.
local helper = require "helper"
local rawpeer = require "rawpeer"

local run = {}

run.bin = (os.getenv("FWS_BUILD_DIR") or (helper.root .. "/build-test")) .. "/spec/c/fws_wire_peer"

local function hexof(s) return (s:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)) end

-- The raw peer's script: the case's frames, then whatever lets the answer come whole.
local function script_of(case)
  local s, e = {}, case.expect
  for _, a in ipairs(case.send) do s[#s + 1] = a end
  if e.fail_fast then
    s[#s + 1] = { until_close = 3 }
    s[#s + 1] = { mark = "later" }
    for _, a in ipairs(case.later or {}) do s[#s + 1] = a end
    s[#s + 1] = { until_close = 5 }
  elseif e.fail or e.reply ~= nil then
    if e.echo and #e.echo > 0 then s[#s + 1] = { ["until"] = { messages = #e.echo }, timeout = 10 } end
    s[#s + 1] = { until_close = 10 }
  else
    s[#s + 1] = { ["until"] = { messages = #(e.echo or {}), pongs = #(e.pongs or {}) }, timeout = 20 }
    s[#s + 1] = { frame = { op = 8, hex = "03e8" } }
    s[#s + 1] = { until_close = 10 }
  end
  return s
end

local function same_head(got, want)
  if want.data then return got.data == want.data end
  if want.hex then return (got.hex or (got.data and hexof(got.data))) == want.hex end
  return true
end

-- The verdict from the raw peer's events.
local function judge(case, events)
  local e = case.expect
  local msgs, pongs, close, eof, mark_at = {}, {}, nil, false, nil
  for i, ev in ipairs(events) do
    if ev.event == "message" then msgs[#msgs + 1] = ev
    elseif ev.event == "frame" and ev.op == 10 then pongs[#pongs + 1] = ev
    elseif ev.event == "frame" and ev.op == 8 and not close then close = ev; close.at = i
    elseif ev.event == "eof" then eof = true
    elseif ev.event == "mark" then mark_at = i end
  end
  local want_msgs = e.echo or {}
  if #msgs ~= #want_msgs then
    return "fail", ("%d message(s) came back, %d expected"):format(#msgs, #want_msgs)
  end
  for i, w in ipairs(want_msgs) do
    local g = msgs[i]
    if g.op ~= w.op or g.len ~= w.len or not same_head(g, w) then
      return "fail", ("message %d came back as op %s, %s bytes"):format(i, tostring(g.op), tostring(g.len))
    end
  end
  if e.pongs_last then
    local at = 0
    for i, g in ipairs(pongs) do
      local payload = g.data or ""
      local k
      for j = at + 1, #e.pongs_last do
        if e.pongs_last[j] == payload then k = j break end
      end
      if not k then return "fail", ("pong %d answers no later ping"):format(i) end
      at = k
    end
    if at ~= #e.pongs_last then return "fail", "no pong for the last ping" end
  end
  for i, p in ipairs(e.pongs or {}) do
    local g = pongs[i]
    if not g then return "fail", ("%d pong(s), %d expected"):format(#pongs, #e.pongs) end
    if (g.hex or (g.data and hexof(g.data)) or "") ~= hexof(p) then
      return "fail", ("pong %d carries another payload"):format(i)
    end
  end
  if e.fail then
    if not close then
      return eof and "non-strict" or "fail", eof and "the connection was dropped without a close frame" or "the connection was not failed"
    end
    if close.code ~= e.fail then return "fail", ("closed with %s, not %d"):format(tostring(close.code), e.fail) end
    if e.fail_fast and mark_at and close.at > mark_at then return "non-strict", "failed only after the rest came" end
    return "pass"
  end
  local want = e.reply
  if want == nil then want = 1000 end -- the raw peer's own close
  if not close then return eof and "non-strict" or "fail", "no close frame came back" end
  if want == false then
    if close.len ~= 0 then return "fail", "the answer to a close with no code carries one" end
  elseif close.code ~= want then
    return "fail", ("the close was answered with %s, not %d"):format(tostring(close.code), want)
  end
  return "pass"
end

-- side: "server" (fernws serves; the raw peer is its client) or "client".
function run.case(case, side)
  local script = script_of(case)
  local events
  if side == "server" then
    local cmd = helper.q(run.bin) .. " server" .. (case.max and (" " .. case.max) or "")
    local srv = helper.spawn_proc(cmd)
    local port = assert(math.tointeger(srv.events[1].port), "the wire peer did not say its port")
    local p = rawpeer.client("ws://127.0.0.1:" .. port .. "/", { script = script, linger = 2 })
    p:wait(function(ev) return ev.event == "done" end, 60)
    p:read()
    events = p.events
    p:kill()
    srv:kill()
  else
    local p = rawpeer.server { count = 1, linger = 2, script = script }
    local cmd = helper.q(run.bin) .. " client " .. helper.q(p.url .. "/") .. (case.max and (" " .. case.max) or "")
    local cli = helper.spawn_proc(cmd)
    -- the raw peer's end: its connection closed (eof) or it gave up
    p:wait(function(ev) return ev.event == "eof" or ev.event == "timeout" end, 60)
    helper.nap(0.05)
    p:read()
    events = p.events
    cli:kill()
    p:kill()
  end
  return judge(case, events)
end

return run
