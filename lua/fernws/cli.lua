-- The fernws command: check and describe a Fern Definition's WebSocket channels (and serve a mock).
local fernws = require "fernws"
local describe = require "fernws.describe"

local cli = {}

local USAGE = [[
usage: fernws <command> [arguments]

commands:
  check PATH [--lenient]          load the definition; print every error as file:line:column
                                  and exit 1 if there is one (warnings are printed either way)
  describe PATH [CHANNEL]         a reference of each channel: Handshake, Send, Receive
  mock PATH CHANNEL [--port N] [--host H]
                                  serve the channel, answering with its examples
  help                            this text

PATH is a definition folder (api.yml and *.yml below it) or one channel file.
]]

local function printf(out, fmt, ...) out:write(string.format(fmt, ...)) end

-- file:line:column: message; a problem with no place in a file (a folder, an unreadable file) is
-- file: message, as the C side formats it.
local function print_diags(out, list, prefix)
  for _, d in ipairs(list) do
    if d.line and d.line > 0 then
      printf(out, "%s:%d:%d: %s%s\n", d.file, d.line, d.column, prefix or "", d.message)
    else
      printf(out, "%s: %s%s\n", d.file, prefix or "", d.message)
    end
  end
end

-- Errors past the limit are counted, not listed: the load message ends with "(N more not shown)".
local function not_shown(msg, errors)
  if type(errors) == "table" and math.type(errors.more) == "integer" then return errors.more end
  return tonumber(tostring(msg or ""):match("%((%d+) more not shown%)%s*$")) or 0
end

-- Prints a failed load: warnings (when the binding hands them over), every error, and the count.
local function report_failure(out, path, msg, errors)
  if type(errors) == "table" and #errors > 0 then
    if type(errors.warnings) == "table" then print_diags(out, errors.warnings, "warning: ") end
    print_diags(out, errors)
    local more = not_shown(msg, errors)
    if more > 0 then printf(out, "(%d more not shown)\n", more) end
    local n = #errors + more
    printf(out, "%s: %d error%s\n", path, n, n == 1 and "" or "s")
  else
    out:write(tostring(msg), "\n")
  end
end

local function load(path, lenient, err)
  local api, msg, errors = fernws.load(path, { lenient = lenient })
  if not api then
    report_failure(err, path, msg, errors)
    return nil, errors
  end
  return api
end

function cli.check(args, out, err)
  local path, lenient
  for _, a in ipairs(args) do -- the option may come before or after PATH
    if a == "--lenient" then lenient = true
    elseif path == nil and a:sub(1, 2) ~= "--" then path = a
    else err:write("fernws check: unexpected argument '", a, "'\n", USAGE) return 2 end
  end
  if not path then err:write(USAGE) return 2 end
  local api, msg, errors = fernws.load(path, { lenient = lenient })
  if not api then
    report_failure(out, path, msg, errors)
    return 1
  end
  print_diags(out, api.warnings, "warning: ")
  local types = #api:types()
  local channels = api:channels()
  local messages = 0
  for _, name in ipairs(channels) do
    for _ in pairs(api:channel(name).messages) do messages = messages + 1 end
  end
  printf(out, "%s: ok: api %s, %d channel%s (%d messages), %d types, %d warning%s\n", path, api.name,
    #channels, #channels == 1 and "" or "s", messages, types, #api.warnings, #api.warnings == 1 and "" or "s")
  return 0
end

function cli.describe(args, out, err)
  local path, name = args[1], args[2]
  if not path then err:write(USAGE) return 2 end
  if args[3] then err:write("fernws describe: unexpected argument '", args[3], "'\n", USAGE) return 2 end
  local api = load(path, true, err)
  if not api then return 1 end
  local names = api:channels()
  if name then
    local ok, e = pcall(api.channel, api, name)
    -- the binding's message names the known channels; drop a "file:line: " prefix if one came
    if not ok then err:write("fernws: ", (tostring(e):gsub("^[^%s:]+:%d+: ", "")), "\n") return 1 end
    names = { name }
  end
  if #names == 0 then out:write(api.name, ": no channels\n") return 0 end
  for i, n in ipairs(names) do
    if i > 1 then out:write("\n") end
    out:write(describe.channel(api, api:channel(n)))
  end
  return 0
end

function cli.mock(args, out, err)
  local path, name = args[1], args[2]
  if not (path and name) then err:write(USAGE) return 2 end
  local port, host = 0, "127.0.0.1"
  local i = 3
  while args[i] do
    if args[i] == "--port" then port = tonumber(args[i + 1]) i = i + 2
    elseif args[i] == "--host" then host = args[i + 1] i = i + 2
    else err:write("unknown option ", args[i], "\n") return 2 end
  end
  local api = load(path, true, err)
  if not api then return 1 end
  local mock = require "fernws.mock"
  local srv = mock(api:channel(name), { host = host, port = port, log = out })
  printf(out, "mock of %s listening on ws://%s:%d%s\n", name, host:find(":") and "[" .. host .. "]" or host,
    srv.port, api:channel(name).path)
  out:flush()
  -- errors that reached fernws.on_error (a failing callback, an error nobody handled) fail the run
  local errors = fernws.run()
  return errors > 0 and 1 or 0
end

function cli.main(argv, out, err)
  out, err = out or io.stdout, err or io.stderr
  local cmd = argv[1]
  local rest = { table.unpack(argv, 2) }
  if cmd == nil then
    err:write(USAGE)
    return 2
  end
  if cmd == "help" or cmd == "--help" or cmd == "-h" then
    out:write(USAGE)
    return 0
  end
  local f = cli[cmd]
  if type(f) ~= "function" or cmd == "main" then
    err:write("fernws: unknown command '", cmd, "'\n", USAGE)
    return 2
  end
  return f(rest, out, err)
end

return cli
