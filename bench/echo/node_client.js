// The Node `ws` client of the echo benchmark: the same work as the fernws client, with
// JSON.stringify on send and JSON.parse on receive (no schema).
//   node node_client.js URL INFLIGHT SECONDS [WARMUP]
// Prints "rate R": round trips per second over SECONDS, after WARMUP seconds.
'use strict';
const WebSocket = require('ws');

const [url, inflightArg, secsArg, warmArg] = process.argv.slice(2);
const inflight = Number(inflightArg), secs = Number(secsArg || 3), warm = Number(warmArg || 0.5);
if (!url || !inflight) {
  console.error('usage: node node_client.js URL INFLIGHT SECONDS [WARMUP]');
  process.exit(2);
}

let seq = 0, count = 0, seqsum = 0;
const ws = new WebSocket(url, { perMessageDeflate: false });
const next = () => ws.send(JSON.stringify({ seq: ++seq, op: 'echo', data: 'hello world' }));

ws.on('open', () => {
  for (let i = 0; i < inflight; i++) next();
  setTimeout(() => {
    const c0 = count, t0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
    setTimeout(() => {
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      console.log(`rate ${((count - c0) / dt).toFixed(1)}`);
      console.log(`cpu_us_per_rt ${((cpu.user + cpu.system) / Math.max(count - c0, 1)).toFixed(3)}`);
      console.log(`count ${count - c0} total ${count} seqsum ${seqsum}`);
      ws.terminate();
      process.exit(0);
    }, secs * 1000);
  }, warm * 1000);
});
ws.on('message', (data, isBinary) => {
  const msg = JSON.parse(data);
  count++;
  seqsum += msg.seq;
  next();
});
ws.on('error', (err) => { console.error('node_client:', err.message); process.exit(1); });
ws.on('close', () => { console.error('node_client: closed'); process.exit(1); });
