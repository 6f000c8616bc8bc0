"""`okno journal rotate-key` from the command line, on SQLite and (as it_journal_rotation_pg)
on PostgreSQL.

An appeal registered under the first key (its receipt's entry timestamp signed by it),
the key rotated, a second appeal registered under the new key. Then:
- `okno journal verify` passes with the key file (the new key) and with `--key` the old
  published key; the head after the rotation names the new key;
- the rotation leaf's signatures are checked here independently (python3-cryptography)
  over the documented statement, by both keys;
- `okno journal key --history --json` lists both keys with their validity, and with it
  `okno evidence verify` accepts the first receipt (old key) and the second (new key),
  while the new key alone refuses the first one, naming its key;
- an evidence bundle exported after the rotation verifies with the new key alone;
- with okno serve running, a rotation is picked up by its signer: the next head it
  signs is by the new key.
"""
import base64
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from test_journal import letter  # noqa: E402  (the same letters)

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class JournalRotationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = okno_it.ClassScope(cls)
        cls.okno = okno_it.Okno(scope)
        cls.okno.write_config({"journal": {"sign_interval": "1"}})
        r = cls.okno.run("journal", "init", "--json")
        assert r.returncode == 0, r.stderr
        cls.key1 = json.loads(r.stdout)
        cls.number1, cls.receipt1 = cls.submit(1)
        r = cls.okno.run("journal", "rotate-key", "--json")
        assert r.returncode == 0, r.stderr
        cls.key2 = json.loads(r.stdout)
        cls.number2, cls.receipt2 = cls.submit(2)
        r = cls.okno.run("journal", "sign")
        assert r.returncode == 0, r.stderr

    @classmethod
    def submit(cls, i):
        path = os.path.join(cls.okno.dir, "in%d.eml" % i)
        with open(path, "wb") as f:
            f.write(letter(i))
        before = set(cls.outbox())
        r = cls.okno.run("submit", path)
        assert r.returncode == 0, r.stderr
        new = [p for p in cls.outbox() if p not in before]
        assert len(new) == 1, new
        return r.stdout.strip(), new[0]

    @classmethod
    def outbox(cls):
        d = os.path.join(cls.okno.dir, "outbox", "new")
        return [os.path.join(d, f) for f in os.listdir(d)] if os.path.isdir(d) else []

    def evidence_verify(self, key, path):
        return subprocess.run([okno_it.OKNO_BIN, "evidence", "verify", "--key", key, path],
                              capture_output=True, text=True, cwd="/", timeout=60)

    def test_1_verify_accepts_the_old_and_the_new_key(self):
        self.assertNotEqual(self.key1["fingerprint"], self.key2["fingerprint"])
        for extra in ([], ["--key", self.key1["public_key"]], ["--key", self.key2["public_key"]]):
            r = self.okno.run("journal", "verify", "--json", *extra)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(json.loads(r.stdout)["intact"])
        r = self.okno.run("journal", "verify", "--key", base64.b64encode(bytes(32)).decode())
        self.assertEqual(r.returncode, 1)
        self.assertIn("not one of the journal's keys", r.stderr)
        head = json.loads(self.okno.run("journal", "head", "--json").stdout)
        self.assertEqual(head["key_id"], self.key2["fingerprint"])

    def test_2_rotation_statement_is_signed_by_both_keys(self):
        r = self.okno.run("journal", "key", "--history", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        hist = json.loads(r.stdout)
        self.assertEqual(hist["format"], "okno-journal-keys 1")
        self.assertEqual([k["key_id"] for k in hist["keys"]],
                         [self.key1["fingerprint"], self.key2["fingerprint"]])
        self.assertEqual(len(hist["rotations"]), 1)
        seq = hist["rotations"][0]["seq"]
        self.assertEqual(hist["keys"][0]["until_seq"], seq)
        self.assertEqual(hist["keys"][1]["from_seq"], seq)
        self.assertEqual(hist["keys"][1]["until_us"], 0)
        fields = dict(line.split("=", 1) for line in
                      hist["rotations"][0]["entry"].splitlines()[1:])
        self.assertEqual(fields["record"], "key_rotation")
        old = bytes.fromhex(fields["old_public_key"])
        new = bytes.fromhex(fields["new_public_key"])
        self.assertEqual(base64.b64encode(old).decode(), self.key1["public_key"])
        self.assertEqual(base64.b64encode(new).decode(), self.key2["public_key"])
        statement = (f"okno-key-rotation 1\nold={fields['old_public_key']}\n"
                     f"new={fields['new_public_key']}\nat={fields['at']}\n").encode()
        Ed25519PublicKey.from_public_bytes(old).verify(bytes.fromhex(fields["old_signature"]),
                                                       statement)
        Ed25519PublicKey.from_public_bytes(new).verify(bytes.fromhex(fields["new_signature"]),
                                                       statement)
        # the rotation is a leaf of the journal: its hash is in the tree
        proof = self.okno.run("journal", "consistency", str(seq - 1), str(seq))
        self.assertEqual(proof.returncode, 0, proof.stderr)

    def test_3_receipts_of_both_keys_verify_with_the_history(self):
        hist = os.path.join(self.okno.dir, "keys.json")
        with open(hist, "w") as f:
            f.write(self.okno.run("journal", "key", "--history", "--json").stdout)
        for receipt in (self.receipt1, self.receipt2):
            r = self.evidence_verify(hist, receipt)
            self.assertEqual(r.returncode, 0, r.stderr)
        r = self.evidence_verify(self.key2["public_key"], self.receipt1)
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.key1["fingerprint"], r.stderr)
        self.assertEqual(self.evidence_verify(self.key1["public_key"], self.receipt1).returncode, 0)
        # a history whose rotation was changed is refused as a whole
        with open(hist) as f:
            data = json.load(f)
        entry = data["rotations"][0]["entry"]
        i = entry.index("new_signature=") + len("new_signature=")
        data["rotations"][0]["entry"] = entry[:i] + ("1" if entry[i] == "0" else "0") + entry[i + 1:]
        forged = os.path.join(self.okno.dir, "forged.json")
        with open(forged, "w") as f:
            json.dump(data, f)
        r = self.evidence_verify(forged, self.receipt1)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not signed by both keys", r.stderr)

    def test_4_bundle_after_rotation_verifies_with_the_new_key(self):
        out = os.path.join(self.okno.dir, "bundle")
        r = self.okno.run("evidence", "export", self.number1, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.evidence_verify(self.key2["public_key"], out).returncode, 0)
        r = self.evidence_verify(self.key1["public_key"], out)
        self.assertEqual(r.returncode, 1)

    def test_5_running_signer_picks_up_the_new_key(self):
        self.okno.start()
        r = self.okno.run("journal", "rotate-key", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        key3 = json.loads(r.stdout)
        self.submit(3)
        deadline = time.monotonic() + 30
        head = None
        while time.monotonic() < deadline:
            r = self.okno.run("journal", "verify", "--json", "--key", self.key1["public_key"])
            rep = json.loads(r.stdout)
            if rep["size"] == rep["signed_size"]:
                head = json.loads(self.okno.run("journal", "head", "--json").stdout)
                break
            time.sleep(0.3)
        self.assertIsNotNone(head, "the daemon signed no head after the rotation")
        self.assertEqual(head["key_id"], key3["fingerprint"])
        self.assertTrue(rep["intact"], rep)


if __name__ == "__main__":
    unittest.main()
