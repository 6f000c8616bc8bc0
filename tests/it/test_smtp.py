"""test_smtp: the SMTP listener of `okno serve`, spoken to by real clients.

smtplib, swaks and a raw socket dialogue (okno_it.SmtpDialogue) against a daemon in a
fresh directory: greeting and EHLO extensions, a message accepted with 250 only once it
is registered (then visible in `okno list --json`), wrong recipients, VRFY, bad
sequence, pipelining, bare LF and NUL bytes, STARTTLS with a self-signed certificate,
and SIGTERM in the middle of a session letting that session finish its message.
"""
import os
import smtplib
import ssl
import subprocess
import sys
import time
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, Okno, SmtpDialogue, make_self_signed_cert  # noqa: E402


def appeal_message(subject, sender="ivan.petrov@mail.example"):
    m = EmailMessage()
    m["From"] = "Иван Петров <%s>" % sender
    m["To"] = SUPPORT
    m["Subject"] = subject
    m["Message-ID"] = "<%s.%d@mail.example>" % (subject.encode("utf-8").hex()[:16], time.time_ns())
    m.set_content("Здравствуйте! Не могу записаться на приём: страница записи выдаёт ошибку "
                  "после выбора даты. Телефон для связи +7 916 123-45-67.\n")
    return m


def raw_message(subject, body_lines, eol=b"\r\n"):
    head = [b"From: Ivan Petrov <ivan.petrov@mail.example>", b"To: " + SUPPORT.encode(),
            b"Subject: " + subject.encode(), b"Message-ID: <" + str(time.time_ns()).encode() +
            b"@mail.example>", b""]
    return eol.join(head + body_lines) + eol


class SmtpTest(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)

    def started(self, overrides=None, **kw):
        self.okno.write_config(overrides, **kw)
        self.okno.start()
        return self.okno

    def subjects(self):
        return [a["subject"] for a in self.okno.list_json()]

    def test_greeting_and_ehlo_extensions(self):
        o = self.started({"smtp": {"max_message_size": "5000000"}})
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=10) as s:
            code, msg = s.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertEqual(msg.decode().split("\n")[0], "okno.test")
            for ext in ("pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes"):
                self.assertTrue(s.has_extn(ext), ext)
            self.assertEqual(s.esmtp_features["size"], "5000000")
            self.assertFalse(s.has_extn("starttls"))  # no certificate configured
        with SmtpDialogue(o.smtp_port) as d:
            self.assertEqual(d.greeting, (220, "okno.test ESMTP okno"))
            self.assertEqual(d.cmd("HELP")[0], 214)
            self.assertEqual(d.cmd("QUIT"), (221, "2.0.0 Bye"))
            self.assertTrue(d.closed())

    def test_message_is_accepted_and_registered(self):
        o = self.started()
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("ivan.petrov@mail.example")
            s.rcpt(SUPPORT)
            code, text = s.data(appeal_message("Запись на приём").as_bytes())
        self.assertEqual(code, 250)
        self.assertTrue(text.decode().startswith("2.0.0 Ok: registered as "), text)
        number = text.decode().rsplit(" ", 1)[1]
        appeals = o.list_json()
        self.assertEqual([a["number"] for a in appeals], [number])
        self.assertEqual(appeals[0]["subject"], "Запись на приём")
        shown = o.show_json(number)
        self.assertEqual(shown["channel"], "email")
        self.assertEqual(shown["from"]["email"], "ivan.petrov@mail.example")

    def test_receipt_goes_out_at_once_after_registration(self):
        o = self.started()
        time.sleep(0.5)  # past the outbound thread's first pass; its next is 5 s away
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("ivan.petrov@mail.example")
            s.rcpt(SUPPORT)
            code, text = s.data(appeal_message("Квитанция").as_bytes())
        self.assertEqual(code, 250)
        accepted = time.monotonic()
        number = text.decode().rsplit(" ", 1)[1]
        new = os.path.join(o.dir, "outbox", "new")
        files = []
        while time.monotonic() - accepted < 2.5 and not files:
            files = os.listdir(new) if os.path.isdir(new) else []
            time.sleep(0.05)
        self.assertEqual(len(files), 1, "the listener did not wake the outbound queue")
        with open(os.path.join(new, files[0]), "rb") as f:
            receipt = f.read()
        self.assertIn(b"ivan.petrov@mail.example", receipt)
        self.assertIn(number.encode(), receipt)

    def test_swaks_delivers_a_message(self):
        o = self.started()
        r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % o.smtp_port, "--helo", "swaks.example",
                            "--from", "olga@mail.example", "--to", SUPPORT,
                            "--header", "Subject: Проверка swaks",
                            "--body", "Прошу проверить статус заявления на загранпаспорт."],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("<-  250 2.0.0 Ok: registered as", r.stdout)
        self.assertIn("<-  221 2.0.0 Bye", r.stdout)
        self.assertEqual(len(o.list_json()), 1)

    def test_wrong_recipient_is_550_5_1_1(self):
        o = self.started()
        with SmtpDialogue(o.smtp_port) as d:
            d.cmd("EHLO c.example")
            self.assertEqual(d.cmd("MAIL FROM:<a@mail.example>"), (250, "2.1.0 Ok"))
            self.assertEqual(d.cmd("RCPT TO:<director@portal.example>"),
                             (550, "5.1.1 <director@portal.example>: Recipient address rejected: "
                                   "no such mailbox here"))
            self.assertEqual(d.cmd("DATA"), (554, "5.5.1 Error: no valid recipients"))
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=10) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                s.sendmail("a@mail.example", ["nobody@portal.example"], b"Subject: x\r\n\r\nx\r\n")

    def test_vrfy_is_252_and_unknown_command_500(self):
        o = self.started()
        with SmtpDialogue(o.smtp_port) as d:
            self.assertEqual(d.cmd("VRFY support")[0:1], (252,))
            self.assertTrue(d.cmd("VRFY support")[1].startswith("2.5.2 "))
            self.assertEqual(d.cmd("XYZZY"), (500, "5.5.1 Error: command not recognized"))
            self.assertEqual(d.cmd("LHLO c"), (500, "5.5.1 Error: command not recognized"))

    def test_bad_sequence_is_503_5_5_1(self):
        o = self.started()
        with SmtpDialogue(o.smtp_port) as d:
            self.assertEqual(d.cmd("MAIL FROM:<a@mail.example>"),
                             (503, "5.5.1 Error: send HELO/EHLO first"))
            d.cmd("HELO c.example")
            self.assertEqual(d.cmd("RCPT TO:<%s>" % SUPPORT), (503, "5.5.1 Error: need MAIL command"))
            self.assertEqual(d.cmd("DATA"), (503, "5.5.1 Error: need MAIL command"))
            d.cmd("MAIL FROM:<a@mail.example>")
            self.assertEqual(d.cmd("MAIL FROM:<a@mail.example>"),
                             (503, "5.5.1 Error: nested MAIL command"))
            self.assertEqual(d.cmd("DATA"), (503, "5.5.1 Error: need RCPT command"))

    def test_pipelined_commands_are_answered_in_order_after_the_message(self):
        o = self.started()
        body = raw_message("Конвейер", [b"first line", b"..dotted", b"last"])
        with SmtpDialogue(o.smtp_port) as d:
            # everything in one write: two transactions and QUIT
            d.send(b"EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<" + SUPPORT.encode() +
                   b">\r\nDATA\r\n" + body + b".\r\nRSET\r\nMAIL FROM:<b@mail.example>\r\n"
                   b"RCPT TO:<" + SUPPORT.encode() + b">\r\nDATA\r\n" +
                   raw_message("Второе", [b"text"]) + b".\r\nQUIT\r\n")
            replies = d.replies(11)
            self.assertEqual([c for c, _ in replies], [250, 250, 250, 354, 250, 250, 250, 250, 354, 250, 221])
            self.assertTrue(replies[4][1].startswith("2.0.0 Ok: registered as "))
            self.assertTrue(replies[9][1].startswith("2.0.0 Ok: registered as "))
            self.assertTrue(d.closed())
        self.assertEqual(sorted(self.subjects()), sorted(["Конвейер", "Второе"]))

    def test_bare_lf_lines_are_data_and_only_crlf_dot_crlf_ends_the_message(self):
        # Changed with the SMTP smuggling fix (issue 12): bare LF used to end commands and
        # the message too; now it is accepted inside the message only (RFC 5321 2.3.8),
        # and "<LF>.<LF>" is data (test_smtp_smuggling.py has every variant).
        o = self.started()
        with SmtpDialogue(o.smtp_port) as d:
            d.send(b"EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<" + SUPPORT.encode() +
                   b">\r\nDATA\r\n")
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(raw_message("Голые LF", [b"line one", b"line two"], eol=b"\n") + b".\n")
            d.send(b"line three\r\n.\r\n")
            code, text = d.reply()
            self.assertEqual(code, 250, text)
        self.assertEqual(self.subjects(), ["Голые LF"])
        text = o.show_json(o.list_json()[0]["number"])["messages"][0]["text"]
        self.assertIn("line two", text)
        self.assertIn("line three", text)

    def test_nul_bytes_in_data_are_accepted(self):
        o = self.started()
        with SmtpDialogue(o.smtp_port) as d:
            d.send("EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(raw_message("NUL", [b"before\x00after", b"end"]) + b".\r\n")
            code, text = d.reply()
            self.assertEqual(code, 250, text)
        self.assertEqual(self.subjects(), ["NUL"])

    def test_starttls_with_a_self_signed_certificate(self):
        cert, key = make_self_signed_cert(self.okno.dir)
        o = self.started({"smtp": {"tls_cert": cert, "tls_key": key}})
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=30) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("starttls"))
            code, _ = s.starttls(context=ctx)
            self.assertEqual(code, 220)
            s.ehlo("client.example")
            self.assertFalse(s.has_extn("starttls"))  # not offered twice
            self.assertIsNotNone(s.sock.cipher())
            code, text = s.docmd("STARTTLS")
            self.assertEqual((code, text), (503, b"5.5.1 Error: TLS already active"))
            refused = s.sendmail("ivan.petrov@mail.example", [SUPPORT],
                                 appeal_message("Через TLS").as_bytes())
            self.assertEqual(refused, {})
        self.assertEqual(self.subjects(), ["Через TLS"])

    def test_commands_sent_before_the_tls_handshake_are_ignored(self):
        cert, key = make_self_signed_cert(self.okno.dir)
        o = self.started({"smtp": {"tls_cert": cert, "tls_key": key}})
        with SmtpDialogue(o.smtp_port) as d:
            d.cmd("EHLO c.example")
            # RFC 3207 5: a MAIL injected behind STARTTLS must not survive the handshake
            d.send("STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\n")
            self.assertEqual(d.reply(), (220, "2.0.0 Ready to start TLS"))
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            d.sock = ctx.wrap_socket(d.sock)
            self.assertEqual(d.cmd("RCPT TO:<%s>" % SUPPORT), (503, "5.5.1 Error: need MAIL command"))

    def test_sigterm_lets_a_session_finish_its_message(self):
        o = self.started()
        idle = SmtpDialogue(o.smtp_port)
        self.addCleanup(idle.sock.close)
        idle.cmd("EHLO idle.example")
        with SmtpDialogue(o.smtp_port, timeout=30) as d:
            d.send("EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(raw_message("До остановки", [b"first half"])[:-2])
            o.signal()
            # the idle session is told at once; the busy one goes on
            self.assertEqual(idle.reply()[0], 421)
            time.sleep(0.5)
            self.assertIsNone(o.proc.poll())
            d.send(b"\r\nsecond half\r\n.\r\n")
            code, text = d.reply()
            self.assertEqual(code, 250, text)
            self.assertEqual(d.cmd("QUIT")[0], 221)
        self.assertEqual(o.stop(), 0, o.log())
        self.assertIn("event=stopping", o.log())
        self.assertEqual(self.subjects(), ["До остановки"])

    def test_second_sigterm_ends_the_grace_period(self):
        o = self.started()
        with SmtpDialogue(o.smtp_port, timeout=30) as d:
            d.send("EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(raw_message("Не дописано", [b"half"]))
            o.signal()
            time.sleep(0.3)
            # no longer taking sessions: a new connection hears 421 and is closed
            with SmtpDialogue(o.smtp_port) as late:
                self.assertEqual(late.greeting[0], 421, late.greeting)
                self.assertIn("4.3.2", late.greeting[1])
                self.assertTrue(late.closed())
            started = time.monotonic()
            o.signal()
            self.assertEqual(d.reply()[0], 421)
            self.assertTrue(d.closed())
        self.assertEqual(o.stop(timeout=15), 0, o.log())
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(o.list_json(), [])

    def test_shutdown_grace_bounds_the_drain(self):
        # [smtp] shutdown_grace = 1: a transaction left unfinished is cut after about a
        # second and the daemon exits by itself (the old fixed 30 s grace would still
        # be waiting when the 20 s wait below ends); connections during the grace
        # period hear 421 4.3.2; the unfinished message is not registered.
        o = self.started({"smtp": {"shutdown_grace": "1"}})
        with SmtpDialogue(o.smtp_port, timeout=30) as d:
            d.send("EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(raw_message("Брошено", [b"half"]))
            o.signal()
            code, text = d.reply()
            self.assertEqual(code, 421, text)
            self.assertTrue(d.closed())
        self.assertEqual(o.stop(timeout=20), 0, o.log())
        self.assertIn("event=grace-over", o.log())
        self.assertEqual(o.list_json(), [])

    def test_shutdown_grace_is_checked(self):
        self.okno.write_config({"smtp": {"shutdown_grace": "-1"}})
        r = self.okno.run("migrate")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("shutdown_grace", r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)


if __name__ == "__main__":
    unittest.main()
