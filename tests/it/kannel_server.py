"""kannel_server.py: Debian's Kannel (bearerbox + smsbox, package kannel) for the
integration tests, with a generic HTTP SMSC whose send-url is a server of the test's own
(every MT arrives there as a GET) and Kannel's fake SMSC with fakesmsc (package
kannel-extras) printing what it gets; sendsms users "okno" (the HTTP SMSC) and
"oknofake" (the fake SMSC), password "smspw".

Kannel(dir) writes kannel.conf with free ports, starts the sink, bearerbox and (once
bearerbox listens: smsbox panics otherwise) smsbox, and waits for sendsms.
`sendsms_url` is what [sms] url takes; user "okno", password "smspw". `received`
lists each MT as a dict (from, to, coding as Kannel's %c: 0 GSM, 2 UCS-2, text decoded
from UTF-16BE for UCS-2, else as sent). close() stops the boxes by PID."""
import os
import socket
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BEARERBOX = "/usr/sbin/bearerbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"  # package kannel-extras
SMSBOX = "/usr/sbin/smsbox"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Kannel:
    def __init__(self, directory):
        self.dir = directory
        self.received = []
        self.lock = threading.Lock()
        outer = self

        class Sink(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                q = urllib.parse.urlparse(self.path).query
                raw = dict(urllib.parse.parse_qsl(q, keep_blank_values=True, encoding="latin-1"))
                coding = raw.get("coding", "")
                text = raw.get("text", "").encode("latin-1")
                text = text.decode("utf-16-be") if coding == "2" else text.decode("utf-8", "replace")
                with outer.lock:
                    outer.received.append({"from": raw.get("from"), "to": raw.get("to"),
                                           "coding": coding, "text": text})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"OK: queued\n")

        self.sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=self.sink.serve_forever, daemon=True).start()
        ports = {k: free_port() for k in ("admin", "smsbox", "http", "sendsms", "fake")}
        self.sendsms_url = "http://127.0.0.1:%d/cgi-bin/sendsms" % ports["sendsms"]
        conf = os.path.join(directory, "kannel.conf")
        with open(conf, "w") as f:
            f.write(f"""group = core
admin-port = {ports['admin']}
admin-password = adminpw
status-password = statuspw
admin-interface = 127.0.0.1
admin-allow-ip = "127.0.0.1"
smsbox-port = {ports['smsbox']}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "{directory}/bearerbox.log"
log-level = 1
store-type = file
store-location = "{directory}/store"
dlr-storage = internal

group = smsc
smsc = http
smsc-id = http1
allowed-smsc-id = http1
system-type = generic
port = {ports['http']}
connect-allow-ip = "127.0.0.1"
send-url = "http://127.0.0.1:{self.sink.server_address[1]}/sms?from=%P&to=%p&text=%b&coding=%c"
status-success-regex = "^OK"

group = smsc
smsc = fake
smsc-id = fake1
allowed-smsc-id = fake1
host = 127.0.0.1
port = {ports['fake']}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports['smsbox']}
sendsms-port = {ports['sendsms']}
sendsms-interface = 127.0.0.1
log-file = "{directory}/smsbox.log"
log-level = 1

group = sendsms-user
username = okno
password = smspw
default-smsc = http1
user-allow-ip = "127.0.0.1"
max-messages = 3
concatenation = true

group = sendsms-user
username = oknofake
password = smspw
forced-smsc = fake1
user-allow-ip = "127.0.0.1"
max-messages = 3
concatenation = true

group = sms-service
keyword = default
text = "No service"
catch-all = true
""")
        out = open(os.path.join(directory, "kannel.out"), "wb")
        self.bb = subprocess.Popen([BEARERBOX, conf], stdout=out, stderr=subprocess.STDOUT)
        self.sb = None
        if not wait_port(ports["smsbox"]):
            self.close()
            raise RuntimeError("bearerbox did not listen")
        self.sb = subprocess.Popen([SMSBOX, conf], stdout=out, stderr=subprocess.STDOUT)
        self.fake_out = os.path.join(directory, "fakesmsc.out")
        self.fs = subprocess.Popen([FAKESMSC, "-H", "127.0.0.1", "-r", str(ports["fake"]), "-m", "0",
                                    "100 200 text hello"], stdout=open(self.fake_out, "wb"),
                                   stderr=subprocess.STDOUT)
        if not wait_port(ports["sendsms"]):
            self.close()
            raise RuntimeError("smsbox did not listen")

    def wait_for(self, pred, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for m in self.received:
                    if pred(m):
                        return m
            time.sleep(0.1)
        raise AssertionError("Kannel passed on no such SMS; it has: %r" % self.received)

    def fake_lines(self):
        """What fakesmsc printed for each SMS it got: "Got message N: <FROM TO TYPE TEXT>"."""
        with open(self.fake_out, "rb") as f:
            return [line.decode("utf-8", "replace") for line in f if b"Got message" in line]

    def close(self):
        for p in (getattr(self, "fs", None), self.sb, self.bb):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.sink.shutdown()
        self.sink.server_close()
