---@meta fernws
-- LuaLS annotations of fernws itself (hand-kept; spec/types_spec.lua checks them against the
-- module). Put this folder in `workspace.library` of .luarc.json; `fernws types PATH` writes the
-- classes of one definition (its types, and per channel the message ids and their bodies).

---fernws.null: JSON null (the same light userdata as cjson.null).
---@alias fernws.Null lightuserdata

---@class fernws
---The version of the module, e.g. "0.1.0".
---@field VERSION string
---The same as VERSION (kept for older scripts).
---@field version string
---JSON null, the same value as cjson.null.
---@field null fernws.Null
---The metatable that marks a table as a JSON array, even when empty.
---@field array_mt table
---Called with each error raised in a callback or task, as text with its traceback (default: printed).
---@field on_error fun(err: string)
local fernws = {}

---Loads a definition folder (api.yml and every *.yml below it) or one channel file.
---@param path string
---@param opts? {lenient?: boolean}
---@return fernws.Api? api
---@return string? message every error as file:line:column: message
---@return fernws.Diag[]? errors with `warnings` and `more` (errors not listed)
function fernws.load(path, opts) end

---Runs the loop until nothing is left, `seconds` pass, or fernws.stop().
---@param seconds? number
function fernws.run(seconds) end

---Does the work that is ready, within about `ms` milliseconds; never blocks. For hosts' frames.
---@param ms? number
---@return integer callbacks how many callbacks ran
function fernws.poll(ms) end

---For hosts that own the loop (luv, cqueues, epoll): a descriptor that becomes readable when
---fernws has work. Also callable as fernws:pollfd(), so cqueues.poll(fernws) works.
---@return integer? fd
---@return string? err
function fernws.pollfd() end

---The events to wait for on fernws.pollfd(): always "r".
---@return "r"
function fernws.events() end

---Seconds until fernws must be stepped even if its descriptor stays quiet: 0 when work is ready,
---nil when nothing is scheduled.
---@return number?
function fernws.timeout() end

---Waits up to `timeout` seconds (default 0: not at all) for work, then does what is ready within
---about `ms` milliseconds (default 2), like poll. What is left keeps the descriptor readable.
---@param timeout? number
---@param ms? number
---@return integer callbacks how many callbacks ran
function fernws.step(timeout, ms) end

---Makes a running fernws.run return.
function fernws.stop() end

---How many connections, servers and timers keep the loop alive.
---@return integer
function fernws.active() end

---Runs fn as a task (until it first waits): inside it connect waits for open, receive and sleep wait.
---@param fn fun(...)
---@param ... any
---@return thread
function fernws.spawn(fn, ...) end

---In a task: waits `seconds`.
---@param seconds number
function fernws.sleep(seconds) end

---A monotonic clock, in seconds.
---@return number
function fernws.now() end

---Serves a channel that plays its examples.
---@param channel fernws.Channel
---@param opts? fernws.MockOptions
---@return fernws.Server? server
---@return string? err
function fernws.mock(channel, opts) end

---@class fernws.MockOptions
---@field host? string
---@field port? integer
---@field base? string
---Where to log what happens: a file, a function(line), or nil for nothing.
---@field log? file*|fun(line: string)
---@field on_error? fun(message: string)

---A problem of a definition, with its place.
---@class fernws.Diag
---@field file string
---@field line integer
---@field column integer
---@field message string

---One failing field of a value.
---@class fernws.ValueError
---Where, Lua-style: `tools[2].name`, `meta["x-y"]`.
---@field path string
---@field expected string
---@field got string
---@field message string

---What a decoded message was: its id and the union member (or type) it decoded as. Shared: read only.
---@class fernws.Info
---@field id string?
---@field variant string?

---@class fernws.DecodeOptions
---Refuse properties the type does not declare.
---@field strict? boolean
---@field origin? "client"|"server"
---@field max_depth? integer
---@field max_size? integer

---@class fernws.AuthScheme
---@field name string
---@field kind "bearer"|"basic"|"header"|"oauth"|"inferred"
---@field header? string
---@field prefix? string
---@field option? string
---@field env? string
---@field username_env? string
---@field password_env? string
---@field docs? string

---A header, query or path parameter.
---@class fernws.Param
---@field name string
---@field type fernws.Type
---@field docs? string
---@field default? any
---@field option? string
---@field env? string
---@field required boolean
---@field allow_multiple boolean
---@field deprecated? boolean

---A loaded definition.
---@class fernws.Api
---@field name string
---@field display_name? string
---@field docs? string
---@field root string
---@field default_environment? string
---@field default_url? string
---@field base_path? string
---@field warnings fernws.Diag[]
---Environment name -> URL, or -> {url id -> URL} for multi-URL environments.
---@field environments table<string, string|table<string, string>>
---@field auth fernws.AuthScheme[]
---@field headers fernws.Param[]
local Api = {}

---The names of the channels.
---@return string[]
function Api:channels() end

---The channel of that name (raises listing the known ones).
---@param name string
---@return fernws.Channel
function Api:channel(name) end

---The names of the declared types.
---@return string[]
function Api:types() end

---The type of that name (a full name such as "empathic-voice.SessionSettings", or a unique short one).
---@param name string
---@return fernws.Type
function Api:type(name) end

---Validates a value against a named type.
---@param name string
---@param value any
---@return boolean ok
---@return fernws.ValueError[]? errors
function Api:check(name, value) end

---A value of a named type as validated JSON; raises listing every failing field.
---@param name string
---@param value any
---@return string
function Api:encode(name, value) end

---Decodes JSON text as a named type.
---@param name string
---@param text string
---@param opts? fernws.DecodeOptions
---@return any value nil on failure
---@return fernws.Info|string info_or_err
---@return fernws.ValueError[]? errors
function Api:decode(name, text, opts) end

---A message a channel declares.
---@class fernws.Message
---@field id string
---@field origin "client"|"server"
---@field type fernws.Type
---@field docs? string
---@field display_name? string
---@field method_name? string

---An example of a channel: a script of messages.
---@class fernws.Example
---@field name? string
---@field docs? string
---@field path? table
---@field query? table
---@field headers? table
---@field messages {id: string, origin: "client"|"server", body: any, line: integer}[]
---@field file string
---@field line integer
---@field column integer

---A channel of a definition.
---@class fernws.Channel
---@field name string
---@field path string
---@field url? string
---@field auth boolean
---@field docs? string
---@field display_name? string
---@field file string
---@field api fernws.Api
---@field messages table<string, fernws.Message>
---@field query fernws.Param[]
---@field path_params fernws.Param[]
---@field headers fernws.Param[]
---@field examples fernws.Example[]
---@field auth_message? {id: string, token_path: string}
local Channel = {}

---Validates a message body.
---@param id string
---@param value any
---@return boolean ok
---@return fernws.ValueError[]? errors
function Channel:check(id, value) end

---A message body as validated JSON; raises listing every failing field.
---@param id string
---@param value any
---@return string
function Channel:encode(id, value) end

---Which message a text is (a server message unless told "client"), decoded.
---@param text string
---@param opts? fernws.DecodeOptions|"client"|"server"
---@return string? id nil on failure
---@return any value_or_err
---@return fernws.Info|fernws.ValueError[] info_or_errors
function Channel:decode(text, opts) end

---Opens a connection (in a task: waits until it is open, or returns nil, err).
---@param opts? fernws.ConnectOptions
---@return fernws.Connection? conn
---@return string? err
function Channel:connect(opts) end

---Serves the channel.
---@param opts? fernws.ServeOptions
---@return fernws.Server? server
---@return string? err
function Channel:serve(opts) end

---The URL of the channel in an environment (placeholders kept), and that environment's name.
---@param environment? string
---@return string url
---@return string environment
function Channel:endpoint(environment) end

---The URL in every environment.
---@return {environment: string, url?: string, error?: string, default?: boolean}[]
function Channel:endpoints() end

---@class fernws.ConnectOptions
---An environment of api.yml (default: the default one).
---@field environment? string
---A base URL in place of the environment's; the channel path is appended.
---@field url? string
---The {param}s of the channel path.
---@field path? table<string, any>
---The query parameters the channel declares (typed).
---@field query? table<string, any>
---Query parameters the definition does not declare.
---@field extra_query? table<string, any>
---@field headers? table<string, any>
---The credential, as the api.yml auth scheme needs it.
---@field auth? {token?: string, username?: string, password?: string}|string
---@field tls? {ca_file?: string, verify?: boolean}
---@field reconnect? integer|boolean|{attempts?: integer, min_delay?: number, max_delay?: number, factor?: number, jitter?: number}
---Publish while not open: held (up to this many, or 1000 for true), then sent or reported dropped.
---@field queue? integer|boolean
---@field ping_interval? number
---@field ping_timeout? number
---@field connect_timeout? number
---@field max_message_size? integer
---Seconds a message may take to arrive whole (60); false: no limit.
---@field message_timeout? number|false
---Bytes queued while open before publish drops (16 MiB).
---@field queue_bytes? integer
---Redirects followed per attempt (0: none), to the same origin unless cross_origin.
---@field follow_redirects? integer|{max?: integer, cross_origin?: boolean}
---@field strict? boolean
---@field subprotocol? string

---@class fernws.ServeOptions
---@field host? string
---@field port? integer
---@field tls? {cert: string, key: string}
---@field max_message_size? integer
---@field ping_interval? number
---@field ping_timeout? number
---@field queue? integer
---Bytes queued per peer (16 MiB), and for all peers together (256 MiB).
---@field queue_bytes? integer
---@field queue_total? integer
---Peers at once (10000); more upgrades get 503.
---@field max_peers? integer
---Seconds a new socket has to send its whole upgrade request (10).
---@field handshake_timeout? number
---Bytes of all peers' unfinished messages (256 MiB).
---@field assembly_total? integer
---@field message_timeout? number|false
---A path prefix in front of the channel path, or a list of them.
---@field base? string|string[]
---@field strict? boolean
---false: do not answer with the first offered subprotocol.
---@field subprotocol? boolean

---An error event, or what connect/receive return as err.
---@class fernws.Error
---@field kind "network"|"tls"|"handshake"|"redirect"|"protocol"|"limit"|"decode"|string
---@field message string
---The HTTP status of a refused handshake or a redirect.
---@field status? integer
---A refused handshake's body (printable, at most 300 bytes).
---@field body? string
---A redirect's Location, without its query.
---@field location? string
---The text of a frame that is no message of the channel.
---@field raw? string
---@field errors? fernws.ValueError[]

---A connection (a client's, or a server's peer).
---@class fernws.Connection
---@field state "resolving"|"connecting"|"open"|"closing"|"waiting"|"closed"
---@field channel fernws.Channel
---The URL without its query.
---@field url string
---@field peer? string
---@field queued integer
---@field subprotocol? string
local Connection = {}

---Sends a message, validated in C; raises with the path of each failing field. Returns true, or
---nil and why when the queue is full or the message was dropped.
---@param id string
---@param body any
---@return true? ok
---@return string? err
function Connection:publish(id, body) end

---Sends a binary frame.
---@param bytes string
---@return true? ok
---@return string? err
function Connection:send_binary(bytes) end

---Sends a text frame as it is (not checked).
---@param text string
---@return true? ok
---@return string? err
function Connection:send_text(text) end

---Calls fn with each received message of that id ("*": every message); nil removes it.
---@param id string
---@param fn? fun(value: any, info: fernws.Info, conn: fernws.Connection)
---@return self
function Connection:subscribe(id, fn) end

---Sets the handler of an event (nil removes it).
---@param event "open"|"close"|"error"|"reconnect"|"dropped"|"binary"|"pong"
---@param fn? function
---@return self
---@overload fun(self: fernws.Connection, event: "open", fn: (fun(conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "close", fn: (fun(code: integer, reason: string, conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "error", fn: (fun(err: fernws.Error, conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "reconnect", fn: (fun(attempt: integer, delay: number, code: integer?, conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "dropped", fn: (fun(raw: string, binary: boolean, conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "binary", fn: (fun(bytes: string, conn: fernws.Connection))?): fernws.Connection
---@overload fun(self: fernws.Connection, event: "pong", fn: (fun(conn: fernws.Connection))?): fernws.Connection
function Connection:on(event, fn) end

---In a task: the next message of that id (or any), waiting up to timeout seconds.
---@param id? string
---@param timeout? number
---@return any value nil on timeout or close
---@return fernws.Info|string info_or_err
function Connection:receive(id, timeout) end

---Closes; no callback runs after it returns.
---@param code? integer
---@param reason? string
function Connection:close(code, reason) end

---What a server's connect handler is told of a handshake.
---@class fernws.Request
---@field path table<string, any>
---@field query table<string, any>
---@field headers table<string, any>
---The raw request target.
---@field target string

---A server of a channel.
---@class fernws.Server
---@field port? integer
---@field url? string
---@field channel fernws.Channel
---@field closed boolean
local Server = {}

---Sets the handler of an event (the peer comes last, or first for connect).
---@param event "connect"|"open"|"close"|"error"|"dropped"|"binary"|"pong"|"refused"
---@param fn? function
---@return self
---@overload fun(self: fernws.Server, event: "connect", fn: (fun(peer: fernws.Connection, req: fernws.Request): (boolean?, integer?, string?))?): fernws.Server
function Server:on(event, fn) end

---Calls fn with each message of that id any peer sends ("*": every message).
---@param id string
---@param fn? fun(value: any, info: fernws.Info, peer: fernws.Connection)
---@return self
function Server:subscribe(id, fn) end

---Sends a message to every open peer; returns how many took it.
---@param id string
---@param body any
---@return integer
function Server:publish(id, body) end

---The open peers.
---@return fernws.Connection[]
function Server:peers() end

---Stops listening and closes every peer.
function Server:close() end

---A type of the definition (read only). Which fields it has depends on its kind.
---@class fernws.Type
---@field kind "primitive"|"list"|"set"|"map"|"optional"|"nullable"|"literal"|"alias"|"object"|"enum"|"union"|"undiscriminated_union"|"unknown"
---@field name? string
---@field short_name? string
---@field docs? string
---@field file string
---@field line integer
---primitive: "string", "integer", "long", "uint", "uint64", "float", "double", "boolean", "datetime", "date", "uuid", "base64", "bigint"
---@field primitive? string
---list, set, optional, nullable: the element type.
---@field element? fernws.Type
---map: the key type; literal: its value; map: the value type.
---@field key? fernws.Type
---@field value? fernws.Type|string|boolean
---alias: what it names.
---@field target? fernws.Type
---@field properties? {name: string, type: fernws.Type, docs?: string, required: boolean, default?: any, declared_by?: string}[]
---@field extends? fernws.Type[]
---@field extra_properties? boolean
---@field values? {value: string, name?: string, docs?: string}[]
---@field default? string
---@field discriminant? string
---@field variants? {value: string, type?: fernws.Type, key?: string, docs?: string, flattened: boolean}[]
---@field base_properties? {name: string, type: fernws.Type, docs?: string, required: boolean}[]
---@field members? {type: fernws.Type, docs?: string, display_name?: string}[]
---@field rules? {min_length?: integer, max_length?: integer, min_items?: integer, max_items?: integer, min?: number, max?: number, exclusive_min?: boolean, exclusive_max?: boolean, multiple_of?: number, pattern?: string, format?: string}
---@field examples? any

return fernws
