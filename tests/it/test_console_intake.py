"""test_console_intake: appeals an operator logs on the citizen's behalf (issue 22 item 4,
src/web/console_intake.c) against the real daemon.

A phone call with an e-mail: the form's answer leads to the new appeal's page; the
appeal has the channel phone, a number and a deadline like any other, its `received`
event names the operator, and the citizen gets the receipt by mail. A paper letter
without an e-mail: registered, no receipt. Errors (an unknown channel, no name, a bad
e-mail and phone, too short a text) come back next to their fields (422) with nothing
registered. The auditor may not log appeals (403). `okno appeal log`, the command-line
twin: the same appeal, and the same errors as one line each (exit 1, nothing registered). Runs on SQLite, and on PostgreSQL as it_console_intake_pg.
"""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

PASSWORD = "Зелёный-чай-42"
TEXT = "Гражданин сообщил по телефону, что не может получить справку о доходах."


class ConsoleIntake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        okno = cls.okno = Okno(ClassScope(cls))
        okno.write_config({"http": {"forms_per_hour": "1000000", "requests_per_minute": "100000"}})
        cls.users = {}
        for login, role in [("opa", "operator"), ("aud", "auditor")]:
            p = okno.run("user", "add", "--login", login, "--role", role, "--json",
                         "--email", login + "@portal.example")
            assert p.returncode == 0, p.stderr
            cls.users[login] = json.loads(p.stdout)
            p = okno.run("user", "password", "--login", login, input=PASSWORD + "\n")
            assert p.returncode == 0, p.stderr
        okno.start()

    def sign_in(self, login):
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(self.users[login]["totp_uri"])})
        if r.status != 303:
            # a TOTP step already used by the previous sign-in: wait for the next one
            time.sleep(31 - time.time() % 30)
            token = c.csrf("/console/login")
            r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                          "code": totp(self.users[login]["totp_uri"])})
        self.assertEqual(r.status, 303, r.text[:500])
        return c

    @classmethod
    def client(cls, login):
        if not hasattr(cls, "_clients"):
            cls._clients = {}
        return cls._clients.get(login)

    def signed_in(self, login):
        c = self.client(login)
        if c is None:
            c = self.sign_in(login)
            type(self)._clients[login] = c
        return c

    def log(self, fields, expect=303, login="opa"):
        c = self.signed_in(login)
        page = c.get("/console/intake")
        self.assertEqual(page.status, 200 if login != "aud" else 403, page.text[:300])
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text) or \
            re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/console").text)
        r = c.post("/console/intake", dict(fields, csrf=token.group(1)))
        self.assertEqual(r.status, expect, r.text[:800])
        return r

    def outbox(self):
        new = os.path.join(self.okno.dir, "outbox", "new")
        out = []
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read())
        return out

    def test_phone_call_with_email_gets_number_deadline_and_receipt(self):
        r = self.log({"channel": "phone", "name": "Мария Сидорова", "email": "Maria.S@mail.example",
                      "phone": "8 912 345-67-89", "description": TEXT})
        number = r.headers["Location"].rsplit("/", 1)[1]
        a = self.okno.show_json(number)
        self.assertEqual(a["channel"], "phone")
        self.assertTrue(a["deadline"])
        self.assertEqual(a["phone"], "+79123456789")
        self.assertEqual(a["from"], {"name": "Мария Сидорова", "email": "maria.s@mail.example"})
        received = [e for e in a["events"] if e["kind"] == "received"]
        self.assertEqual(len(received), 1)
        self.assertEqual(received[0]["detail"]["by"], "opa")
        page = self.signed_in("opa").get("/console/appeals/" + number)
        self.assertIn("телефонный звонок", page.text)
        end = time.time() + 20
        while time.time() < end and not any(number.encode() in m and b"maria.s@mail.example" in m.lower()
                                            for m in self.outbox()):
            time.sleep(0.2)
        self.assertTrue(any(number.encode() in m for m in self.outbox()), "no receipt")

    def test_paper_letter_without_email_registered_without_receipt(self):
        before = len(self.outbox())
        r = self.log({"channel": "paper", "name": "Пётр Иванов", "subject": "Письмо о пособии",
                      "description": "Письмо на бумаге: просит пересчитать пособие за март."})
        number = r.headers["Location"].rsplit("/", 1)[1]
        a = self.okno.show_json(number)
        self.assertEqual(a["channel"], "paper")
        self.assertEqual(a["from"]["name"], "Пётр Иванов")
        self.assertEqual(a["from"]["email"], "")
        self.assertEqual(a["subject"], "Письмо о пособии")
        self.assertTrue(a["deadline"])
        time.sleep(1.5)
        self.assertFalse(any(number.encode() in m for m in self.outbox()[before:]))

    def test_errors_next_to_fields_and_nothing_registered(self):
        count = len(self.okno.list_json())
        r = self.log({"channel": "email", "name": "", "email": "не-адрес", "phone": "12",
                      "description": "коротко"}, expect=422)
        for field, text in [("channel", "Выберите, как гражданин обратился"),
                            ("name", "как зовут гражданина"),
                            ("email", "Адрес электронной почты указан неверно"),
                            ("phone", "Номер телефона указан неверно"),
                            ("description", "не меньше 20 символов")]:
            self.assertRegex(r.text, r'id="e-%s">[^<]*%s' % (field, re.escape(text)))
        self.assertIn('value="не-адрес"', r.text)  # what was typed stays
        self.assertEqual(len(self.okno.list_json()), count)

    def test_auditor_may_not_log(self):
        c = self.signed_in("aud")
        self.assertEqual(c.get("/console/intake").status, 403)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/console").text).group(1)
        r = c.post("/console/intake", {"csrf": token, "channel": "phone", "name": "Аудитор",
                                       "description": TEXT})
        self.assertEqual(r.status, 403)

    def test_cli_twin(self):
        r = self.okno.run("appeal", "log", "--channel", "social", "--name", "Анна Кузнецова",
                          "--email", "anna@mail.example", "--by", "opa", "--no-deliver",
                          "--text", "Пост во ВКонтакте: не приходит код подтверждения.")
        self.assertEqual(r.returncode, 0, r.stderr)
        a = self.okno.show_json(r.stdout.strip())
        self.assertEqual(a["channel"], "social")
        self.assertEqual(a["subject"], "Социальная сеть")
        received = [e for e in a["events"] if e["kind"] == "received"]
        self.assertEqual(received[0]["detail"]["by"], "opa")
        count = len(self.okno.list_json())
        bad = self.okno.run("appeal", "log", "--channel", "email", "--name", "Анна",
                            "--text", "коротко")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("--channel: Выберите", bad.stderr)
        self.assertIn("--text: Запишите", bad.stderr)
        self.assertEqual(len(self.okno.list_json()), count)


if __name__ == "__main__":
    unittest.main(verbosity=2)
