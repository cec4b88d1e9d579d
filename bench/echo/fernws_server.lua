-- The fernws server of the echo benchmark: every EchoRequest (decoded and validated in C, given
-- to the Lua callback) is answered with an EchoReply of the same fields (validated and encoded in C).
--   lua5.4 fernws_server.lua [PORT]
-- Prints "port N" once it listens, then serves until SIGTERM.
local fernws = require "fernws"

local here = arg[0]:match("^(.*)/[^/]+$") or "."
local api = assert(fernws.load(here .. "/echo.yml"))
local echo = api:channel("echo")
local srv = assert(echo:serve { host = "127.0.0.1", port = tonumber(arg[1] or 0) })

srv:subscribe("echo", function(msg, info, peer)
  peer:publish("echoed", msg)
end)

io.stdout:write("port ", srv.port, "\n")
io.stdout:flush()
fernws.run()
