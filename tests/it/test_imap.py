"""An existing mailbox over IMAP ([imap], intake/imap_poll.h) against a real Dovecot.

ExactlyOnce: 1,000 messages placed in the mailbox are registered exactly once each
while okno is killed with SIGKILL twice midway (each time started again): at the end
the mailbox is empty, the done folder holds all 1,000, and the registry holds 1,000
appeals, one per message (by subject), none twice.

Mailbox: a folder that is deleted and created again (a new UIDVALIDITY, UIDs from 1
again) while okno is stopped, then given back the messages okno had already
registered (copied from the done folder) and two new ones: the old ones are
recognised (the same Message-ID from the same sender) and only moved, the new ones
registered, although their UIDs are those of earlier messages. A message that breaks
the parse budget ([intake] max_mime_depth) goes to the quarantine folder (and to the
quarantine hold), and the rest is not held up by it.

Both run on SQLite and, as it_imap_pg, on PostgreSQL.
"""
import base64
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, Okno  # noqa: E402
from dovecot_server import Dovecot  # noqa: E402


def message(i, tag="m"):
    return ("From: Гражданин %d <citizen%d@example.ru>\r\n"
            "To: support@portal.example\r\n"
            "Subject: =?utf-8?b?%s?=\r\n"
            "Message-ID: <%s%d@example.ru>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Здравствуйте! Не могу войти в личный кабинет портала, обращение %s-%d.\r\n"
            % (i, i, base64.b64encode(("Вопрос %s-%d" % (tag, i)).encode()).decode(),
               tag, i, tag, i)).encode()


def deep_message():
    """Multipart nested 8 deep: over [intake] max_mime_depth = 3."""
    body = "Content-Type: text/plain\r\n\r\nвнутри\r\n"
    for d in range(8):
        b = "b%d" % d
        body = ("Content-Type: multipart/mixed; boundary=%s\r\n\r\n--%s\r\n%s\r\n--%s--\r\n"
                % (b, b, body, b))
    return ("From: deep@example.ru\r\nTo: support@portal.example\r\nSubject: deep\r\n"
            "Message-ID: <deep@example.ru>\r\nMIME-Version: 1.0\r\n" + body).encode()


def imap_config(dv, user, folder="INBOX", extra=None):
    cfg = {"imap": {"host": "127.0.0.1", "port": dv.port, "tls": "none", "user": user,
                    "password": "secret-" + user, "folder": folder, "poll_interval": 1},
           "outbound": {"max_auto_per_hour": 10000}}
    cfg.update(extra or {})
    return cfg


def wait_for(what, cond, timeout, okno):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s; okno log:\n%s" % (what, okno.log()[-3000:]))


class ExactlyOnce(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = ClassScope(cls)
        cls.dv = Dovecot(scope, {"agent1": "secret-agent1"})
        cls.okno = Okno(scope)
        cls.okno.write_config(imap_config(cls.dv, "agent1", extra={"http": {"listen": ""}}))

    def test_thousand_messages_two_kills(self):
        dv, okno = self.dv, self.okno
        n = 1000
        for i in range(n):
            dv.put("agent1", message(i))
        okno.start()
        for mark in (250, 600):
            wait_for("%d moved" % mark, lambda: dv.count("agent1", "okno-done") >= mark, 120, okno)
            okno.proc.send_signal(signal.SIGKILL)
            okno.proc.wait(10)
            okno.start()
        wait_for("every message moved",
                 lambda: dv.count("agent1", "okno-done") == n and dv.count("agent1", "INBOX") == 0,
                 180, okno)
        self.assertEqual(okno.stop(), 0)
        appeals = okno.list_json()
        subjects = [a["subject"] for a in appeals]
        self.assertEqual(len(subjects), n)
        self.assertEqual(set(subjects), {"Вопрос m-%d" % i for i in range(n)})
        self.assertEqual(dv.count("agent1", "okno-quarantine"), 0)


class Mailbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = ClassScope(cls)
        cls.dv = Dovecot(scope, {"agent2": "secret-agent2"})
        cls.okno = Okno(scope)
        cls.okno.write_config(imap_config(cls.dv, "agent2", folder="Support",
                                          extra={"intake": {"max_mime_depth": 3},
                                                 "http": {"listen": ""}}))

    def put(self, raw):
        p = subprocess.run(["doveadm", "-c", self.dv.conf, "save", "-u", "agent2",
                                          "-m", "Support"], input=raw, capture_output=True,
                                         timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_uidvalidity_change_and_quarantine(self):
        dv, okno = self.dv, self.okno
        self.assertEqual(dv.doveadm("mailbox", "create", "-u", "agent2", "Support").returncode, 0)
        self.put(deep_message())  # UID 1: before the others, and it must not hold them up
        for i in range(3):
            self.put(message(i, "a"))
        okno.start()
        wait_for("the first four sorted",
                 lambda: dv.count("agent2", "okno-done") == 3 and
                 dv.count("agent2", "okno-quarantine") == 1, 60, okno)
        first = dv.doveadm("-f", "flow", "mailbox", "status", "-u", "agent2", "uidvalidity",
                           "Support").stdout
        self.assertEqual(okno.stop(), 0)
        held = [a for a in okno.list_json() if a["queue"] == "quarantine"]
        self.assertEqual([a["subject"] for a in held], ["deep"])

        # The folder made again: a new UIDVALIDITY and UIDs from 1 again.
        self.assertEqual(dv.doveadm("mailbox", "delete", "-u", "agent2", "Support").returncode, 0)
        self.assertEqual(dv.doveadm("mailbox", "create", "-u", "agent2", "Support").returncode, 0)
        second = dv.doveadm("-f", "flow", "mailbox", "status", "-u", "agent2", "uidvalidity",
                            "Support").stdout
        self.assertNotEqual(first, second)
        r = dv.doveadm("copy", "-u", "agent2", "Support", "mailbox", "okno-done", "all")
        self.assertEqual(r.returncode, 0, r.stderr)
        for i in range(2):
            self.put(message(i, "b"))
        okno.start()
        wait_for("the folder emptied again",
                 lambda: dv.count("agent2", "Support") == 0 and
                 dv.count("agent2", "okno-done") == 8, 60, okno)
        self.assertIn("uidvalidity=%s" % second.split("=")[1].strip(), okno.log())
        self.assertEqual(okno.stop(), 0)
        subjects = sorted(a["subject"] for a in okno.list_json())
        self.assertEqual(subjects, sorted(["deep"] + ["Вопрос a-%d" % i for i in range(3)] +
                                          ["Вопрос b-%d" % i for i in range(2)]))
        self.assertEqual(okno.log().count("outcome=duplicate"), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
