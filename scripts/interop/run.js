// Runs the interop scenarios named on the command line (hume, deepgram): one line per check (see
// lib.js), then "interop: N passed, N failed, N differences named". Exit 1 when a check failed.
"use strict";
const lib = require("./lib.js");

(async () => {
  for (const name of process.argv.slice(2)) {
    try {
      await require(`./${name}.js`)();
    } catch (e) {
      lib.check(`${name}: the scenario ran to its end`, false, e && e.stack ? String(e.stack) : require("util").inspect(e, { depth: 2 }));
    }
  }
  const r = lib.results;
  console.log(`interop: ${r.passed} passed, ${r.failed} failed, ${r.differences} differences named`);
  process.exit(lib.results.failed ? 1 : 0);
})();
