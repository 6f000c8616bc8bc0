"""test_http_timeouts: the web server's time bounds and listen backlog, over raw sockets
against the real daemon (one start for the class): a connection that sends nothing, or
trickles a request header a byte at a time, is closed after [http] header_timeout; a body
that stops arriving is closed after [http] idle_timeout; a request sent in time is still
answered; the listening socket has the configured backlog (`ss`, iproute2).
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, Okno  # noqa: E402

HEADER_TIMEOUT = 2
IDLE_TIMEOUT = 4
BACKLOG = 77
# far above either bound: a connection still open after this was never going to close
PATIENCE = 20


def closed_by_server(s, deadline):
    """True when the server closes `s` (EOF or reset) before `deadline`."""
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            try:
                if s.recv(4096) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
    return False


class HttpTimeouts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({"http": {"header_timeout": HEADER_TIMEOUT,
                                        "idle_timeout": IDLE_TIMEOUT, "backlog": BACKLOG}})
        cls.okno.start()

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.okno.http_port), timeout=PATIENCE)
        self.addCleanup(s.close)
        return s

    def test_silent_connection_is_closed(self):
        s = self.connect()
        self.assertTrue(closed_by_server(s, time.monotonic() + PATIENCE),
                        "a connection that sends nothing stayed open")
        self.assertIn("event=header-timeout", self.okno.log())

    def test_trickled_header_is_closed(self):
        s = self.connect()
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # one byte every half second: never silent for idle_timeout, but the header
        # is never finished
        deadline = time.monotonic() + PATIENCE
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed = closed_by_server(s, time.monotonic() + 0.5)
        self.assertTrue(closed, "a header trickled a byte at a time kept the connection")

    def test_silent_body_is_closed(self):
        s = self.connect()
        s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
                  b"a=1")
        self.assertTrue(closed_by_server(s, time.monotonic() + PATIENCE),
                        "a body that stopped arriving kept the connection")

    def test_request_in_time_is_answered(self):
        s = self.connect()
        s.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT / 4)
        s.sendall(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:200])

    def test_listen_backlog(self):
        if not shutil.which("ss"):
            if os.environ.get("CI"):
                self.fail("ss (iproute2) missing: scripts/deps --test installs it")
            self.skipTest("ss (iproute2) not installed")
        out = subprocess.run(["ss", "-Hltn", "sport = :%d" % self.okno.http_port],
                             capture_output=True, text=True, check=True).stdout
        # State Recv-Q Send-Q Local Peer: Send-Q of a listening socket is its backlog
        m = re.search(r"LISTEN\s+\d+\s+(\d+)", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), BACKLOG)


if __name__ == "__main__":
    unittest.main()
