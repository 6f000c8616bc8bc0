"""ws_client: a minimal WebSocket client (RFC 6455) over the Python 3 stdlib for okno's
integration tests (python3-websockets is not a dependency). Text frames only, masked
as a client must; answers pings with pongs; JSON helpers for the web chat's messages.

    ws = WsClient("127.0.0.1", port, "/chat/ws", cookie="okno_session=...")
    ws.send_json({"t": "hello"})
    m = ws.recv_json(timeout=10)        # the next text message as an object
    ws.until(lambda m: m["t"] == "msg") # skips others until one matches
    ws.close()
"""
import base64
import json
import os
import socket
import struct
import time


class WsClosed(Exception):
    pass


class WsClient:
    def __init__(self, host, port, path, cookie=None, timeout=10, origin=None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, host, port, key))
        if cookie:
            req += "Cookie: %s\r\n" % cookie
        if origin:
            req += "Origin: %s\r\n" % origin
        self.sock.sendall((req + "\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise WsClosed("closed during the handshake: %r" % head)
            head += chunk
        self.status = int(head.split(b" ", 2)[1])
        self.buf = b""
        self.closed = False
        if self.status != 101:
            raise WsClosed("handshake answered %d: %r" % (self.status, head))

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def send_text(self, text):
        self._send_frame(0x1, text.encode() if isinstance(text, str) else text)

    def send_binary(self, data):
        self._send_frame(0x2, data)

    def send_json(self, obj):
        self.send_text(json.dumps(obj, ensure_ascii=False))

    def _read(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no WebSocket message in time")
            if not chunk:
                self.closed = True
                raise WsClosed("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_text(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            b0, b1 = self._read(2, deadline)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2, deadline))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8, deadline))[0]
            payload = self._read(n, deadline)
            op = b0 & 0x0F
            if op == 0x9:
                self._send_frame(0xA, payload)
            elif op == 0x8:
                self.closed = True
                raise WsClosed("close frame %r" % payload)
            elif op == 0x1:
                return payload.decode()

    def recv_json(self, timeout=10):
        return json.loads(self.recv_text(timeout))

    def until(self, pred, timeout=15):
        """The first message (JSON) matching pred; the others are kept in self.seen."""
        deadline = time.monotonic() + timeout
        self.seen = getattr(self, "seen", [])
        while True:
            m = self.recv_json(max(0.05, deadline - time.monotonic()))
            self.seen.append(m)
            if pred(m):
                return m

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()
