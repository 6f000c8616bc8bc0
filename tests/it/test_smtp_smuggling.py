"""test_smtp_smuggling: no end-of-data sequence but <CR><LF>.<CR><LF> ends a message.

SMTP smuggling (CVE-2023-51764 in Postfix, CVE-2023-51765 in Sendmail, CVE-2023-51766
in Exim): a message whose body holds `<LF>.<LF>` (or another non-standard end of data)
followed by `MAIL FROM`, `RCPT TO`, `DATA` and a second message. A server that ends
the first message at the non-standard sequence runs the rest as commands and
registers the second, forged message (any sender, past the checks of the MTA in
front). One daemon, one dialogue per variant, over SMTP and LMTP: each DATA must
register exactly one appeal, from the real sender, with the smuggled text inside it;
no appeal from the forged sender may exist. Bare <LF> or <CR> in a command line is
refused with 500 5.5.2 and the connection closed.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, ClassScope, Okno, SmtpDialogue  # noqa: E402

# Every variant published for the class (SEC Consult's list and the Postfix/Exim
# advisories), plus a few neighbours.
VARIANTS = [
    b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r.\r\n", b"\r\n.\r", b"\n.\r",
    b"\r\n\x00.\r\n", b"\r\n.\r\r\n", b"\r\r\n.\r\r\n", b"\n\r\n.\n",
]

FORGED = (b"MAIL FROM:<admin@portal.example>\r\nRCPT TO:<" + SUPPORT.encode() + b">\r\nDATA\r\n"
          b"From: admin@portal.example\r\nSubject: forged %d\r\n\r\n"
          b"Smuggled text, number %d.\r\n")


class SmtpSmugglingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config(lmtp="tcp")
        cls.okno.start()

    def send_with_variant(self, port, hello, i, variant):
        with SmtpDialogue(port) as d:
            self.assertEqual(d.cmd(hello + " client.example")[0], 250)
            d.send("MAIL FROM:<citizen%d@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (i, SUPPORT))
            self.assertEqual([c for c, _ in d.replies(3)], [250, 250, 354])
            d.send(("From: Citizen <citizen%d@mail.example>\r\nSubject: Appeal %d\r\n\r\n"
                    "Прошу проверить начисление пени, вариант %d." % (i, i, i)).encode("utf-8"))
            d.send(variant)
            d.send(FORGED % (i, i))
            d.send(b".\r\n")
            code, text = d.reply()
            self.assertEqual(code, 250, text)
            self.assertIn("registered as", text)
            # nothing else was answered: the smuggled commands were data
            self.assertEqual(d.cmd("QUIT"), (221, "2.0.0 Bye"))
            self.assertTrue(d.closed())

    def test_each_variant_registers_one_appeal_per_data_over_smtp_and_lmtp(self):
        o = self.okno
        for i, v in enumerate(VARIANTS):
            self.send_with_variant(o.smtp_port, "EHLO", i, v)
            self.send_with_variant(o.lmtp_port, "LHLO", 100 + i, v)
        appeals = o.list_json()
        self.assertEqual(len(appeals), 2 * len(VARIANTS), appeals)
        senders = sorted(a["from"]["email"] for a in appeals)
        want = sorted(["citizen%d@mail.example" % i for i in range(len(VARIANTS))] +
                      ["citizen%d@mail.example" % (100 + i) for i in range(len(VARIANTS))])
        self.assertEqual(senders, want)
        self.assertFalse([a for a in appeals if "forged" in a["subject"]])
        # the smuggled text is inside the first message, as its content
        one = o.show_json(appeals[0]["number"])
        self.assertIn("Smuggled text", one["messages"][0]["text"])
        log = o.log()
        self.assertNotIn("admin@portal.example", log)

    def test_bare_line_ends_in_commands_are_500_5_5_2_and_close(self):
        o = self.okno
        for port, hello in ((o.smtp_port, "EHLO"), (o.lmtp_port, "LHLO")):
            for bad in (hello.encode() + b" c.example\n", b"NOOP\rMAIL FROM:<a@b.example>\r\n"):
                with SmtpDialogue(port) as d:
                    d.send(bad)
                    self.assertEqual(d.reply(), (500, "5.5.2 Error: bare <CR> or <LF> received, "
                                                      "lines must end with <CR><LF>"))
                    self.assertTrue(d.closed())


if __name__ == "__main__":
    unittest.main()
