"""The tamper-evident journal through the real daemon and the command line
(docs/journal.md): `okno journal init|key|sign|head|verify|consistency|proof` and
GET /api/v1/proof/NUMBER.

One daemon per class: mail is submitted over SMTP, heads are signed by the daemon
every second ([journal] sign_interval = 1), and everything the server states is
checked here independently, in Python: the leaf hash of the registration entry
(SHA-256(0x00 || entry)), the RFC 9162 inclusion path up to the signed root, the
consistency proof between two sizes, and the head's Ed25519 signature with the public
key `okno journal key` printed (python3-cryptography), and the registration's batch
entry (docs/journal.md, "Batches") parsed here and its facts recomputed from the rows
(the events' entries, the original's SHA-256). Then rows are changed by hand
with SQL (sqlite3 or psql) and `okno journal verify` must exit 1 naming the appeal, and
0 again once the change is undone. Every kind of tampering on both stores is in the
unit test tests/unit/test_journal.c."""
import base64
import email
import email.policy
import glob
import hashlib
import json
import os
import smtplib
import sqlite3
import subprocess
import time
import unittest
import urllib.request

import okno_it

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def token(value):
    """A token as docs/journal.md writes it: bytes outside A-Za-z0-9._:@+- as %XX."""
    out = []
    for b in value.encode():
        c = chr(b)
        out.append(c if (c.isascii() and c.isalnum()) or c in "._:@+-" else "%%%02X" % b)
    return "".join(out)


def event_entry(eid, appeal_id, at, kind, detail):
    """The event's entry, recomputed from its row (docs/journal.md, "Entries")."""
    return (f"okno-journal 1\nrecord=event\nid={eid}\nappeal_id={appeal_id}\nat={at}\n"
            f"kind={token(kind)}\ndetail_sha256={hashlib.sha256(detail.encode()).hexdigest()}\n"
            ).encode()


batch_facts = okno_it.batch_facts


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf, index, size, path):
    """RFC 9162 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


def consistent(size1, size2, root1, root2, proof):
    """RFC 9162 2.1.4.2."""
    if size1 == size2:
        return not proof and root1 == root2
    if size1 & (size1 - 1) == 0:
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def letter(i):
    return (f"From: Иван Петров <ivan{i}@example.ru>\r\nTo: support@portal.example\r\n"
            f"Subject: Обращение {i}\r\nMessage-ID: <j{i}@example.ru>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f"Здравствуйте! Не могу войти в личный кабинет, попытка {i}.\r\n").encode()


class JournalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = okno_it.ClassScope(cls)
        cls.okno = okno_it.Okno(scope)
        cls.witness = os.path.join(cls.okno.dir, "witness")
        cls.okno.write_config({"journal": {"sign_interval": "1",
                                           "witnesses": "maildir:" + cls.witness}})
        r = cls.okno.run("journal", "key")
        assert r.returncode == 1 and "okno journal init" in r.stderr, r.stderr
        r = cls.okno.run("journal", "init", "--json")
        assert r.returncode == 0, r.stderr
        cls.key = json.loads(r.stdout)
        cls.okno.start()
        cls.numbers = []
        with smtplib.SMTP("127.0.0.1", cls.okno.smtp_port, timeout=30) as s:
            for i in range(3):
                s.sendmail(f"ivan{i}@example.ru", ["support@portal.example"], letter(i))
        for a in cls.okno.list_json():
            cls.numbers.append(a["number"])
        cls.numbers.sort()
        # the scheduler's verify at start stores its result before any test tampers with
        # a row (on a loaded machine it can come seconds after the daemon listens)
        until = time.monotonic() + 60
        while not cls.rows("SELECT id FROM journal_verifications") and time.monotonic() < until:
            time.sleep(0.2)

    def verify(self):
        r = self.okno.run("journal", "verify", "--json")
        return r.returncode, json.loads(r.stdout), r.stderr

    def wait_signed(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            code, rep, err = self.verify()
            if rep["size"] and rep["size"] == rep["signed_size"]:
                return code, rep, err
            time.sleep(0.2)
        self.fail("no head covers the journal: %s" % rep)

    def sql(self, statement):
        url = self.okno.store_url
        if url.startswith("sqlite:"):
            with sqlite3.connect(url[len("sqlite:"):]) as db:
                db.execute(statement)
        else:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement],
                           check=True, capture_output=True, timeout=60)

    def test_1_key_is_the_one_created_and_files_are_private(self):
        self.assertEqual(len(self.numbers), 3)
        r = self.okno.run("journal", "key", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), self.key)
        pk = base64.b64decode(self.key["public_key"])
        self.assertEqual(hashlib.sha256(pk).hexdigest(), self.key["fingerprint"])
        self.assertEqual(os.stat(os.path.join(self.okno.dir, "journal.key")).st_mode & 0o777, 0o600)
        r = self.okno.run("journal", "init")
        self.assertEqual(r.returncode, 1)
        self.assertIn("never replaced", r.stderr)

    def test_2_daemon_signs_heads_that_verify(self):
        code, rep, err = self.wait_signed()
        self.assertEqual(code, 0, err)
        self.assertTrue(rep["intact"])
        # three registrations, each with its message, receipt and events: with a key, one
        # batch leaf before the receipt and one after it (docs/journal.md, "Batches")
        self.assertGreaterEqual(rep["size"], 3 * 2)
        self.assertGreaterEqual(rep["rows_checked"], 3 * 7)
        r = self.okno.run("journal", "head", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        head = json.loads(r.stdout)
        self.assertEqual(head["key_id"], self.key["fingerprint"])
        signed = (f"okno-tree-head 1\nsize={head['size']}\nroot={head['root']}\n"
                  f"at={head['at_us']}\n").encode()
        pk = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.key["public_key"]))
        pk.verify(base64.b64decode(head["signature"]), signed)  # raises if wrong
        with self.assertRaises(Exception):
            pk.verify(base64.b64decode(head["signature"]), signed.replace(b"size=", b"size=1"))

    def test_3_proof_of_registration_checks_out_offline(self):
        self.wait_signed()
        number = self.numbers[1]
        with urllib.request.urlopen(self.okno.base_url + "/api/v1/proof/" + number, timeout=10) as resp:
            proof = json.load(resp)
        entry = proof["entry"].encode()
        # one leaf holds the registration's facts: the appeal is fact `fact` of the batch
        facts = batch_facts(entry)
        kind, ref, appeal_id, fact = facts[proof["fact"]]
        self.assertEqual((kind, ref), ("registration", "appeal"))
        self.assertEqual(fact.decode(), proof["fact_entry"])
        self.assertIn(f"number={number}\n".encode(), fact)
        self.assertTrue(fact.startswith(b"okno-journal 2\nrecord=appeal\n"))
        kinds = [f[0] for f in facts]
        self.assertEqual(kinds.count("message_in"), 1)
        self.assertIn("event", kinds)
        # each event fact is the event's row, recomputed here
        for kind, ref, eid, fact in facts:
            if ref == "event":
                row = self.rows(f"SELECT id, appeal_id, at, kind, detail FROM events WHERE id = {eid}")
                self.assertEqual(len(row), 1)
                self.assertEqual(event_entry(*row[0]), fact)
        # the message fact states the original's SHA-256 and size
        raw = subprocess.run([okno_it.OKNO_BIN, "show", "--config", self.okno.config_path,
                              "--raw", "1", number], check=True, capture_output=True).stdout
        msg = [f[3] for f in facts if f[0] == "message_in"][0]
        self.assertIn(f"\nraw_size={len(raw)}\nraw_sha256={hashlib.sha256(raw).hexdigest()}\n"
                      .encode(), msg)
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        self.assertEqual(leaf.hex(), proof["leaf_hash"])
        head = proof["tree_head"]
        root = root_from_inclusion(leaf, proof["leaf_index"], head["size"],
                                   [bytes.fromhex(h) for h in proof["inclusion_proof"]])
        self.assertEqual(root.hex(), head["root"])
        # a wrong number is refused in Russian; an unknown one is 404
        try:
            urllib.request.urlopen(self.okno.base_url + "/api/v1/proof/26-000001-0", timeout=10)
            self.fail("a number with a wrong check digit was accepted")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
            self.assertIn("Номер обращения", json.load(e)["error"])

    def test_4_consistency_between_sizes(self):
        _, rep, _ = self.wait_signed()
        n = rep["size"]
        for old in (1, 4, n // 2, n):
            r = self.okno.run("journal", "consistency", str(old), str(n))
            self.assertEqual(r.returncode, 0, r.stderr)
            c = json.loads(r.stdout)
            self.assertTrue(consistent(old, n, bytes.fromhex(c["old_root"]), bytes.fromhex(c["new_root"]),
                                       [bytes.fromhex(h) for h in c["proof"]]))
            if old < n:
                self.assertFalse(consistent(old, n, bytes.fromhex(c["new_root"]),
                                            bytes.fromhex(c["new_root"]),
                                            [bytes.fromhex(h) for h in c["proof"]]))
        self.assertEqual(c["new_root"], json.loads(self.okno.run("journal", "head", "--json").stdout)["root"])
        r = self.okno.run("journal", "consistency", "5", "3")
        self.assertEqual(r.returncode, 1)

    def test_5_tampering_by_hand_is_named(self):
        self.wait_signed()
        number = self.numbers[2]
        self.sql(f"UPDATE appeals SET deadline = deadline + 86400000000 WHERE number = '{number}'")
        code, rep, err = self.verify()
        self.assertEqual(code, 1)
        self.assertEqual(rep["first"]["number"], number)
        self.assertEqual(rep["first"]["record"], "appeal")
        self.assertIn(number, err)
        self.sql(f"UPDATE appeals SET deadline = deadline - 86400000000 WHERE number = '{number}'")
        self.assertEqual(self.verify()[0], 0)
        number = self.numbers[0]
        self.sql("INSERT INTO events(appeal_id, at, kind, detail) "
                 f"SELECT id, 1, 'answered', '{{}}' FROM appeals WHERE number = '{number}'")
        code, rep, err = self.verify()
        self.assertEqual(code, 1)
        self.assertEqual((rep["first"]["number"], rep["first"]["record"]), (number, "event"))
        self.assertIn("has no leaf", rep["first"]["problem"])
        self.sql("DELETE FROM events WHERE at = 1")
        self.assertEqual(self.verify()[0], 0)

    def test_6_the_scheduler_verifies_daily_and_stores_the_result(self):
        self.wait_signed()
        # the daemon's scheduler verified once at start (no result was stored yet)
        rows = self.rows("SELECT intact, size FROM journal_verifications ORDER BY id")
        self.assertGreaterEqual(len(rows), 1)
        self.assertEqual(int(rows[0][0]), 1, self.rows(
            "SELECT report FROM journal_verifications ORDER BY id LIMIT 1", whole=True))
        number = self.numbers[1]
        self.sql(f"UPDATE appeals SET priority = 'urgent' WHERE number = '{number}'")
        try:
            # within the day: no new verify
            r = self.okno.run("scheduler", "run", "--no-deliver")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(self.rows("SELECT id FROM journal_verifications")), len(rows))
            later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400))
            r = self.okno.run("scheduler", "run", "--no-deliver", "--now", later)
            self.assertEqual(r.returncode, 0, r.stderr)
            last = self.rows("SELECT intact, problems FROM journal_verifications "
                             "ORDER BY id DESC LIMIT 1")[0]
            self.assertEqual(int(last[0]), 0)
            self.assertGreaterEqual(int(last[1]), 1)
            report = self.rows("SELECT report FROM journal_verifications ORDER BY id DESC LIMIT 1",
                               whole=True)
            self.assertEqual(json.loads(report)["first"]["number"], number)
        finally:
            self.sql(f"UPDATE appeals SET priority = 'normal' WHERE number = '{number}'")
        self.assertEqual(self.verify()[0], 0)

    def test_7_receipt_states_the_original_hash_and_carries_a_signed_timestamp(self):
        number = self.numbers[0]
        receipt = self.receipt(number)
        raw = subprocess.run([okno_it.OKNO_BIN, "show", "--config", self.okno.config_path,
                              "--raw", "1", number], check=True, capture_output=True).stdout
        parts = list(receipt.walk())
        text = [p for p in parts if p.get_content_type() == "text/plain"][0].get_content()
        proof_part = [p for p in parts if p.get_filename() == "okno-receipt.json"][0]
        self.assertEqual(proof_part.get_content_type(), "application/json")
        proof = json.loads(proof_part.get_payload(decode=True))
        self.assertIn(hashlib.sha256(raw).hexdigest(), text)
        self.assertEqual(proof["original_sha256"], hashlib.sha256(raw).hexdigest())
        self.assertEqual(proof["original_size"], len(raw))
        self.assertEqual(proof["number"], number)
        self.assertEqual(hashlib.sha256(b"\x00" + proof["entry"].encode()).hexdigest(),
                         proof["leaf_hash"])
        self.assertIn("\nnumber=%s\n" % number, proof["entry"])
        kind, ref, _, fact = batch_facts(proof["entry"].encode())[proof["fact"]]
        self.assertEqual((kind, ref), ("registration", "appeal"))
        self.assertIn(("\nnumber=%s\n" % number).encode(), fact)
        self.assertEqual(hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest(),
                         proof["text_sha256"])
        signed = (f"okno-set 1\nnumber={number}\nseq={proof['seq']}\nleaf={proof['leaf_hash']}\n"
                  f"original_sha256={proof['original_sha256']}\n"
                  f"text_sha256={proof['text_sha256']}\nat={proof['at_us']}\n").encode()
        pk = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.key["public_key"]))
        pk.verify(base64.b64decode(proof["signature"]), signed)
        self.assertEqual(proof["key_id"], self.key["fingerprint"])
        # the leaf it names is the registration's leaf in the journal's proof
        with urllib.request.urlopen(self.okno.base_url + "/api/v1/proof/" + number, timeout=10) as r:
            self.assertEqual(json.load(r)["leaf_hash"], proof["leaf_hash"])

    def test_8_evidence_bundle_and_receipt_verify_offline_and_any_changed_byte_fails(self):
        number = self.numbers[0]
        out = os.path.join(self.okno.dir, "bundle")
        r = self.okno.run("evidence", "export", number, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = sorted(os.path.relpath(os.path.join(d, f), out)
                       for d, _, fs in os.walk(out) for f in fs)
        for name in ("README.txt", "MANIFEST.json", "MANIFEST.sig", "head.json", "leaves.json",
                     "events.json", "public_key.txt"):
            self.assertIn(name, files)
        emls = [f for f in files if f.startswith("messages/")]
        self.assertTrue(any(f.endswith("-in.eml") for f in emls), files)
        self.assertTrue(any(f.endswith("-out.eml") for f in emls), files)
        with open(os.path.join(out, "README.txt"), encoding="utf-8") as f:
            self.assertIn("okno evidence verify", f.read())
        # the original in the bundle is the original in the store, byte for byte
        raw = subprocess.run([okno_it.OKNO_BIN, "show", "--config", self.okno.config_path,
                              "--raw", "1", number], check=True, capture_output=True).stdout
        first_in = sorted((f for f in emls if f.endswith("-in.eml")),
                          key=lambda f: int(f.split("/")[1].split("-")[0]))[0]
        with open(os.path.join(out, first_in), "rb") as f:
            self.assertEqual(f.read(), raw)
        pub = self.key["public_key"]

        def verify(path, key=pub):
            # offline: no --config, run from a directory with no okno.ini
            return subprocess.run([okno_it.OKNO_BIN, "evidence", "verify", "--key", key, path],
                                  capture_output=True, text=True, cwd="/", timeout=60)

        r = verify(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        other = base64.b64encode(bytes(32)).decode()
        self.assertEqual(verify(out, other).returncode, 1)
        for name in files:
            path = os.path.join(out, name)
            with open(path, "rb") as f:
                data = f.read()
            pos = len(data) // 2
            changed = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
            with open(path, "wb") as f:
                f.write(changed)
            try:
                r = verify(out)
                self.assertEqual(r.returncode, 1, "a changed byte in %s passed" % name)
                self.assertIn(name, r.stderr)
            finally:
                with open(path, "wb") as f:
                    f.write(data)
        extra = os.path.join(out, "messages", "999-in.eml")
        with open(extra, "wb") as f:
            f.write(b"Subject: forged\r\n\r\nforged\r\n")
        r = verify(out)
        os.unlink(extra)
        self.assertEqual(r.returncode, 1)
        self.assertIn("999-in.eml", r.stderr)
        self.assertEqual(verify(out).returncode, 0)
        # the receipt .eml on its own
        receipt = None
        for path in sorted(glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*"))):
            with open(path, "rb") as f:
                data = f.read()
            if b"okno-receipt.json" in data and ("%s" % number).encode() in data:
                receipt = path
                break
        self.assertIsNotNone(receipt)
        r = verify(receipt)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(receipt, "rb") as f:
            data = f.read()
        body_at = data.index(b"quoted-printable") + 200
        qp = data.index(b"=D0", body_at)  # a Cyrillic letter of the text
        for pos in (qp + 2, data.index(b"base64\r\n\r\n") + 40):
            changed = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
            path = os.path.join(self.okno.dir, "changed.eml")
            with open(path, "wb") as f:
                f.write(changed)
            r = verify(path)
            self.assertEqual(r.returncode, 1, "a changed byte at %d passed" % pos)
            self.assertIn("changed.eml", r.stderr)

    def test_9_each_new_head_goes_to_the_witnesses(self):
        self.wait_signed()
        pk = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.key["public_key"]))
        deadline = time.monotonic() + 30
        heads = []
        while time.monotonic() < deadline and not heads:
            for path in sorted(glob.glob(os.path.join(self.witness, "new", "*"))):
                with open(path, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                self.assertIn("Подписанная вершина журнала", str(m["Subject"]))
                text = m.get_content()
                heads.append(json.loads(text[text.index("{"):text.rindex("}") + 1]))
            time.sleep(0.2)
        self.assertTrue(heads, "no head reached the witness")
        sizes = [h["size"] for h in heads]
        self.assertEqual(len(sizes), len(set(sizes)))  # each head once
        for h in heads:
            signed = (f"okno-tree-head 1\nsize={h['size']}\nroot={h['root']}\n"
                      f"at={h['at_us']}\n").encode()
            pk.verify(base64.b64decode(h["signature"]), signed)
        # the latest head the witness holds is consistent with the journal now
        latest = max(sizes)
        _, rep, _ = self.wait_signed()
        r = self.okno.run("journal", "consistency", str(latest), str(rep["size"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        c = json.loads(r.stdout)
        self.assertEqual(c["old_root"], [h for h in heads if h["size"] == latest][0]["root"])

    def receipt(self, number):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for path in sorted(glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*"))):
                with open(path, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                if "№ %s зарегистрировано" % number in str(m["Subject"]) or \
                        ("№ %s" % number in str(m["Subject"]) and "уточнение" in str(m["Subject"])):
                    return m
            time.sleep(0.2)
        self.fail("no receipt for " + number)

    @classmethod
    def rows(cls, statement, whole=False):
        """The rows of a query; `whole`: the one value of a one-row, one-column query."""
        url = cls.okno.store_url
        if url.startswith("sqlite:"):
            with sqlite3.connect(url[len("sqlite:"):]) as db:
                got = db.execute(statement).fetchall()
            return got[0][0] if whole else got
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-d", url, "-c", statement],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return out if whole else [line.split("\t") for line in out.splitlines() if line]

if __name__ == "__main__":
    unittest.main()
