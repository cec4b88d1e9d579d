// Deepgram's TypeScript SDK (@deepgram/sdk@5.13.0) and fernws, both ways, on loopback, for the
// speak channel of the `deepgram` fixture:
//  1. the SDK's speak v1 socket against a fernws server: its handshake arrives typed, every message
//     kind it can send arrives decoded as its fixture message, and every server message kind fernws
//     sends is delivered by the SDK and fits the SDK's type for it;
//  2. a fernws client against a Node server that judges each frame by the SDK's types.
// The Deepgram SDK ships no runtime schemas: frames are judged against the interfaces of its type
// declarations (dist/cjs/api/resources/speak/resources/v1/types/*.d.ts, read by lib.readInterfaces).
// Where the fixture (older, speak only) and the SDK disagree, the difference is named.
"use strict";
const path = require("path");
const lib = require("./lib.js");
const { check, difference, startPeer, until, req } = lib;

const FIXTURE = path.join(process.env.FWS_FIXTURES, "fern/deepgram/definition");
const dg = req("@deepgram/sdk");
const WS = req("ws");
const TYPES = lib.readInterfaces(path.join(lib.NODE_DIR,
  "node_modules/@deepgram/sdk/dist/cjs/api/resources/speak/resources/v1/types"));
// the SDK's interface for each wire `type` (its socket's Response and send unions)
const BY_TYPE = { Speak: "SpeakV1Text", Flush: "SpeakV1Flush", Clear: "SpeakV1Clear", Close: "SpeakV1Close",
                  Metadata: "SpeakV1Metadata", Flushed: "SpeakV1Flushed", Cleared: "SpeakV1Cleared",
                  Warning: "SpeakV1Warning" };

// A frame judged by the SDK's interface for its type: a pass, a named difference (a property the
// fixture declares and the SDK's type lacks, or one the SDK requires that the fixture does not
// declare: fernws fills every declared property), or a failure (a wrong type of a known property).
function judge(json, where) {
  const v = JSON.parse(json);
  const name = BY_TYPE[v.type];
  if (!name || !TYPES[name]) return check(`${where}: '${v.type}' is a type of the SDK`, false, v);
  const problems = lib.fitsInterface(v, TYPES[name]);
  if (!problems.length) return check(`${where}: ${v.type} fits the SDK's ${name}`, true);
  const named = problems.filter((p) => /not in the SDK's type|required, missing/.test(p));
  const wrong = problems.filter((p) => !named.includes(p));
  if (wrong.length) check(`${where}: ${v.type} fits the SDK's ${name}`, false, wrong);
  if (named.length) difference(`${where}: ${v.type} and the SDK's ${name}`, named.join("; "));
}

async function sdkAgainstFernws() {
  const peer = startPeer(["serve", FIXTURE, "speak"]);
  try {
    const { port } = await peer.wait((e) => e.event === "listening");
    const client = new dg.DeepgramClient({ apiKey: "interop-key", baseUrl: `ws://127.0.0.1:${port}` });
    const delivered = [], errors = [];
    const args = { model: "aura-asteria-en", encoding: "linear16", sample_rate: 24000, reconnectAttempts: 0 };
    // first as the SDK connects by itself: what the fixture requires and the SDK does not send shows
    const first = await client.speak.v1.connect(args);
    first.on("error", () => {});
    first.connect();
    // the SDK's waitForOpen rejects on a refusal, maybe before the peer has said why
    let outcome = await Promise.race([first.waitForOpen().then(() => "open", () => "failed"),
      peer.wait((e) => e.event === "refused").then((e) => e)]);
    if (outcome === "failed") outcome = await peer.wait((e) => e.event === "refused");
    first.close();
    if (outcome !== "open") {
      const m = /query parameter '(\w+)' is required/.exec(outcome.reason);
      if (m) {
        difference(`deepgram connect: query parameter '${m[1]}'`,
          `the fixture requires it; @deepgram/sdk 5.13 does not send it (refused: ${outcome.status} ${outcome.reason}); ` +
          "passed through queryParams below");
        args.queryParams = { [m[1]]: "interop" };
      } else {
        check("deepgram connect: the SDK's handshake is accepted", false, outcome);
      }
    } else {
      check("deepgram connect: the SDK's handshake is accepted", true);
    }
    peer.events.length = 0;
    const socket = await client.speak.v1.connect(args);
    socket.on("message", (m) => delivered.push(m));
    socket.on("error", (e) => errors.push(String(e && e.message || e)));
    socket.connect();
    await socket.waitForOpen();
    const conn = await peer.wait((e) => e.event === "connect");
    check("deepgram connect: the SDK reaches /v1/speak (the environment's base path)", /^\/v1\/speak\?/.test(conn.target), conn.target);
    check("deepgram connect: model and encoding typed by the fixture's enums, sample_rate as its string",
      conn.query.model === "aura-asteria-en" && conn.query.encoding === "linear16" && conn.query.sample_rate === "24000",
      conn.query);
    if (conn.auth === null && /^Token /.test(conn.headers.authorization || "")) {
      difference("deepgram connect: credential",
        "the SDK on Node sends Authorization: Token <key>; the fixture's scheme carries the key as Sec-WebSocket-Protocol " +
        "(req.auth is nil, req.headers.authorization has it)");
    } else {
      check("deepgram connect: req.auth carries the SDK's key", conn.auth && conn.auth.token === "interop-key", conn.auth);
    }

    const sends = [
      ["textMessage", () => socket.sendText({ type: "Speak", text: "hello" })],
      ["flush", () => socket.sendFlush({ type: "Flush" })],
      ["clear", () => socket.sendClear({ type: "Clear" })],
      ["close", () => socket.sendClose({ type: "Close" })],
    ];
    // the server kinds arrive on open; wait for them before the Close message
    await peer.wait((e) => e.event === "sent_all");
    await until(() => delivered.length + errors.length >= peer.all((e) => e.event === "sent").length);
    for (const [, send] of sends) send();
    await until(() => peer.all((e) => e.event === "message" || e.event === "error").length >= sends.length);
    const got = peer.all((e) => e.event === "message");
    sends.forEach(([id], i) => {
      check(`deepgram SDK -> fernws: ${sends[i][0]} arrives decoded as message '${id}'`, got[i] && got[i].id === id,
        got[i] || peer.all((e) => e.event === "error"));
    });

    const all = peer.all((e) => e.event === "sent");
    for (const u of peer.all((e) => e.event === "unsendable")) check(`deepgram fernws -> SDK: ${u.kind} generated`, false, u.why);
    check("deepgram fernws -> SDK: every kind fernws sent was delivered", delivered.length === all.length && !errors.length,
      { sent: all.length, delivered: delivered.length, errors });
    all.forEach((s, i) => {
      check(`deepgram fernws -> SDK: ${s.id} delivered in order`, delivered[i] && delivered[i].type === JSON.parse(s.json).type,
        delivered[i]);
      judge(s.json, "deepgram fernws -> SDK");
    });
    socket.close();
  } finally {
    peer.stop();
  }
}

async function fernwsAgainstSdkServer() {
  const frames = [], protocols = [];
  const wss = new WS.WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (set) => [...set][0] || false });
  wss.on("connection", (ws, request) => {
    protocols.push(request.headers["sec-websocket-protocol"]);
    ws.on("message", (data) => frames.push(String(data)));
  });
  await new Promise((r) => wss.on("listening", r));
  const query = { encoding: "linear16", model: "aura-asteria-en", sample_rate: "24000", text: "hi" };
  const peer = startPeer(["client", FIXTURE, "speak", `ws://127.0.0.1:${wss.address().port}/v1`],
    { QUERY: JSON.stringify(query), AUTH_TOKEN: "interop-key" });
  try {
    await peer.wait((e) => e.event === "done" || e.event === "error");
    const published = peer.all((e) => e.event === "published");
    await until(() => frames.length >= published.length);
    check("deepgram fernws client: the key goes out as the subprotocol", protocols[0] === "interop-key", protocols);
    check("deepgram fernws client: every frame arrived", frames.length === published.length && published.length === 4,
      { published: published.length, frames: frames.length });
    frames.forEach((f) => judge(f, "deepgram fernws client -> SDK types"));
  } finally {
    peer.stop();
    wss.close();
  }
}

module.exports = async function () {
  await sdkAgainstFernws();
  await fernwsAgainstSdkServer();
};
