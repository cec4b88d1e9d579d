-- The fernws command: check and describe a Fern Definition's WebSocket channels (and serve a mock).
local fernws = require "fernws"
local describe = require "fernws.describe"

local cli = {}

local USAGE = [[
usage: fernws <command> [arguments]

commands:
  check PATH [--lenient]          load the definition; print every error as file:line:column
                                  and exit 1 if there is one (warnings are printed either way);
                                  problems of examples and docs are errors here, warnings for
                                  fernws.load; --lenient makes them (and path problems) warnings
  describe PATH [CHANNEL] [--depth N]
                                  a reference of each channel: Handshake, Send, Receive;
                                  enum values listed, nested types shown N levels deep (1)
  mock PATH CHANNEL [--port N] [--host H] [--base PATH] [--seed N]
                                  serve the channel at its endpoint paths, answering with its
                                  examples (or values generated from its types); mock --help
  connect PATH CHANNEL [--env E | --url U] [--path k=v] [--query k=v] [--header k=v]
          [--auth TOKEN] [--count N]
                                  a typed session: received messages printed, ID {json} or
                                  ID lua-table sent (validated); from a pipe, JSON lines
  types PATH [--out FILE] [--prefix P]
                                  LuaLS annotations (a ---@meta file) of the definition's
                                  types and channels, for editors
  help                            this text
  --version                       the version of fernws

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

local function count_errors(msg, errors)
  if type(errors) ~= "table" then return 0 end
  return #errors + not_shown(msg, errors)
end

-- Prints a failed load: warnings (when the binding hands them over), every error, and the count;
-- lenient_able: how many of them --lenient would turn into warnings.
local function report_failure(out, path, msg, errors, lenient_able)
  if type(errors) == "table" and #errors > 0 then
    if type(errors.warnings) == "table" then print_diags(out, errors.warnings, "warning: ") end
    print_diags(out, errors)
    local more = not_shown(msg, errors)
    if more > 0 then printf(out, "(%d more not shown)\n", more) end
    local n = #errors + more
    local hint = ""
    if lenient_able and lenient_able > 0 then
      hint = string.format(" (--lenient turns %s, about examples, documentation and path parameters, into " ..
        "warnings)", lenient_able == n and (n == 1 and "it" or "them") or (lenient_able .. " of them"))
    end
    printf(out, "%s: %d error%s%s\n", path, n, n == 1 and "" or "s", hint)
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
  -- strict: what fernws.load lets pass as warnings (problems of examples and docs) are errors here
  local api, msg, errors = fernws.load(path, { lenient = lenient, strict = true })
  if not api then
    local lenient_able
    if not lenient then
      local ok, lmsg, lerrors = fernws.load(path, { lenient = true, strict = true })
      lenient_able = count_errors(msg, errors) - (ok and 0 or count_errors(lmsg, lerrors))
    end
    report_failure(out, path, msg, errors, lenient_able)
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
  local path, name, depth
  local i = 1
  while args[i] do
    local a = args[i]
    if a == "--depth" then
      depth = math.tointeger(tonumber(args[i + 1] or ""))
      if not depth or depth < 0 then err:write("fernws describe: --depth needs a number (0 or more)\n", USAGE) return 2 end
      i = i + 2
    elseif a:sub(1, 2) ~= "--" and not path then path, i = a, i + 1
    elseif a:sub(1, 2) ~= "--" and not name then name, i = a, i + 1
    else err:write("fernws describe: unexpected argument '", a, "'\n", USAGE) return 2 end
  end
  if not path then err:write(USAGE) return 2 end
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
    out:write(describe.channel(api, api:channel(n), { depth = depth }))
  end
  return 0
end

local MOCK_USAGE = [[
usage: fernws mock PATH CHANNEL [--port N] [--host H] [--base PATH] [--seed N]

Serves CHANNEL of the definition at PATH on ws://H:N (127.0.0.1, a free port by default), at the
channel's path under each environment's base path (wss://api.deepgram.com/v1 -> /v1/speak) and at
its bare path; --base PATH serves under PATH instead of the environments' base paths. It plays the
channel's examples; a client message that no example answers gets a server message generated from
the definition's types (--seed N makes them repeatable; default 1). Every message and every refused
handshake is logged, credentials redacted. Ctrl-C closes the connections (1001) and exits 130.
]]

local MOCK_OPTIONS = { port = true, host = true, base = true, seed = true }

-- Reads the options of `fernws mock`: the positional arguments and the options, or nil and a
-- one-line message.
local function mock_args(args)
  local pos, opts = {}, { port = 0, host = "127.0.0.1", seed = 1 }
  local i = 1
  while args[i] do
    local a = args[i]
    if a:sub(1, 2) == "--" then
      local name, value = a:match("^%-%-([%w-]+)=(.*)$")
      name = name or a:sub(3)
      if not MOCK_OPTIONS[name] then return nil, "unknown option '" .. a .. "' (fernws mock --help lists them)" end
      if value == nil then
        i = i + 1
        value = args[i]
      end
      if value == nil then return nil, "--" .. name .. " needs a value" end
      if name == "port" then
        local n = value:match("^%d+$") and math.tointeger(tonumber(value))
        if not n or n > 65535 then return nil, "--port needs a number from 0 to 65535, not '" .. value .. "'" end
        opts.port = n
      elseif name == "seed" then
        local n = value:match("^%-?%d+$") and math.tointeger(tonumber(value))
        if not n then return nil, "--seed needs an integer, not '" .. value .. "'" end
        opts.seed = n
      elseif name == "host" then
        if value == "" then return nil, "--host needs an address, such as 127.0.0.1 or ::1" end
        opts.host = value
      else
        if value:sub(1, 1) ~= "/" then return nil, "--base needs a path that starts with '/', not '" .. value .. "'" end
        opts.base = value
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  if #pos < 2 then return nil, "needs PATH and CHANNEL (fernws mock --help)" end
  if #pos > 2 then return nil, "unexpected argument '" .. pos[3] .. "'" end
  opts.path, opts.channel = pos[1], pos[2]
  return opts
end

function cli.mock(args, out, err)
  for _, a in ipairs(args) do
    if a == "--help" or a == "-h" then
      out:write(MOCK_USAGE)
      return 0
    end
  end
  local opts, why = mock_args(args)
  if not opts then
    err:write("fernws mock: ", why, "\n")
    return 2
  end
  local api, msg, errors = fernws.load(opts.path)
  if not api then
    report_failure(err, opts.path, msg, errors)
    return 1
  end
  -- what the load let pass (examples naming no message, ...) is said, not hidden
  print_diags(out, api.warnings, "warning: ")
  local names = api:channels()
  local known = false
  for _, n in ipairs(names) do known = known or n == opts.channel end
  if not known then
    err:write("fernws mock: no channel '", opts.channel, "' in ", opts.path, " (channels: ",
      #names > 0 and table.concat(names, ", ") or "none", ")\n")
    return 2
  end
  local channel = api:channel(opts.channel)
  local mock = require "fernws.mock"
  local bases = opts.base and { opts.base, "" } or mock.bases(channel)
  local srv, e = mock(channel, { host = opts.host, port = opts.port, base = bases, seed = opts.seed, log = out })
  if not srv then
    err:write("fernws mock: ", (tostring(e):gsub("\n.*", "")), "\n")
    return 2
  end
  local host = opts.host:find(":") and "[" .. opts.host .. "]" or opts.host
  for _, b in ipairs(bases) do
    printf(out, "mock of %s listening on ws://%s:%d%s%s\n", opts.channel, host, srv.port, b, channel.path)
  end
  out:flush()
  -- errors that reached fernws.on_error (a failing callback, an error nobody handled) fail the run
  local errors, _, stopped = fernws.run()
  if stopped == "interrupted" then
    out:write("mock: interrupted: closing every connection (1001)\n")
    srv:close()
    fernws.run(5) -- the close frames go out; it returns as soon as nothing is left
    out:flush()
    return 130
  end
  return errors > 0 and 1 or 0
end

function cli.connect(args, out, err)
  return require("fernws.connect").main(args, out, err)
end

function cli.types(args, out, err)
  local path, file, prefix
  local i = 1
  while args[i] do
    local a = args[i]
    if (a == "--out" or a == "--prefix") and args[i + 1] then
      if a == "--out" then file = args[i + 1] else prefix = args[i + 1] end
      i = i + 2
    elseif path == nil and a:sub(1, 2) ~= "--" then
      path, i = a, i + 1
    else
      err:write("fernws types: unexpected argument '", a, "'\n", USAGE)
      return 2
    end
  end
  if not path then err:write(USAGE) return 2 end
  local api = load(path, true, err)
  if not api then return 1 end
  local ok, text = pcall(require("fernws.types").generate, api, { prefix = prefix, source = path })
  if not ok then err:write(tostring(text), "\n") return 1 end
  if not file then
    out:write(text)
    return 0
  end
  local f, e = io.open(file, "w")
  if not f then err:write("fernws types: ", e, "\n") return 1 end
  f:write(text)
  f:close()
  return 0
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
  if cmd == "--version" or cmd == "version" then
    out:write("fernws ", fernws.VERSION, "\n")
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
