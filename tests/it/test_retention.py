#!/usr/bin/env python3
"""test_retention.py: retention of personal data through the real binary
(docs/retention.md): legal holds, `okno retention run --now T [--dry-run] [--json]`, the
destruction act (CSV and PDF) and `okno journal verify` after the purge.

Four appeals are registered with `okno submit` at a fixed instant (OKNO_FAKE_NOW), each
with its own name, e-mail, phone, SNILS, phrase and attachment bytes: A (a support
request, closed), B (closed, then put under a legal hold), C (a formal appeal, closed:
five years) and D (still open). Two years later a dry run changes nothing; the real pass
purges A only: A's strings are gone from the SQLite file and its WAL (a byte search, as
`grep -a` does), its letters' copies from the outbox maildir, B, C and D keep theirs;
the journal (a head signed before the purge) still verifies, and a purged row changed by
hand is still found. The act lists A and not B, in CSV and in the PDF's text
(pdftotext). Lifting B's hold lets the next pass purge it. On PostgreSQL (it_retention_pg)
the same pass runs and the rows are checked through `okno show`; the byte search of
PostgreSQL's files is the encryption's part (issue 15, items 1-3).
"""
import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import STORE, Okno, psql  # noqa: E402,F401

OKNO = os.environ.get("OKNO_BIN", "okno")
T0 = "2026-03-02T10:00:00+03:00"
T1 = "2026-03-03T10:00:00+03:00"       # closing
T2Y = "2028-03-10T10:00:00+03:00"      # two years on

PEOPLE = {
    "A": {"name": "Аркадий Зюзиков", "email": "zuzikov.qa@example.ru", "phone": "+7 916 555-01-11",
          "snils": "112-233-445 95", "phrase": "фиолетоваякапибара", "bytes": b"ATTACH-A-7f3e9c1d"},
    "B": {"name": "Борислав Кукушкин", "email": "kukushkin.qb@example.ru",
          "phone": "+7 916 555-02-22", "snils": "123-456-789 64", "phrase": "оранжевыйтапир",
          "bytes": b"ATTACH-B-0b8d2a44"},
    "C": {"name": "Ванесса Дроздова", "email": "drozdova.qc@example.ru",
          "phone": "+7 916 555-03-33", "snils": "987-654-321 00", "phrase": "лиловыйокапи",
          "bytes": b"ATTACH-C-5c1a9e07"},
    "D": {"name": "Григорий Щукин", "email": "shchukin.qd@example.ru", "phone": "+7 916 555-04-44",
          "snils": "111-222-333 96", "phrase": "бирюзовыйбинтуронг",
          "bytes": b"ATTACH-D-93ab61f2"},
}


def letter(key):
    p = PEOPLE[key]
    body = (f"Здравствуйте! Меня зовут {p['name']}, телефон {p['phone']}, СНИЛС {p['snils']}. "
            f"Прошу помочь: {p['phrase']} не работает.")
    b = "okno-ret-boundary"
    import base64
    att = base64.b64encode(p["bytes"]).decode()
    return (f"From: {p['name']} <{p['email']}>\r\nTo: support@portal.example\r\n"
            f"Subject: Вопрос {p['phrase']}\r\nMessage-ID: <ret-{key}@example.ru>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary={b}\r\n\r\n"
            f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
            f"--{b}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; filename=\"scan-{key}.bin\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{att}\r\n--{b}--\r\n").encode("utf-8")


def needles(key):
    """The byte strings of one person that must go (or stay): name, e-mail, phone, SNILS,
    phrase, and the attachment as the original letter holds it (base64)."""
    import base64
    p = PEOPLE[key]
    return [p["name"].encode(), p["email"].encode(), p["phone"].encode(), p["snils"].encode(),
            p["phrase"].encode(), base64.b64encode(p["bytes"])]


class Retention(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from okno_it import ClassScope
        cls.o = Okno(ClassScope(cls))
        cls.o.write_config({"journal": {"key_file": os.path.join(cls.o.dir, "journal.key")}})
        cls.numbers = {}
        for key in "ABCD":
            path = os.path.join(cls.o.dir, key + ".eml")
            with open(path, "wb") as f:
                f.write(letter(key))
            args = ["submit", path] + (["--kind", "formal"] if key == "C" else [])
            r = cls.cli(T0, *args)
            assert r.returncode == 0, r.stderr
            cls.numbers[key] = r.stdout.strip()
        for key in "ABC":
            r = cls.cli(T1, "appeal", "status", cls.numbers[key], "closed", "--no-deliver")
            assert r.returncode == 0, r.stderr
        r = cls.cli(T1, "appeal", "hold", cls.numbers["B"], "--reason", "Запрос суда № 2-15/2026")
        assert r.returncode == 0, r.stderr
        for args in (["journal", "init"], ["journal", "sign"]):
            r = cls.cli(T1, *args)
            assert r.returncode == 0, r.stderr

    @classmethod
    def cli(cls, now, *args):
        env = dict(os.environ, OKNO_FAKE_NOW=now)
        return subprocess.run([OKNO, *args, "--config", cls.o.config_path], capture_output=True,
                              text=True, env=env, cwd=cls.o.dir, timeout=120)

    def store_bytes(self):
        """The SQLite file and its WAL, as stored on disk."""
        db = self.o.store_url[len("sqlite:"):]
        out = b""
        for path in (db, db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out

    def outbox_bytes(self):
        out = b""
        for sub in ("new", "cur"):
            d = os.path.join(self.o.dir, "outbox", sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out += f.read()
        return out

    def test_1_pass(self):
        n = self.numbers
        # The hold is on the appeal page's data and in its history.
        events = [e["kind"] for e in self.o.show_json(n["B"])["events"]]
        self.assertIn("retention_hold", events)
        # An empty reason is refused with one line, nothing changed.
        r = self.cli(T1, "appeal", "hold", n["C"], "--reason", "  ")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("Укажите основание удержания", r.stderr)

        # A dry run two years on says what it would do and changes nothing.
        r = self.cli(T2Y, "retention", "run", "--dry-run", "--json", "--now", T2Y)
        self.assertEqual(r.returncode, 0, r.stderr)
        dry = json.loads(r.stdout)
        actions = {a["number"]: a["action"] for a in dry["appeals"]}
        self.assertEqual(actions, {n["A"]: "would purge", n["B"]: "held"})
        self.assertIsNone(dry["act"])
        if STORE == "sqlite":
            data = self.store_bytes()
            for s in needles("A"):
                self.assertTrue(s in data, s)

        # The pass: one line per appeal and a total.
        r = self.cli(T2Y, "retention", "run", "--now", T2Y, "--by", "Иванова И. И.")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertTrue(any(l.startswith(n["A"] + " purged") for l in lines), r.stdout)
        self.assertTrue(any(l.startswith(n["B"] + " held") for l in lines), r.stdout)
        self.assertTrue(lines[-1].startswith("total: purged 1, held 1, subjects 1, act 1"), r.stdout)

        # A's personal data is gone from the registry; the others keep theirs.
        a = self.o.show_json(n["A"])
        self.assertEqual(a["subject"], "")
        self.assertEqual(a["from"]["email"], "")
        self.assertTrue(all(m["text"] == "" for m in a["messages"]))
        self.assertIn("retention_purged", [e["kind"] for e in a["events"]])
        self.assertEqual(a["status"], "closed")  # the facts stay
        for key in "BCD":
            self.assertEqual(self.o.show_json(n[key])["from"]["email"], PEOPLE[key]["email"])
        if STORE == "sqlite":
            data = self.store_bytes()
            for s in needles("A") + [PEOPLE["A"]["bytes"]]:
                self.assertFalse(s in data, s)
            for key in "BCD":
                for s in needles(key):
                    self.assertTrue(s in data, (key, s))
        # The copies of A's letters (its receipt) left the outbox maildir; B's stayed.
        box = self.outbox_bytes()
        self.assertFalse(n["A"].encode() in box)
        self.assertTrue(n["B"].encode() in box)

        # History still verifies against the head signed before the purge ...
        r = self.cli(T2Y, "journal", "verify", "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(json.loads(r.stdout)["intact"])

        # ... a second pass at the same instant has nothing to do ...
        r = self.cli(T2Y, "retention", "run", "--now", T2Y, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        again = json.loads(r.stdout)
        self.assertEqual((again["purged"], again["act"]), (0, None))

        # ... and the act lists A (CSV with its journal extract, and the PDF).
        r = self.cli(T2Y, "retention", "acts", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        acts = json.loads(r.stdout)
        self.assertEqual([(x["id"], x["appeals"], x["subjects"]) for x in acts], [(1, 1, 1)])
        r = self.cli(T2Y, "retention", "act", "1", "--csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        head = {row[0]: row[1] for row in rows[:10] if len(row) >= 2}
        self.assertEqual(head["Количество субъектов"], "1")
        self.assertIn("Иванова И. И.", head["Уничтожение произвёл"])
        self.assertIn(n["A"], r.stdout)
        self.assertNotIn(n["B"], r.stdout)
        extract = [row for row in rows if len(row) == 4 and row[0] == n["A"] and
                   row[2].startswith("purge ")]
        self.assertTrue(extract, r.stdout)
        for row in extract:
            self.assertRegex(row[3], r"^[0-9a-f]{64}$")
        pdf = os.path.join(self.o.dir, "act1.pdf")
        r = self.cli(T2Y, "retention", "act", "1", "--pdf", "--out", pdf)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(pdf, "rb") as f:
            self.assertTrue(f.read(5) == b"%PDF-")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                                  check=True).stdout
            self.assertIn("об уничтожении персональных данных", text)
            self.assertIn(n["A"], text)
            self.assertIn("Количество субъектов: 1", text)
            self.assertNotIn(n["B"], text)

    def sql(self, statement):
        """One statement on the store by hand (sqlite3, or psql on PostgreSQL)."""
        if STORE == "sqlite":
            con = sqlite3.connect(self.o.store_url[len("sqlite:"):])
            con.execute(statement)
            con.commit()
            con.close()
        else:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.o.store_url,
                            "-c", statement], check=True, capture_output=True, timeout=60)

    def test_2_tamper_after_purge(self):
        """A purged row edited by hand is still found by verify."""
        where = "appeal_id = (SELECT id FROM appeals WHERE number = '%s')" % self.numbers["A"]
        self.sql("UPDATE messages SET sender = 'вставлено' WHERE " + where)
        r = self.cli(T2Y, "journal", "verify")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(self.numbers["A"], r.stderr)
        self.sql("UPDATE messages SET sender = '' WHERE " + where)
        r = self.cli(T2Y, "journal", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_3_unhold(self):
        n = self.numbers
        r = self.cli(T2Y, "appeal", "unhold", n["B"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli(T2Y, "appeal", "unhold", n["B"])
        self.assertEqual(r.returncode, 1)
        # The hold stopped the clock from the closing (T1) to the unhold (T2Y): ten days
        # later B is still not due; a year after the unhold it is.
        r = self.cli(T2Y, "retention", "run", "--now", "2028-03-20T10:00:00+03:00", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["appeals"], [])
        r = self.cli(T2Y, "retention", "run", "--now", "2029-03-20T10:00:00+03:00", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual([(a["number"], a["action"]) for a in rep["appeals"]], [(n["B"], "purged")])
        self.assertEqual(rep["act"], 2)
        self.assertEqual(self.o.show_json(n["B"])["from"]["email"], "")
        self.assertEqual(self.o.show_json(n["C"])["from"]["email"], PEOPLE["C"]["email"])
        r = self.cli(T2Y, "journal", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A purged appeal cannot be held: its data is gone.
        r = self.cli(T2Y, "appeal", "hold", n["A"], "--reason", "поздно")
        self.assertEqual(r.returncode, 1)
        self.assertIn("уже уничтожены", r.stderr)


class DailyJob(unittest.TestCase):
    """okno serve runs the retention pass from its scheduler, once per [retention]
    interval whatever the number of scheduler passes (the store's guard)."""

    def test_serve_purges_once_a_day(self):
        import time
        o = Okno(self)
        o.write_config({"sla": {"scheduler_interval": "1"}})
        path = os.path.join(o.dir, "A.eml")
        with open(path, "wb") as f:
            f.write(letter("A"))
        env = dict(os.environ, OKNO_FAKE_NOW=T0)
        r = subprocess.run([OKNO, "submit", path, "--config", o.config_path], env=env,
                           capture_output=True, text=True, cwd=o.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        number = r.stdout.strip()
        env["OKNO_FAKE_NOW"] = T1
        r = subprocess.run([OKNO, "appeal", "status", number, "closed", "--no-deliver",
                            "--config", o.config_path], env=env, capture_output=True, text=True,
                           cwd=o.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.environ["OKNO_FAKE_NOW"] = T2Y  # the daemon's clock, two years on
        try:
            o.start()
        finally:
            os.environ.pop("OKNO_FAKE_NOW", None)
        deadline = time.monotonic() + 60
        while "event=pass purged=1" not in o.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIn("event=pass purged=1", o.log())
        time.sleep(3)  # several scheduler passes more: the guard keeps it to one
        self.assertEqual(o.log().count("retention event=pass "), 1, o.log()[-2000:])
        self.assertEqual(o.show_json(number)["subject"], "")
        r = o.run("retention", "acts", "--json")
        self.assertEqual(len(json.loads(r.stdout)), 1, r.stdout + r.stderr)
        self.assertEqual(o.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
