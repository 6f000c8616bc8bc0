"""Nothing accepted is lost: kill -9 the daemon under load, restart, compare.

Eight SMTP clients send distinct appeals as fast as they can; each records the
Message-ID of every message that got a 250 and the appeal number the reply names.
The daemon is killed with SIGKILL at an arbitrary moment (no chance to flush anything)
and started again. Then: every message that got 250 is in the store, under the number
it was told, exactly once; every appeal in the store is whole (its message and its
registration event, never one without the other); and after the restart every appeal
gets exactly one receipt in the outbox, none lost and none doubled.

On PostgreSQL (it_durability_pg) the same with two nodes on one database, each with its
own SMTP port and half the clients, one of them killed: the journal stays one sequence
with no gap, verifies, and holds exactly one message leaf per registered message.
"""
import email
import email.header
import json
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import okno_it

OKNO = os.environ.get("OKNO_BIN", "build/src/okno")
REPLY_NUMBER = re.compile(rb"(\d\d-\d{6,}-\d)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, test, store=None):
        self.dir = tempfile.mkdtemp(prefix="okno-dur-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()
        self.config = os.path.join(self.dir, "okno.ini")
        if store is None:
            store = okno_it.store_url(test, "sqlite:okno.db")  # before the kill cleanup
        self.store = store
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("[server]\nallow_root = true\n"  # CI runs tests as root
                    f"[store]\nurl = {store}\n"
                    f"[smtp]\nlisten = 127.0.0.1:{self.port}\naddresses = support@portal.example\n"
                    f"[outbound]\ntransport = maildir:outbox\nmax_auto_per_hour = 10000\n"
                    "[http]\nlisten =\n")
        self.env = dict(os.environ, OKNO_LOG="quiet")
        self.proc = None
        test.addCleanup(self.kill)

    def start(self):
        self.proc = subprocess.Popen([OKNO, "serve", "--config", self.config], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("okno serve exited: " + self.proc.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("okno serve did not start listening")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """SIGTERM, wait for the exit; the exit status (its warnings kept for log())."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(30)
        self.warnings = self.proc.stderr.read().decode("utf-8", "replace")
        return status

    def log(self):
        """What the last stopped run printed (OKNO_LOG=quiet: its warnings)."""
        return getattr(self, "warnings", "")

    def cli(self, *args):
        p = subprocess.run([OKNO, *args, "--config", self.config], capture_output=True,
                           env=self.env, timeout=120)
        if p.returncode != 0:
            raise AssertionError(p.stderr.decode())
        return p.stdout


class RecordingSMTP(smtplib.SMTP):
    """smtplib that keeps the reply to the end of DATA, where okno names the number."""

    last_reply = b""

    def data(self, msg):
        code, reply = super().data(msg)
        self.last_reply = reply
        return code, reply


def sender(port, worker, acked, stop):
    """Sends until stopped; appends (Message-ID, number) for every 250."""
    i = 0
    while not stop.is_set():
        try:
            with RecordingSMTP("127.0.0.1", port, timeout=20) as s:
                while not stop.is_set():
                    i += 1
                    msgid = f"w{worker}-{i}@load.example"
                    body = (f"From: user{worker}@example.ru\r\nTo: support@portal.example\r\n"
                            f"Subject: Обращение {worker}-{i}\r\nMessage-ID: <{msgid}>\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                            f"Прошу помочь с вопросом {worker}-{i}: не открывается услуга.\r\n")
                    s.sendmail(f"user{worker}@example.ru", ["support@portal.example"], body.encode())
                    m = REPLY_NUMBER.search(s.last_reply)
                    acked.append((msgid, m.group(1).decode() if m else None))
        except (OSError, smtplib.SMTPException):
            if not stop.is_set():
                time.sleep(0.05)


class KillUnderLoad(unittest.TestCase):
    def test_every_acknowledged_message_survives_sigkill_once(self):
        d = Daemon(self)
        d.cli("journal", "init")  # heads signed by the daemon, checked by verify below
        d.start()
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=sender, args=(d.port, w, acked, stop)) for w in range(8)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(1.5, 3.0))
        d.kill()  # SIGKILL: whatever was not synced is gone
        stop.set()
        for t in threads:
            t.join(30)
        self.assertGreater(len(acked), 20, "the load did not get going")

        appeals = json.loads(d.cli("list", "--json"))
        by_number = {}
        for a in appeals:
            full = json.loads(d.cli("show", "--json", a["number"]))
            inbound = [m for m in full["messages"] if m["direction"] == "in"]
            kinds = [e["kind"] for e in full["events"]]
            # Whole or not at all: a message, a registration event, a receipt queued.
            self.assertEqual(len(inbound), 1, a["number"])
            self.assertIn("registered", kinds)
            self.assertIn("acknowledged", kinds)
            by_number[a["number"]] = inbound[0]["message_id"]
        ids = list(by_number.values())
        self.assertEqual(len(ids), len(set(ids)), "a message was registered twice")
        for msgid, number in acked:
            self.assertIn(msgid, ids, f"{msgid} got 250 but is not in the store")
            if number:
                self.assertEqual(by_number.get(number), msgid)

        # Restart: the queued receipts go out, each exactly once.
        d.start()
        outbox = os.path.join(d.dir, "outbox", "new")
        deadline = time.time() + 60
        while time.time() < deadline:
            n = len(os.listdir(outbox)) if os.path.isdir(outbox) else 0
            if n >= len(appeals):
                break
            time.sleep(0.2)
        # a clean stop signs the last head (the check of signed_size below needs it)
        self.assertEqual(d.stop(), 0, d.log()[-3000:])
        receipts = receipts_in(d.dir)
        self.assertEqual(sum(receipts.values()), len(os.listdir(outbox)))  # each names its appeal
        self.assertEqual(set(receipts), set(by_number))
        self.assertEqual(set(receipts.values()), {1})
        # The journal agrees with the store after the kill: every row has its leaf and
        # every leaf its row (so one message leaf per registered message), no gap, and
        # the head signed at the restart and at the stop covers it all.
        rep = json.loads(d.cli("journal", "verify", "--json"))
        self.assertTrue(rep["intact"], rep)
        self.assertEqual(rep["signed_size"], rep["size"],
                         d.log()[-3000:])
        self.assertGreaterEqual(rep["rows_checked"], 2 * len(appeals))
        print(f"durability: {len(acked)} acknowledged before SIGKILL, {len(appeals)} in the store, "
              f"{len(receipts)} receipts after restart")


def receipts_in(*dirs):
    """Appeal number -> how many receipts, over the outbox maildirs of the nodes."""
    receipts = {}
    for d in dirs:
        outbox = os.path.join(d, "outbox", "new")
        for name in os.listdir(outbox) if os.path.isdir(outbox) else []:
            with open(os.path.join(outbox, name), "rb") as f:
                msg = email.message_from_bytes(f.read())
            m = re.search(r"\d\d-\d{6,}-\d", str(email.header.make_header(
                email.header.decode_header(msg["Subject"]))))
            if m:
                receipts[m.group(0)] = receipts.get(m.group(0), 0) + 1
    return receipts


@unittest.skipUnless(okno_it.STORE == "pg", "two nodes share one PostgreSQL database")
class TwoNodesKillUnderLoad(unittest.TestCase):
    def test_one_node_killed_leaves_one_gapless_journal(self):
        a = Daemon(self)
        b = Daemon(self, store=a.store)
        a.cli("journal", "init")
        key_b = os.path.join(b.dir, "journal.key")
        shutil.copyfile(os.path.join(a.dir, "journal.key"), key_b)
        os.chmod(key_b, 0o600)
        a.start()
        b.start()
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=sender, args=(node.port, w, acked, stop))
                   for w, node in enumerate([a, b] * 4)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(1.5, 3.0))
        a.kill()  # SIGKILL one node mid-way; the other goes on
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertGreater(len(acked), 20, "the load did not get going")
        a.start()  # the killed node back: its queued receipts go out
        appeals = json.loads(a.cli("list", "--json", "--limit", "100000"))
        numbers = {x["number"] for x in appeals}
        deadline = time.time() + 60
        while time.time() < deadline and sum(receipts_in(a.dir, b.dir).values()) < len(numbers):
            time.sleep(0.2)
        a.stop()
        b.stop()
        ids = []
        for x in appeals:
            full = json.loads(a.cli("show", "--json", x["number"]))
            ids += [m["message_id"] for m in full["messages"] if m["direction"] == "in"]
        self.assertEqual(len(ids), len(set(ids)), "a message was registered twice")
        for msgid, number in acked:
            self.assertIn(msgid, ids, f"{msgid} got 250 but is not in the store")
        receipts = receipts_in(a.dir, b.dir)
        self.assertEqual(set(receipts), numbers)
        self.assertEqual(set(receipts.values()), {1})
        rep = json.loads(a.cli("journal", "verify", "--json"))
        self.assertTrue(rep["intact"], rep)  # seq 1..size with no gap, every row its leaf
        self.assertEqual(rep["signed_size"], rep["size"])
        # message_in facts: leaves of their own, or inside the registrations' batch leaves
        # (docs/journal.md, "Batches"), parsed here
        rows = subprocess.run(["psql", "-X", "-A", "-t", "-d", a.store, "-c",
                               "SELECT kind, ref_id, encode(entry, 'hex') FROM journal "
                               "WHERE kind IN ('message_in', 'batch')"],
                              capture_output=True, text=True, check=True, timeout=60).stdout
        message_in = []
        for line in rows.splitlines():
            kind, ref_id, entry = line.split("|")
            if kind == "message_in":
                message_in.append(int(ref_id))
            else:
                message_in += [f[2] for f in okno_it.batch_facts(bytes.fromhex(entry))
                               if f[0] == "message_in"]
        total, distinct = len(message_in), len(set(message_in))
        self.assertEqual(total, len(ids))  # one leaf per registered message, no more
        self.assertEqual(distinct, len(ids))
        print(f"durability, 2 nodes: {len(acked)} acknowledged, node A killed, "
              f"{len(appeals)} in the store, {len(receipts)} receipts, {rep['size']} leaves")


if __name__ == "__main__":
    unittest.main(verbosity=1)
