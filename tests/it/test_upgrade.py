"""test_upgrade: a store made by the previous release migrates forward with its data intact.

tests/data/release-v0.1 holds a store made by okno v0.1 (git tag v0.1, the release of
2026-11-23, schema version 9; make.sh says how): SQLite as a file, PostgreSQL as a
pg_dump. A copy is migrated by today's `okno migrate`, then every fact the old release
recorded must still read the same through today's commands: each appeal's number,
status, kind, subject, sender, text, attachment and answer, the department the rule
routed to, the staff account; words are still found by search; the journal (which v0.1
did not have) verifies; `okno serve` starts on the store and the next appeal gets the
next number. Runs on SQLite, and on PostgreSQL as it_upgrade_pg.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import OKNO_BIN, STORE, SUPPORT, Okno, SmtpDialogue, pg_restore_dump  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "release-v0.1")


class Upgrade(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        with open(os.path.join(DATA, "expected.json"), encoding="utf-8") as f:
            self.expected = json.load(f)["appeals"]
        with open(os.path.join(DATA, "numbers.txt")) as f:
            self.numbers = f.read().split()
        if STORE == "pg":
            pg_restore_dump(self.okno.store_url, os.path.join(DATA, "okno-pg.sql"))
        else:
            shutil.copy(os.path.join(DATA, "okno.db"), os.path.join(self.okno.dir, "okno.db"))
        self.okno.write_config()

    def ok(self, *args):
        r = self.okno.run(*args)
        self.assertEqual(r.returncode, 0, "okno %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def test_a_v0_1_store_migrates_with_its_data_intact(self):
        self.ok("migrate")
        for i, (number, want) in enumerate(zip(self.numbers, self.expected)):
            shown = json.loads(self.ok("show", "--json", number))
            appeal = shown.get("appeal", shown)
            flat = json.dumps(shown, ensure_ascii=False)
            self.assertEqual(appeal["number"], number)
            self.assertEqual(appeal["subject"], want["subject"])
            self.assertEqual(appeal.get("kind", "support"), want.get("kind", "support"))
            for piece in (want["from_email"], want["from_name"], want["text"][:60]):
                self.assertIn(piece, flat, "%s lost %r" % (number, piece))
            if want.get("attachment"):
                self.assertIn(want["attachment"]["name"], flat)
            if want.get("answer"):
                self.assertIn(want["answer"], flat)
                self.assertEqual(appeal["status"], "closed")
            else:
                self.assertEqual(appeal["status"], "new")
            # the original bytes are the evidence: byte for byte what v0.1 stored
            raw = subprocess.run([OKNO_BIN, "show", "--config", self.okno.config_path, "--raw", "1",
                                  number], capture_output=True)
            self.assertEqual(raw.returncode, 0, raw.stderr)
            self.assertIn(b"Message-ID: <v01-%d@mail.example>" % i, raw.stdout)
        first = json.loads(self.ok("show", "--json", self.numbers[0]))
        self.assertIn("housing", json.dumps(first, ensure_ascii=False))  # routed by the v0.1 rule
        users = self.ok("user", "list", "--json")
        self.assertIn("operator1", users)
        found = self.ok("search", "отоплением")
        self.assertIn(self.numbers[0], found)
        self.assertNotIn(self.numbers[2], found)
        self.ok("journal", "verify")

        self.okno.start()
        with SmtpDialogue(self.okno.smtp_port, timeout=30) as d:
            self.assertEqual(d.cmd("EHLO c.example")[0], 250)
            d.send("MAIL FROM:<new@mail.example>\r\nRCPT TO:<%s>\r\nDATA\r\n" % SUPPORT)
            self.assertEqual([c for c, _ in d.replies(3)], [250, 250, 354])
            d.send(("From: new@mail.example\r\nTo: %s\r\nSubject: После обновления\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\nНовое обращение.\r\n.\r\n"
                    % SUPPORT).encode())
            code, text = d.reply()
            self.assertEqual(code, 250, text)
        self.assertEqual(self.okno.stop(), 0)
        newest = self.okno.list_json()[0]
        self.assertTrue(newest["number"].startswith("26-000004-"), newest["number"])


if __name__ == "__main__":
    unittest.main()
