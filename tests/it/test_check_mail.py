#!/usr/bin/env python3
"""test_check_mail.py: `okno check-mail` as a citizen's tool runs it.

Runs the real binary (OKNO_BIN) over every sample of the labelled corpus in
tests/data/phishing/ (manifest.tsv: file, label, expected verdict, expected
portal_sender, note) with the corpus config (portal gosuslugi.ru and госуслуги.рф, our
host mx.okno.test), and checks for each: exit 0, the JSON shape of the contract
(verdict, portal_sender, reasons [{code, text}]), the expected verdict and portal_sender,
and that the verdict agrees with the label except for the rows the manifest marks as
known misses. Then the human summary, the user errors (unreadable, empty, missing file:
exit 1 with one line) and absurd input (10,000 headers, a 4 MB line, broken punycode):
each still gives a verdict."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

OKNO = os.environ.get("OKNO_BIN", "okno")
SOURCE = os.environ.get("OKNO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(SOURCE, "tests", "data", "phishing")
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def manifest():
    rows = []
    with open(os.path.join(CORPUS, "manifest.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, label, verdict, sender, note = line.rstrip("\n").split("\t")
            rows.append({"file": name, "label": label, "verdict": verdict, "sender": sender, "note": note})
    return rows


class CheckMail(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="okno-check-mail-")
        self.config = os.path.join(self.dir, "okno.ini")
        shutil.copy(os.path.join(CORPUS, "okno.ini"), self.config)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_check(self, path, json_out=True):
        cmd = [OKNO, "check-mail", "--config", self.config] + (["--json"] if json_out else []) + [path]
        return subprocess.run(cmd, capture_output=True, timeout=120, cwd=self.dir)

    def check_json(self, path):
        r = self.run_check(path)
        self.assertEqual(r.returncode, 0, r.stderr.decode("utf-8", "replace"))
        d = json.loads(r.stdout.decode("utf-8"))
        self.assertIn(d["verdict"], ("clean", "suspicious", "dangerous"))
        self.assertIn(d["portal_sender"], ("verified", "unverified", "no"))
        self.assertIsInstance(d["reasons"], list)
        codes = []
        for reason in d["reasons"]:
            self.assertRegex(reason["code"], r"^[a-z_]+$")
            self.assertIsInstance(reason["text"], str)
            self.assertRegex(reason["text"], CYRILLIC, "reason text is for a Russian reader")
            self.assertIsInstance(reason["weight"], int)
            codes.append(reason["code"])
        self.assertEqual(len(codes), len(set(codes)), "a code is reported once")
        self.assertEqual(d["score"], sum(x["weight"] for x in d["reasons"]))
        return d

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # --- the corpus ---

    def test_every_corpus_sample_gets_its_expected_verdict(self):
        rows = manifest()
        self.assertGreaterEqual(len(rows), 30)
        self.assertEqual({r["label"] for r in rows}, {"phishing", "genuine"})
        on_disk = sorted(f for f in os.listdir(CORPUS) if f.endswith(".eml"))
        self.assertEqual(on_disk, sorted(r["file"] for r in rows), "every sample is in the manifest")
        for row in rows:
            with self.subTest(sample=row["file"]):
                d = self.check_json(os.path.join(CORPUS, row["file"]))
                self.assertEqual(d["verdict"], row["verdict"], d["reasons"])
                self.assertEqual(d["portal_sender"], row["sender"], d["reasons"])
                flagged = d["verdict"] != "clean"
                agrees = flagged == (row["label"] == "phishing")
                known = row["note"].startswith("KNOWN ")
                self.assertEqual(agrees, not known, "label %s, verdict %s" % (row["label"], d["verdict"]))

    def test_genuine_portal_notifications_are_clean_and_verified(self):
        for row in manifest():
            if row["label"] == "genuine" and row["sender"] == "verified":
                d = self.check_json(os.path.join(CORPUS, row["file"]))
                self.assertEqual((d["verdict"], d["portal_sender"]), ("clean", "verified"), row["file"])
                self.assertIn("portal_verified", [x["code"] for x in d["reasons"]])

    def test_reasons_name_what_was_found(self):
        d = self.check_json(os.path.join(CORPUS, "phish-01-typo-l.eml"))
        lookalike = [x for x in d["reasons"] if x["code"] == "sender_lookalike"]
        self.assertEqual(len(lookalike), 1)
        self.assertIn("gosuslugl.ru", lookalike[0]["text"])
        self.assertIn("gosuslugi.ru", lookalike[0]["text"])
        d = self.check_json(os.path.join(CORPUS, "phish-10-rlo.eml"))
        self.assertIn("attachment_rlo", [x["code"] for x in d["reasons"]])

    # --- for people ---

    def test_summary_without_json_is_russian_and_says_the_verdict(self):
        r = self.run_check(os.path.join(CORPUS, "phish-08-dmarc-fail.eml"), json_out=False)
        self.assertEqual(r.returncode, 0)
        out = r.stdout.decode("utf-8")
        self.assertTrue(out.startswith("Письмо опасно"), out)
        self.assertIn("Что насторожило:", out)
        self.assertIn("DMARC", out)
        r = self.run_check(os.path.join(CORPUS, "genuine-02-doctor.eml"), json_out=False)
        out = r.stdout.decode("utf-8")
        self.assertTrue(out.startswith("Признаков мошенничества не найдено."), out)
        self.assertIn("Письмо действительно отправлено порталом.", out)
        self.assertNotIn("Что насторожило", out)

    # --- user errors ---

    def assert_user_error(self, r, fragment):
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertEqual(r.stdout, b"")
        lines = r.stderr.decode("utf-8").splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(fragment, lines[0])

    def test_a_missing_file_is_a_user_error(self):
        self.assert_user_error(self.run_check(os.path.join(self.dir, "nope.eml")), "cannot read")

    def test_an_unreadable_path_is_a_user_error(self):
        self.assert_user_error(self.run_check(self.dir), "cannot read")

    def test_an_empty_file_is_a_user_error(self):
        self.assert_user_error(self.run_check(self.write("empty.eml", b"")), "empty")

    def test_no_file_argument_is_a_user_error(self):
        r = subprocess.run([OKNO, "check-mail", "--config", self.config, "--json"], capture_output=True,
                           timeout=60, cwd=self.dir)
        self.assert_user_error(r, "one message file")

    # --- absurd input still gives a verdict ---

    def test_ten_thousand_headers(self):
        head = b"".join(b"X-Filler-%d: %d\r\n" % (i, i) for i in range(10000))
        path = self.write("headers.eml", head + b"From: <noreply@gosuslugl.ru>\r\nSubject: x\r\n\r\nbody\r\n")
        d = self.check_json(path)
        self.assertEqual(d["verdict"], "dangerous")

    def test_a_four_megabyte_line(self):
        body = b"https://bit.ly/x " + b"A" * (4 * 1024 * 1024) + b" \xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c\n"
        d = self.check_json(self.write("line.eml", b"From: <a@mail.example>\nSubject: x\n\n" + body))
        self.assertIn("link_shortener", [x["code"] for x in d["reasons"]])

    def test_broken_punycode_everywhere(self):
        raw = (b"From: <a@xn--zzzz-.example>\nReply-To: <b@xn--.xn--\xff>\nReturn-Path: <c@xn--!!.ru>\n"
               b"Subject: x\n\nhttps://xn--gosuslugi-.ru/ http://xn--80a--.xn--/ https://xn--/\n")
        d = self.check_json(self.write("idn.eml", raw))
        self.assertIn("domain_invalid_idn", [x["code"] for x in d["reasons"]])
        self.assertNotEqual(d["verdict"], "clean")

    def test_binary_garbage(self):
        d = self.check_json(self.write("garbage.eml", bytes(range(256)) * 64))
        self.assertIn(d["verdict"], ("clean", "suspicious", "dangerous"))


if __name__ == "__main__":
    unittest.main()
