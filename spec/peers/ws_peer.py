#!/usr/bin/python3
"""ws_peer.py: an independent WebSocket peer (Debian's python3-websockets 10.4) for tests.

Run it with /usr/bin/python3 (the system Python has python3-websockets), never a venv python.
Every line it prints on stdout is one JSON object; stderr is for humans.

SERVER MODE
  ws_peer.py server [options]
  First line: {"port": N}. Then one line per event:
    {"event": "connect", "path": "/a/b", "query": "x=1&y=2", "target": "/a/b?x=1&y=2",
     "headers": {"name": "value", ...} (names lower-case; repeated ones joined with ", "),
     "subprotocols": ["offered", ...], "subprotocol": "answered" | null}
    {"event": "message", "type": "text", "data": "..."}  or  {"type": "binary", "hex": "..."}
    {"event": "closed", "code": 1000, "reason": "..."}
  Behaviour per connection: echo every message back (text as text, binary as binary; every message
  that came before the client's close frame is reported, even when its echo can no longer go), except
  these text commands:
    "__info__"              reply with the JSON of the connect event above (a text message)
    "__close__ CODE REASON" close with that code and reason
    "__binary__ N"          reply with N binary bytes (0..255 repeating)
    "__text__ N"            reply with a text message of N "x"
    "__ping__"              send a ping (the pong shows up on your side only as keepalive)
    "__ping_wait__"         send a ping and reply "__pong__" when its pong came back within 5 s,
                            else "__no_pong__"
    "__fragments__ K TEXT"  reply with TEXT as one text message sent in K fragments (frames)
  Options:
    --host H          bind address (default 127.0.0.1)
    --port P          port (default 0: the kernel picks one)
    --cert F --key F  serve wss with this certificate and key
    --refuse STATUS   refuse every handshake with this HTTP status (body "refused")
    --answer MODE     subprotocol to answer: "first" (default: the first one offered), "none",
                      or a name (answered only when offered)
    --close CODE[:REASON]   close every connection with this code right after the handshake
    --no-read         after the handshake stop reading the socket at all (no pongs, no close
                      replies): a peer that hung
    --ping SECS       send a ping every SECS (default: never)
    --send-binary N   send one N-byte binary message right after the handshake
    --send-text N     send one N-byte text message right after the handshake (e.g. oversize)
    --max-size N      largest incoming message (default: no limit)
    --count N         exit after N connections closed (default: run until killed)

CLIENT MODE
  ws_peer.py client URL [options]
  Prints {"event": "open", "subprotocol": ...}, then {"event": "message", ...} for each
  message received, then {"event": "closed", "code": C, "reason": R}; on a failed handshake
  {"event": "error", "status": 401, "message": "..."}; exits 0 after a close, 1 on error.
  Options:
    --header NAME:VALUE   extra request header (repeatable)
    --subprotocol NAME    offer a subprotocol (repeatable, in order)
    --send TEXT           send a text message after opening (repeatable, in order)
    --send-binary-hex HEX send a binary message (repeatable)
    --send-big N          send one text message of N "x"
    --send-sizes LIST     send, in one burst, "t125" (text of 125 "x") or "b65536" (binary, bytes
                          0..255 repeating) for each comma-separated item
    --expect N            wait for N messages before closing (default: as many as sent)
    --close CODE[:REASON] close with this code when done (default 1000)
    --wait-close          do not close: wait for the server to close
    --ca F | --insecure   TLS trust: this CA file, or no verification
    --timeout S           give up after S seconds (default 10)
"""

import argparse
import http
import logging
import asyncio
import json
import ssl
import sys

import websockets
import websockets.exceptions
import websockets.server


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def msg_event(data):
    """Messages over 1000 bytes are reported by length and head only."""
    if isinstance(data, bytes):
        ev = {"event": "message", "type": "binary", "len": len(data)}
        ev["hex" if len(data) <= 1000 else "head"] = data[:1000].hex()
        return ev
    ev = {"event": "message", "type": "text", "len": len(data)}
    ev["data" if len(data) <= 1000 else "head"] = data[:100]
    return ev


def parse_close(spec):
    code, _, reason = spec.partition(":")
    return int(code), reason


def request_info(ws):
    path, _, query = ws.path.partition("?")
    headers = {}
    for name, value in ws.request_headers.raw_items():
        key = name.lower()
        headers[key] = headers[key] + ", " + value if key in headers else value
    offered = []
    for value in ws.request_headers.get_all("Sec-WebSocket-Protocol"):
        offered += [p.strip() for p in value.split(",") if p.strip()]
    return {"event": "connect", "path": path, "query": query, "target": ws.path,
            "headers": headers, "subprotocols": offered, "subprotocol": ws.subprotocol}


def make_protocol(answer):
    class Proto(websockets.server.WebSocketServerProtocol):
        def process_subprotocol(self, headers, available_subprotocols):
            offered = []
            for value in headers.get_all("Sec-WebSocket-Protocol"):
                offered += [p.strip() for p in value.split(",") if p.strip()]
            if not offered or answer == "none":
                return None
            if answer == "first":
                return offered[0]
            return answer if answer in offered else None
    return Proto


async def server_main(a):
    closed = 0
    done = asyncio.get_running_loop().create_future()

    async def process_request(path, headers):
        if a.refuse:
            return http.HTTPStatus(a.refuse), [("Content-Type", "text/plain")], b"refused\n"
        return None

    async def handler(ws, path=None):
        nonlocal closed
        info = request_info(ws)
        out(info)
        try:
            if a.no_read:
                ws.transport.pause_reading()
                await asyncio.sleep(3600)
            if a.send_binary is not None:
                await ws.send(bytes(i % 256 for i in range(a.send_binary)))
            if a.send_text is not None:
                await ws.send("x" * a.send_text)
            if a.close:
                code, reason = parse_close(a.close)
                await ws.close(code, reason)
            async for data in ws:
                if isinstance(data, str) and data.startswith("__"):
                    cmd, _, arg = data.partition(" ")
                    if cmd == "__info__":
                        await ws.send(json.dumps(info))
                        continue
                    if cmd == "__close__":
                        code, _, reason = arg.partition(" ")
                        await ws.close(int(code), reason)
                        break
                    if cmd == "__binary__":
                        await ws.send(bytes(i % 256 for i in range(int(arg))))
                        continue
                    if cmd == "__text__":
                        await ws.send("x" * int(arg))
                        continue
                    if cmd == "__ping__":
                        await ws.ping()
                        continue
                    if cmd == "__fragments__":
                        k, _, text = arg.partition(" ")
                        k = max(1, int(k))
                        step = max(1, -(-len(text) // k))
                        await ws.send([text[i:i + step] for i in range(0, len(text), step)])
                        continue
                    if cmd == "__ping_wait__":
                        waiter = await ws.ping()
                        try:
                            await asyncio.wait_for(waiter, 5)
                            await ws.send("__pong__")
                        except asyncio.TimeoutError:
                            await ws.send("__no_pong__")
                        continue
                out(msg_event(data))
                try:
                    await ws.send(data)
                except websockets.exceptions.ConnectionClosed:
                    pass  # the client's close came in: still report what it sent before it
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            out({"event": "closed", "code": ws.close_code, "reason": ws.close_reason})
            closed += 1
            if a.count and closed >= a.count and not done.done():
                done.set_result(None)

    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    async with websockets.serve(handler, a.host, a.port, ssl=ctx, process_request=process_request,
                                create_protocol=make_protocol(a.answer),
                                ping_interval=a.ping, ping_timeout=None,
                                max_size=a.max_size, compression=None) as srv:
        port = list(srv.sockets)[0].getsockname()[1]
        out({"port": port})
        await done


async def client_main(a):
    ctx = None
    if a.url.startswith("wss:"):
        ctx = ssl.create_default_context(cafile=a.ca)
        if a.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    headers = [tuple(h.split(":", 1)) for h in a.header]
    try:
        ws = await websockets.connect(a.url, extra_headers=headers, ssl=ctx,
                                      subprotocols=a.subprotocol or None, max_size=None,
                                      compression=None, open_timeout=a.timeout)
    except websockets.exceptions.InvalidStatusCode as e:
        out({"event": "error", "status": e.status_code, "message": str(e)})
        return 1
    except Exception as e:  # noqa: BLE001 - report whatever it was
        out({"event": "error", "status": 0, "message": str(e)})
        return 1
    out({"event": "open", "subprotocol": ws.subprotocol})
    sent = 0
    for text in a.send:
        await ws.send(text)
        sent += 1
    for hx in a.send_binary_hex:
        await ws.send(bytes.fromhex(hx))
        sent += 1
    if a.send_big is not None:
        await ws.send("x" * a.send_big)
        sent += 1
    for item in (a.send_sizes.split(",") if a.send_sizes else []):
        n = int(item[1:])
        await ws.send("x" * n if item[0] == "t" else bytes(i % 256 for i in range(n)))
        sent += 1
    want = a.expect if a.expect is not None else sent
    try:
        for _ in range(want):
            data = await asyncio.wait_for(ws.recv(), a.timeout)
            out(msg_event(data))
        if a.wait_close:
            await asyncio.wait_for(ws.wait_closed(), a.timeout)
        else:
            code, reason = parse_close(a.close)
            await ws.close(code, reason)
    except websockets.exceptions.ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        out({"event": "error", "status": 0, "message": "timeout"})
        return 1
    await ws.wait_closed()
    out({"event": "closed", "code": ws.close_code, "reason": ws.close_reason})
    return 0


def main():
    p = argparse.ArgumentParser(description="WebSocket test peer (see the file header)")
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--refuse", type=int)
    s.add_argument("--answer", default="first")
    s.add_argument("--close")
    s.add_argument("--no-read", action="store_true")
    s.add_argument("--ping", type=float)
    s.add_argument("--send-binary", type=int)
    s.add_argument("--send-text", type=int)
    s.add_argument("--max-size", type=int)
    s.add_argument("--count", type=int, default=0)
    c = sub.add_parser("client")
    c.add_argument("url")
    c.add_argument("--header", action="append", default=[])
    c.add_argument("--subprotocol", action="append", default=[])
    c.add_argument("--send", action="append", default=[])
    c.add_argument("--send-binary-hex", action="append", default=[])
    c.add_argument("--send-big", type=int)
    c.add_argument("--send-sizes")
    c.add_argument("--expect", type=int)
    c.add_argument("--close", default="1000")
    c.add_argument("--wait-close", action="store_true")
    c.add_argument("--ca")
    c.add_argument("--insecure", action="store_true")
    c.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    try:
        if a.mode == "server":
            asyncio.run(server_main(a))
            return 0
        return asyncio.run(client_main(a))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
