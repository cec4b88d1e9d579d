// Hume's TypeScript SDK (hume@0.16.0) and fernws, both ways, on loopback:
//  1. the SDK's EVI chat socket against a fernws server of the `hume` fixture: its connect
//     parameters arrive typed, every message kind it can send arrives decoded as its union member,
//     and every server message kind fernws sends is delivered by the SDK and accepted by the SDK's
//     own schema for it;
//  2. a fernws client against a Node server that validates each frame with the SDK's PublishEvent
//     schema, and whose query string is the one the SDK's own toQueryString writes.
// Where the fixture and the newer SDK disagree, the difference is named, not hidden.
"use strict";
const path = require("path");
const lib = require("./lib.js");
const { check, difference, startPeer, until, req } = lib;

const FIXTURE = path.join(process.env.FWS_FIXTURES, "fern/hume/definition");
const hume = req("hume");
const S = hume.serialization.empathicVoice;
const qs = require(path.join(lib.NODE_DIR, "node_modules/hume/dist/cjs/core/url/qs.js"));
const WS = req("ws");

// Judges one server message (JSON text fernws sent) with the SDK's schema of that kind: ok, a
// named difference (the SDK requires a key the fixture does not declare: fernws, writing every
// declared property, left it out), or a failure.
function judge(kind, json, where) {
  const schema = S[kind];
  if (!schema) return difference(`${where}: ${kind}`, "the SDK has no type of this name");
  const raw = JSON.parse(json);
  const r = schema.parse(raw, { unrecognizedObjectKeys: "passthrough" });
  if (r.ok) return check(`${where}: ${kind} accepted by the SDK's schema`, true);
  const missing = [], other = [];
  for (const e of r.errors) {
    const m = e.message.match(/^Missing required key "(.*)"$/);
    if (m && e.path.length === 0 && !(m[1] in raw)) missing.push(m[1]);
    else other.push(`${e.path.join(".")}: ${e.message}`);
  }
  if (other.length) return check(`${where}: ${kind} accepted by the SDK's schema`, false, other);
  difference(`${where}: ${kind}`, `hume 0.16.0 requires ${missing.map((k) => "'" + k + "'").join(", ")}, ` +
    "which the fixture does not declare (the SDK is newer than the fixture)");
}

async function sdkAgainstFernws() {
  const peer = startPeer(["serve", FIXTURE, "empathic-voice.chat"]);
  try {
    const { port } = await peer.wait((e) => e.event === "listening");
    const client = new hume.HumeClient({ apiKey: "interop-key", baseUrl: `ws://127.0.0.1:${port}/v0/evi` });
    const delivered = [], errors = [];
    const socket = client.empathicVoice.chat.connect({
      sessionSettings: {
        audio: { channels: 1, encoding: "linear16", sampleRate: 16000 },
        context: { text: "interop", type: "persistent" },
        systemPrompt: "Be brief.",
        variables: { name: "Ada", count: 3, ok: true },
      },
      verboseTranscription: true, eventLimit: 5, configVersion: 2, allowConnection: false, configId: "cfg-1",
      reconnectAttempts: 0,
    });
    socket.on("message", (m) => delivered.push(m));
    socket.on("error", (e) => errors.push(String(e && e.message || e)));
    await socket.waitForOpen();
    const conn = await peer.wait((e) => e.event === "connect");
    const q = conn.query, t = conn.query_types;
    check("hume connect: session_settings nested, typed", q.session_settings && q.session_settings.audio &&
      q.session_settings.audio.channels === 1 && t["session_settings.audio.channels"] === "integer" &&
      t["session_settings.audio.sample_rate"] === "integer" && q.session_settings.audio.encoding === "linear16" &&
      q.session_settings.system_prompt === "Be brief." && q.session_settings.context.type === "persistent", q);
    check("hume connect: the variables map of a string | double | boolean union, each typed",
      q.session_settings.variables && q.session_settings.variables.name === "Ada" &&
      t["session_settings.variables.count"] === "float" && q.session_settings.variables.ok === true, q.session_settings.variables);
    check("hume connect: booleans and integers typed", q.verbose_transcription === true && t.verbose_transcription === "boolean" &&
      q.event_limit === 5 && t.event_limit === "integer" && q.config_version === 2 && q.allow_connection === false &&
      q.config_id === "cfg-1", q);
    check("hume connect: the SDK's api key arrives in req.headers (X-Hume-Api-Key) and as api_key",
      conn.headers["x-hume-api-key"] === "interop-key" && q.api_key === "interop-key", Object.keys(conn.headers));

    // every kind the SDK can send, with the union member it must arrive as
    const sends = [
      ["AudioInput", () => socket.sendAudioInput({ data: "aGVsbG8=" })],
      ["SessionSettings", () => socket.sendSessionSettings({ systemPrompt: "x", audio: { channels: 1, encoding: "linear16", sampleRate: 8000 } })],
      ["UserInput", () => socket.sendUserInput("hello")],
      ["AssistantInput", () => socket.sendAssistantInput({ text: "say this" })],
      ["PauseAssistantMessage", () => socket.pauseAssistant({})],
      ["ResumeAssistantMessage", () => socket.resumeAssistant({})],
      ["ToolResponseMessage", () => socket.sendToolResponseMessage({ toolCallId: "t1", content: "42" })],
      ["ToolErrorMessage", () => socket.sendToolErrorMessage({ toolCallId: "t1", error: "failed" })],
    ];
    for (const [, send] of sends) send();
    await until(() => peer.all((e) => e.event === "message" || e.event === "error").length >= sends.length);
    const got = peer.all((e) => e.event === "message");
    sends.forEach(([member], i) => {
      const m = got[i];
      check(`hume SDK -> fernws: ${member} arrives decoded as publish/${member}`, m && m.id === "publish" && m.variant === member,
        m || peer.all((e) => e.event === "error"));
    });

    // every server kind fernws sent: delivered by the SDK, accepted by its schema
    await peer.wait((e) => e.event === "sent_all");
    const sent = peer.all((e) => e.event === "sent");
    for (const u of peer.all((e) => e.event === "unsendable")) check(`hume fernws -> SDK: ${u.kind} generated`, false, u.why);
    await until(() => delivered.length + errors.length >= sent.length);
    check("hume fernws -> SDK: every kind fernws sent was delivered", delivered.length === sent.length && errors.length === 0,
      { sent: sent.length, delivered: delivered.length, errors });
    sent.forEach((s, i) => {
      const d = delivered[i];
      check(`hume fernws -> SDK: ${s.kind} delivered in order`, d && d.type === JSON.parse(s.json).type, d && d.type);
      judge(s.kind, s.json, "hume fernws -> SDK");
    });
    socket.close();
  } finally {
    peer.stop();
  }
}

async function fernwsAgainstSdkServer() {
  const frames = [], urls = [];
  const wss = new WS.WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, request) => {
    urls.push(request.url);
    ws.on("message", (data) => frames.push(String(data)));
  });
  await new Promise((r) => wss.on("listening", r));
  // the query in the definition's order (fernws writes declared properties so; map keys sorted)
  const query = {
    config_version: 2, verbose_transcription: true,
    session_settings: {
      audio: { channels: 1, encoding: "linear16", sample_rate: 16000 },
      context: { text: "a b&c=d/[x]", type: "temporary" },
      system_prompt: "Answer in one sentence.",
      variables: { a: "x y", b: 1.5, c: true },
    },
  };
  const peer = startPeer(["client", FIXTURE, "empathic-voice.chat", `ws://127.0.0.1:${wss.address().port}/v0/evi`],
    { QUERY: JSON.stringify(query) });
  try {
    await peer.wait((e) => e.event === "done" || e.event === "error");
    const published = peer.all((e) => e.event === "published");
    await until(() => frames.length >= published.length);
    const want = qs.toQueryString(query, { arrayFormat: "repeat" });
    const gotQuery = (urls[0] || "").split("?")[1] || "";
    check("hume fernws client: the query string is the SDK's toQueryString of the same value", gotQuery === want,
      { fernws: gotQuery, sdk: want });
    check("hume fernws client: every frame arrived", frames.length === published.length && published.length > 0,
      { published: published.length, frames: frames.length });
    for (const u of peer.all((e) => e.event === "unsendable")) check(`hume fernws client: ${u.kind} generated`, false, u.why);
    published.forEach((p, i) => {
      const r = S.PublishEvent.parse(JSON.parse(frames[i] || "null"), { unrecognizedObjectKeys: "passthrough" });
      if (r.ok) return check(`hume fernws client -> SDK schema: ${p.kind} accepted as a PublishEvent`, true);
      // the member schema says which key is at fault
      judge(p.kind, frames[i], "hume fernws client -> SDK schema");
    });
  } finally {
    peer.stop();
    wss.close();
  }
}

module.exports = async function () {
  await sdkAgainstFernws();
  await fernwsAgainstSdkServer();
};
