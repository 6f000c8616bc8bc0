"""test_crypto_at_rest: encryption at rest (issue 15, docs/crypto.md) seen from outside.

Appeals are registered over SMTP and through the web form with known names, e-mail
addresses, a phone (the form's field and in a letter's text), SNILS, unique phrases
and subject words, attachment file names and bytes, and a phrase that only the
original letter's header carries; then a byte search (as `grep -a`) of the SQLite file
with its WAL, or of the PostgreSQL data directory after a CHECKPOINT
(it_crypto_at_rest_pg), finds none of them, nor the stems of the unique words (the
search index holds keyed hashes of stems, store/terms.h), while `okno show` prints
them and `okno search` finds the appeals by them with the key file. With the key file
moved away, `okno show` and `okno list` refuse with one line naming it, and `okno
serve` refuses to start.

The cabinet's identity rows (migration 21) too: the letter's sender signs in to the
cabinet with a code sent by e-mail, turns a notification off and moves the cabinet to
a new address; neither address is in the store's files afterwards, while the cabinet
still works (the code sign-in, «Мои обращения» at the new address with the appeal,
the settings as saved).
"""
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys
import time
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
MOVED_EMAIL = "evlampiy.moved.qz19@example.org"  # the cabinet's new address
HEADER_PHRASE = "zorblax-header-only-7731"
FILE_BYTES = b"%PDF-1.4\nUNIQUE-ATTACHMENT-BYTES-QX81\n%%EOF\n"
SUBJECT = "Перерасчёт квазистационарного пособия"
PHRASE = "Глокая куздра штеко будланула бокрёнка"
# not the unit tests' sample SNILS (112-233-445 95): they write it clear into a shared
# PostgreSQL cluster's WAL, which this test greps
SNILS = "217-348-596 83"
TEXT_PHONE = "+7 903 555-21-48"
FILE_NAME = "справка_шмоклевича.pdf"
WEB_PHRASE = "Кудрявый трамонтан засвербил над Вышневолоцком"
WEB_FILE_NAME = "zhalobnaya-kniga-qx17.pdf"
# what staff and checks write into events' details (issue 15: sealed too): an
# operator's reason for a status change, the body of a forwarding, a SNILS typed wrong
REASON = "Звонил Евлампий Кузьмич Шмоклевич-Тарасов, просил подождать"
FORWARD_BODY = "Пересылаем письмо гражданина Шмоклевича-Тарасова в соцзащиту"
BAD_SNILS = "219-348-596 00"
# every word above, and the stems the index would have held in clear before
NEEDLES = (SUBJECT, "квазистационарн", PHRASE, "куздр", "будланул", "бокренк", SNILS,
           "217-348-596", TEXT_PHONE, "555-21-48", FILE_NAME, "шмоклевич", WEB_PHRASE,
           "трамонтан", "засвербил", "вышневолоцк", "Вышневолоцком", WEB_FILE_NAME)


def letter(name=NAME, email=EMAIL, subject=SUBJECT, phrase=PHRASE, header=HEADER_PHRASE,
           file_name=FILE_NAME, snils=SNILS, phone=TEXT_PHONE, file_bytes=FILE_BYTES):
    m = EmailMessage()
    m["From"] = "%s <%s>" % (name, email)
    m["To"] = "support@portal.example"
    m["Subject"] = subject
    m["Message-ID"] = "<crypto-1@example.org>"
    m["X-Case"] = header
    m.set_content("Прошу разъяснить порядок назначения пособия. %s. СНИЛС %s, телефон %s. "
                  "Старый СНИЛС жены %s." % (phrase, snils, phone, BAD_SNILS))
    m.add_attachment(file_bytes, maintype="application", subtype="pdf", filename=file_name)
    return m.as_bytes()


# SealExisting's letter, written clear on purpose: its own strings, so that what it
# leaves in a shared PostgreSQL cluster's WAL cannot touch AtRest's byte search
OLD = dict(name="Аристарх Пафнутьевич Громобоев", email="aristarkh.zq55@example.org", subject="Старинное прошение о дровах",
           phrase="Зеленодольские хрюкотали тщательно", header="old-header-zq5512",
           file_name="древняя_выписка.pdf", snils="998-877-665 44", phone="+7 901 777-31-02",
           file_bytes=b"%PDF-1.4\nOLD-ATTACHMENT-BYTES-ZQ55\n%%EOF\n")


def send(okno, mail_from, data):
    """One letter over SMTP, accepted."""
    with SmtpDialogue(okno.smtp_port) as d:
        d.cmd("EHLO me")
        d.cmd("MAIL FROM:<%s>" % mail_from)
        d.cmd("RCPT TO:<support@portal.example>")
        code, _ = d.cmd("DATA")
        assert code == 354, code
        d.send(data.replace(b"\n", b"\r\n") + b"\r\n.\r\n")
        code, text = d.reply()
        assert code == 250, text


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


def code_for(okno, addr, subject, count=1, timeout=30):
    """The code of the `count`-th code mail to `addr` in the outbox (delivery runs every
    few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        mails = []
        for p in sorted(glob.glob(os.path.join(okno.dir, "outbox", "new", "*")),
                        key=os.path.getmtime):
            with open(p, "rb") as f:
                m = email.message_from_bytes(f.read(), policy=email.policy.default)
            if m["To"] and addr in str(m["To"]) and subject in str(m["Subject"]):
                mails.append(m)
        if len(mails) >= count:
            return re.search(r":\s*(\d{6})\s", mails[count - 1].get_content()).group(1)
        assert time.monotonic() < deadline, "no code mail to " + addr
        time.sleep(0.2)


def sign_in(okno, addr):
    """A client signed in to the cabinet as `addr` with the code mailed to it."""
    c = HttpClient(okno.base_url)
    token = c.csrf("/cabinet/login")
    r = c.post("/cabinet/login", {"csrf": token, "email": addr})
    assert r.status == 200, r.text[:2000]
    r = c.post("/cabinet/login/code", {"csrf": token, "email": addr,
                                       "code": code_for(okno, addr, "Код для входа")})
    assert r.status == 303, r.text[:2000]
    return c


def cabinet_session(okno):
    """The letter's sender in the cabinet: signs in by code, turns registration notices
    off, moves the cabinet to MOVED_EMAIL. Returns the pages seen, checked by the test."""
    c = sign_in(okno, EMAIL)
    token = c.csrf("/cabinet")
    r = c.post("/cabinet/settings", {"csrf": token, "status_changed": "on", "answer": "on",
                                     "clarification": "on", "deadline_reminder": "on",
                                     "deadline_extended": "on"})
    assert r.status == 200 and "Настройки сохранены" in r.text, r.text[:2000]
    pages = {"settings": c.get("/api/v1/cabinet/settings").json()}
    r = c.post("/cabinet/email", {"csrf": token, "new_email": MOVED_EMAIL})
    assert r.status == 200, r.text[:2000]
    r = c.post("/cabinet/email/code", {"csrf": token, "new_email": MOVED_EMAIL,
                                       "code": code_for(okno, MOVED_EMAIL, "Код для смены адреса")})
    assert r.status == 303, r.text[:2000]
    pages["moved"] = c.get("/cabinet?moved=1").text
    # the settings of the new address (answers off), saved for the cabinet's addresses
    r = c.post("/cabinet/settings", {"csrf": c.csrf("/cabinet"), "registered": "on",
                                     "status_changed": "on", "clarification": "on",
                                     "deadline_reminder": "on", "deadline_extended": "on"})
    assert r.status == 200 and "Настройки сохранены" in r.text, r.text[:2000]
    # a new sign-in at the new address finds the cabinet (its code, its session)
    again = sign_in(okno, MOVED_EMAIL)
    pages["again"] = again.get("/cabinet").text
    pages["again_settings"] = again.get("/api/v1/cabinet/settings").json()
    return pages


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
        send(okno, EMAIL, letter())
        c = HttpClient(okno.base_url)
        r = c.post("/feedback", Form(c).fields("pow", name=WEB_NAME, phone=PHONE, email=WEB_EMAIL,
                                              description=WEB_PHRASE + ": прошу разобраться, что случилось с "
                                              "моим заявлением, и ответить по почте."),
                   files=[("attachments", WEB_FILE_NAME, "application/pdf", FILE_BYTES + b"WEB")])
        assert r.status == 200, r.text[:2000]
        cls.web_number = re.search(r'id="appeal-number">(\d\d-\d{6,}-\d)<', r.text).group(1)
        appeals = okno.list_json()
        assert len(appeals) == 2, appeals
        cls.mail_number = [a["number"] for a in appeals if a["number"] != cls.web_number][0]
        cls.cabinet = cabinet_session(okno)
        r = okno.run("appeal", "status", cls.mail_number, "in_progress", "--reason", REASON)
        assert r.returncode == 0, r.stderr
        r = okno.run("appeal", "forward", cls.web_number, FORWARD_BODY)
        assert r.returncode == 0, r.stderr
        okno.stop()

    def test_1_nothing_personal_is_in_the_store_files(self):
        paths = files_of_store(self.okno)
        self.assertTrue(paths)
        for needle in (NAME, WEB_NAME, PHONE, EMAIL, WEB_EMAIL, MOVED_EMAIL):
            self.assertIsNone(found(paths, needle.encode()), needle)
        for needle in (HEADER_PHRASE.encode(), b"UNIQUE-ATTACHMENT-BYTES-QX81"):
            self.assertIsNone(found(paths, needle), needle)
        for needle in NEEDLES + (REASON, "Шмоклевича-Тарасова", BAD_SNILS):
            self.assertIsNone(found(paths, needle.encode()), needle)
            self.assertIsNone(found(paths, needle.lower().encode()), needle)

    def test_1a_event_details_are_sealed_and_read_back(self):
        """The reason, the forwarded body and the SNILS typed wrong are in the events
        (so test_1 could have found them), and read back whole with the key file."""
        shown = json.dumps(self.okno.show_json(self.mail_number), ensure_ascii=False)
        self.assertIn(REASON, shown)
        self.assertIn(BAD_SNILS, shown)
        self.assertIn('"to": "in_progress"', json.dumps(
            [e["detail"] for e in self.okno.show_json(self.mail_number)["events"]
             if e["kind"] == "status_changed"], ensure_ascii=False))
        web = json.dumps(self.okno.show_json(self.web_number), ensure_ascii=False)
        self.assertIn(FORWARD_BODY, web)
        r = self.okno.run("journal", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_2_with_the_key_file_everything_shows(self):
        mail = self.okno.show_json(self.mail_number)
        self.assertEqual(mail["from"]["name"], NAME)
        raw = self.okno.run("show", "--raw", "1", self.mail_number)
        self.assertEqual(raw.returncode, 0, raw.stderr)
        self.assertIn(HEADER_PHRASE, raw.stdout)
        self.assertEqual(mail["subject"], SUBJECT)
        shown = self.okno.run("show", self.mail_number)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        for needle in (SUBJECT, PHRASE, SNILS):
            self.assertIn(needle, shown.stdout)
        self.assertIn(FILE_NAME, json.dumps(mail, ensure_ascii=False))
        web = self.okno.show_json(self.web_number)
        self.assertEqual(web["from"]["name"], WEB_NAME)
        shown = self.okno.run("show", self.web_number)
        self.assertIn(WEB_PHRASE, shown.stdout)
        self.assertIn(WEB_FILE_NAME, json.dumps(web, ensure_ascii=False))

    def test_2a_the_cabinet_works_on_sealed_identities(self):
        moved = self.cabinet["moved"]
        self.assertIn(MOVED_EMAIL, moved)
        self.assertIn(self.mail_number, moved)  # the old address's appeal moved along
        before = self.cabinet["settings"]["settings"]
        self.assertFalse(before["registered"], before)
        self.assertTrue(before["answer"], before)
        after = self.cabinet["again_settings"]["settings"]
        self.assertTrue(after["registered"], after)
        self.assertFalse(after["answer"], after)
        self.assertIn(self.mail_number, self.cabinet["again"])

    def test_2b_search_finds_them_by_any_form_of_their_words(self):
        for query, number in (("квазистационарный", self.mail_number),
                              ("куздру бокренка", self.mail_number),
                              ("шмоклевичу", self.mail_number),
                              ("Вышневолоцк трамонтаны", self.web_number),
                              ("qx17", self.web_number)):
            r = self.okno.run("search", "--json", "--", query)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([a["number"] for a in json.loads(r.stdout)], [number], query)

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



class SealExisting(unittest.TestCase):
    """A store written clear (no key file), then `okno crypto init` and `okno crypto
    seal-existing`: after a VACUUM (the old values' free pages or dead rows), none of
    the letter's personal data is in the store's files (on PostgreSQL, outside the WAL
    segments, which keep the clear inserts until they are recycled); `okno show` and `okno search`
    still show and find it; a second run seals nothing."""

    def test_appeals_written_before_the_key_file_are_sealed(self):
        okno = Okno(self)
        okno.encrypt = False
        okno.start()
        send(okno, OLD["email"], letter(**OLD))
        okno.stop()
        number = okno.list_json()[0]["number"]
        self.assertTrue(found(files_of_store(okno), OLD["name"].encode()))  # clear so far
        r = okno.run("crypto", "init")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = okno.run("crypto", "seal-existing")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("okno: 1 appeals", r.stdout)
        if okno_it.STORE == "pg":
            subprocess.run(["psql", "-X", "-q", "-d", okno.store_url, "-c", "VACUUM FULL"],
                           check=True, capture_output=True)
        else:
            import sqlite3
            db = sqlite3.connect(okno.store_url[len("sqlite:"):])
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
        # PostgreSQL's WAL segments keep the clear inserts until they are recycled
        # (docs/crypto.md): the tables' files are what is checked there
        paths = [p for p in files_of_store(okno) if "/pg_wal/" not in p]
        for needle in (OLD["name"], OLD["email"], OLD["subject"], OLD["phrase"], OLD["snils"],
                       OLD["phone"],
                       OLD["file_name"], OLD["header"], "OLD-ATTACHMENT-BYTES-ZQ55"):
            self.assertIsNone(found(paths, needle.encode()), needle)
        shown = okno.run("show", number)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        for needle in (OLD["name"], OLD["subject"], OLD["phrase"]):
            self.assertIn(needle, shown.stdout)
        r = okno.run("search", "--json", "зеленодольский дрова")
        self.assertEqual([a["number"] for a in json.loads(r.stdout)], [number], r.stderr)
        r = okno.run("crypto", "seal-existing")
        self.assertIn("okno: 0 appeals", r.stdout)

if __name__ == "__main__":
    unittest.main()
