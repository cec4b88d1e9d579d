// Shared by the interop scenarios (scripts/interop.sh): the fernws peer as a child process, the
// report (one JSON line per check), and a reader of the TypeScript declarations an SDK ships when it
// ships no runtime schemas (Deepgram's).
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const readline = require("readline");

const NODE_DIR = process.env.FWS_INTEROP_NODE; // where interop.sh installed the SDKs
const req = (name) => require(path.join(NODE_DIR, "node_modules", name));

// ---- report ----------------------------------------------------------------------------------------
// One line per check: "ok    name", "FAIL  name: detail" (detail as JSON); a named difference
// between the fixture and the SDK: "DIFF  name: detail".
const results = { passed: 0, failed: 0, differences: 0 };
const shown = (d) => (typeof d === "string" ? d : JSON.stringify(d));
function check(name, ok, detail) {
  ok ? results.passed++ : results.failed++;
  console.log(ok ? `ok    ${name}` : `FAIL  ${name}: ${shown(detail === undefined ? null : detail)}`);
  return ok;
}
function difference(name, detail) {
  results.differences++;
  console.log(`DIFF  ${name}: ${shown(detail)}`);
}

// ---- the fernws peer --------------------------------------------------------------------------------
// Starts scripts/interop/peer.lua with args (lua5.4 with the caller's LUA_PATH/CPATH); events arrive
// in peer.events; peer.wait(pred, ms) resolves with the first matching event.
function startPeer(args, env) {
  const child = spawn("lua5.4", [path.join(__dirname, "peer.lua"), ...args], {
    env: Object.assign({}, process.env, env || {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const peer = { child, events: [], stderr: "", waiters: [] };
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    let ev;
    try { ev = JSON.parse(line); } catch (e) { ev = { event: "text", line }; }
    peer.events.push(ev);
    peer.waiters = peer.waiters.filter((w) => !(w.pred(ev) && (w.resolve(ev), true)));
  });
  child.stderr.on("data", (d) => { peer.stderr += d; });
  peer.wait = (pred, ms) => new Promise((resolve, reject) => {
    const found = peer.events.find(pred);
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error("timed out waiting on the fernws peer; stderr: " + peer.stderr)), ms || 15000);
    peer.waiters.push({ pred, resolve: (ev) => { clearTimeout(timer); resolve(ev); } });
  });
  peer.all = (pred) => peer.events.filter(pred);
  peer.stop = () => { try { child.kill("SIGTERM"); } catch (e) { /* gone */ } };
  return peer;
}

// Waits until cond() is true (polled), or ms pass (then false).
async function until(cond, ms) {
  const end = Date.now() + (ms || 10000);
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

// ---- TypeScript declarations as schemas --------------------------------------------------------------
// Reads `export interface Name { prop?: type; }` from the .d.ts files of a folder into
// {Name: {prop: {type, optional}}}, and `Name.Type` namespaces of string constants (open enums).
function readInterfaces(dir) {
  const out = {};
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith(".d.ts")) continue;
    const text = fs.readFileSync(path.join(dir, f), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
    const re = /export interface (\w+) \{([\s\S]*?)\n\}/g;
    let m;
    while ((m = re.exec(text))) {
      const props = {};
      for (const line of m[2].split("\n")) {
        const p = line.match(/^\s*(\w+)(\?)?:\s*(.+?);\s*$/);
        if (p) props[p[1]] = { type: p[3].replace(/\s*\|\s*undefined$/, ""), optional: !!p[2] };
      }
      out[m[1]] = props;
    }
  }
  return out;
}

// The problems of value against interface props (empty: it fits). Types understood: string,
// number, boolean, "literal", T[] of those, X.Type (an open string enum), anything else unchecked.
function fitsInterface(value, props) {
  const problems = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["not an object"];
  const one = (v, type, where) => {
    if (type.endsWith("[]")) {
      if (!Array.isArray(v)) return problems.push(`${where}: expected ${type}`);
      return v.forEach((x, i) => one(x, type.slice(0, -2), `${where}[${i}]`));
    }
    if (type === "string" || /^\w+\.Type$/.test(type)) { if (typeof v !== "string") problems.push(`${where}: expected string`); return; }
    if (type === "number") { if (typeof v !== "number") problems.push(`${where}: expected number`); return; }
    if (type === "boolean") { if (typeof v !== "boolean") problems.push(`${where}: expected boolean`); return; }
    const lit = type.match(/^"(.*)"$/);
    if (lit && v !== lit[1]) problems.push(`${where}: expected "${lit[1]}"`);
  };
  for (const [name, p] of Object.entries(props)) {
    if (value[name] === undefined) { if (!p.optional) problems.push(`${name}: required, missing`); continue; }
    one(value[name], p.type, name);
  }
  for (const name of Object.keys(value)) if (!(name in props)) problems.push(`${name}: not in the SDK's type`);
  return problems;
}

module.exports = { NODE_DIR, req, check, difference, results, startPeer, until, readInterfaces, fitsInterface };
