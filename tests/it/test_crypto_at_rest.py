"""test_crypto_at_rest: encryption at rest (issue 15, docs/crypto.md) seen from outside.

Appeals are registered over SMTP and through the web form with known names, e-mail
addresses, a phone
(the form's field), attachment bytes and a phrase that only the original letter's header carries; then a
byte search (as `grep -a`) of the SQLite file with its WAL, or of the PostgreSQL data
directory after a CHECKPOINT (it_crypto_at_rest_pg), finds none of them, while `okno
show` prints them with the key file. With the key file moved away, `okno show` and
`okno list` refuse with one line naming it, and `okno serve` refuses to start.

Not checked yet (docs/crypto.md, "not built"): subjects, texts of citizens' letters and
of operators' answers, and file names (the full-text index still reads them clear; a
phone or SNILS written in a letter's text is there too) and the citizen's e-mail
address (the outbound queue's envelope still holds it clear).
"""
import glob
import os
import re
import subprocess
import sys
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from okno_it import ClassScope, HttpClient, Okno, SmtpDialogue  # noqa: E402
from test_feedback import Form  # noqa: E402

NAME = "Евлампий Проскуряков"
WEB_NAME = "Агафья Тихоновна Скворцова"
PHONE = "+7 912 404-17-93"
EMAIL = "evlampiy.qz17@example.org"
WEB_EMAIL = "agafya.qz18@example.org"
HEADER_PHRASE = "zorblax-header-only-7731"
FILE_BYTES = b"%PDF-1.4\nUNIQUE-ATTACHMENT-BYTES-QX81\n%%EOF\n"


def letter():
    m = EmailMessage()
    m["From"] = "%s <evlampiy.qz17@example.org>" % NAME
    m["To"] = "support@portal.example"
    m["Subject"] = "Вопрос о пособии"
    m["Message-ID"] = "<crypto-1@example.org>"
    m["X-Case"] = HEADER_PHRASE
    m.set_content("Прошу разъяснить порядок назначения пособия.")
    m.add_attachment(FILE_BYTES, maintype="application", subtype="pdf", filename="scan.pdf")
    return m.as_bytes()


def files_of_store(okno):
    """The files that hold the store's bytes: SQLite's file, WAL and journal, or the
    PostgreSQL data directory after a CHECKPOINT."""
    if okno_it.STORE == "pg":
        out = subprocess.run(["psql", "-X", "-qAt", "-d", okno_it.PG_URL, "-c", "CHECKPOINT",
                              "-c", "SHOW data_directory"], capture_output=True, text=True,
                             check=True).stdout.split()
        return [p for p in glob.glob(os.path.join(out[-1], "**"), recursive=True)
                if os.path.isfile(p)]
    return glob.glob(os.path.join(okno.dir, "okno.db*"))


def found(paths, needle):
    for p in paths:
        try:
            with open(p, "rb") as f:
                if needle in f.read():
                    return p
        except OSError:
            pass
    return None


class AtRest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = okno = Okno(ClassScope(cls))
        okno.write_config({"http": {"captcha_bits": "12"}})
        okno.start()
        with SmtpDialogue(okno.smtp_port) as d:
            d.cmd("EHLO me")
            d.cmd("MAIL FROM:<evlampiy.qz17@example.org>")
            d.cmd("RCPT TO:<support@portal.example>")
            code, _ = d.cmd("DATA")
            assert code == 354, code
            d.send(letter().replace(b"\n", b"\r\n") + b"\r\n.\r\n")
            code, text = d.reply()
            assert code == 250, text
        c = HttpClient(okno.base_url)
        r = c.post("/feedback", Form(c).fields("pow", name=WEB_NAME, phone=PHONE, email=WEB_EMAIL),
                   files=[("attachments", "web.pdf", "application/pdf", FILE_BYTES + b"WEB")])
        assert r.status == 200, r.text[:2000]
        cls.web_number = re.search(r'id="appeal-number">(\d\d-\d{6,}-\d)<', r.text).group(1)
        appeals = okno.list_json()
        assert len(appeals) == 2, appeals
        cls.mail_number = [a["number"] for a in appeals if a["number"] != cls.web_number][0]
        okno.stop()

    def test_1_nothing_personal_is_in_the_store_files(self):
        paths = files_of_store(self.okno)
        self.assertTrue(paths)
        for needle in (NAME, WEB_NAME, PHONE, EMAIL, WEB_EMAIL):
            self.assertIsNone(found(paths, needle.encode()), needle)
        for needle in (HEADER_PHRASE.encode(), b"UNIQUE-ATTACHMENT-BYTES-QX81"):
            self.assertIsNone(found(paths, needle), needle)

    def test_2_with_the_key_file_everything_shows(self):
        mail = self.okno.show_json(self.mail_number)
        self.assertEqual(mail["from"]["name"], NAME)
        raw = self.okno.run("show", "--raw", "1", self.mail_number)
        self.assertEqual(raw.returncode, 0, raw.stderr)
        self.assertIn(HEADER_PHRASE, raw.stdout)
        web = self.okno.show_json(self.web_number)
        self.assertEqual(web["from"]["name"], WEB_NAME)

    def test_3_without_the_key_file_nothing_shows(self):
        key = os.path.join(self.okno.dir, "okno.key")
        os.rename(key, key + ".away")
        try:
            for args in (("show", self.mail_number), ("list",)):
                r = self.okno.run(*args)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertNotIn(NAME, r.stdout)
                self.assertIn("key file", r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            r = subprocess.run([okno_it.OKNO_BIN, "serve", "--config", self.okno.config_path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1)
            self.assertIn("the store holds encrypted data but the key file", r.stderr)
        finally:
            os.rename(key + ".away", key)


if __name__ == "__main__":
    unittest.main()
