// The Node `ws` server of the echo benchmark (the Node-on-both-ends row): each text message is
// parsed with JSON.parse and answered with JSON.stringify of the parsed object.
//   node node_server.js [PORT]
// Prints "port N" once it listens.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0), perMessageDeflate: false });
wss.on('listening', () => console.log(`port ${wss.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    ws.send(JSON.stringify(JSON.parse(data)));
  });
});
process.on('SIGTERM', () => process.exit(0));
