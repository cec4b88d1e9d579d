-- A line editor for a terminal in raw mode, fed the bytes the terminal sends: the keys of
-- readline's emacs mode that matter for one-line commands, history, Tab completion, and printing
-- above the prompt without losing what is being typed (what lua-readline's binding cannot do:
-- it has no redisplay, so a message arriving mid-line would wipe the line).
local Editor = {}
Editor.__index = Editor

-- opts: prompt, write(text) (to the terminal), on_line(line), on_eof(), on_interrupt(),
-- complete(prefix) -> list of candidates, width() -> columns.
local function new(opts)
  return setmetatable({ prompt = opts.prompt or "> ", chars = {}, pos = 0, history = {}, hpos = nil,
                        pending = "", write = opts.write, on_line = opts.on_line, on_eof = opts.on_eof,
                        on_interrupt = opts.on_interrupt, complete = opts.complete,
                        width = opts.width or function() return 80 end, shown = false }, Editor)
end

function Editor:text() return table.concat(self.chars) end

-- No more input is taken (the session is ending) and the prompt is not drawn again.
function Editor:stop() self.stopped = true end

local function chars_of(s)
  local t = {}
  for c in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do t[#t + 1] = c end
  return t
end

-- Redraws the prompt and the line, scrolled so that the cursor is visible.
function Editor:redraw()
  local room = math.max(self.width() - #self.prompt - 1, 10)
  local first = 1
  if self.pos >= room then first = self.pos - room + 2 end
  local visible = table.concat(self.chars, "", first, math.min(#self.chars, first + room - 1))
  local back = math.min(#self.chars, first + room - 1) - self.pos
  self.write("\r" .. self.prompt .. visible .. "\27[K" .. (back > 0 and ("\27[" .. back .. "D") or ""))
  self.shown = true
end

-- Text printed above the prompt; the line being typed is drawn again below it.
function Editor:print(text)
  self.write("\r\27[K" .. text:gsub("\n?$", "\n"))
  if not self.stopped then self:redraw() end
end

function Editor:set(s)
  self.chars = chars_of(s)
  self.pos = #self.chars
end

function Editor:insert(s)
  for _, c in ipairs(chars_of(s)) do
    table.insert(self.chars, self.pos + 1, c)
    self.pos = self.pos + 1
  end
end

function Editor:history_move(d)
  if #self.history == 0 then return end
  if self.hpos == nil then
    if d > 0 then return end
    self.saved = self:text()
    self.hpos = #self.history + 1
  end
  local n = self.hpos + d
  if n < 1 then return end
  if n > #self.history then
    self.hpos = nil
    self:set(self.saved or "")
    return
  end
  self.hpos = n
  self:set(self.history[n])
end

function Editor:enter()
  local line = self:text()
  -- the whole line stays on the screen as typed (keys that came in one chunk were never drawn)
  self.write("\r" .. self.prompt .. line .. "\27[K\r\n")
  self.chars, self.pos, self.hpos = {}, 0, nil
  if line:match("%S") and self.history[#self.history] ~= line then self.history[#self.history + 1] = line end
  self.on_line(line)
end

function Editor:tab()
  if not self.complete or self.pos ~= #self.chars then return end
  local text = self:text()
  if text:find("%s") then return end -- only the first word: a message id or a command
  local cands = self.complete(text)
  if #cands == 0 then return end
  local common = cands[1]
  for i = 2, #cands do
    local c = cands[i]
    local n = 0
    while n < #common and n < #c and common:sub(n + 1, n + 1) == c:sub(n + 1, n + 1) do n = n + 1 end
    common = common:sub(1, n)
  end
  if #cands == 1 then
    self:set(cands[1] .. " ")
  elseif #common > #text then
    self:set(common)
  else
    self:print(table.concat(cands, "  "))
  end
end

local function word_start(chars, pos)
  local i = pos
  while i > 0 and chars[i]:match("^%s$") do i = i - 1 end
  while i > 0 and not chars[i]:match("^%s$") do i = i - 1 end
  return i
end

-- The key sequences: CSI / SS3 sequences by their final byte (and parameter).
local SEQ = {
  ["[A"] = "up", ["[B"] = "down", ["[C"] = "right", ["[D"] = "left", ["OA"] = "up", ["OB"] = "down",
  ["OC"] = "right", ["OD"] = "left", ["[H"] = "home", ["[F"] = "end", ["OH"] = "home", ["OF"] = "end",
  ["[1~"] = "home", ["[7~"] = "home", ["[4~"] = "end", ["[8~"] = "end", ["[3~"] = "delete",
}

function Editor:key(k)
  if k == "left" then self.pos = math.max(0, self.pos - 1)
  elseif k == "right" then self.pos = math.min(#self.chars, self.pos + 1)
  elseif k == "home" then self.pos = 0
  elseif k == "end" then self.pos = #self.chars
  elseif k == "up" then self:history_move(-1)
  elseif k == "down" then self:history_move(1)
  elseif k == "delete" then
    if self.pos < #self.chars then table.remove(self.chars, self.pos + 1) end
  end
end

-- Bytes from the terminal (any chunk: a sequence or a UTF-8 character may be split).
function Editor:feed(bytes)
  if self.stopped then return end
  local s = self.pending .. bytes
  self.pending = ""
  local i = 1
  while i <= #s do
    local b = s:byte(i)
    if b == 27 then
      local rest = s:sub(i + 1)
      if rest == "" or rest == "[" or rest == "O" or rest:match("^%[[%d;]*$") then
        self.pending = s:sub(i) -- an incomplete sequence: wait for the rest
        break
      end
      local seq = rest:match("^%[[%d;]*[%a~]") or rest:match("^O%a") or rest:sub(1, 1)
      if SEQ[seq] then self:key(SEQ[seq]) end
      i = i + 1 + #seq
    elseif b == 13 or b == 10 then
      self:enter()
      if self.stopped then return end
      if b == 13 and s:byte(i + 1) == 10 then i = i + 1 end
      i = i + 1
    elseif b == 127 or b == 8 then
      if self.pos > 0 then
        table.remove(self.chars, self.pos)
        self.pos = self.pos - 1
      end
      i = i + 1
    elseif b == 1 then self:key("home") i = i + 1
    elseif b == 5 then self:key("end") i = i + 1
    elseif b == 2 then self:key("left") i = i + 1
    elseif b == 6 then self:key("right") i = i + 1
    elseif b == 16 then self:key("up") i = i + 1
    elseif b == 14 then self:key("down") i = i + 1
    elseif b == 11 then
      for j = #self.chars, self.pos + 1, -1 do self.chars[j] = nil end
      i = i + 1
    elseif b == 21 then
      for _ = 1, self.pos do table.remove(self.chars, 1) end
      self.pos = 0
      i = i + 1
    elseif b == 23 then
      local ws = word_start(self.chars, self.pos)
      for _ = ws + 1, self.pos do table.remove(self.chars, ws + 1) end
      self.pos = ws
      i = i + 1
    elseif b == 12 then
      self.write("\27[H\27[2J")
      i = i + 1
    elseif b == 9 then
      self:tab()
      i = i + 1
    elseif b == 3 then
      if #self.chars > 0 then
        self.write("^C\r\n")
        self.chars, self.pos, self.hpos = {}, 0, nil
      elseif self.on_interrupt then
        self.write("\r\n")
        self.on_interrupt()
        return
      end
      i = i + 1
    elseif b == 4 then
      if #self.chars == 0 then
        self.write("\r\n")
        if self.on_eof then self.on_eof() end
        return
      end
      self:key("delete")
      i = i + 1
    elseif b < 32 then
      i = i + 1 -- other control keys: ignored
    else
      -- text up to the next control byte; an incomplete UTF-8 character at the end waits
      local j = i
      while j <= #s and s:byte(j) >= 32 and s:byte(j) ~= 127 do j = j + 1 end
      local text = s:sub(i, j - 1)
      if j > #s then
        local tail = text:match("[\194-\244][\128-\191]*$")
        if tail then
          local need = tail:byte(1) >= 240 and 4 or tail:byte(1) >= 224 and 3 or 2
          if #tail < need then
            self.pending = tail
            text = text:sub(1, #text - #tail)
          end
        end
      end
      self:insert(text)
      i = j
    end
  end
  self:redraw()
end

return { new = new }
