#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_load (fuzz/corpus/fuzz_load/d-*.yml).

A seed is one channel file (single-file mode), or up to four files joined by lines "#---":
api.yml, sub/chat.yml, sub/__package__.yml, other.yml (folder mode; see fuzz_load.c).
Sources: small real files from ../shared/fixtures (when present), trimmed, and hand-written
definitions for the shapes and the errors the loader must report.
"""
import os, sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.environ.get("FWS_FIXTURES", os.path.join(here, "..", "..", "shared", "fixtures", "fern"))
out = os.path.join(here, "corpus", "fuzz_load")
os.makedirs(out, exist_ok=True)
SEP = "#---\n"

def write(name, *parts):
    text = SEP.join(p if p.endswith("\n") or not p else p + "\n" for p in parts)
    with open(os.path.join(out, "d-" + name + ".yml"), "w") as f:
        f.write(text)

def fx(path, limit=None):
    p = os.path.join(fixtures, path)
    if not os.path.exists(p):
        return None
    text = open(p).read()
    if limit and len(text) > limit:
        # cut at a line that starts a top-level key or a type, so the rest stays YAML
        lines, acc = text.splitlines(True), []
        for ln in lines:
            if sum(map(len, acc)) + len(ln) > limit and (not ln.startswith(" ") or ln.startswith("  ") and not ln.startswith("   ")):
                break
            acc.append(ln)
        text = "".join(acc)
    return text

real = [
    ("seed-chat", ["", "seed-chat/definition/chat.yml"]),
    ("ws", ["fern-websocket/definition/api.yml", "fern-websocket/definition/realtime.yml", "fern-websocket/definition/empty/empty-realtime.yml"]),
    ("ws-bearer", ["fern-websocket-bearer-auth/definition/api.yml", "fern-websocket-bearer-auth/definition/realtime.yml"]),
    ("ws-bearer-conv", ["fern-websocket-bearer-auth/definition/api.yml", "fern-websocket-bearer-auth/definition/conversations.yml"]),
    ("ws-inferred", ["fern-websocket-inferred-auth/definition/api.yml", "fern-websocket-inferred-auth/definition/realtime.yml"]),
    ("ws-multi-url", ["fern-websocket-multi-url/definition/api.yml", "fern-websocket-multi-url/definition/realtime.yml"]),
    ("ws-oauth", ["fern-websocket-oauth/definition/api.yml", "fern-websocket-oauth/definition/stream.yml"]),
    ("deepgram", ["deepgram/definition/api.yml", "deepgram/definition/speak.yml:full"]),
    ("hume-api-control", ["hume/definition/api.yml", "hume/definition/empathic-voice/controlPlane.yml"]),
    ("hume-tts", ["hume/definition/api.yml", "hume/definition/tts/streamInput.yml", "hume/definition/tts/__package__.yml"]),
    ("unions", ["", "fern-unions/definition/types.yml"]),
    ("elevenlabs", ["elevenlabs/definition/api.yml", "elevenlabs/definition/v1TextToSpeechVoiceIdStreamInput.yml",
                    "elevenlabs/definition/__package__.yml"]),
    ("assemblyai", ["assemblyai/definition/api.yml", "assemblyai/definition/realtime.yml"]),
]
for name, files in real:
    parts = [(fx(f[:-5]) if f.endswith(":full") else fx(f, 4000)) if f else "" for f in files]
    if any(p is None for p in parts):
        print("skipped (no fixtures):", name, file=sys.stderr)
        continue
    if name in ("seed-chat", "unions"):
        write(name, parts[1])          # one file: single-file mode
    else:
        write(name, *parts)

# ---- hand-written: the hume layout in small (api.yml, a channel, a package with imports) ----
HUME_API = """name: api
default-environment: prod
default-url: Base
environments:
  prod:
    urls:
      Base: https://api.hume.ai/
      evi: wss://api.hume.ai/v0/evi
auth: HeaderAuthScheme
auth-schemes:
  HeaderAuthScheme:
    header: X-Hume-Api-Key
    type: optional<string>
    name: apiKey
"""
HUME_CHAT = """imports:
  root: __package__.yml
channel:
  path: /chat
  url: evi
  auth: false
  query-parameters:
    config_version: optional<integer>
    verbose_transcription:
      type: optional<boolean>
      default: false
    session_settings: root.ConnectSessionSettings
  messages:
    publish:
      origin: client
      body: PublishEvent
    subscribe:
      origin: server
      body: root.SubscribeEvent
  examples:
    - messages:
        - type: publish
          body:
            type: user_input
            text: hi
types:
  PublishEvent:
    discriminated: false
    union:
      - type: root.UserInput
      - type: root.SessionSettings
"""
HUME_PKG = """types:
  ConnectSessionSettings:
    properties:
      system_prompt: optional<string>
  SubscribeEvent:
    discriminated: false
    union:
      - type: AssistantEnd
      - type: AssistantMessage
      - type: ToolCallMessage
  AssistantEnd:
    properties:
      custom_session_id: optional<string>
      type: literal<"assistant_end">
  AssistantMessage:
    properties:
      from_text: boolean
      message: ChatMessage
      models: Inference
      type: literal<"assistant_message">
  ChatMessage:
    properties:
      content: optional<string>
      role: Role
  Role:
    enum:
      - assistant
      - user
      - name: ToolRole
        value: tool
  Inference:
    properties:
      prosody: optional<map<string, double>>
  ToolCallMessage:
    properties:
      name: string
      parameters: string
      type: optional<literal<"tool_call">>
  UserInput:
    properties:
      text:
        type: string
        validation:
          minLength: 1
          maxLength: 5000
      type: literal<"user_input">
  SessionSettings:
    properties:
      type: literal<"session_settings">
      variables: optional<map<string, Variable>>
      tools: optional<list<Tool>>
      audio: optional<AudioConfiguration>
  Variable:
    discriminated: false
    union:
      - string
      - double
      - boolean
  Tool:
    properties:
      name:
        type: string
        validation:
          pattern: ^[a-z_]+$
      parameters: string
  AudioConfiguration:
    properties:
      channels: integer
      sample_rate:
        type: integer
        validation:
          min: 8000
          max: 48000
      encoding: literal<"linear16">
"""
HUME_INNER = """imports:
  root: sub/__package__.yml
channel:
  path: /v0/{voice_id}/stream
  url: evi
  auth: true
  path-parameters:
    voice_id: string
  headers:
    X-Trace: optional<string>
  messages:
    send:
      origin: client
      body:
        name: SendText
        properties:
          text: string
    receive:
      origin: server
      body: root.AssistantEnd
"""
write("hume-small", HUME_API, HUME_CHAT, HUME_PKG, HUME_INNER)
write("hume-small-nochannel", HUME_API, "", HUME_PKG)

# ---- the type system in one file ----
write("types-all", """types:
  Alias: string
  AliasOfAlias: Alias
  Obj:
    extends: [Base]
    extra-properties: true
    properties:
      a: optional<list<set<map<string, nullable<integer>>>>>
      b: literal<true>
      c: uuid
      d: datetime
      e: date
      f: base64
      g: bigint
      h: long
      i: uint64
      j: float
      k:
        type: double
        validation:
          min: 0
          max: 1
          exclusiveMax: true
          multipleOf: 0.5
      l: unknown
      m: map<integer, string>
  Base:
    properties:
      id: string
  Shape:
    discriminant: kind
    base-properties:
      name: string
    union:
      circle: Circle
      square:
        type: double
        key: side
      empty: {}
  Circle:
    properties:
      radius: double
  Tree:
    properties:
      children: list<Tree>
      value: optional<Tree>
  E:
    enum:
      - A
      - value: b-c
        name: BC
    default: A
channel:
  path: /x
  auth: false
  messages:
    m:
      origin: server
      body: Obj
    n:
      origin: client
      body:
        type: Shape
""")

# ---- errors the loader must report (each should give file:line:column diagnostics) ----
errors = {
    "err-bare-optional": "types:\n  A:\n    properties:\n      x:\n        type: optional\n",
    "err-unknown-ref": "types:\n  A: Bee\n  Bee2: string\n",
    "err-cycle-alias": "types:\n  A: B\n  B: C\n  C: A\n",
    "err-cycle-extends": "types:\n  A:\n    extends: B\n    properties: {}\n  B:\n    extends: A\n",
    "err-map-one-arg": "types:\n  A: map<string>\n  B: list<>\n  C: optional<list<string>\n  D: literal<\"x>\n",
    "err-origin": "channel:\n  path: /a\n  messages:\n    a:\n      body: string\n    b:\n      origin: both\n      body: string\n",
    "err-body-shape": "channel:\n  path: /a\n  messages:\n    a:\n      origin: client\n      body: [1, 2]\n",
    "err-example-id": "channel:\n  path: /a\n  messages:\n    a:\n      origin: client\n      body: string\n  examples:\n    - messages:\n        - type: nope\n          body: x\n",
    "err-path-param": "channel:\n  path: /a/{id}\n  path-parameters:\n    other: string\n  messages: {}\n",
    "err-yaml-syntax": "types:\n  A: [unclosed\n  B: {a: b\n",
    "err-duplicate": "types:\n  A: string\n  A: integer\n",
    "yaml-anchors": "types:\n  A: &x\n    properties:\n      a: string\n  B: *x\n  C:\n    properties:\n      <<: *x\n",
    "yaml-tags-flow": "%YAML 1.1\n---\n{types: {A: !!str string, B: {enum: [\"x\", 'y']}}}\n...\n",
}
USE = "channel:\n  path: /use\n  auth: false\n  messages:\n    m:\n      origin: server\n      body: A\n"
for k, v in errors.items():
    if k.startswith("err-") and v.startswith("types:") and "channel:" not in v:
        v = v + USE
    v = v.replace("channel:\n  path: /a\n  messages", "channel:\n  path: /a\n  auth: false\n  messages")
    v = v.replace("channel:\n  path: /a/{id}\n", "channel:\n  path: /a/{id}\n  auth: false\n")
    write(k, v)
write("err-url-env", HUME_API, "channel:\n  path: /a\n  url: nowhere\n  auth: false\n  messages: {}\n")
write("err-import", HUME_API, "imports:\n  x: ../outside.yml\n  y: missing.yml\ntypes:\n  A: x.B\n")
write("err-api-yml", "name: 3\nauth: Nope\nenvironments:\n  a: [1]\n  b:\n    urls: {}\nheaders:\n  X: list\n", "channel:\n  path: /a\n  auth: true\n  messages: {}\n")

# ---- AsyncAPI documents (single-file mode: the document is chat.yml; a $ref to chat.yml#/... is a
# reference to a sibling file that is itself) ----
own = os.path.join(here, "..", "spec", "fixtures", "asyncapi")
for name in ("chat-2.6", "chat-3.0"):
    p = os.path.join(own, name + ".yml")
    if os.path.exists(p):
        write("a-" + name, open(p).read())
AA3 = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
asyncapi = {
    "a-types": AA3 + """channels:
  c:
    address: /c/{id}
    parameters:
      id: {enum: [a, b], default: a}
      h: {location: '$message.header#/X-H'}
    messages:
      m:
        payload: {$ref: '#/components/schemas/All'}
      bin: {contentType: application/octet-stream, payload: {type: string, format: binary}}
operations:
  o: {action: send, channel: {$ref: '#/channels/c'}}
  r: {action: receive, channel: {$ref: '#/channels/c'}, messages: [{$ref: '#/channels/c/messages/m'}]}
components:
  schemas:
    All:
      type: [object, 'null']
      required: [kind]
      properties:
        kind: {const: all}
        n: {type: integer, minimum: 0, exclusiveMaximum: 10, multipleOf: 2}
        s: {type: string, pattern: '^a', minLength: 1, format: date-time}
        e: {enum: [x, y, null]}
        l: {type: array, items: {$ref: '#/components/schemas/All'}, uniqueItems: true, maxItems: 3}
        m: {additionalProperties: {type: number}}
        u: {oneOf: [{$ref: '#/components/schemas/A'}, {$ref: '#/components/schemas/B'}], discriminator: k}
        a: {allOf: [{$ref: '#/components/schemas/A'}, {properties: {z: {type: boolean}}, required: [z]}]}
        f: {x-fern-type: 'optional<list<A>>'}
        t: {type: [string, integer]}
    A: {type: object, properties: {k: {type: string}}, additionalProperties: false}
    B: {type: object, properties: {k: {type: string}, b: {not: {}}}}
""",
    "a-refs": AA3 + """channels:
  c: {$ref: 'chat.yml#/components/channels/x'}
components:
  channels:
    x: {address: /x, messages: {m: {$ref: '#/components/messages/m~1n'}}}
  messages:
    m/n: {payload: {$ref: 'chat.yml#/components/schemas/S'}}
  schemas:
    S: {$ref: '#/components/schemas/T'}
    T: {$ref: '#/components/schemas/S'}
operations:
  o: {action: send, channel: {$ref: '#/components/channels/x'}}
""",
    "a-servers": """asyncapi: 2.6.0
info: {title: t, version: '1'}
servers:
  p: {url: 'wss://{h}.x/{v}', protocol: wss, variables: {h: {default: a}, v: {enum: [v1]}}, security: [{K: []}, {B: []}]}
  q: {url: x.y, protocol: mqtt}
channels:
  /a/{b}:
    servers: [p]
    parameters: {b: {schema: {type: string}}}
    publish: {summary: Server messages, message: {oneOf: [{$ref: '#/components/messages/M'}, {payload: {type: string}}]}}
    subscribe: {summary: Client messages, message: {messageId: n, payload: {type: integer}}}
    x-fern-examples: [{messages: [{type: publish, messageId: M, value: 1}]}]
components:
  messages:
    M: {name: Some Name, payload: {type: object}}
  securitySchemes:
    K: {type: httpApiKey, in: query, name: k}
    B: {type: http, scheme: bearer, x-fern-token: {env: T}}
    U: {type: userPassword}
    X: {type: X509}
""",
    "a-json": '{"asyncapi": "3.0.0", "info": {"title": "t \\ud83d\\ude00", "version": "1"}, "channels": {"c": {"address": "/c", "messages": {"m": {"payload": {"type": "string"}}}}}, "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}}}\n',
    "a-err-version": "asyncapi: 9.0.0\ninfo: {title: t}\n",
    "a-err-ref": AA3 + "channels:\n  c: {$ref: '#/nope/x'}\noperations:\n  o: {action: sideways, channel: {$ref: other.yml}}\n",
}
for k, v in asyncapi.items():
    write(k, v)
