#!/usr/bin/env python3
"""test_check_address.py: the check@ address ([check] address) over real SMTP.

A citizen forwards a letter to check@portal.example (smtplib, a real SMTP client); okno
serve answers 250 without registering an appeal and queues a reply that lands in the
outbox maildir: to the citizen, Subject «Проверка письма: ...» by verdict, In-Reply-To
the citizen's message, Auto-Submitted: auto-replied, DKIM-signed (verified with dkimpy,
an independent verifier), the verdict and EVERY reason text that `okno check-mail`
gives for the same letter. Covered:
  - a corpus phishing letter forwarded as an attachment (message/rfc822): dangerous,
    its links and sender domain counted as reports (not blocked) with the citizen as
    reporter;
  - a letter pasted inline (no attachment): the message itself is checked, the reply
    says how to forward as an attachment, the citizen's own domain is not reported;
  - RFC 3834: an auto-submitted message to check@ gets no answer; the hourly limit of
    automatic messages applies to verdicts as to receipts;
  - a message to both support@ and check@ is an appeal as usual."""
import email
import email.policy
import json
import os
import smtplib
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402

try:
    import dkim  # noqa: E402
except ImportError:
    # python3-dkim (Debian, pure Python) when the interpreter is not Debian's own
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim  # noqa: E402

SOURCE = okno_it.SOURCE_DIR
CORPUS = os.path.join(SOURCE, "tests", "data", "phishing")
CHECK = "check@portal.example"
CITIZEN = "ivan@example.ru"
SELECTOR = "okno2026"


def read_sample(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def forwarded(sample_bytes, msgid="fwd-1@example.ru", extra_headers=b""):
    return (b"From: Ivan Petrov <" + CITIZEN.encode() + b">\r\n"
            b"To: " + CHECK.encode() + b"\r\n"
            b"Subject: Fwd: is this real?\r\n"
            b"Message-ID: <" + msgid.encode() + b">\r\n" + extra_headers +
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"fw\"\r\n\r\n"
            b"--fw\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease check.\r\n"
            b"--fw\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
            + sample_bytes + b"\r\n--fw--\r\n")


class CheckAddressTest(unittest.TestCase):
    def setUp(self):
        self.okno = okno_it.Okno(self)
        self.key = os.path.join(self.okno.dir, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True,
                       capture_output=True)
        pem = subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout"], check=True,
                             capture_output=True, text=True).stdout
        self.txt = "v=DKIM1; k=rsa; p=" + "".join(
            l for l in pem.splitlines() if l and not l.startswith("-----"))

    def serve(self, **outbound):
        self.okno.write_config({
            "check": {"address": CHECK},
            "portal": {"domains": "gosuslugi.ru;госуслуги.рф", "name": "Госуслуги"},
            "smtp": {"hostname": "mx.okno.test"},
            "dkim": {"selector": SELECTOR, "key": "dkim.pem"},
            "outbound": outbound,
        })
        self.okno.start()

    def dns(self, name, timeout=5):
        if name == ("%s._domainkey.portal.example." % SELECTOR).encode():
            return self.txt.encode()
        return None

    def send(self, raw, rcpts=(CHECK,), sender=CITIZEN):
        with smtplib.SMTP("127.0.0.1", self.okno.smtp_port, timeout=60) as s:
            s.ehlo("client.example.ru")
            s.mail(sender)
            for r in rcpts:
                code, text = s.rcpt(r)
                self.assertEqual(code, 250, text)
            code, text = s.data(raw)
            return code, text.decode()

    def outbox(self):
        new = os.path.join(self.okno.dir, "outbox", "new")
        files = sorted(os.listdir(new)) if os.path.isdir(new) else []
        out = []
        for name in files:
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read())
        return out

    def wait_outbox(self, count):
        """Waits (up to a minute) until the outbound thread has written `count` files,
        then returns them."""
        deadline = time.monotonic() + 60
        while len(self.outbox()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        files = self.outbox()
        self.assertEqual(len(files), count, self.okno.log()[-3000:])
        return files

    def check_mail(self, path):
        r = self.okno.run("check-mail", "--json", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def body_of(self, raw):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        return msg, msg.get_content()

    def test_forwarded_phishing_gets_a_signed_dangerous_verdict_with_every_reason(self):
        self.serve()
        path = os.path.join(CORPUS, "phish-05-subdomain-trick.eml")
        sample = read_sample("phish-05-subdomain-trick.eml")
        code, text = self.send(forwarded(sample))
        self.assertEqual(code, 250, text)
        self.assertIn("checked", text)
        self.assertEqual(self.okno.list_json(), [])  # not an appeal

        raw = self.wait_outbox(1)[0]
        self.assertTrue(dkim.verify(raw, dnsfunc=self.dns))
        msg, body = self.body_of(raw)
        self.assertEqual(msg["To"].addresses[0].addr_spec, CITIZEN)
        self.assertEqual(str(msg["Subject"]), "Проверка письма: письмо опасно")
        self.assertEqual(msg["In-Reply-To"], "<fwd-1@example.ru>")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertIn("Результат проверки: письмо опасно", body)
        self.assertIn("переслали во вложении", body)
        expected = self.check_mail(path)
        self.assertEqual(expected["verdict"], "dangerous")
        for reason in expected["reasons"]:
            if reason["weight"] > 0:
                self.assertIn(reason["text"], body.replace("\n", " ").replace("  ", " "))

        # counted as a report of its links and sender domain, not blocked
        listed = json.loads(self.okno.run("phishing", "list", "--json").stdout)
        values = {(e["kind"], e["value"]) for e in listed}
        self.assertIn(("domain", "mailer-bulk.example"), values)
        self.assertTrue(any(k == "url" and "account-verify.example" in v for k, v in values), values)
        self.assertTrue(all(not e["blocked"] and e["source"] == "check-address"
                            and e["reported_by"] == CITIZEN for e in listed))
        self.assertFalse(any("gosuslugi.ru" == v for k, v in values))

    def test_inline_letter_is_checked_itself_and_the_reply_explains_forwarding(self):
        self.serve()
        raw_in = (b"From: Ivan Petrov <" + CITIZEN.encode() + b">\r\n"
                  b"To: " + CHECK.encode() + b"\r\n"
                  b"Subject: a letter I got\r\n"
                  b"Message-ID: <inline-1@example.ru>\r\n"
                  b"\r\n"
                  b"They wrote: your order is ready, details at https://shop.example/orders\r\n")
        code, text = self.send(raw_in)
        self.assertEqual(code, 250, text)
        msg, body = self.body_of(self.wait_outbox(1)[0])
        self.assertEqual(str(msg["Subject"]), "Проверка письма: признаков мошенничества не найдено")
        self.assertIn("не нашли в нём вложенного письма", body)
        self.assertEqual(json.loads(self.okno.run("phishing", "list", "--json").stdout), [])

    def test_auto_submitted_mail_gets_no_verdict_and_the_hourly_limit_holds(self):
        self.serve(max_auto_per_hour=1)
        sample = read_sample("phish-01-typo-l.eml")
        code, _ = self.send(forwarded(sample, "auto-1@example.ru", b"Auto-Submitted: auto-generated\r\n"))
        self.assertEqual(code, 250)
        self.assertIn("event=autoreply_suppressed reason=\"auto-submitted message (RFC 3834)\"",
                      self.okno.log())
        code, _ = self.send(forwarded(sample, "h-1@example.ru"))
        self.assertEqual(code, 250)
        code, _ = self.send(forwarded(sample, "h-2@example.ru"))
        self.assertEqual(code, 250)
        self.assertIn("reason=\"hourly limit of automatic messages to this sender reached\"",
                      self.okno.log())
        self.assertEqual(len(self.wait_outbox(1)), 1)

    def test_mail_to_support_and_check_is_an_appeal(self):
        self.serve()
        sample = read_sample("phish-01-typo-l.eml")
        code, text = self.send(forwarded(sample, "both-1@example.ru"),
                               rcpts=(CHECK, okno_it.SUPPORT))
        self.assertEqual(code, 250, text)
        self.assertIn("registered as", text)
        self.assertEqual(len(self.okno.list_json()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
