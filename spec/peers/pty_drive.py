#!/usr/bin/python3
"""pty_drive.py: runs a command in a real pseudo-terminal and types into it on request.

  pty_drive.py CMDFIFO COLS -- ARGV...

Every line it prints on stdout is one JSON object. First: {"started": PID}. Then it reads
commands, one JSON object a line, from the named pipe CMDFIFO:
  {"send": TEXT}               types TEXT (escape sequences included) into the terminal
  {"expect": REGEX, "id": N}   waits until the output since the last match (escape sequences
                               and carriage returns removed) matches; then prints
                               {"id": N, "text": THE MATCH}
  {"screen": REGEX, "id": N}   waits until the emulated screen (its lines, joined by newlines)
                               matches; then prints {"id": N, "screen": THE SCREEN}
  {"dump": true}               prints {"dump": THE SCREEN, "output": THE RAW OUTPUT}
When the command exits: {"exit": CODE, "screen": ..., "output": ...}. After 120 s it is killed
and {"timeout": true, ...} printed: a guard against a hung test, not a timing assertion.
"""
import fcntl
import json
import os
import re
import select
import signal
import struct
import sys
import termios
import time

CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1bO.|\r")


class Screen:
    """Just enough of a terminal: text, CR, LF, BS, CSI K / D / C / H / J."""

    def __init__(self, cols):
        self.cols = cols
        self.lines = [""]
        self.row = 0
        self.col = 0
        self.pending = ""

    def _put(self, ch):
        line = self.lines[self.row].ljust(self.col)
        self.lines[self.row] = line[: self.col] + ch + line[self.col + 1:]
        self.col += 1
        if self.col >= self.cols:
            self._newline()

    def _newline(self):
        self.row += 1
        self.col = 0
        if self.row == len(self.lines):
            self.lines.append("")

    def feed(self, text):
        text = self.pending + text
        self.pending = ""
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\x1b":
                m = re.match(r"\x1b\[([0-9;?]*)([ -/]*)([@-~])", text[i:])
                if not m:
                    if len(text) - i < 8:
                        self.pending = text[i:]
                        return
                    i += 1
                    continue
                arg, final = m.group(1), m.group(3)
                n = int(arg) if arg.isdigit() else 1
                if final == "K":
                    self.lines[self.row] = self.lines[self.row][: self.col]
                elif final == "D":
                    self.col = max(0, self.col - n)
                elif final == "C":
                    self.col = min(self.cols - 1, self.col + n)
                elif final == "H":
                    self.row, self.col = 0, 0
                elif final == "J":
                    self.lines = [""]
                    self.row, self.col = 0, 0
                i += len(m.group(0))
                continue
            if c == "\r":
                self.col = 0
            elif c == "\n":
                self._newline()
            elif c == "\b":
                self.col = max(0, self.col - 1)
            elif c >= " ":
                self._put(c)
            i += 1

    def text(self):
        return "\n".join(self.lines)


def main():
    fifo, cols = sys.argv[1], int(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, master = os.forkpty()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, cols, 0, 0))
    print(json.dumps({"started": pid}), flush=True)
    cmds = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    screen = Screen(cols)
    output = ""
    mark = 0
    waiting = None
    cmdbuf = b""
    deadline = time.monotonic() + 120
    status = None
    decoder = __import__("codecs").getincrementaldecoder("utf-8")("replace")

    def check():
        nonlocal waiting, mark
        if not waiting:
            return
        kind, pattern, ident = waiting
        if kind == "expect":
            plain = CSI.sub("", output[mark:])
            m = re.search(pattern, plain, re.S)
            if m:
                # the next expect starts after this match (in the raw output: at its end)
                mark = len(output)
                print(json.dumps({"id": ident, "text": m.group(0)}), flush=True)
                waiting = None
        else:
            if re.search(pattern, screen.text(), re.S | re.M):
                print(json.dumps({"id": ident, "screen": screen.text()}), flush=True)
                waiting = None

    queue = []
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print(json.dumps({"timeout": True, "screen": screen.text(), "output": CSI.sub("", output)}), flush=True)
            return
        # commands run in order: the next one only when the one before has matched
        while queue and not waiting:
            cmd = queue.pop(0)
            if "send" in cmd:
                os.write(master, cmd["send"].encode())
            elif "expect" in cmd:
                waiting = ("expect", cmd["expect"], cmd.get("id"))
                check()
            elif "screen" in cmd:
                waiting = ("screen", cmd["screen"], cmd.get("id"))
                check()
            elif "dump" in cmd:
                print(json.dumps({"dump": screen.text(), "output": output}), flush=True)
        fds = [master, cmds] if master is not None else [cmds]
        ready, _, _ = select.select(fds, [], [], 0.5)
        if master is not None and master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                os.close(master)
                master = None
                _, status = os.waitpid(pid, 0)
            else:
                text = decoder.decode(data)
                output += text
                screen.feed(text)
                check()
        if cmds in ready:
            try:
                chunk = os.read(cmds, 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                cmdbuf += chunk
                while b"\n" in cmdbuf:
                    line, cmdbuf = cmdbuf.split(b"\n", 1)
                    if line.strip():
                        queue.append(json.loads(line))
            else:
                # no writer yet, or the writer closed: do not spin on the closed pipe
                time.sleep(0.01)
        if master is None:
            code = os.waitstatus_to_exitcode(status)
            print(json.dumps({"exit": code, "screen": screen.text(), "output": CSI.sub("", output)}), flush=True)
            return


if __name__ == "__main__":
    main()
