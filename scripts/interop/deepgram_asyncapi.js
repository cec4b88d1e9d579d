// Deepgram's TypeScript SDK (@deepgram/sdk@5.13.0) and fernws, both ways, on loopback, for every
// channel of the AsyncAPI `deepgram-3.0` document (speak v1, listen v1 and v2, agent v1):
//  1. the SDK's socket against a fernws server loaded from the document: the SDK's handshake, with
//     a value for every query parameter, arrives typed as the document types it; every message the
//     SDK can send of the document's client messages (binary media included) arrives decoded as
//     that message; every server message fernws sends (binary audio included) is delivered by the
//     SDK, in order, and fits the SDK's type of that name;
//  2. a fernws client against a Node server: its handshake carries the same query pairs and
//     Authorization as the SDK's own handshake with the same values; each frame it sends fits the
//     parameter type of the SDK's send method for that message (binary frames: the same bytes);
//     the frames of (1), sent back, are decoded by the fernws client as the messages they are.
// The SDK ships no runtime schemas: its TypeScript declarations are read by the TypeScript compiler
// (tstypes.js). Where the document and the SDK disagree (messages, connect parameters or properties
// one has and the other lacks), a DIFF line names it; a value of the wrong type fails.
"use strict";
const path = require("path");
const lib = require("./lib.js");
const tstypes = require("./tstypes.js");
const { check, difference, startPeer, until, req } = lib;

const DOC = path.join(process.env.FWS_FIXTURES, "asyncapi/deepgram-3.0");
const SDK_DIR = path.join(lib.NODE_DIR, "node_modules/@deepgram/sdk/dist/cjs/api/resources");
const KEY = "interop-key";
const dg = req("@deepgram/sdk");
const WS = req("ws");

// The document's channels and the SDK's sockets for them.
const CHANNELS = [
  { name: "speak.v1", dir: "speak/resources/v1", socketClass: "V1Socket", clientClass: "V1Client", prefix: "SpeakV1",
    sdk: (c) => c.speak.v1 },
  { name: "listen.v1", dir: "listen/resources/v1", socketClass: "V1Socket", clientClass: "V1Client", prefix: "ListenV1",
    sdk: (c) => c.listen.v1 },
  { name: "listen.v2", dir: "listen/resources/v2", socketClass: "V2Socket", clientClass: "V2Client", prefix: "ListenV2",
    sdk: (c) => c.listen.v2 },
  { name: "agent.v1", dir: "agent/resources/v1", socketClass: "V1Socket", clientClass: "V1Client", prefix: "AgentV1",
    sdk: (c) => c.agent.v1 },
];
// connect arguments that are the SDK's own options, not query parameters
const TRANSPORT_ARGS = new Set(["Authorization", "protocols", "queryParams", "headers", "debug", "reconnectAttempts",
  "connectionTimeoutInSeconds", "abortSignal", "shouldReconnect", "agent"]);

let SDK; // the declarations, read once

const hexOf = async (blob) => Buffer.from(await blob.arrayBuffer()).toString("hex");

function equalJson(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => equalJson(a[k], b[k]));
}

// The SDK's send method for a client message of the document: its x-fern-sdk-method-name, else
// "send" and the id without the channel's prefix (as Fern names them).
function sendMethod(ch, sock, sample) {
  const name = sample.method || "send" + sample.id.slice(ch.prefix.length);
  return sock.sends.find((s) => s.method === name) || null;
}

// A value judged by an SDK type: a pass, named differences (a property one side has and the other
// lacks), or a failure (a value of the wrong type).
function judge(where, value, type, typeName) {
  const problems = SDK.fit(value, type);
  if (!problems.length) return check(`${where} fits the SDK's ${typeName}`, true);
  const wrong = problems.filter((p) => p.kind === "wrong");
  const named = problems.filter((p) => p.kind !== "wrong");
  if (wrong.length) check(`${where} fits the SDK's ${typeName}`, false, wrong);
  if (named.length) {
    difference(`${where} and the SDK's ${typeName}`, named.map((p) => p.kind === "missing"
      ? `${p.path}: the SDK requires it, the document does not`
      : `${p.path}: the document declares it, the SDK's type does not`).join("; "));
  }
  return !wrong.length;
}

// The SDK's connect arguments for a query sample: the parameters it knows as arguments, the others
// through queryParams (named as differences by the caller).
function connectArgs(sock, query) {
  const args = { reconnectAttempts: 0 };
  for (const [k, v] of Object.entries(query)) {
    if (sock.connectArgs.includes(k)) args[k] = v;
    else (args.queryParams = args.queryParams || {})[k] = v;
  }
  return args;
}

// Query pairs as written (still percent-encoded), sorted: the order of the parameters is each
// writer's own, what each pair says is not.
function pairs(target) {
  const q = target.indexOf("?");
  return q < 0 ? [] : target.slice(q + 1).split("&").sort();
}

// 1. The SDK's socket against a fernws server of the channel. Returns what the second part needs.
async function sdkAgainstFernws(ch) {
  const tag = `deepgram-3.0 ${ch.name}`;
  const sock = SDK.socket(ch.name);
  const peer = startPeer(["serve", DOC, ch.name]);
  try {
    const { port } = await peer.wait((e) => e.event === "listening");
    const samples = peer.all((e) => e.event === "sample");
    const early = peer.all((e) => e.event === "unsendable");
    for (const u of early) check(`${tag}: ${u.id} generated`, false, u.why);
    const { query, query_types: queryTypes } = peer.events.find((e) => e.event === "query_sample");

    // what each side has that the other lacks: client messages, connect parameters
    const used = new Set();
    for (const s of samples) {
      const m = sendMethod(ch, sock, s);
      if (m) used.add(m.method);
      else difference(`${tag}: client message ${s.id}`, `the SDK's socket has no ${s.method || "send" + s.id.slice(ch.prefix.length)} for it`);
    }
    for (const s of sock.sends) {
      if (!used.has(s.method)) difference(`${tag}: the SDK's ${s.method} (${s.typeName})`, "the document has no such client message");
    }
    const sdkParams = sock.connectArgs.filter((a) => !TRANSPORT_ARGS.has(a));
    for (const k of Object.keys(query)) {
      if (!sdkParams.includes(k)) difference(`${tag}: query parameter '${k}'`, "the document declares it, the SDK's connect does not take it (sent through queryParams)");
    }
    for (const k of sdkParams) {
      if (!(k in query)) difference(`${tag}: the SDK's connect parameter '${k}'`, "the document does not declare it");
    }

    const client = new dg.DeepgramClient({ apiKey: KEY, baseUrl: `ws://127.0.0.1:${port}` });
    const args = connectArgs(sock, query);
    const socket = await ch.sdk(client).connect(args);
    const delivered = [], errors = [];
    socket.on("message", (m) => delivered.push(m));
    socket.on("error", (e) => errors.push(String(e && e.message || e)));
    socket.connect();
    const outcome = await Promise.race([socket.waitForOpen().then(() => "open", () => "failed"),
      peer.wait((e) => e.event === "refused").then((e) => e)]);
    if (outcome !== "open") {
      const refused = outcome === "failed" ? await peer.wait((e) => e.event === "refused", 5000).catch(() => null) : outcome;
      check(`${tag} connect: the SDK's handshake is accepted`, false, refused || errors);
      socket.close();
      return null;
    }
    check(`${tag} connect: the SDK's handshake is accepted`, true);
    const conn = await peer.wait((e) => e.event === "connect");
    const address = "/" + ch.name.replace(/^(\w+)\.(v\d)$/, "$2/$1");
    check(`${tag} connect: the SDK reaches the channel's address`, conn.target.split("?")[0].startsWith(address), conn.target);
    if (Object.keys(query).length) {
      check(`${tag} connect: every query parameter arrives typed as the document types it`,
        equalJson(conn.query, query) && equalJson(conn.query_types, queryTypes),
        { sent: query, arrived: conn.query, sent_types: queryTypes, arrived_types: conn.query_types });
    }
    check(`${tag} connect: the SDK's key arrives as req.auth (Authorization: Token)`,
      conn.auth && conn.auth.token === KEY && conn.headers.authorization === `Token ${KEY}`, { auth: conn.auth });

    // server -> SDK: every kind fernws sends, delivered in order
    await peer.wait((e) => e.event === "sent_all");
    for (const u of peer.all((e) => e.event === "unsendable" && !early.includes(e))) {
      check(`${tag}: ${u.id} generated`, false, u.why);
    }
    const sent = peer.all((e) => e.event === "sent");
    await until(() => delivered.length + errors.length >= sent.length);
    check(`${tag} fernws -> SDK: every message fernws sent was delivered`, delivered.length === sent.length && !errors.length,
      { sent: sent.length, delivered: delivered.length, errors });
    const names = new Set();
    for (let i = 0; i < sent.length; i++) {
      const s = sent[i], d = delivered[i];
      if (s.binary) {
        const ok = d instanceof Blob && (await hexOf(d)) === s.hex;
        check(`${tag} fernws -> SDK: ${s.id} delivered in order, as a Blob of the same bytes`, ok, ok ? null : String(d));
        continue;
      }
      const value = JSON.parse(s.json);
      check(`${tag} fernws -> SDK: ${s.id} delivered in order`, equalJson(d, value), d);
      const r = sock.responses.find((x) => x.name === s.id);
      names.add(s.id);
      if (r) judge(`${tag} fernws -> SDK: ${s.id}`, value, r.type, r.name);
      else difference(`${tag}: server message ${s.id}`, "not in the SDK socket's Response union (delivered all the same)");
    }
    for (const r of sock.responses) {
      if (!names.has(r.name)) difference(`${tag}: the SDK's Response member ${r.name}`, "the document has no such server message");
    }

    // SDK -> server: each client message through the SDK's method for it
    peer.events.length = 0;
    const sendable = samples.filter((s) => sendMethod(ch, sock, s));
    for (const s of sendable) {
      socket[sendMethod(ch, sock, s).method](s.binary ? Buffer.from(s.hex, "hex") : JSON.parse(s.json));
    }
    await until(() => peer.all((e) => e.event === "message" || e.event === "error").length >= sendable.length);
    const got = peer.all((e) => e.event === "message");
    sendable.forEach((s, i) => {
      const g = got[i];
      const same = g && g.id === s.id && (s.binary ? g.hex === s.hex : equalJson(JSON.parse(g.json), JSON.parse(s.json)));
      check(`${tag} SDK -> fernws: ${sendMethod(ch, sock, s).method} arrives decoded as ${s.id}${s.binary ? ", the same bytes" : ""}`,
        same, g || peer.all((e) => e.event === "error"));
    });
    socket.close();
    return { args, sent };
  } finally {
    peer.stop();
  }
}

// 2. A fernws client of the channel against a Node server that judges it by the SDK's types, after
// the SDK's own handshake with the same values.
async function fernwsAgainstSdkServer(ch, first) {
  const tag = `deepgram-3.0 ${ch.name}`;
  const sock = SDK.socket(ch.name);
  const handshakes = [], frames = [];
  let fernwsSocket = null;
  const wss = new WS.WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, request) => {
    handshakes.push({ target: request.url, authorization: request.headers.authorization });
    if (handshakes.length === 1) return; // the SDK's: only its handshake is wanted
    fernwsSocket = ws;
    ws.on("message", (data, isBinary) => frames.push({ binary: isBinary, data: Buffer.from(data) }));
  });
  await new Promise((r) => wss.on("listening", r));
  const base = `ws://127.0.0.1:${wss.address().port}`;
  let peer = null;
  try {
    const client = new dg.DeepgramClient({ apiKey: KEY, baseUrl: base });
    const sdkSocket = await ch.sdk(client).connect(first.args);
    sdkSocket.on("error", () => {});
    sdkSocket.connect();
    await sdkSocket.waitForOpen();
    sdkSocket.close();

    const query = Object.assign({}, first.args, first.args.queryParams);
    delete query.queryParams;
    delete query.reconnectAttempts;
    peer = startPeer(["client", DOC, ch.name, base], { QUERY: JSON.stringify(query), AUTH_TOKEN: KEY, RECEIVE: "1" });
    await peer.wait((e) => e.event === "published_all" || e.event === "error" || e.event === "done");
    for (const u of peer.all((e) => e.event === "unsendable")) check(`${tag} fernws client: ${u.id} generated`, false, u.why);
    if (!fernwsSocket) return check(`${tag} fernws client: connects`, false, peer.events.slice(-3));
    const published = peer.all((e) => e.event === "published");
    await until(() => frames.length >= published.length);
    const [sdkHs, fwHs] = handshakes;
    check(`${tag} fernws client: the query has the pairs the SDK's own handshake has, encoded alike`,
      fwHs && equalJson(pairs(fwHs.target), pairs(sdkHs.target)), { sdk: sdkHs && sdkHs.target, fernws: fwHs && fwHs.target });
    check(`${tag} fernws client: the key goes as the SDK sends it (Authorization: Token)`,
      fwHs && fwHs.authorization === sdkHs.authorization && sdkHs.authorization === `Token ${KEY}`,
      { sdk: sdkHs && sdkHs.authorization ? "Token ..." : null, fernws: fwHs && fwHs.authorization ? fwHs.authorization.split(" ")[0] + " ..." : null });
    check(`${tag} fernws client: every frame arrived`, frames.length === published.length,
      { published: published.length, frames: frames.length });
    published.forEach((p, i) => {
      const f = frames[i];
      if (!f) return;
      if (p.binary) {
        check(`${tag} fernws client -> SDK: ${p.id} a binary frame of the same bytes`, f.binary && f.data.toString("hex") === p.hex);
        return;
      }
      const m = sendMethod(ch, sock, p);
      if (f.binary) return check(`${tag} fernws client -> SDK: ${p.id} a text frame`, false);
      if (!m) return; // named above: the SDK cannot send it
      judge(`${tag} fernws client -> SDK: ${p.id}`, JSON.parse(f.data.toString("utf8")), m.type, `${m.method}(${m.typeName})`);
    });

    // server -> fernws client: the frames of the first part, back
    for (const s of first.sent) fernwsSocket.send(s.binary ? Buffer.from(s.hex, "hex") : s.json, { binary: !!s.binary });
    await until(() => peer.all((e) => e.event === "received" || e.event === "error").length >= first.sent.length);
    fernwsSocket.close(1000);
    const received = peer.all((e) => e.event === "received");
    first.sent.forEach((s, i) => {
      const r = received[i];
      check(`${tag} SDK server -> fernws client: ${s.id} decoded as itself`,
        r && r.id === s.id && (s.binary ? r.hex === s.hex : equalJson(JSON.parse(r.json), JSON.parse(s.json))),
        r || peer.all((e) => e.event === "error"));
    });
  } finally {
    if (peer) peer.stop();
    wss.close();
  }
}

module.exports = async function () {
  if (!tstypes.available(lib.NODE_DIR)) {
    return check("deepgram-3.0: the typescript package is installed beside the SDKs", false, lib.NODE_DIR);
  }
  const sockets = {};
  for (const ch of CHANNELS) {
    sockets[ch.name] = {
      socket: path.join(SDK_DIR, ch.dir, "client/Socket"), socketClass: ch.socketClass,
      client: path.join(SDK_DIR, ch.dir, "client/Client"), clientClass: ch.clientClass,
    };
  }
  // sockets of the SDK that the document has no channel for
  const fs = require("fs");
  for (const group of fs.readdirSync(SDK_DIR)) {
    const versions = path.join(SDK_DIR, group, "resources");
    for (const v of fs.existsSync(versions) ? fs.readdirSync(versions) : []) {
      if (fs.existsSync(path.join(versions, v, "client/Socket.d.ts")) && !sockets[`${group}.${v}`]) {
        difference(`deepgram-3.0: the SDK's ${group}.${v} socket`, "the document has no such channel");
      }
    }
  }
  SDK = tstypes.open(lib.NODE_DIR, sockets);
  // the judge can fail: a value of a wrong type, a property missing and one too many are seen
  const results = SDK.socket("listen.v1").responses.find((r) => r.name === "ListenV1Results");
  const seen = results ? SDK.fit({ type: "Results", duration: "1", start: 0, extra: 1 }, results.type) : [];
  check("deepgram-3.0: the SDK's types judge values (a wrong type, a missing and an extra property are seen)",
    ["wrong", "missing", "extra"].every((k) => seen.some((p) => p.kind === k)) &&
      seen.some((p) => p.path === "duration" && p.kind === "wrong"), seen);
  for (const ch of CHANNELS) {
    const first = await sdkAgainstFernws(ch);
    if (first) await fernwsAgainstSdkServer(ch, first);
  }
};
