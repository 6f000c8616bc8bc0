#!/usr/bin/env python3
"""test_backup.py: `okno backup --out FILE` and `okno backup verify FILE`, and a restore
(docs/retention.md, "Backups").

One daemon serves; appeals come in over SMTP and the journal is signed; a backup is taken
while the daemon runs; more appeals come in. The backup verifies (exit 0, one line). It
is then restored into a new directory (the file copied as the store of a new config),
`okno serve` starts on it, serves the appeals of the backup and not the later ones, and
`okno journal verify` passes there. A copy of the backup with one message's sender
changed fails verify (exit 1, naming the appeal); one without a signed head fails too;
a file that is not a backup is refused with one line; an existing --out is never
overwritten. On PostgreSQL (it_backup_pg) okno backup refuses with the line naming
pg_basebackup.
"""
import os
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import STORE, ClassScope, Okno  # noqa: E402

OKNO = os.environ.get("OKNO_BIN", "okno")


def send(port, n):
    msg = (f"From: Житель {n} <citizen{n}@example.ru>\r\nTo: support@portal.example\r\n"
           f"Subject: Обращение {n}\r\nMessage-ID: <backup-{n}@example.ru>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n"
           f"Прошу помочь с вопросом номер {n}.\r\n").encode("utf-8")
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
        s.sendmail(f"citizen{n}@example.ru", ["support@portal.example"], msg)


class Backup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.o = Okno(ClassScope(cls))
        cls.key = os.path.join(cls.o.dir, "journal.key")
        cls.o.write_config({"journal": {"key_file": cls.key, "sign_interval": "3600"}})
        r = cls.o.run("journal", "init")
        assert r.returncode == 0, r.stderr
        cls.o.start()

    def test_pg_refuses(self):
        if STORE != "pg":
            self.skipTest("PostgreSQL only")
        r = self.o.run("backup", "--out", os.path.join(self.o.dir, "b.db"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("pg_basebackup", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_backup_verify_restore(self):
        if STORE != "sqlite":
            self.skipTest("okno backup is for SQLite stores")
        for n in range(1, 4):
            send(self.o.smtp_port, n)
        before = {a["number"] for a in self.o.list_json()}
        self.assertEqual(len(before), 3)
        r = self.o.run("journal", "sign")
        self.assertEqual(r.returncode, 0, r.stderr)
        backup = os.path.join(self.o.dir, "backup.db")
        r = self.o.run("backup", "--out", backup)   # okno serve is running meanwhile
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.o.run("backup", "--out", backup)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists", r.stderr)
        for n in range(4, 6):
            send(self.o.smtp_port, n)
        self.assertEqual(len(self.o.list_json()), 5)

        with open(backup, "rb") as f:
            original = f.read()
        r = self.o.run("backup", "verify", backup)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith("intact: "), r.stdout)
        with open(backup, "rb") as f:
            self.assertEqual(f.read(), original)  # verify wrote nothing

        # Restore into a new directory; okno serve starts on it and its journal verifies.
        restored = Okno(self)
        os.makedirs(os.path.join(restored.dir, "var"), exist_ok=True)
        db = os.path.join(restored.dir, "okno.db")
        shutil.copyfile(backup, db)
        restored.store_url = "sqlite:" + db
        shutil.copyfile(self.key, os.path.join(restored.dir, "journal.key"))
        os.chmod(os.path.join(restored.dir, "journal.key"), 0o600)
        # the key file of encryption at rest is the one thing backed up apart (README)
        shutil.copyfile(os.path.join(self.o.dir, "okno.key"), os.path.join(restored.dir, "okno.key"))
        os.chmod(os.path.join(restored.dir, "okno.key"), 0o600)
        restored._crypto_done = True
        restored.write_config({"journal": {"key_file": os.path.join(restored.dir, "journal.key")}})
        restored.start()
        self.assertEqual({a["number"] for a in restored.list_json()}, before)
        r = restored.run("journal", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(restored.stop(), 0)

        # A tampered backup fails verify, naming the appeal.
        bad = os.path.join(self.o.dir, "tampered.db")
        shutil.copyfile(backup, bad)
        con = sqlite3.connect(bad)
        number = con.execute("SELECT number FROM appeals ORDER BY id LIMIT 1").fetchone()[0]
        con.execute("UPDATE messages SET sender = 'someone@else.example' WHERE id = "
                    "(SELECT min(id) FROM messages)")
        con.commit()
        con.close()
        r = self.o.run("backup", "verify", bad)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(number, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

        # A backup whose heads are gone ties to no published root.
        unsigned = os.path.join(self.o.dir, "unsigned.db")
        shutil.copyfile(backup, unsigned)
        con = sqlite3.connect(unsigned)
        con.execute("DELETE FROM journal_heads")
        con.commit()
        con.close()
        r = self.o.run("backup", "verify", unsigned)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no signed tree head", r.stderr)

        # Not a backup at all.
        junk = os.path.join(self.o.dir, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database")
        r = self.o.run("backup", "verify", junk)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a SQLite backup", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
