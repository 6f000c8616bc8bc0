"""Two `okno serve` nodes on one PostgreSQL database lose nothing when one is killed -9.

Two nodes share one database (OKNO_TEST_PG_URL; skipped without it) and one outbound
maildir, and listen on different SMTP ports. Eight client threads send OKNO_NODES_MESSAGES
(default 5,000) distinct appeals over SMTP, each message preferring one node by its
index and falling back to the other when its node does not answer; a message whose
delivery fails or gets no 250 is sent again (a resend of something already registered
is recognised as a duplicate by its Message-ID, so it must not become a second appeal).
When a random 30-60 % of the messages are acknowledged, node A gets SIGKILL and is
started again at once. Once every message is acknowledged and the receipt queue has
drained, the database and the maildir must show:
  - every Message-ID that got 250 belongs to exactly one appeal, under the number its
    250 named; appeal numbers are unique;
  - every appeal has exactly one receipt file in the maildir (none lost, none doubled)
    and the outbound queue has nothing left queued or failed;
  - both nodes did real work, and the killed node came back.
The checks read the database with psql (5,000 `okno show` runs would take minutes
under AddressSanitizer); the per-node owner on outbound leases is what lets node A take
back its own leases after the restart while node B must not send those jobs again.
"""
import email
import email.header
import os
import random
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from test_durability import REPLY_NUMBER, RecordingSMTP  # noqa: E402

MESSAGES = int(os.environ.get("OKNO_NODES_MESSAGES", "5000"))
CLIENTS = 8
NUMBER = re.compile(r"\d\d-\d{6,}-\d")


def query(url, sql):
    """Rows of one SELECT on the database at `url`, as lists of strings."""
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-d", url, "-c", sql], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("psql: " + p.stderr)
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def appeal_text(i):
    msgid = f"n{i}@load.example"
    sender = f"citizen{i % 97}@mail.example"
    body = (f"From: {sender}\r\nTo: support@portal.example\r\n"
            f"Subject: Обращение {i}\r\nMessage-ID: <{msgid}>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Прошу помочь с вопросом {i}: услуга не открывается на портале.\r\n")
    return msgid, sender, body.encode("utf-8")


def client(worker, ports, acked, lock, failures):
    """Sends messages worker, worker+CLIENTS, ... until each has a 250."""
    connections = {}
    try:
        for i in range(worker, MESSAGES, CLIENTS):
            msgid, sender, body = appeal_text(i)
            node = i % 2
            for attempt in range(400):
                port = ports[node]
                try:
                    if port not in connections:
                        connections[port] = RecordingSMTP("127.0.0.1", port, timeout=30)
                    s = connections[port]
                    s.sendmail(sender, ["support@portal.example"], body)
                except (OSError, smtplib.SMTPException):
                    # The node is down or refused: forget the connection, try the other.
                    bad = connections.pop(port, None)
                    if bad is not None:
                        try:
                            bad.close()
                        except OSError:
                            pass
                    with lock:
                        failures[0] += 1
                    node = 1 - node
                    time.sleep(0.05 if attempt < 20 else 0.5)
                    continue
                m = REPLY_NUMBER.search(s.last_reply)
                with lock:
                    acked.append((msgid, m.group(1).decode() if m else None, node))
                break
    finally:
        for s in connections.values():
            try:
                s.quit()
            except (OSError, smtplib.SMTPException):
                pass


class TwoNodes(unittest.TestCase):
    def setUp(self):
        if not okno_it.PG_URL:
            self.skipTest("OKNO_TEST_PG_URL is not set: no PostgreSQL server to test against")

    def node(self, url, outbox):
        o = okno_it.Okno(self)
        # nodes on one database share one key file (docs/crypto.md), as they must
        o.write_config({"store": {"url": url},
                        "crypto": {"key_file": os.path.join(os.path.dirname(outbox), "okno.key")},
                        "smtp": {"max_sessions": "100"},
                        "outbound": {"transport": "maildir:" + outbox,
                                     "max_auto_per_hour": "10000"}})
        o.start(timeout=60)
        return o

    def test_every_acknowledged_message_is_registered_and_receipted_once_across_a_kill(self):
        started = time.monotonic()
        url = okno_it.fresh_pg_database(self)
        shared = tempfile.mkdtemp(prefix="okno-nodes-")
        self.addCleanup(shutil.rmtree, shared, True)
        outbox = os.path.join(shared, "outbox")  # the maildir both nodes write to
        a, b = self.node(url, outbox), self.node(url, outbox)

        acked, lock, failures = [], threading.Lock(), [0]
        threads = [threading.Thread(target=client,
                                    args=(w, (a.smtp_port, b.smtp_port), acked, lock, failures))
                   for w in range(CLIENTS)]
        for t in threads:
            t.start()
        kill_at = int(MESSAGES * random.uniform(0.3, 0.6))
        while len(acked) < kill_at and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        killed_with = len(acked)
        a.signal(signal.SIGKILL)  # SIGKILL: no chance to flush or release anything
        a.proc.wait(10)
        a.start(timeout=60)
        for t in threads:
            t.join(600)
        sent_at = time.monotonic()
        self.assertFalse(any(t.is_alive() for t in threads), "clients did not finish")
        self.assertEqual(len(acked), MESSAGES, "some messages never got a 250")
        self.assertEqual(len({m for m, _, _ in acked}), MESSAGES)
        self.assertTrue(all(number for _, number, _ in acked), "a 250 named no number")
        per_node = [sum(1 for _, _, n in acked if n == k) for k in (0, 1)]
        self.assertGreater(min(per_node), MESSAGES // 10, per_node)

        # Every acknowledged Message-ID: one appeal, the number its 250 named.
        rows = query(url, "SELECT a.number, m.message_id FROM messages m "
                          "JOIN appeals a ON a.id = m.appeal_id WHERE m.direction = 'in'")
        numbers_of = {}
        for number, msgid in rows:
            numbers_of.setdefault(msgid.strip("<>"), set()).add(number)
        for msgid, number, _ in acked:
            self.assertEqual(numbers_of.get(msgid), {number}, msgid)
        appeals = [n for [n] in query(url, "SELECT number FROM appeals")]
        self.assertEqual(len(appeals), len(set(appeals)), "an appeal number was given twice")
        self.assertEqual(len(appeals), MESSAGES, "an appeal exists that no client sent")

        # The receipt queue drains: every appeal gets exactly one receipt file.
        new = os.path.join(outbox, "new")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            [[queued]] = query(url, "SELECT count(*) FROM outbound WHERE state = 'queued'")
            if queued == "0":
                break
            time.sleep(0.5)
        self.assertEqual(query(url, "SELECT state, count(*) FROM outbound GROUP BY state"),
                         [["sent", str(MESSAGES)]])
        receipts = {}
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                msg = email.message_from_bytes(f.read())
            subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
            m = NUMBER.search(subject)
            self.assertIsNotNone(m, subject)
            receipts[m.group(0)] = receipts.get(m.group(0), 0) + 1
        self.assertEqual(set(receipts), set(appeals), "an appeal has no receipt")
        self.assertEqual({n for n, c in receipts.items() if c != 1}, set(), "receipt doubled")
        self.assertEqual(os.listdir(os.path.join(outbox, "tmp")), [])

        self.assertEqual(a.stop(), 0, a.log()[-3000:])
        self.assertEqual(b.stop(), 0, b.log()[-3000:])
        print(f"nodes: {MESSAGES} messages over 2 nodes ({per_node[0]} to A, {per_node[1]} to B), "
              f"A killed at {killed_with} acknowledged, {failures[0]} failed attempts resent; "
              f"intake {sent_at - started:.1f} s, receipts drained "
              f"{time.monotonic() - sent_at:.1f} s later")


if __name__ == "__main__":
    unittest.main(verbosity=1)
