"""okno_it: shared helpers for okno's integration tests (tests/it/test_*.py).

Python 3 stdlib only. A test makes one Okno per daemon it needs:

    import os, sys, unittest
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from okno_it import Okno, SmtpDialogue

    class T(unittest.TestCase):
        def test_x(self):
            okno = Okno(self)                    # fresh temp dir, removed at cleanup
            okno.write_config({"smtp": {"max_recipients": "3"}})   # overrides per group
            okno.start()                         # `okno serve`, returns once it listens
            with SmtpDialogue(okno.smtp_port) as d:      # raw SMTP, replies as (code, text)
                self.assertEqual(d.greeting[0], 220)
                code, text = d.cmd("EHLO me")
            appeals = okno.list_json()           # `okno list --json`
            self.assertEqual(okno.stop(), 0)     # SIGTERM, waits, returns the exit status

What it provides:
  - Okno(test): `dir` (temp dir), `config_path`, free ports `smtp_port`, `lmtp_port`,
    `http_port` (127.0.0.1 only); `lmtp_socket` (a path in `dir`) for unix: LMTP.
  - write_config(overrides=None, lmtp="tcp"|"unix"|None): writes `dir`/okno.ini with a
    working default setup (store_url's store and maildir outbox inside `dir`, support
    address support@portal.example, hostname okno.test, `[auth] verify = 0`: no DNS
    lookups unless a test asks for them); `overrides` maps a group to
    {key: value}; a value of None removes the key. Returns the path.
  - start(timeout=20): runs `okno crypto init` once (the key file of encryption at
    rest beside the config; set `okno.encrypt = False` first for a daemon without
    one), then OKNO_BIN serve --config ..., logs to `dir`/serve.log, waits
    for the "event=started" log line (fails the test with the log if it dies first).
  - stop(timeout=40): SIGTERM and wait; returns the exit status. signal(sig) sends one.
  - log(): the daemon's log so far. run(cmd, *args): runs `okno CMD --config ... ARGS`
    and returns subprocess.CompletedProcess (text). list_json() (every appeal, paging
    `okno list --json --after`), show_json(number).
  - store_url(test, sqlite_url): the store a test's daemon or CLI uses. Normally
    `sqlite_url`; with OKNO_IT_STORE=pg (the suite's second run, registered in
    tests/meson.build as it_<name>_pg) a fresh PostgreSQL database on the server named by
    OKNO_TEST_PG_URL (CREATE DATABASE okno_t_<random>, dropped WITH (FORCE) at cleanup),
    so every test sees an empty store on either backend. Call it before registering the
    cleanup that stops a daemon, so the daemon is stopped before its database is dropped.
    With OKNO_IT_STORE=pg and no OKNO_TEST_PG_URL, importing this module exits with 77
    (meson's "skipped").
  - okno.base_url: "http://127.0.0.1:<http_port>" (the HTTP server of the daemon).
  - HttpClient(base_url): a browser-like client over urllib: keeps cookies, never
    follows redirects, never raises on 4xx/5xx. get(path) / post(path, fields=dict,
    files=[(field, filename, content_type, bytes)], body=bytes, content_type=str,
    headers=dict) return Response(status, headers, body bytes, text); csrf(path) GETs
    a page and returns the value of its hidden "csrf" field. multipart(fields, files)
    -> (body, content_type) builds multipart/form-data by hand.
  - free_port(), make_self_signed_cert(dir) -> (cert_path, key_path) with openssl.
  - ClassScope(cls): use in setUpClass as Okno(ClassScope(cls)) so one daemon serves
    every test of the class; it is stopped at tearDownClass.
  - SmtpDialogue(port_or_unix_path, timeout=10, source=None): a raw client (over TCP
    from the loopback address `source`, e.g. "127.0.0.2", when given): `greeting`, send(bytes), reply()
    -> (code, "line1\\nline2"), cmd(line) = send + reply, replies(n), closed() -> bool.

The daemon runs with OKNO_LOG unset (so the log is written) and the test environment
otherwise unchanged. At cleanup a daemon still running gets SIGTERM and must exit 0
within 10 s (under the sanitizers this also catches leaks and memory errors in the
daemon); set `okno.expect_clean_exit = False` in a test that kills it on purpose.
"""
import json
import os
import secrets
import shutil
import signal as _signal
import socket
import subprocess
import sys
import tempfile
import time
import http.cookiejar
import re
import urllib.error
import urllib.parse
import unittest
import urllib.request

OKNO_BIN = os.environ.get("OKNO_BIN", "okno")
SOURCE_DIR = os.environ.get("OKNO_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SUPPORT = "support@portal.example"
STORE = os.environ.get("OKNO_IT_STORE", "sqlite")
PG_URL = os.environ.get("OKNO_TEST_PG_URL", "")

if STORE == "pg" and not PG_URL:
    print("OKNO_IT_STORE=pg but OKNO_TEST_PG_URL is not set: no PostgreSQL server, skipped")
    sys.exit(77)


def psql(sql):
    """Runs one statement on the server of OKNO_TEST_PG_URL (its maintenance database)."""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_URL, "-c", sql],
                   check=True, capture_output=True, timeout=60)


def fresh_pg_database(test):
    """A new empty PostgreSQL database, dropped at the test's cleanup; returns its URL."""
    name = "okno_t_" + secrets.token_hex(8)
    psql(f"CREATE DATABASE {name}")
    test.addCleanup(psql, f"DROP DATABASE {name} WITH (FORCE)")
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(PG_URL)._replace(path="/" + name))


def pg_restore_dump(url, path):
    """Loads a plain pg_dump file into the (empty) database at `url`."""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", path],
                   check=True, capture_output=True, timeout=120)


def store_url(test, sqlite_url):
    """`sqlite_url`, or a fresh PostgreSQL database when OKNO_IT_STORE=pg."""
    return fresh_pg_database(test) if STORE == "pg" else sqlite_url


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_self_signed_cert(directory, cn="okno.test"):
    """A self-signed certificate and key (PEM) made with openssl; returns their paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + cn, "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields=None, files=None, boundary="okno-it-boundary-7d3f"):
    """multipart/form-data body and content type; files: (field, filename, type, bytes)."""
    out = b""
    for name, value in (fields or {}).items():
        out += (b"--" + boundary.encode() + b"\r\n"
                + b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                + (value if isinstance(value, bytes) else str(value).encode("utf-8")) + b"\r\n")
    for field, filename, ctype, data in files or []:
        out += (b"--" + boundary.encode() + b"\r\n"
                + b'Content-Disposition: form-data; name="' + field.encode()
                + b'"; filename="' + filename.encode("utf-8") + b'"\r\n'
                + b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + data + b"\r\n")
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


class HttpClient:
    def __init__(self, base_url):
        self.base = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields=None, files=None, body=None, content_type=None, headers=None):
        h = dict(headers or {})
        if body is None:
            if files is not None:
                body, content_type = multipart(fields, files)
            else:
                body = urllib.parse.urlencode(fields or {}).encode("utf-8")
                content_type = content_type or "application/x-www-form-urlencoded"
        if content_type:
            h["Content-Type"] = content_type
        return self.request("POST", path, body=body, headers=h)

    def csrf(self, path):
        r = self.get(path)
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text)
        if not m:
            raise AssertionError("no csrf field on %s (%s): %s" % (path, r.status, r.text[:500]))
        return m.group(1)


class Okno:
    def __init__(self, test):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="okno-it-")
        self.config_path = os.path.join(self.dir, "okno.ini")
        self.smtp_port = free_port()
        self.lmtp_port = free_port()
        self.http_port = free_port()
        self.lmtp_socket = os.path.join(self.dir, "lmtp.sock")
        self.base_url = "http://127.0.0.1:%d" % self.http_port
        self.store_url = store_url(test, "sqlite:" + os.path.join(self.dir, "okno.db"))
        self.proc = None
        self._termed = False
        self._logf = None
        self.expect_clean_exit = True
        test.addCleanup(self._cleanup)

    def write_config(self, overrides=None, lmtp=None):
        groups = {
            # CI runs the tests as root (test_privileges.py tests [server] user itself).
            "server": {"allow_root": "true"},
            "store": {"url": self.store_url},
            "smtp": {"listen": "127.0.0.1:%d" % self.smtp_port, "addresses": SUPPORT,
                     "hostname": "okno.test"},
            "lmtp": {"listen": {"tcp": "127.0.0.1:%d" % self.lmtp_port,
                                "unix": "unix:" + self.lmtp_socket, None: ""}[lmtp]},
            "outbound": {"transport": "maildir:" + os.path.join(self.dir, "outbox"),
                         "from": SUPPORT},
            "http": {"listen": "127.0.0.1:%d" % self.http_port,
                     "public_url": "http://127.0.0.1:%d" % self.http_port},
            # Sender authentication asks the DNS; tests send traffic only to loopback, so
            # it is off unless a test turns it on with its own DNS server (test_auth.py).
            "auth": {"verify": "0"},
        }
        for group, keys in (overrides or {}).items():
            for key, value in keys.items():
                if value is None:
                    groups.setdefault(group, {}).pop(key, None)
                else:
                    groups.setdefault(group, {})[key] = str(value)
        with open(self.config_path, "w", encoding="utf-8") as f:
            for group, keys in groups.items():
                f.write("[%s]\n" % group)
                for key, value in keys.items():
                    f.write("%s=%s\n" % (key, value))
                f.write("\n")
        return self.config_path

    def start(self, timeout=20, env_extra=None):
        if not os.path.exists(self.config_path):
            self.write_config()
        self.crypto_init()
        env = dict(os.environ)
        env.pop("OKNO_LOG", None)
        env.update(env_extra or {})
        self._termed = False
        if self._logf:
            self._logf.close()  # a restart after a kill
        self._logf = open(os.path.join(self.dir, "serve.log"), "wb")
        self.proc = subprocess.Popen([OKNO_BIN, "serve", "--config", self.config_path],
                                     stdout=self._logf, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "event=started" in self.log():
                return
            if self.proc.poll() is not None:
                self.test.fail("okno serve exited with %s:\n%s" % (self.proc.returncode, self.log()))
            time.sleep(0.05)
        self.test.fail("okno serve did not start in %ss:\n%s" % (timeout, self.log()))

    def crypto_init(self):
        """`okno crypto init` once (the key file of encryption at rest, docs/crypto.md,
        beside the config file or where [crypto] key_file says), as an operator does
        before the first start; a test that wants okno without it sets
        `okno.encrypt = False` before start()."""
        if not getattr(self, "encrypt", True) or getattr(self, "_crypto_done", False):
            return
        r = subprocess.run([OKNO_BIN, "crypto", "init", "--config", self.config_path],
                           capture_output=True, text=True, cwd=self.dir)
        if r.returncode != 0 and "already there" not in r.stderr:
            self.test.fail("okno crypto init failed: %s" % r.stderr)
        self._crypto_done = True

    def signal(self, sig=_signal.SIGTERM):
        if sig == _signal.SIGTERM:
            self._termed = True
        self.proc.send_signal(sig)

    def stop(self, timeout=40):
        """SIGTERM, wait for the exit; returns the exit status (None if it hung)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None and not self._termed:
            self.signal(_signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log(self):
        try:
            with open(os.path.join(self.dir, "serve.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def run(self, command, *args, input=None):
        return subprocess.run([OKNO_BIN, command, "--config", self.config_path, *args],
                              capture_output=True, text=True, input=input, cwd=self.dir)

    def list_json(self):
        """Every appeal, newest first: `okno list --json` page after page (--after)."""
        appeals, after = [], []
        while True:
            r = self.run("list", "--json", "--limit", "1000", *after)
            self.test.assertEqual(r.returncode, 0, r.stderr)
            page = json.loads(r.stdout)
            appeals += page
            if "okno list --after" not in r.stderr or not page:
                return appeals
            after = ["--after", page[-1]["number"]]

    def show_json(self, number):
        r = self.run("show", "--json", number)
        self.test.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def _cleanup(self):
        status = "not started"
        if self.proc is not None:
            status = self.proc.poll()
            if status is None:
                status = self.stop(timeout=10)
            if status is None:
                self.proc.kill()
                self.proc.wait()
        if self._logf:
            self._logf.close()
        log = self.log() if status not in (0, "not started") else ""
        if os.environ.get("OKNO_IT_KEEP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if self.expect_clean_exit and status not in (0, "not started"):
            self.test.fail("okno serve did not exit cleanly (status %s):\n%s" % (status, log[-4000:]))


class ClassScope(unittest.TestCase):
    """Lets one daemon serve a whole test class ("one start per suite"): pass
    ClassScope(cls) to Okno in setUpClass; its cleanups run at tearDownClass (through
    addClassCleanup) and its failures raise as a test's would."""

    def __init__(self, cls):
        super().__init__()
        self._cls = cls

    def addCleanup(self, fn, *args, **kwargs):  # noqa: N802 (unittest's name)
        self._cls.addClassCleanup(fn, *args, **kwargs)


class SmtpDialogue:
    """A raw SMTP/LMTP client that shows the server's replies exactly."""

    def __init__(self, where, timeout=10, source=None):
        if isinstance(where, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(where)
        else:
            self.sock = socket.create_connection(("127.0.0.1", where), timeout=timeout,
                                                 source_address=(source, 0) if source else None)
        self.buf = b""
        self.greeting = self.reply()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed; unread: %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One (possibly multi-line) reply as (code, text lines joined by newlines)."""
        lines = []
        while True:
            line = self._line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), "\n".join(lines)

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        """True when the server closes the connection (EOF) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def batch_facts(entry):
    """The facts of a batch entry (docs/journal.md, "Batches"): [(kind, ref, ref_id,
    entry bytes)], parsed independently of okno; raises on any byte out of place."""
    head = b"okno-journal 3\nrecord=batch\n"
    assert entry.startswith(head), entry[:40]
    pos = len(head)
    end = entry.index(b"\n", pos)
    line = entry[pos:end].decode()
    assert line.startswith("facts="), line
    n, pos, facts = int(line[len("facts="):]), end + 1, []
    for i in range(n):
        end = entry.index(b"\n", pos)
        index, kind, ref, ref_id, size = entry[pos:end].decode()[len("fact="):].split(" ")
        assert entry[pos:pos + 5] == b"fact=" and int(index) == i
        pos = end + 1
        facts.append((kind, ref, int(ref_id), entry[pos:pos + int(size)]))
        assert len(facts[-1][3]) == int(size)
        pos += int(size)
    assert pos == len(entry), "trailing bytes"
    return facts
