#!/usr/bin/python3
"""raw_peer.py: a hostile WebSocket peer on raw sockets, for the tests that need frames and
handshakes no well-behaved library would produce. Standard library only.

Every line it prints on stdout is one JSON object.

SERVER MODE   raw_peer.py server [options]
  First line {"port": N}. Each connection (in its own thread) prints
    {"event": "request", "conn": K, "target": "/p?q", "headers": {lower-name: value}}
  then the handshake answer is written, then the script runs, then the connection is read until
  EOF (or --linger seconds), every frame reported.
  Options:
    --status N        answer with this HTTP status instead of 101 (body: --body TEXT); a list
                      "302,101" gives the status of each connection in turn (the last repeats)
    --location URL    add a Location header (for 3xx answers); {port} stands for our own port
    --http10          answer "HTTP/1.0 101 ..."
    --bad-accept      a wrong Sec-WebSocket-Accept
    --no-upgrade      leave out the Upgrade header
    --subprotocol P   answer with this Sec-WebSocket-Protocol
    --script JSON     the actions to run after the handshake (see below)
    --linger S        after the script, read for at most S seconds (default 10)
    --count N         exit after N connections ended (default: run until killed)

CLIENT MODE   raw_peer.py client ws://HOST:PORT/PATH [options]
  Prints {"event": "response", "status": N, "headers": {...}, "body": "..."} after the handshake,
  then runs the script and reads as above, then {"event": "done"} and exits.
  Options:
    --header NAME:VALUE   extra request header (repeatable)
    --version V           Sec-WebSocket-Version (default 13)
    --script JSON, --linger S   as above

Script: a JSON list of actions, run in order.
  {"frame": {...}}   one frame. Keys: op (default 1), fin (default true), rsv (0-7), mask
                     (default: true for a client, false for a server), payload (text), hex
                     (bytes), fill_hex (bytes) repeated n times, or prefix + fill (one
                     character) repeated n times + suffix; header_only: the header alone; len:
                     the length written in the header instead of the payload's; chunk: write the
                     bytes in pieces of this size; cut: write only the first `cut` bytes
  {"message": {...}} a whole message: payload keys as for a frame, op, frag (payload bytes per
                     frame: the first frame has op, then continuations), chunk
  {"raw": HEX}       bytes as given
  {"sleep": S}
  {"read": N, "timeout": S}   report frames until N have come (or EOF, or S seconds: default 10)
  {"until_close": S}          report frames until a close frame (or EOF, or S seconds)
  {"echo": N, "timeout": S}   send back each of the next N data frames (same opcode), unmasked
                              for a server, masked for a client
  {"until": {"messages": N, "pongs": P}, "timeout": S}   report frames until N whole data
                              messages and P pongs came (or a close, EOF, S seconds)
  {"mark": NAME}              print {"event": "mark", "name": NAME} (orders what came before)
  {"shutdown": true}          shut the write side (FIN)
Whole data messages are also reported: {"event": "message", "conn": K, "op": 1|2, "len": N,
  "data" or "hex": the first 200 bytes}.
Reported frames: {"event": "frame", "conn": K, "op": N, "fin": b, "rsv": N, "masked": b,
  "len": N, "data": text (valid UTF-8, at most 200 bytes) or "hex" (at most 200 bytes), for a
  close frame "code" and "reason_hex"}. {"event": "eof", "conn": K} when the peer closed TCP,
  {"event": "timeout", "conn": K} when a read gave up.
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
out_lock = threading.Lock()


def out(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class Conn:
    def __init__(self, sock, k, is_client):
        self.sock = sock
        self.k = k
        self.is_client = is_client
        self.buf = b""
        self.eof = False
        self.msg = None  # [op, length, first 200 bytes] of the data message under way

    def fill(self, deadline):
        """Reads more bytes; False on EOF or timeout (reported once)."""
        left = deadline - time.monotonic()
        if left <= 0:
            out({"event": "timeout", "conn": self.k})
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            out({"event": "timeout", "conn": self.k})
            return False
        except OSError:
            chunk = b""
        if not chunk:
            if not self.eof:
                out({"event": "eof", "conn": self.k})
            self.eof = True
            return False
        self.buf += chunk
        return True

    def need(self, n, deadline):
        while len(self.buf) < n:
            if self.eof or not self.fill(deadline):
                return False
        return True

    def read_frame(self, deadline):
        """The next frame as a dict (reported), or None."""
        if not self.need(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            if not self.need(4, deadline):
                return None
            n = struct.unpack(">H", self.buf[2:4])[0]
            pos = 4
        elif n == 127:
            if not self.need(10, deadline):
                return None
            n = struct.unpack(">Q", self.buf[2:10])[0]
            pos = 10
        masked = bool(b1 & 0x80)
        key = b""
        if masked:
            if not self.need(pos + 4, deadline):
                return None
            key = self.buf[pos:pos + 4]
            pos += 4
        if not self.need(pos + n, deadline):
            return None
        payload = self.buf[pos:pos + n]
        self.buf = self.buf[pos + n:]
        if masked:
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload)) if n < 4096 else unmask(payload, key)
        f = {"event": "frame", "conn": self.k, "op": b0 & 0x0F, "fin": bool(b0 & 0x80),
             "rsv": (b0 >> 4) & 7, "masked": masked, "len": n}
        if f["op"] == 8 and n >= 2:
            f["code"] = struct.unpack(">H", payload[:2])[0]
            f["reason_hex"] = payload[2:].hex()
        head = payload[:200]
        try:
            f["data"] = head.decode("utf-8")
        except UnicodeDecodeError:
            f["hex"] = head.hex()
        f["_payload"] = payload
        out({k: v for k, v in f.items() if k != "_payload"})
        if f["op"] in (0, 1, 2):  # data frames also as whole messages
            if f["op"] != 0 or self.msg is None:
                self.msg = [f["op"], 0, b""]
            self.msg[1] += n
            if len(self.msg[2]) < 200:
                self.msg[2] += payload[:200 - len(self.msg[2])]
            if f["fin"]:
                m = {"event": "message", "conn": self.k, "op": self.msg[0], "len": self.msg[1]}
                try:
                    m["data"] = self.msg[2].decode("utf-8")
                except UnicodeDecodeError:
                    m["hex"] = self.msg[2].hex()
                out(m)
                self.msg = None
        return f

    def send(self, data, chunk=0):
        try:
            if chunk and chunk > 0:
                for i in range(0, len(data), chunk):
                    self.sock.sendall(data[i:i + chunk])
                    time.sleep(0.001)
            else:
                self.sock.sendall(data)
        except OSError as e:
            out({"event": "send_failed", "conn": self.k, "error": str(e)})


def unmask(payload, key):
    k = (key * ((len(payload) + 3) // 4))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(len(payload), "big")


def build_payload(spec):
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "fill_hex" in spec:
        return bytes.fromhex(spec["fill_hex"]) * int(spec.get("n", 0))
    if "fill" in spec:
        return (spec.get("prefix", "").encode() + spec["fill"].encode() * int(spec.get("n", 0))
                + spec.get("suffix", "").encode())
    return spec.get("payload", "").encode()


def build_message(spec, is_client):
    """A whole message as frames of at most `frag` payload bytes each (one frame when 0)."""
    payload = build_payload(spec)
    frag = spec.get("frag", 0) or max(1, len(payload))
    pieces = [payload[i:i + frag] for i in range(0, len(payload), frag)] or [b""]
    data = b""
    for i, piece in enumerate(pieces):
        data += build_frame({"op": spec.get("op", 1) if i == 0 else 0, "fin": i == len(pieces) - 1,
                             "hex": piece.hex()}, is_client)
    return data


def build_frame(spec, is_client):
    payload = build_payload(spec)
    n = spec.get("len", len(payload))
    b0 = (0x80 if spec.get("fin", True) else 0) | ((spec.get("rsv", 0) & 7) << 4) | (spec.get("op", 1) & 0x0F)
    mask = spec.get("mask", is_client)
    if mask == "wrong":  # the masking the other side must refuse
        mask = not is_client
    if n < 126:
        hdr = bytes([b0, (0x80 if mask else 0) | n])
    elif n < 65536:
        hdr = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack(">Q", n)
    if mask:
        key = os.urandom(4)
        hdr += key
        payload = unmask(payload, key) if payload else payload
    data = hdr + payload
    if spec.get("header_only"):
        data = hdr
    if "cut" in spec:
        data = data[:spec["cut"]]
    return data


def run_script(c, script, linger):
    for act in script:
        if "frame" in act:
            c.send(build_frame(act["frame"], c.is_client), act["frame"].get("chunk", 0))
        elif "message" in act:
            c.send(build_message(act["message"], c.is_client), act["message"].get("chunk", 0))
        elif "raw" in act:
            c.send(bytes.fromhex(act["raw"]))
        elif "sleep" in act:
            time.sleep(act["sleep"])
        elif "read" in act:
            deadline = time.monotonic() + act.get("timeout", 10)
            for _ in range(act["read"]):
                if c.read_frame(deadline) is None:
                    break
        elif "until_close" in act:
            deadline = time.monotonic() + act["until_close"]
            while True:
                f = c.read_frame(deadline)
                if f is None or f["op"] == 8:
                    break
        elif "echo" in act:
            deadline = time.monotonic() + act.get("timeout", 10)
            left = act["echo"]
            while left > 0:
                f = c.read_frame(deadline)
                if f is None:
                    break
                if f["op"] in (1, 2):
                    spec = {"op": f["op"], "hex": f["_payload"].hex()}
                    c.send(build_frame(spec, c.is_client))
                    left -= 1
        elif "until" in act:
            want = act["until"]
            deadline = time.monotonic() + act.get("timeout", 10)
            msgs = pongs = 0
            while msgs < want.get("messages", 0) or pongs < want.get("pongs", 0):
                f = c.read_frame(deadline)
                if f is None or f["op"] == 8:
                    break
                if f["op"] in (0, 1, 2) and f["fin"]:
                    msgs += 1
                elif f["op"] == 10:
                    pongs += 1
        elif "mark" in act:
            out({"event": "mark", "conn": c.k, "name": act["mark"]})
        elif "shutdown" in act:
            try:
                c.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
    deadline = time.monotonic() + linger
    while not c.eof and c.read_frame(deadline) is not None:
        pass


def read_head(sock, deadline):
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except (socket.timeout, OSError):
            return None, b""
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = headers[key] + ", " + value.strip() if key in headers else value.strip()
    return (lines[0], headers), rest


def accept_value(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def serve_one(sock, k, a, script, done):
    try:
        got, rest = read_head(sock, time.monotonic() + 10)
        if not got:
            out({"event": "eof", "conn": k})
            return
        first, headers = got
        parts = first.split(" ")
        out({"event": "request", "conn": k, "target": parts[1] if len(parts) > 1 else "", "headers": headers})
        seq = [int(x) for x in str(a.status).split(",")]
        status = seq[min(k, len(seq)) - 1]
        if status != 101:
            body = (a.body or "").encode()
            resp = "HTTP/1.1 %d Nope\r\nContent-Length: %d\r\nConnection: close\r\n" % (status, len(body))
            if a.location:
                resp += "Location: %s\r\n" % a.location.replace("{port}", str(sock.getsockname()[1]))
            sock.sendall(resp.encode() + b"\r\n" + body)
            time.sleep(0.2)
            return
        acc = accept_value(headers.get("sec-websocket-key", ""))
        if a.bad_accept:
            acc = accept_value("not-the-key")
        resp = "HTTP/1.%d 101 Switching Protocols\r\n" % (0 if a.http10 else 1)
        if not a.no_upgrade:
            resp += "Upgrade: websocket\r\n"
        resp += "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n" % acc
        if a.subprotocol:
            resp += "Sec-WebSocket-Protocol: %s\r\n" % a.subprotocol
        sock.sendall(resp.encode() + b"\r\n")
        c = Conn(sock, k, False)
        c.buf = rest
        run_script(c, script, a.linger)
    finally:
        try:
            sock.close()
        except OSError:
            pass
        done.release()


def server_main(a, script):
    ls = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(64)
    out({"port": ls.getsockname()[1]})
    done = threading.Semaphore(0)
    k = 0
    threads = []
    while a.count == 0 or k < a.count:
        sock, _ = ls.accept()
        k += 1
        t = threading.Thread(target=serve_one, args=(sock, k, a, script, done), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


def client_main(a, script):
    u = urlsplit(a.url)
    host = u.hostname
    port = u.port or 80
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    target = (u.path or "/") + ("?" + u.query if u.query else "")
    req = "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" % (target, host, port)
    req += "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n" % (key, a.version)
    for h in a.header:
        name, _, value = h.partition(":")
        req += "%s: %s\r\n" % (name, value)
    sock.sendall(req.encode() + b"\r\n")
    got, rest = read_head(sock, time.monotonic() + 10)
    if not got:
        out({"event": "response", "status": 0})
        out({"event": "done"})
        return
    first, headers = got
    parts = first.split(" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    body = ""
    if status != 101:
        sock.settimeout(1)
        try:
            while len(rest) < int(headers.get("content-length", "0")):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
        except (OSError, ValueError):
            pass
        body = rest.decode("latin-1")
    out({"event": "response", "status": status, "headers": headers, "body": body})
    if status == 101:
        c = Conn(sock, 1, True)
        c.buf = rest
        run_script(c, script, a.linger)
    sock.close()
    out({"event": "done"})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--status", default="101")
    s.add_argument("--body")
    s.add_argument("--location")
    s.add_argument("--http10", action="store_true")
    s.add_argument("--bad-accept", action="store_true")
    s.add_argument("--no-upgrade", action="store_true")
    s.add_argument("--subprotocol")
    s.add_argument("--count", type=int, default=0)
    for q in (s, sub.add_parser("client")):
        q.add_argument("--script", default="[]")
        q.add_argument("--linger", type=float, default=10)
    c = sub.choices["client"]
    c.add_argument("url")
    c.add_argument("--header", action="append", default=[])
    c.add_argument("--version", default="13")
    a = p.parse_args()
    script = json.loads(a.script)
    if a.mode == "server":
        server_main(a, script)
    else:
        client_main(a, script)


if __name__ == "__main__":
    main()
