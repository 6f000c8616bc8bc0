"""test_smtp_limits: every cap of the SMTP listener, reached by a real client.

Declared SIZE over the limit (552), a message over max_message_size (552 5.3.4 after
reading to its end, nothing registered), a command line over max_line_length
(500 5.5.2), too many recipients (452 4.5.3), a client that stops in the middle of
DATA (421 4.4.2 after data_timeout, connection dropped, nothing registered),
max_sessions exceeded (421 4.7.0), one client address past its share of the sessions
(421 4.7.0 while another address still gets in), slow clients cut whatever they trickle:
a command line not finished within command_timeout, a DATA below data_min_rate or past
data_total_timeout (421 4.4.2 with the reason, nothing registered), and 500 concurrent
connections all greeted and closed cleanly.
"""
import os
import resource
import selectors
import smtplib
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, Okno, SmtpDialogue  # noqa: E402

ENVELOPE = "EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT


class SmtpLimitsTest(unittest.TestCase):
    def started(self, smtp):
        self.okno = Okno(self)
        self.okno.write_config({"smtp": smtp})
        self.okno.start()
        return self.okno

    def test_declared_size_over_the_limit_is_552(self):
        o = self.started({"max_message_size": "10000"})
        with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=10) as s:
            s.ehlo("c.example")
            self.assertEqual(s.mail("a@mail.example", ["SIZE=10001"]),
                             (552, b"5.3.4 Message size exceeds fixed maximum message size"))
            self.assertEqual(s.mail("a@mail.example", ["SIZE=10000"])[0], 250)

    def test_message_over_max_message_size_is_552_5_3_4_and_not_registered(self):
        o = self.started({"max_message_size": "4096"})
        with SmtpDialogue(o.smtp_port) as d:
            d.send(ENVELOPE)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(b"Subject: big\r\n\r\n" + b"0123456789" * 60 + b"\r\n")
            for _ in range(20):  # about 12 KB more, read to the end by the server
                d.send(b"0123456789" * 60 + b"\r\n")
            d.send(b".\r\n")
            self.assertEqual(d.reply(), (552, "5.3.4 Message size exceeds fixed maximum message size"))
            # the session is still usable
            self.assertEqual(d.cmd("NOOP"), (250, "2.0.0 Ok"))
        self.assertEqual(o.list_json(), [])

    def test_command_line_too_long_is_500_5_5_2(self):
        o = self.started({"max_line_length": "1000"})
        with SmtpDialogue(o.smtp_port) as d:
            d.cmd("EHLO c.example")
            self.assertEqual(d.cmd("NOOP " + "x" * 1200), (500, "5.5.2 Error: line too long"))
            self.assertEqual(d.cmd("NOOP " + "x" * 993), (250, "2.0.0 Ok"))  # 1000 with CRLF

    def test_too_many_recipients_is_452_4_5_3(self):
        o = self.started({"max_recipients": "2",
                          "addresses": SUPPORT + ";help@portal.example;info@portal.example"})
        with SmtpDialogue(o.smtp_port) as d:
            d.cmd("EHLO c.example")
            d.cmd("MAIL FROM:<a@mail.example>")
            self.assertEqual(d.cmd("RCPT TO:<%s>" % SUPPORT)[0], 250)
            self.assertEqual(d.cmd("RCPT TO:<help@portal.example>")[0], 250)
            self.assertEqual(d.cmd("RCPT TO:<info@portal.example>"),
                             (452, "4.5.3 Error: too many recipients"))

    def test_client_silent_in_the_middle_of_data_is_dropped_and_nothing_registered(self):
        o = self.started({"data_timeout": "2", "command_timeout": "30"})
        started = time.monotonic()
        with SmtpDialogue(o.smtp_port, timeout=15) as d:
            d.send(ENVELOPE)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            d.send(b"Subject: half\r\n\r\nthe first half and then silence\r\n")
            self.assertEqual(d.reply(), (421, "4.4.2 okno.test Error: timeout exceeded"))
            self.assertTrue(d.closed())
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("event=timeout state=data", o.log())
        self.assertEqual(o.list_json(), [])

    def test_sessions_past_max_sessions_get_421_4_7_0(self):
        # per-IP share lifted: this test is about the total (the share has its own test)
        o = self.started({"max_sessions": "3", "max_sessions_per_ip": "3"})
        held = [SmtpDialogue(o.smtp_port) for _ in range(3)]
        try:
            for d in held:
                self.assertEqual(d.greeting[0], 220)
            with SmtpDialogue(o.smtp_port) as extra:
                self.assertEqual(extra.greeting, (421, "4.7.0 Too many connections, try later"))
                self.assertTrue(extra.closed())
            held[0].cmd("QUIT")
            held[0].sock.close()
            time.sleep(0.3)  # the server notices the session is gone
            with SmtpDialogue(o.smtp_port) as again:
                self.assertEqual(again.greeting[0], 220)
        finally:
            for d in held:
                d.sock.close()

    def test_one_address_gets_its_share_and_others_still_get_in(self):
        # max_sessions 20 and no per-IP setting: one address may hold 20 / 10 = 2
        o = self.started({"max_sessions": "20"})
        held = [SmtpDialogue(o.smtp_port) for _ in range(2)]
        try:
            for d in held:
                self.assertEqual(d.greeting[0], 220)
            with SmtpDialogue(o.smtp_port) as extra:
                self.assertEqual(extra.greeting,
                                 (421, "4.7.0 Too many connections from your address, try later"))
                self.assertTrue(extra.closed())
            # another client address is not kept out by the first one's sessions
            with SmtpDialogue(o.smtp_port, source="127.0.0.2") as other:
                self.assertEqual(other.greeting[0], 220)
                self.assertEqual(other.cmd("QUIT")[0], 221)
            held[0].cmd("QUIT")
            held[0].sock.close()
            time.sleep(0.3)
            with SmtpDialogue(o.smtp_port) as again:
                self.assertEqual(again.greeting[0], 220)
        finally:
            for d in held:
                d.sock.close()
        self.assertIn("reason=max-sessions-per-ip", o.log())
        self.assertNotIn("127.0.0.1", o.log().split("reason=max-sessions-per-ip")[1].split("\n")[0])

    @staticmethod
    def trickle(d, pieces, interval, limit):
        """Sends each of `pieces` every `interval` s until the server has something to say
        (looked at without reading it: after its 421 the server closes, and a reset
        would throw the unread reply away) or `limit` s have passed."""
        started = time.monotonic()
        for piece in pieces:
            if time.monotonic() - started > limit:
                return
            try:
                d.send(piece)
            except OSError:
                return
            time.sleep(interval)
            d.sock.setblocking(False)
            try:
                if d.sock.recv(1, socket.MSG_PEEK):
                    return
            except BlockingIOError:
                pass
            finally:
                d.sock.settimeout(15)

    def test_a_command_line_trickling_in_is_cut_at_command_timeout(self):
        o = self.started({"command_timeout": "2"})
        started = time.monotonic()
        with SmtpDialogue(o.smtp_port, timeout=15) as d:
            # one byte every 0.4 s: never 2 s of silence, but the line never ends in time
            self.trickle(d, [bytes([b]) for b in b"EHLO slow.client.example"], 0.4, 8)
            self.assertEqual(d.reply(), (421, "4.4.2 okno.test Error: timeout exceeded"))
            self.assertTrue(d.closed())
        self.assertLess(time.monotonic() - started, 5)

    def test_data_below_the_minimum_rate_is_cut(self):
        o = self.started({"data_timeout": "2", "data_min_rate": "100"})
        started = time.monotonic()
        with SmtpDialogue(o.smtp_port, timeout=15) as d:
            d.send(ENVELOPE)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            # a 10-byte line every 0.5 s: 20 B/s, never silent for data_timeout
            self.trickle(d, [b"slowloris\n"] * 100, 0.5, 8)
            self.assertEqual(d.reply(), (421, "4.4.2 okno.test Error: data arriving too slowly"))
            self.assertTrue(d.closed())
        self.assertLess(time.monotonic() - started, 6)
        self.assertEqual(o.list_json(), [])

    def test_data_past_data_total_timeout_is_cut(self):
        o = self.started({"data_timeout": "30", "data_total_timeout": "2", "data_min_rate": "0"})
        started = time.monotonic()
        with SmtpDialogue(o.smtp_port, timeout=15) as d:
            d.send(ENVELOPE)
            self.assertEqual([c for c, _ in d.replies(4)], [250, 250, 250, 354])
            # 2 KB every 0.3 s is fast enough, but it goes on for too long
            self.trickle(d, [b"x" * 2000 + b"\r\n"] * 100, 0.3, 8)
            self.assertEqual(d.reply(), (421, "4.4.2 okno.test Error: message took too long"))
            self.assertTrue(d.closed())
        self.assertLess(time.monotonic() - started, 6)
        self.assertEqual(o.list_json(), [])

    def test_500_concurrent_connections_are_greeted_and_quit_cleanly(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        o = self.started({"max_sessions": "600", "max_sessions_per_ip": "600"})
        socks = []
        try:
            for _ in range(500):
                socks.append(socket.create_connection(("127.0.0.1", o.smtp_port), timeout=30))
            greeted = self._read_all(socks, b"\r\n")
            self.assertEqual(sum(1 for g in greeted if g.startswith(b"220 okno.test ESMTP")), 500)
            for s in socks:
                s.sendall(b"QUIT\r\n")
            byes = self._read_all(socks, None)  # until EOF
            self.assertEqual(sum(1 for b in byes if b == b"221 2.0.0 Bye\r\n"), 500, byes[:3])
        finally:
            for s in socks:
                s.close()

    @staticmethod
    def _read_all(socks, until, timeout=60):
        """Reads every socket until `until` is seen (or EOF when None)."""
        bufs = {s: b"" for s in socks}
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(1):
                s = key.fileobj
                chunk = s.recv(4096)
                bufs[s] += chunk
                if (until is None and not chunk) or (until is not None and until in bufs[s]):
                    sel.unregister(s)
        sel.close()
        return [bufs[s] for s in socks]


if __name__ == "__main__":
    unittest.main()
