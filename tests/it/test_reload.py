"""test_reload: SIGHUP makes `okno serve` read its configuration file again.

One daemon. An SMTP session is opened and left in the middle of a transaction; the
file is rewritten with a new [outbound] from (applied at once), a new [smtp] listen
(cannot change while running: logged "needs-restart" and kept) and a renewed TLS
certificate; SIGHUP. The old session then completes its message (250), whose receipt
carries the new From, while a receipt of a message registered before the signal
carried the old one; the daemon still listens where it did; STARTTLS on a new session
presents the new certificate. A file that no longer loads is refused on SIGHUP
("reload-failed") and the running configuration stays in force.

Under systemd: a second daemon speaks the sd_notify protocol to a datagram socket the
test binds as systemd would (NOTIFY_SOCKET, WATCHDOG_USEC): READY=1 with MAINPID once it
listens, WATCHDOG=1 at half the interval, RELOADING=1 then READY=1 around SIGHUP,
STOPPING=1 at SIGTERM. The same SIGHUP puts edited web templates and static files in
place (a page and a stylesheet show the edit), and a template that no longer compiles
is refused, the pages in use staying.
"""
import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import ssl
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import OKNO_BIN, SUPPORT, Okno, SmtpDialogue, free_port, make_self_signed_cert  # noqa: E402

NEW_FROM = "otvet@portal.example"


def raw_message(subject, sender):
    return ("From: Иван Петров <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@mail.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Здравствуйте! Проверка перезагрузки настроек.\r\n" %
            (sender, SUPPORT, subject, time.time_ns())).encode()


class Reload(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.certs = os.path.join(self.okno.dir, "certs")
        os.mkdir(self.certs)
        self.cert, self.key = make_self_signed_cert(self.certs, cn="old.okno.test")
        self.overrides = {"smtp": {"tls_cert": self.cert, "tls_key": self.key}}
        self.okno.write_config(self.overrides)
        self.okno.start()

    def wait_log(self, text, count=1, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.okno.log().count(text) >= count:
                return
            time.sleep(0.05)
        self.fail("no %r in the log:\n%s" % (text, self.okno.log()))

    def receipt_from(self, to, timeout=30):
        new = os.path.join(self.okno.dir, "outbox", "new")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
                with open(os.path.join(new, name), "rb") as f:
                    m = email.message_from_binary_file(f, policy=email.policy.default)
                if m["To"] and to in str(m["To"]):
                    return m["From"].addresses[0].addr_spec
            time.sleep(0.2)
        self.fail("no receipt to %s" % to)

    def send(self, d, subject, sender):
        d.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (sender, SUPPORT))
        self.assertEqual([c for c, _ in d.replies(3)], [250, 250, 354])
        d.send(raw_message(subject, sender) + b".\r\n")
        code, text = d.reply()
        self.assertEqual(code, 250, text)

    def peer_cert(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", self.okno.smtp_port, timeout=10) as s:
            s.starttls(context=ctx)
            return s.sock.getpeercert(binary_form=True)

    def test_sighup_applies_the_new_file_without_dropping_a_session(self):
        old_cert = self.peer_cert()
        with SmtpDialogue(self.okno.smtp_port, timeout=30) as d:
            self.assertEqual(d.cmd("EHLO c.example")[0], 250)
            self.send(d, "До перезагрузки", "before@mail.example")
            self.assertEqual(self.receipt_from("before@mail.example"), SUPPORT)
            # the transaction is under way when the signal comes
            d.send("MAIL FROM:<after@mail.example>\r\nRCPT TO:<%s>\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(2)], [250, 250])

            make_self_signed_cert(self.certs, cn="new.okno.test")  # renewed in place
            moved = "127.0.0.1:%d" % free_port()
            self.overrides["outbound"] = {"from": NEW_FROM}
            self.overrides["smtp"]["listen"] = moved
            self.okno.write_config(self.overrides)
            self.okno.signal(signal.SIGHUP)
            self.wait_log("event=reloaded")
            self.assertIn("key=outbound.from applied", self.okno.log())
            self.assertIn("key=smtp.listen needs-restart", self.okno.log())

            self.assertEqual(d.cmd("DATA")[0], 354)
            d.send(raw_message("После перезагрузки", "after@mail.example") + b".\r\n")
            code, text = d.reply()
            self.assertEqual(code, 250, text)
            self.assertEqual(d.cmd("QUIT")[0], 221)
        self.assertEqual(self.receipt_from("after@mail.example"), NEW_FROM)
        # still where it was: the listen address needs a restart
        with SmtpDialogue(self.okno.smtp_port) as d2:
            self.assertEqual(d2.greeting[0], 220)
        new_cert = self.peer_cert()
        self.assertNotEqual(new_cert, old_cert)
        self.assertIsNone(self.okno.proc.poll())

        # a file that no longer loads changes nothing
        with open(self.okno.config_path, "a", encoding="utf-8") as f:
            f.write("[smtp]\nno_such_key = 1\n")
        self.okno.signal(signal.SIGHUP)
        self.wait_log("event=reload-failed")
        with SmtpDialogue(self.okno.smtp_port, timeout=30) as d:
            self.assertEqual(d.cmd("EHLO c.example")[0], 250)
            self.send(d, "После ошибки", "third@mail.example")
        self.assertEqual(self.receipt_from("third@mail.example"), NEW_FROM)
        self.assertEqual(self.peer_cert(), new_cert)


class SystemdAndTemplates(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        # a copy of the shipped web directory, to edit (the data lives beside the binary)
        self.web = os.path.join(self.okno.dir, "web")
        shipped = os.path.join(os.path.dirname(os.path.dirname(OKNO_BIN)), "share", "okno", "web")
        shutil.copytree(shipped, self.web)
        self.okno.write_config({"http": {"web_dir": self.web}})
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.notify.close)
        self.notify_path = os.path.join(self.okno.dir, "notify.sock")
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.2)
        self.heard = []

    def listen(self, want, timeout=20):
        """Reads notifications until one holds the line `want`; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            self.heard.append(data)
            if want in data.split("\n"):
                return data
        self.fail("no %s from okno; heard %r" % (want, self.heard))

    def get(self, path):
        with urllib.request.urlopen(self.okno.base_url + path, timeout=10) as r:
            return r.read().decode()

    def edit(self, name, old, new):
        path = os.path.join(self.web, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))

    def test_sd_notify_and_templates_reloaded_on_sighup(self):
        self.okno.start(env_extra={"NOTIFY_SOCKET": self.notify_path, "WATCHDOG_USEC": "400000"})
        ready = self.listen("READY=1")
        self.assertIn("MAINPID=%d" % self.okno.proc.pid, ready)
        for _ in range(2):  # every 0.2 s: two within the listen timeout
            self.listen("WATCHDOG=1", timeout=5)
        self.assertNotIn("Сверено с перезагрузкой", self.get("/feedback"))

        self.edit("layout.html", "</body>", "<p>Сверено с перезагрузкой</p></body>")
        css = sorted(n for n in os.listdir(os.path.join(self.web, "static")) if n.endswith(".css"))[0]
        with open(os.path.join(self.web, "static", css), "a", encoding="utf-8") as f:
            f.write("\n/* reloaded-marker */\n")
        self.assertNotIn("reloaded-marker", self.get("/static/" + css))
        self.okno.signal(signal.SIGHUP)
        self.listen("RELOADING=1")
        self.listen("READY=1")
        self.assertIn("Сверено с перезагрузкой", self.get("/feedback"))
        self.assertIn("reloaded-marker", self.get("/static/" + css))

        # a template that does not compile: refused, the pages in use stay
        self.edit("layout.html", "</body>", "{{#open}}</body>")
        self.okno.signal(signal.SIGHUP)
        self.listen("READY=1")
        deadline = time.monotonic() + 10
        while "the old templates are kept" not in self.okno.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("event=reload-failed", self.okno.log())
        self.assertIn("Сверено с перезагрузкой", self.get("/feedback"))

        self.okno.signal(signal.SIGTERM)
        self.listen("STOPPING=1")
        self.assertEqual(self.okno.stop(), 0)


if __name__ == "__main__":
    unittest.main()
