"""test_lmtp: the LMTP listener (RFC 2033) over TCP and over a Unix socket.

LHLO instead of EHLO/HELO, and after the final dot one reply per accepted recipient
(here all the same: the message is registered once for all of them), with a rejected
recipient in between getting no reply after DATA. smtplib.LMTP checks that a stock
client gets through, over both transports.
"""
import os
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, Okno, SmtpDialogue  # noqa: E402

HELP = "help@portal.example"


def message(subject):
    return ("From: Olga <olga@mail.example>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@mail.example>\r\n"
            "\r\nПрошу разъяснить порядок получения справки об отсутствии судимости.\r\n"
            % (SUPPORT, subject, time.time_ns())).encode("utf-8")


class LmtpTest(unittest.TestCase):
    def started(self, transport):
        self.okno = Okno(self)
        self.okno.write_config({"smtp": {"addresses": SUPPORT + ";" + HELP}}, lmtp=transport)
        self.okno.start()
        return self.okno

    def per_recipient_dialogue(self, where):
        with SmtpDialogue(where) as d:
            self.assertEqual(d.greeting, (220, "okno.test LMTP okno"))
            self.assertEqual(d.cmd("EHLO mta.example"), (500, "5.5.1 Error: command not recognized"))
            code, text = d.cmd("LHLO mta.example")
            self.assertEqual(code, 250)
            self.assertIn("PIPELINING", text.split("\n"))
            self.assertIn("ENHANCEDSTATUSCODES", text.split("\n"))
            d.send("MAIL FROM:<olga@mail.example>\r\nRCPT TO:<%s>\r\nRCPT TO:<nobody@portal.example>\r\n"
                   "RCPT TO:<%s>\r\nDATA\r\n" % (SUPPORT, HELP))
            self.assertEqual([c for c, _ in d.replies(5)], [250, 250, 550, 250, 354])
            d.send(message("Справка LMTP") + b".\r\n")
            first, second = d.replies(2)
            self.assertEqual(first[0], 250)
            self.assertTrue(first[1].startswith("2.0.0 Ok: registered as "), first)
            self.assertEqual(first, second)  # the same message, the same appeal
            self.assertEqual(d.cmd("QUIT")[0], 221)
        appeals = self.okno.list_json()
        self.assertEqual([a["subject"] for a in appeals], ["Справка LMTP"])
        self.assertEqual(appeals[0]["number"], first[1].rsplit(" ", 1)[1])

    def test_lmtp_over_tcp_answers_once_per_recipient(self):
        self.per_recipient_dialogue(self.started("tcp").lmtp_port)

    def test_lmtp_over_a_unix_socket_answers_once_per_recipient(self):
        o = self.started("unix")
        self.assertIn("proto=lmtp path=" + o.lmtp_socket, o.log())
        self.per_recipient_dialogue(o.lmtp_socket)

    def test_smtplib_lmtp_client_over_both_transports(self):
        o = self.started("tcp")
        with smtplib.LMTP("127.0.0.1", o.lmtp_port) as s:
            self.assertEqual(s.sendmail("olga@mail.example", [SUPPORT], message("Через TCP")), {})
        self.assertEqual(o.stop(), 0)
        o2 = Okno(self)
        o2.write_config(lmtp="unix")
        o2.start()
        with smtplib.LMTP(o2.lmtp_socket) as s:
            self.assertEqual(s.sendmail("olga@mail.example", [SUPPORT], message("Через сокет")), {})
        self.assertEqual([a["subject"] for a in o2.list_json()], ["Через сокет"])
        self.assertEqual(o2.stop(), 0)
        self.assertFalse(os.path.exists(o2.lmtp_socket))  # removed on exit

    def test_lmtp_rejects_unknown_recipients_and_needs_one(self):
        o = self.started("tcp")
        with SmtpDialogue(o.lmtp_port) as d:
            d.cmd("LHLO mta.example")
            d.cmd("MAIL FROM:<>")
            self.assertEqual(d.cmd("RCPT TO:<root@portal.example>"),
                             (550, "5.1.1 <root@portal.example>: Recipient address rejected: no such "
                                   "mailbox here"))
            self.assertEqual(d.cmd("DATA"), (554, "5.5.1 Error: no valid recipients"))


if __name__ == "__main__":
    unittest.main()
