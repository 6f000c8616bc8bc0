"""Delivery of receipts by the real binary: `okno submit` registers an appeal, queues its
receipt and runs the outbound queue once, into a maildir or through an SMTP relay.

The relay is a small scripted SMTP server on 127.0.0.1 (a thread in this process) that
records what it was told and answers what the test wants: 250, a 4xx or a 5xx. The
outcome is read back from the outbox, from the relay's transcript and from the appeal's
events in `okno show --json`.
"""
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

import okno_it

OKNO = os.environ.get("OKNO_BIN", "build/src/okno")
NOW = "2026-11-23T10:00:00+03:00"

APPEAL = ("From: Иван Петров <ivan@example.ru>\r\n"
          "To: support@portal.example\r\n"
          "Subject: Не приходит код подтверждения\r\n"
          "Date: Mon, 23 Nov 2026 09:58:00 +0300\r\n"
          "Message-ID: <m1@example.ru>\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: 8bit\r\n\r\n"
          "Здравствуйте! Третий день не могу войти в личный кабинет: SMS с кодом "
          "подтверждения не приходит.\r\n").encode("utf-8")


class Relay(threading.Thread):
    """Serves one SMTP session; `replies` overrides the answer to a verb."""

    def __init__(self, **replies):
        super().__init__(daemon=True)
        self.replies = {"EHLO": b"250-relay.test\r\n250 8BITMIME\r\n", "MAIL": b"250 ok\r\n",
                        "RCPT": b"250 ok\r\n", "DATA": b"354 go ahead\r\n",
                        "BODY": b"250 2.0.0 queued\r\n", "QUIT": b"221 bye\r\n",
                        "RSET": b"250 ok\r\n"}
        self.replies.update({k: v.encode() + b"\r\n" for k, v in replies.items()})
        self.commands = []
        self.body = b""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.start()

    def run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        finally:
            self.sock.close()
        with conn, conn.makefile("rb") as f:
            conn.sendall(b"220 relay.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                self.commands.append(line.decode("utf-8", "replace").rstrip("\r\n"))
                verb = line[:4].decode("ascii", "replace").upper()
                conn.sendall(self.replies.get(verb, b"502 5.5.2 unknown\r\n"))
                if verb == "DATA" and self.replies["DATA"].startswith(b"354"):
                    while True:
                        chunk = f.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                        self.body += chunk
                    conn.sendall(self.replies["BODY"])
                if verb == "QUIT":
                    return


class OutboundTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="okno-it-outbound-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = dict(os.environ, OKNO_FAKE_NOW=NOW, OKNO_LOG="quiet")
        self.store = okno_it.store_url(self, "sqlite:okno.db")

    def configure(self, transport):
        self.config = os.path.join(self.dir, "okno.ini")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f"[store]\nurl = {self.store}\n"
                    "[smtp]\naddresses = support@portal.example\nhostname = okno.portal.example\n"
                    f"[outbound]\ntransport = {transport}\nfrom = support@portal.example\n")

    def okno(self, *args):
        return subprocess.run([OKNO, *args], capture_output=True, env=self.env, timeout=120)

    def submit(self):
        path = os.path.join(self.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(APPEAL)
        p = self.okno("submit", "--config", self.config, "--from", "ivan@example.ru", path)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout.decode().strip()

    def events(self, number, prefix="outbound_"):
        p = self.okno("show", "--config", self.config, "--json", number)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return [e for e in json.loads(p.stdout)["events"] if e["kind"].startswith(prefix)]

    def assert_is_receipt_for(self, raw, number):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertIn("ivan@example.ru", str(msg["To"]))
        self.assertIn("support@portal.example", str(msg["From"]))
        text = str(msg["Subject"]) + msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn(number, text)

    def test_receipt_is_written_once_into_the_maildir(self):
        self.configure("maildir:outbox")
        number = self.submit()
        outbox = os.path.join(self.dir, "outbox")
        self.assertEqual(os.listdir(os.path.join(outbox, "tmp")), [])
        self.assertEqual(os.listdir(os.path.join(outbox, "cur")), [])
        files = os.listdir(os.path.join(outbox, "new"))
        self.assertEqual(len(files), 1)
        self.assertRegex(files[0], r"^okno\.[0-9a-f]+\.1$")
        with open(os.path.join(outbox, "new", files[0]), "rb") as f:
            self.assert_is_receipt_for(f.read(), number)
        [sent] = self.events(number)
        self.assertEqual(sent["kind"], "outbound_sent")
        self.assertEqual(sent["detail"]["transport"], "maildir")
        self.assertEqual(sent["detail"]["attempt"], 1)
        self.assertTrue(sent["detail"]["message_id"])

    def test_receipt_goes_through_the_relay(self):
        relay = Relay()
        self.configure(f"smtp://127.0.0.1:{relay.port}")
        number = self.submit()
        relay.join(30)
        self.assertEqual(relay.commands[0], "EHLO okno.portal.example")
        self.assertTrue(relay.commands[1].startswith("MAIL FROM:<support@portal.example>"),
                        relay.commands[1])
        self.assertEqual(relay.commands[2:], ["RCPT TO:<ivan@example.ru>", "DATA", "QUIT"])
        self.assert_is_receipt_for(relay.body.replace(b"\r\n..", b"\r\n."), number)
        [sent] = self.events(number)
        self.assertEqual((sent["kind"], sent["detail"]["transport"]), ("outbound_sent", "smtp"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "outbox")))

    def test_relay_refusal_fails_the_receipt_with_the_reply_and_no_address(self):
        relay = Relay(RCPT="550 5.1.1 <ivan@example.ru>: no such user")
        self.configure(f"smtp://127.0.0.1:{relay.port}")
        number = self.submit()  # the appeal is registered all the same
        relay.join(30)
        [failed] = self.events(number)
        self.assertEqual(failed["kind"], "outbound_failed")
        reason = failed["detail"]["reason"]
        self.assertRegex(reason, r"^550 5\.1\.1 <pii:[0-9a-f]{8}>: no such user$")

    def test_busy_relay_defers_the_receipt_for_retry_min_seconds(self):
        relay = Relay(MAIL="451 4.3.0 try again later")
        self.configure(f"smtp://127.0.0.1:{relay.port}")
        number = self.submit()
        relay.join(30)
        [deferred] = self.events(number)
        self.assertEqual(deferred["kind"], "outbound_deferred")
        self.assertEqual(deferred["detail"]["reason"], "451 4.3.0 try again later")
        # the default retry_min_seconds is 60: 10:00 MSK frozen + 1 minute, in UTC
        self.assertEqual(deferred["detail"]["next_attempt"], "2026-11-23T07:01:00Z")

    def test_unreachable_relay_defers_the_receipt(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.configure(f"smtp://127.0.0.1:{port}")
        number = self.submit()
        [deferred] = self.events(number)
        self.assertEqual(deferred["kind"], "outbound_deferred")
        self.assertTrue(deferred["detail"]["reason"].startswith("connect: "),
                        deferred["detail"]["reason"])


if __name__ == "__main__":
    unittest.main()
