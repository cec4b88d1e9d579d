// The TypeScript declarations an SDK ships, read by the TypeScript compiler (the `typescript`
// package interop.sh installs beside the SDKs), for SDKs that ship no runtime schemas (Deepgram's):
// what a generated socket class sends (its public send* methods and their parameter types), which
// server messages its Response union names, which connect arguments its client takes; and whether a
// JSON value fits one of those types, with every problem at its path.
"use strict";
const fs = require("fs");
const path = require("path");

// open(nodeDir, sockets): sockets is {name: {socket: "<.d.ts path of the Socket class, no ext>",
// socketClass, client: "<... Client>", clientClass}}; one program for all of them.
function open(nodeDir, sockets) {
  const ts = require(path.join(nodeDir, "node_modules", "typescript"));
  const names = Object.keys(sockets);
  let src = "";
  names.forEach((n, i) => {
    const s = sockets[n];
    src += `import type { ${s.socketClass} as S${i} } from ${JSON.stringify(s.socket)};\n`;
    src += `import type { ${s.clientClass} as C${i} } from ${JSON.stringify(s.client)};\n`;
    src += `export type Sock${i} = S${i};\nexport type Resp${i} = S${i}.Response;\nexport type Args${i} = C${i}.ConnectArgs;\n`;
  });
  const file = path.join(nodeDir, "__fernws_interop_types.ts"); // never written: served from memory
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ["lib.es2020.d.ts", "lib.dom.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (f, lang, ...rest) =>
    path.resolve(f) === file ? ts.createSourceFile(f, src, lang, true) : read.call(host, f, lang, ...rest);
  const fileExists = host.fileExists;
  host.fileExists = (f) => path.resolve(f) === file || fileExists.call(host, f);
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file);
  const problems = ts.getPreEmitDiagnostics(program, sf)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
  if (problems.length) throw new Error("the SDK's declarations do not compile here: " + problems.join("; "));
  const alias = {};
  for (const st of sf.statements) {
    if (ts.isTypeAliasDeclaration(st)) alias[st.name.text] = checker.getTypeFromTypeNode(st.type);
  }
  const typeOf = (sym) => checker.getTypeOfSymbolAtLocation(sym, sf);
  const nameOf = (t) => (t.aliasSymbol && t.aliasSymbol.name) || (t.symbol && t.symbol.name) || checker.typeToString(t);
  const members = (t) => (t.isUnion() ? t.types : [t]);

  function socket(name) {
    const i = names.indexOf(name);
    const sock = alias[`Sock${i}`], resp = alias[`Resp${i}`], args = alias[`Args${i}`];
    const sends = [];
    for (const sym of checker.getPropertiesOfType(sock)) {
      if (!/^send[A-Z]/.test(sym.name)) continue;
      const decl = sym.valueDeclaration || (sym.declarations || [])[0];
      if (decl && ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Protected | ts.ModifierFlags.Private)) continue;
      const sig = checker.getSignaturesOfType(typeOf(sym), ts.SignatureKind.Call)[0];
      const param = sig && sig.parameters[0] ? typeOf(sig.parameters[0]) : null;
      const binary = !!param && /ArrayBuffer/.test(checker.typeToString(param));
      sends.push({ method: sym.name, type: param, typeName: param ? nameOf(param) : "?", binary });
    }
    // the union as written (TypeScript keeps it as `origin`), so a member that is itself a union
    // of anonymous objects (AgentV1History) keeps its name
    const responses = members(resp.origin && resp.origin.isUnion() ? resp.origin : resp)
      .filter((t) => !(t.flags & ts.TypeFlags.String))
      .map((t) => ({ name: nameOf(t), type: t }));
    const connectArgs = checker.getPropertiesOfType(args).map((s) => s.name);
    return { sends, responses, connectArgs };
  }

  // The problems of value against type: {path, kind: "missing" (a required property absent),
  // "extra" (a property the type does not have), "wrong" (anything else), detail}.
  function fit(value, type, where) {
    const out = [];
    one(value, type, where || "", out);
    return out;
  }
  function one(v, t, at, out) {
    const f = t.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (t.isUnion()) {
      let best = null;
      for (const m of t.types) {
        const p = [];
        one(v, m, at, p);
        if (!p.length) return;
        const score = p.filter((x) => x.kind === "wrong").length * 1000 + p.length;
        if (!best || score < best.score) best = { score, p };
      }
      out.push(...best.p);
      return;
    }
    const wrong = (what) => out.push({ path: at || "(top)", kind: "wrong", detail: `expected ${what}, got ${JSON.stringify(v)}` });
    if (f & ts.TypeFlags.StringLiteral) return v === t.value ? undefined : wrong(JSON.stringify(t.value));
    if (f & ts.TypeFlags.NumberLiteral) return v === t.value ? undefined : wrong(String(t.value));
    if (f & ts.TypeFlags.BooleanLiteral) return v === (t.intrinsicName === "true") ? undefined : wrong(t.intrinsicName);
    if (f & ts.TypeFlags.StringLike) return typeof v === "string" ? undefined : wrong("a string");
    if (f & ts.TypeFlags.NumberLike) return typeof v === "number" ? undefined : wrong("a number");
    if (f & ts.TypeFlags.BooleanLike) return typeof v === "boolean" ? undefined : wrong("a boolean");
    if (f & ts.TypeFlags.Null) return v === null ? undefined : wrong("null");
    if (f & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return v === undefined ? undefined : wrong("nothing");
    if (checker.isArrayType(t) || checker.isTupleType(t)) {
      if (!Array.isArray(v)) return wrong(`an array (${checker.typeToString(t)})`);
      const args = checker.getTypeArguments(t);
      v.forEach((x, i) => one(x, checker.isTupleType(t) ? args[i] || args[args.length - 1] : args[0], `${at}[${i}]`, out));
      return;
    }
    if (f & ts.TypeFlags.Object) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return wrong(`an object (${nameOf(t)})`);
      const props = checker.getPropertiesOfType(t);
      const index = checker.getIndexInfosOfType(t).find((x) => x.keyType.flags & ts.TypeFlags.String);
      const known = new Set();
      for (const p of props) {
        known.add(p.name);
        const sub = at ? `${at}.${p.name}` : p.name;
        if (v[p.name] === undefined) {
          if (!(p.flags & ts.SymbolFlags.Optional)) out.push({ path: sub, kind: "missing", detail: "required by the SDK" });
          continue;
        }
        one(v[p.name], typeOf(p), sub, out);
      }
      for (const k of Object.keys(v)) {
        if (known.has(k)) continue;
        const sub = at ? `${at}.${k}` : k;
        if (index) one(v[k], index.type, sub, out);
        else out.push({ path: sub, kind: "extra", detail: `not in the SDK's ${nameOf(t)}` });
      }
      return;
    }
    // intersections, enums and the rest: not judged here
  }

  return { socket, fit, nameOf };
}

// Whether the typescript package is where interop.sh installs it.
function available(nodeDir) {
  return fs.existsSync(path.join(nodeDir, "node_modules", "typescript", "package.json"));
}

module.exports = { open, available };
