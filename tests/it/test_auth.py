"""Inbound SPF, DKIM and DMARC over real SMTP, against a real DNS server on loopback.

The test starts dns_server.DnsServer (UDP and TCP on 127.0.0.1) with zones for a few
sender domains, points `[dns] server` at it, turns `[auth] verify` on and sends mail to
`okno serve` from 127.0.0.1 with a raw SMTP client. DKIM signatures are made with dkimpy
(Debian's python3-dkim) over a key the test generates; its public key is served at
sel._domainkey.<domain>. Each case checks the SMTP reply, the stored
Authentication-Results header (okno show --raw), the message meta and the events
(okno show --json), and the queue.

Domains:
  good.example      SPF allows 127.0.0.1, DMARC p=reject: pass
  spffail.example   SPF -all, no DMARC: spf=fail, accepted
  reject.example    SPF -all, DMARC p=reject: 550 5.7.1, nothing stored
  quar.example      SPF -all, DMARC p=quarantine: queue "suspicious"
  signed.example    SPF -all, DMARC p=reject, DKIM key: an aligned DKIM pass saves it
  weak.example      as signed.example with p=none: a broken signature is dkim=fail
  portal.example    (a [portal] domain) SPF -all, no DMARC: flagged suspicious
  (to check@portal.example, the [check] address: no verdict goes back to a sender
  whose SPF or DMARC failed)
  slow.example      every query times out: temperror, accepted
  big.example       a 20 KB TXT record (truncated over UDP, over the size limit on TCP)
"""
import base64
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from dns_server import DnsServer  # noqa: E402

try:
    import dkim  # noqa: E402
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim  # noqa: E402

SPF_OK = "v=spf1 ip4:127.0.0.1 -all"
SPF_NO = "v=spf1 -all"


def message(from_addr, subject="Не приходит код", body="Здравствуйте! Не приходит SMS с кодом.",
            extra=b""):
    head = ("From: Иван Петров <%s>\r\nTo: support@portal.example\r\nSubject: %s\r\n"
            "Date: Mon, 23 Nov 2026 09:58:00 +0300\r\nMessage-ID: <%s@test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n" % (from_addr, subject, os.urandom(6).hex()))
    return extra + head.encode("utf-8") + b"\r\n" + body.encode("utf-8") + b"\r\n"


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = __import__("tempfile").mkdtemp(prefix="okno-auth-key-")
        cls.key = os.path.join(cls.keydir, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", cls.key, "2048"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "rsa", "-in", cls.key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        cls.dkim_txt = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        with open(cls.key, "rb") as f:
            cls.key_pem = f.read()

    @classmethod
    def tearDownClass(cls):
        __import__("shutil").rmtree(cls.keydir, ignore_errors=True)

    def setUp(self):
        self.dns = DnsServer()
        self.addCleanup(self.dns.stop)
        self.dns.set_zones({
            "good.example": [{"TXT": SPF_OK}],
            "_dmarc.good.example": [{"TXT": "v=DMARC1; p=reject"}],
            "spffail.example": [{"TXT": SPF_NO}],
            "reject.example": [{"TXT": SPF_NO}],
            "_dmarc.reject.example": [{"TXT": "v=DMARC1; p=reject; rua=mailto:d@reject.example"}],
            "quar.example": [{"TXT": SPF_NO}],
            "_dmarc.quar.example": [{"TXT": "v=DMARC1; p=quarantine"}],
            "signed.example": [{"TXT": SPF_NO}],
            "_dmarc.signed.example": [{"TXT": "v=DMARC1; p=reject"}],
            "sel._domainkey.signed.example": [{"TXT": self.dkim_txt}],
            "weak.example": [{"TXT": SPF_NO}],
            "_dmarc.weak.example": [{"TXT": "v=DMARC1; p=none"}],
            "sel._domainkey.weak.example": [{"TXT": self.dkim_txt}],
            "portal.example": [{"TXT": SPF_NO}],
            "slow.example": ["TIMEOUT"],
            "_dmarc.slow.example": ["TIMEOUT"],
            "big.example": [{"TXT": "v=spf1 " + " ".join("ip4:10.%d.%d.0/24" % (i // 250, i % 250)
                                                          for i in range(1100)) + " -all"}],
        })
        self.okno = okno_it.Okno(self)
        self.okno.write_config({
            "auth": {"verify": "1"},
            "dns": {"server": self.dns.address, "timeout_ms": "400"},
            "portal": {"domains": "portal.example"},
            "check": {"address": "check@portal.example"},
            "http": {"captcha_bits": "8"},
        }, lmtp="tcp")
        self.okno.start()

    def send(self, mail_from, msg, helo="mail.sender.example", rcpt="support@portal.example"):
        """One message over SMTP; returns the final (code, text) reply."""
        with okno_it.SmtpDialogue(self.okno.smtp_port) as d:
            self.assertEqual(d.cmd("EHLO " + helo)[0], 250)
            self.assertEqual(d.cmd("MAIL FROM:<%s>" % mail_from)[0], 250)
            self.assertEqual(d.cmd("RCPT TO:<%s>" % rcpt)[0], 250)
            self.assertEqual(d.cmd("DATA")[0], 354)
            d.send(msg.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            reply = d.reply()
            d.cmd("QUIT")
            return reply

    def registered(self, reply):
        self.assertEqual(reply[0], 250, reply)
        number = reply[1].split()[-1]
        appeal = self.okno.show_json(number)
        meta = appeal["messages"][0]["meta"]
        raw = self.okno.run("show", "--raw", "1", number).stdout
        return appeal, meta["authentication"], raw

    def events(self, appeal, kind):
        return [e for e in appeal["events"] if e["kind"] == kind]

    def test_spf_pass_and_header(self):
        appeal, auth, raw = self.registered(self.send("ivan@good.example", message("ivan@good.example")))
        self.assertEqual(auth["spf"]["result"], "pass")
        self.assertEqual(auth["dmarc"]["result"], "pass")
        self.assertEqual(auth["action"], "accept")
        self.assertEqual(appeal["queue"], "")
        # The header is the first of the stored message (the CLI prints text lines).
        self.assertRegex(raw, r"^Authentication-Results: okno\.test;\r?\n\tspf=pass \(")
        self.assertIn("smtp.mailfrom=ivan@good.example", raw)
        self.assertIn("dmarc=pass", raw)
        ev = self.events(appeal, "authentication")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["detail"]["spf"]["result"], "pass")
        self.assertIn(("good.example", "TXT"), self.dns.queries)

    def test_spf_fail_recorded(self):
        appeal, auth, raw = self.registered(self.send("a@spffail.example", message("a@spffail.example")))
        self.assertEqual(auth["spf"]["result"], "fail")
        self.assertEqual(auth["dmarc"]["result"], "none")
        self.assertEqual(auth["action"], "accept")
        self.assertIn("spf=fail", raw)
        # SPF alone failing still gets the receipt (only SPF and DMARC both withhold it)
        self.assertTrue(self.events(appeal, "acknowledged"))

    def test_dmarc_reject_refused_and_nothing_stored(self):
        code, text = self.send("boss@reject.example", message("boss@reject.example"))
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith("5.7.1 "), text)
        self.assertIn("reject.example", text)
        self.assertIn("DMARC", text)
        self.assertEqual(self.okno.list_json(), [])
        self.assertIn("event=refused", self.okno.log())

    def test_web_form_is_not_checked_as_mail(self):
        # A citizen whose mail domain publishes SPF -all and DMARC p=reject files the web
        # form from their browser: the browser's address is no mail server of that domain,
        # so SPF/DMARC must not run on what okno built from the form (it would be refused).
        from test_feedback import DESCRIPTION, solve_pow
        api = okno_it.HttpClient(self.okno.base_url)
        cap = api.get("/api/v1/captcha").json()
        r = api.post("/api/v1/feedback", {
            "name": "Петров Иван", "email": "ivan@reject.example", "category": "technical",
            "description": DESCRIPTION, "consent": "yes", "captcha_pow": cap["pow"]["token"],
            "captcha_nonce": solve_pow(cap["pow"]["token"], cap["pow"]["bits"])})
        self.assertEqual(r.status, 201, r.text)
        appeal = self.okno.show_json(r.json()["number"])
        self.assertEqual((appeal["channel"], appeal["queue"]), ("web", ""))
        self.assertNotIn("authentication", appeal["messages"][0]["meta"])
        self.assertNotIn("authentication", [e["kind"] for e in appeal["events"]])

    def test_lmtp_refusal_per_recipient(self):
        with okno_it.SmtpDialogue(self.okno.lmtp_port) as d:
            self.assertEqual(d.cmd("LHLO mx.reject.example")[0], 250)
            self.assertEqual(d.cmd("MAIL FROM:<boss@reject.example>")[0], 250)
            self.assertEqual(d.cmd("RCPT TO:<support@portal.example>")[0], 250)
            self.assertEqual(d.cmd("DATA")[0], 354)
            d.send(message("boss@reject.example") + b".\r\n")
            code, text = d.reply()
            self.assertEqual(code, 550, text)
            self.assertTrue(text.startswith("5.7.1 "), text)
            self.assertEqual(d.cmd("NOOP")[0], 250)  # the session goes on
        self.assertEqual(self.okno.list_json(), [])

    def outbox(self):
        new = os.path.join(self.okno.dir, "outbox", "new")
        return sorted(os.listdir(new)) if os.path.isdir(new) else []

    def test_check_address_sends_no_verdict_to_a_forged_sender(self):
        # check@ mails its verdict back to the From address: when SPF or DMARC failed,
        # that address may be forged and the verdict would be reflected at a stranger.
        reply = self.send("a@spffail.example", message("a@spffail.example"), rcpt="check@portal.example")
        self.assertEqual(reply[0], 250, reply)
        self.assertIn("checked", reply[1])
        self.assertIn('event=autoreply_suppressed reason="sender authentication failed: '
                      'the verdict would go to a forged address"', self.okno.log())
        # A proved sender gets the verdict (the outbound worker writes it to the maildir).
        reply = self.send("ivan@good.example", message("ivan@good.example"), rcpt="check@portal.example")
        self.assertEqual(reply[0], 250, reply)
        deadline = time.monotonic() + 30
        while not self.outbox() and time.monotonic() < deadline:
            time.sleep(0.1)
        files = self.outbox()
        self.assertEqual(len(files), 1, self.okno.log()[-3000:])
        with open(os.path.join(self.okno.dir, "outbox", "new", files[0]), "rb") as f:
            self.assertIn(b"To: ", f.read())
        self.assertEqual(self.okno.log().count("event=autoreply_suppressed"), 1)
        # A refusal by DMARC p=reject holds for check@ too (550 5.7.1, nothing queued).
        reply = self.send("x@reject.example", message("x@reject.example"), rcpt="check@portal.example")
        self.assertEqual(reply[0], 550, reply)
        self.assertTrue(reply[1].startswith("5.7.1"), reply)

    def test_dmarc_quarantine_goes_to_suspicious_queue(self):
        appeal, auth, raw = self.registered(self.send("x@quar.example", message("x@quar.example")))
        self.assertEqual(auth["dmarc"]["result"], "fail")
        self.assertEqual(auth["dmarc"]["policy"], "quarantine")
        self.assertEqual(appeal["queue"], "suspicious")
        self.assertEqual(self.events(appeal, "suspicious")[0]["detail"]["reason"], "dmarc_quarantine")
        # No receipt to an address that may be forged.
        self.assertEqual(self.events(appeal, "acknowledged"), [])
        self.assertTrue(self.events(appeal, "autoreply_suppressed"))
        self.assertIn("dmarc=fail (p=quarantine)", raw)

    def sign(self, msg, domain):
        return dkim.sign(msg, b"sel", domain.encode(), self.key_pem,
                         include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])

    def test_dkim_pass_saves_spf_failure(self):
        msg = message("olga@signed.example")
        signed = self.sign(msg, "signed.example") + msg
        appeal, auth, raw = self.registered(self.send("olga@signed.example", signed))
        self.assertEqual(auth["spf"]["result"], "fail")
        self.assertEqual([(d["domain"], d["selector"], d["result"]) for d in auth["dkim"]],
                         [("signed.example", "sel", "pass")])
        self.assertEqual(auth["dmarc"]["result"], "pass")
        self.assertEqual(appeal["queue"], "")
        self.assertIn("dkim=pass header.d=signed.example header.s=sel", raw)
        self.assertIn(("sel._domainkey.signed.example", "TXT"), self.dns.queries)

    def test_dkim_fail_on_changed_body(self):
        msg = message("olga@weak.example")
        signed = self.sign(msg, "weak.example") + msg.replace("Не приходит SMS".encode(), "Пришло SMS".encode())
        appeal, auth, raw = self.registered(self.send("olga@weak.example", signed))
        self.assertEqual(auth["dkim"][0]["result"], "fail")
        self.assertEqual(auth["dmarc"]["result"], "fail")
        self.assertEqual(auth["dmarc"]["policy"], "none")
        self.assertEqual(auth["action"], "accept")
        self.assertIn("dkim=fail", raw)
        # SPF and DMARC both failed: no receipt to an address that is probably forged
        self.assertEqual(auth["spf"]["result"], "fail")
        self.assertEqual(self.events(appeal, "acknowledged"), [])
        self.assertEqual([e["detail"]["reason"] for e in self.events(appeal, "autoreply_suppressed")],
                         ["sender failed SPF and DMARC: the From address is probably forged"])

    def test_dkim_signed_reject_domain_with_broken_signature_is_refused(self):
        msg = message("olga@signed.example")
        signed = self.sign(msg, "signed.example") + msg.replace(b"SMS", b"sms")
        code, text = self.send("olga@signed.example", signed)
        self.assertEqual(code, 550, text)
        self.assertEqual(self.okno.list_json(), [])

    def test_portal_forgery_flagged(self):
        appeal, auth, raw = self.registered(self.send("noreply@portal.example",
                                                      message("noreply@portal.example")))
        self.assertTrue(auth["portal"])
        self.assertEqual(auth["dmarc"]["result"], "none")
        self.assertEqual(auth["action"], "suspicious")
        self.assertEqual(auth["action_reason"], "portal_unverified")
        self.assertEqual(appeal["queue"], "suspicious")
        self.assertEqual(self.events(appeal, "suspicious")[0]["detail"]["reason"], "portal_unverified")

    def test_dns_timeout_is_temperror_and_daemon_keeps_serving(self):
        appeal, auth, raw = self.registered(self.send("a@slow.example", message("a@slow.example")))
        self.assertEqual(auth["spf"]["result"], "temperror")
        self.assertIn("timeout", auth["spf"]["reason"])
        self.assertEqual(auth["dmarc"]["result"], "temperror")
        self.assertEqual(auth["action"], "accept")
        self.assertIn("spf=temperror", raw)
        # The next message is served as usual.
        _, auth2, _ = self.registered(self.send("ivan@good.example", message("ivan@good.example")))
        self.assertEqual(auth2["spf"]["result"], "pass")

    def test_dkim_key_lookup_timeout_is_temperror(self):
        msg = message("olga@weak.example")
        signed = self.sign(msg, "weak.example") + msg
        zones = dict(self.dns.zones)
        zones["sel._domainkey.weak.example"] = ["TIMEOUT"]
        self.dns.set_zones(zones)
        appeal, auth, raw = self.registered(self.send("olga@weak.example", signed))
        self.assertEqual(auth["dkim"][0]["result"], "temperror", auth["dkim"])
        self.assertIn("timeout", auth["dkim"][0]["reason"])
        self.assertEqual(auth["action"], "accept")

    def test_huge_dns_answer_is_temperror(self):
        appeal, auth, raw = self.registered(self.send("a@big.example", message("a@big.example")))
        self.assertEqual(auth["spf"]["result"], "temperror")
        self.assertIn("too big", auth["spf"]["reason"])

    def test_malformed_dkim_signature_recorded(self):
        bad = (b"DKIM-Signature: v=1; a=rsa-sha256; d=signed.example; s=; b=!!!; bh=\r\n"
               b"DKIM-Signature: garbage without tags\r\n"
               b"DKIM-Signature: v=1; a=rsa-sha999; d=spffail.example; s=sel; h=from; bh=AAAA; b=AAAA\r\n")
        appeal, auth, raw = self.registered(self.send("a@spffail.example",
                                                      message("a@spffail.example", extra=bad)))
        self.assertTrue(auth["dkim"])
        for d in auth["dkim"]:
            self.assertNotEqual(d["result"], "pass", d)
        self.assertIn("dkim=", raw)

    def test_absurd_header_counts(self):
        extra = b"".join(b"X-Filler-%d: v\r\n" % i for i in range(5000))
        extra += b"".join(b"DKIM-Signature: v=1; a=rsa-sha256; d=signed.example; s=sel%d; h=from; bh=AAAA; b=AAAA\r\n" % i
                          for i in range(200))
        appeal, auth, raw = self.registered(self.send("a@spffail.example",
                                                      message("a@spffail.example", extra=extra)))
        self.assertLessEqual(len(auth["dkim"]), 5)
        keys = [q for q in self.dns.queries if q[0].endswith("._domainkey.signed.example")]
        self.assertLessEqual(len(keys), 5)
        _, auth2, _ = self.registered(self.send("ivan@good.example", message("ivan@good.example")))
        self.assertEqual(auth2["spf"]["result"], "pass")


class ConfigTest(unittest.TestCase):
    def test_unusable_dns_server_is_a_config_error(self):
        okno = okno_it.Okno(self)
        okno.write_config({"auth": {"verify": "1"}, "dns": {"server": "127.0.0.1:99999"}})
        path = os.path.join(okno.dir, "m.eml")
        with open(path, "wb") as f:
            f.write(message("a@good.example"))
        r = okno.run("submit", path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("[dns] server", r.stderr)


class BudgetTest(unittest.TestCase):
    def test_slow_answers_are_cut_by_the_message_budget(self):
        """Ten A lookups answered 0.3 s late each, within the 5 s per-query timeout:
        without a budget the record would give fail after 3 s; with a 1 s budget the
        lookups past it are not sent and SPF is temperror."""
        dns = DnsServer()
        self.addCleanup(dns.stop)
        zones = {"slowspf.example": [{"TXT": "v=spf1 " + " ".join("a:h%d.slowspf.example" % i
                                                                  for i in range(10)) + " -all"}]}
        for i in range(10):
            zones["h%d.slowspf.example" % i] = [{"A": "192.0.2.%d" % (i + 1)}, {"DELAY": 0.3}]
        dns.set_zones(zones)
        okno = okno_it.Okno(self)
        okno.write_config({"dns": {"server": dns.address, "timeout_ms": "5000"},
                           "auth": {"verify": "1", "time_budget_ms": "1000"}})
        r = okno.run("auth-check", "--json", "--ip", "198.51.100.7", "--helo", "h.example",
                     "--mail-from", "a@slowspf.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        spf = __import__("json").loads(r.stdout)["spf"]
        self.assertEqual(spf["result"], "temperror", spf)
        self.assertIn("timeout", spf["reason"])
        asked = [q for q in dns.queries if q[0].startswith("h")]
        self.assertLess(len(asked), 10, asked)


if __name__ == "__main__":
    unittest.main(verbosity=2)
