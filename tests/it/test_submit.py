"""Intake through `okno submit`: registration, receipt, threading, duplicates, loops.

Each test gets a fresh store and outbox in a temp dir and a clock frozen at Monday
2026-11-23 10:00 Moscow time (OKNO_FAKE_NOW), so registration times and deadlines are
known in advance and written out here by hand.
"""
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import okno_it

OKNO = os.environ.get("OKNO_BIN", "build/src/okno")
NOW = "2026-11-23T10:00:00+03:00"
NUMBER = re.compile(r"^26-\d{6}-\d$")


def message(subject="Не приходит код подтверждения", body=None, frm="Иван Петров <ivan@example.ru>",
            msgid="<m1@example.ru>", extra="", charset="utf-8"):
    if body is None:
        body = ("Здравствуйте! Третий день не могу войти в личный кабинет: SMS с кодом "
                "подтверждения не приходит. Телефон 8 (912) 345-67-89.")
    head = (f"From: {frm}\r\nTo: support@portal.example\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 09:58:00 +0300\r\n")
    if msgid:
        head += f"Message-ID: {msgid}\r\n"
    head += extra
    head += f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
    head += "Content-Transfer-Encoding: 8bit\r\n\r\n"
    enc = "cp1251" if charset == "windows-1251" else charset
    return head.encode("utf-8") + body.encode(enc) + b"\r\n"


class Okno:
    def __init__(self, test, extra_config="", store_url=None):
        """store_url None: SQLite in the temp dir, or a fresh PostgreSQL database when
        OKNO_IT_STORE=pg (okno_it.store_url)."""
        self.dir = tempfile.mkdtemp(prefix="okno-it-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        store_url = store_url or okno_it.store_url(test, "sqlite:okno.db")
        self.config = os.path.join(self.dir, "okno.ini")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f"[store]\nurl = {store_url}\n"
                    "[smtp]\naddresses = support@portal.example\nhostname = okno.portal.example\n"
                    "[outbound]\ntransport = maildir:outbox\nfrom = support@portal.example\n"
                    + extra_config)
        self.env = dict(os.environ, OKNO_FAKE_NOW=NOW, OKNO_LOG="quiet")

    def run(self, *args, data=None):
        return subprocess.run([OKNO, *args], input=data, capture_output=True, env=self.env,
                              timeout=60)

    def submit(self, raw, *opts):
        path = os.path.join(self.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(raw)
        p = self.run("submit", "--config", self.config, *opts, path)
        if p.returncode != 0:
            raise AssertionError(f"submit failed {p.returncode}: {p.stderr.decode()}")
        return p.stdout.decode().strip()

    def show(self, number):
        p = self.run("show", "--config", self.config, "--json", number)
        if p.returncode != 0:
            raise AssertionError(p.stderr.decode())
        return json.loads(p.stdout)

    def list(self, *opts):
        p = self.run("list", "--config", self.config, "--json", *opts)
        if p.returncode != 0:
            raise AssertionError(p.stderr.decode())
        return json.loads(p.stdout)

    def outbox(self):
        d = os.path.join(self.dir, "outbox", "new")
        if not os.path.isdir(d):
            return []
        out = []
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return out


def kinds(appeal):
    return [e["kind"] for e in appeal["events"]]


class RegistrationAndReceipt(unittest.TestCase):
    def test_a_new_appeal_gets_a_number_a_deadline_and_a_receipt(self):
        o = Okno(self)
        number = o.submit(message(), "--from", "ivan@example.ru")
        self.assertRegex(number, NUMBER)
        a = o.show(number)
        self.assertEqual(a["number"], number)
        self.assertEqual(a["status"], "new")
        self.assertEqual(a["channel"], "email")
        self.assertEqual(a["subject"], "Не приходит код подтверждения")
        self.assertEqual(a["from"], {"name": "Иван Петров", "email": "ivan@example.ru"})
        self.assertEqual(a["phone"], "+79123456789")
        self.assertEqual(a["received_at"], "2026-11-23T10:00:00+03:00")
        # Three working days, counted from the next day: Tue, Wed, Thu -> Thu 18:00.
        self.assertEqual(a["deadline"], "2026-11-26T18:00:00+03:00")
        self.assertEqual([m["direction"] for m in a["messages"]], ["in", "out"])
        self.assertIn("SMS с кодом", a["messages"][0]["text"])
        # Routed before the receipt is written, so the receipt states the deadline of the
        # department the appeal went to (docs/sla.md: department overrides).
        self.assertEqual(kinds(a), ["received", "registered", "routed", "acknowledged"] + kinds(a)[4:])
        self.assertIn("outbound_sent", kinds(a))

        [r] = o.outbox()
        self.assertEqual(r["To"].addresses[0].addr_spec, "ivan@example.ru")
        self.assertIn(number, r["Subject"])
        self.assertEqual(r["Auto-Submitted"], "auto-replied")
        self.assertEqual(r["In-Reply-To"], "<m1@example.ru>")
        self.assertIn("<m1@example.ru>", r["References"])
        self.assertEqual(r["Message-ID"].strip("<>"), a["messages"][1]["message_id"])
        body = r.get_body(("plain",)).get_content()
        self.assertIn(number, body)
        self.assertIn("23 ноября 2026", body)
        self.assertIn("10:00", body)
        self.assertIn("26 ноября 2026", body)
        self.assertIn("Не приходит код подтверждения", body)

    def test_windows_1251_and_koi8r_bodies_are_decoded(self):
        o = Okno(self)
        n1 = o.submit(message(charset="windows-1251", msgid="<a@x>"))
        n2 = o.submit(message(charset="koi8-r", msgid="<b@x>", frm="petr@example.ru",
                              body="Прошу восстановить доступ к учётной записи, пароль не подходит."))
        self.assertIn("SMS с кодом", o.show(n1)["messages"][0]["text"])
        self.assertIn("восстановить доступ", o.show(n2)["messages"][0]["text"])

    def test_numbers_are_unique_and_consecutive(self):
        o = Okno(self)
        numbers = [o.submit(message(msgid=f"<n{i}@x>", body=f"Вопрос номер {i}: не работает оплата госпошлины.",
                                    frm=f"user{i}@example.ru")) for i in range(5)]
        self.assertEqual(len(set(numbers)), 5)
        self.assertEqual([n[3:9] for n in numbers], [f"{i:06d}" for i in range(1, 6)])
        self.assertEqual([a["number"] for a in o.list()], list(reversed(numbers)))

    def test_message_without_description_needs_clarification(self):
        o = Okno(self)
        number = o.submit(message(subject="Помогите", body="\r\n-- \r\nИван Петров\r\n"))
        a = o.show(number)
        self.assertEqual(a["status"], "needs_clarification")
        self.assertIn("clarification_requested", kinds(a))
        # Nothing to work on yet: the clock is stopped until the citizen answers.
        self.assertIsNone(a["deadline"])
        self.assertIn("clock_paused", kinds(a))
        [r] = o.outbox()
        self.assertIn("уточнение", r["Subject"])
        body = r.get_body(("plain",)).get_content()
        self.assertIn("ответьте на это письмо", body.lower())
        self.assertIn("начнёт отсчитываться", body)
        self.assertNotIn("Ожидаемый срок", body)

    def test_the_receipt_goes_to_reply_to_when_given(self):
        o = Okno(self)
        number = o.submit(message(extra="Reply-To: Иван <ivan.home@example.ru>\r\n"))
        self.assertEqual(o.show(number)["from"]["email"], "ivan@example.ru")
        [r] = o.outbox()
        self.assertEqual(r["To"].addresses[0].addr_spec, "ivan.home@example.ru")

    def test_original_bytes_are_kept_and_retrievable(self):
        o = Okno(self)
        raw = message(extra="X-Odd:  spacing\t kept \r\n") + b"\x00 trailing NUL and \xff byte\r\n"
        number = o.submit(raw)
        a = o.show(number)
        self.assertEqual(a["messages"][0]["meta"]["size"], len(raw))
        p = o.run("show", "--config", o.config, "--raw", "1", number)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, raw)
        receipt = o.run("show", "--config", o.config, "--raw", "2", number)
        self.assertIn(b"Auto-Submitted: auto-replied", receipt.stdout)
        missing = o.run("show", "--config", o.config, "--raw", "3", number)
        self.assertEqual(missing.returncode, 1)
        self.assertIn(b"has no message 3", missing.stderr)

    def test_a_message_that_breaks_the_parse_budget_is_quarantined_and_acknowledged(self):
        o = Okno(self)
        depth = 50
        head = ("From: ivan@example.ru\r\nTo: support@portal.example\r\nSubject: Вложенное\r\n"
                "Message-ID: <deep@example.ru>\r\nMIME-Version: 1.0\r\n")
        parts = ""
        for i in range(depth):
            parts += f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        parts += "Content-Type: text/plain; charset=utf-8\r\n\r\nГлубоко вложенный текст обращения.\r\n"
        for i in reversed(range(depth)):
            parts += f"--b{i}--\r\n"
        number = o.submit((head + parts).encode())
        a = o.show(number)
        self.assertEqual(a["queue"], "quarantine")
        # An operator reads it, so nothing is asked of the citizen and the clock runs.
        self.assertEqual(a["status"], "new")
        self.assertEqual(a["deadline"], "2026-11-26T18:00:00+03:00")
        self.assertIn("quarantined", kinds(a))
        self.assertEqual(o.list("--queue", "quarantine")[0]["number"], number)
        [r] = o.outbox()
        self.assertIn(number, r["Subject"])


class Threading(unittest.TestCase):
    def test_reply_with_number_from_the_contact_joins_and_clears_clarification(self):
        o = Okno(self)
        number = o.submit(message(subject="Помогите", body="Спасибо.\r\n"))
        self.assertEqual(o.show(number)["status"], "needs_clarification")
        again = o.submit(message(subject=f"Re: Обращение № {number}", msgid="<m2@example.ru>",
                                 body="Не могу оплатить штраф ГИБДД на портале: ошибка 500 после ввода карты."))
        self.assertEqual(again, number)
        a = o.show(number)
        self.assertEqual(a["status"], "new")
        self.assertEqual([m["direction"] for m in a["messages"]], ["in", "out", "in", "out"])
        self.assertIn("reply_joined", kinds(a))
        self.assertIn("clarification_received", kinds(a))
        # The clock starts with the clarification (Monday 10:00 -> Thursday 18:00).
        self.assertEqual(a["deadline"], "2026-11-26T18:00:00+03:00")
        resumed = [e for e in a["events"] if e["kind"] == "clock_resumed"]
        self.assertEqual(resumed[0]["detail"]["deadline"], "2026-11-26T18:00:00+03:00")

    def test_in_reply_to_our_receipt_joins(self):
        o = Okno(self)
        number = o.submit(message())
        receipt_id = o.show(number)["messages"][1]["message_id"]
        again = o.submit(message(subject="Дополнение", msgid="<m3@example.ru>",
                                 extra=f"In-Reply-To: <{receipt_id}>\r\n",
                                 body="Добавляю: ошибка появляется и в мобильном приложении."))
        self.assertEqual(again, number)
        self.assertEqual(len(o.list()), 1)

    def test_a_stranger_quoting_a_number_opens_a_linked_appeal(self):
        o = Okno(self)
        number = o.submit(message())
        other = o.submit(message(subject=f"Re: Обращение № {number}", frm="stranger@evil.example",
                                 msgid="<s1@evil.example>",
                                 body="У меня та же проблема, SMS не приходит уже неделю."))
        self.assertNotEqual(other, number)
        self.assertEqual(o.show(other)["related"], number)
        self.assertIn("linked", kinds(o.show(number)))
        self.assertEqual(len(o.show(number)["messages"]), 2)  # untouched: message + receipt

    def test_the_same_message_twice_is_registered_once(self):
        o = Okno(self)
        raw = message()
        first = o.submit(raw)
        second = o.submit(raw)
        self.assertEqual(first, second)
        self.assertEqual(len(o.list()), 1)
        self.assertIn("duplicate_received", kinds(o.show(first)))
        self.assertEqual(len(o.outbox()), 1)

    def test_a_resent_copy_with_a_new_message_id_is_a_duplicate_too(self):
        o = Okno(self)
        first = o.submit(message(msgid="<x1@example.ru>"))
        second = o.submit(message(msgid="<x2@example.ru>"))
        self.assertEqual(first, second)
        self.assertEqual(len(o.list()), 1)


class LoopProtection(unittest.TestCase):
    def test_auto_replies_are_registered_but_not_answered(self):
        o = Okno(self)
        number = o.submit(message(extra="Auto-Submitted: auto-replied\r\n",
                                  body="Я в отпуске до 1 декабря, отвечу после возвращения."))
        self.assertIn("autoreply_suppressed", kinds(o.show(number)))
        self.assertEqual(o.outbox(), [])

    def test_bounces_with_the_null_sender_are_not_answered(self):
        o = Okno(self)
        number = o.submit(message(frm="MAILER-DAEMON@mx.example.ru",
                                  body="Delivery to the following recipient failed permanently."),
                          "--from", "<>")
        self.assertIn("autoreply_suppressed", kinds(o.show(number)))
        self.assertEqual(o.outbox(), [])

    def test_automatic_messages_per_sender_are_limited_per_hour(self):
        o = Okno(self, "max_auto_per_hour = 2\n")
        for i in range(3):
            o.submit(message(msgid=f"<r{i}@x>", body=f"Отдельный вопрос {i}: как сменить адрес регистрации?"))
        self.assertEqual(len(o.outbox()), 2)
        newest = o.list()[0]["number"]
        self.assertIn("autoreply_suppressed", kinds(o.show(newest)))


class Extraction(unittest.TestCase):
    def test_invalid_snils_is_reported_not_dropped(self):
        o = Okno(self)
        number = o.submit(message(body="Мой СНИЛС 112-233-445 96, ИНН 7707083893. Не отображаются услуги."))
        a = o.show(number)
        extracted = {(x["kind"], x["value"], x["valid"]) for x in a["messages"][0]["meta"]["extracted"]}
        self.assertIn(("snils", "11223344596", False), extracted)
        self.assertIn(("inn", "7707083893", True), extracted)
        self.assertIn("invalid_identifier", kinds(a))


class CommandLineErrors(unittest.TestCase):
    def one_line_error(self, p, code=1):
        self.assertEqual(p.returncode, code, p.stderr)
        lines = p.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("okno: "), lines)
        return lines[0]

    def test_missing_file(self):
        o = Okno(self)
        line = self.one_line_error(o.run("submit", "--config", o.config, "/nonexistent.eml"))
        self.assertIn("/nonexistent.eml", line)

    def test_empty_file(self):
        o = Okno(self)
        path = os.path.join(o.dir, "empty.eml")
        open(path, "wb").close()
        self.assertIn("empty", self.one_line_error(o.run("submit", "--config", o.config, path)))

    def test_show_rejects_malformed_and_mistyped_numbers(self):
        o = Okno(self)
        number = o.submit(message())
        self.assertIn("not an appeal number", self.one_line_error(o.run("show", "--config", o.config, "hello")))
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        self.assertIn("check digit", self.one_line_error(o.run("show", "--config", o.config, wrong)))
        self.assertIn("no appeal", self.one_line_error(o.run("show", "--config", o.config, "26-000999-" +
                                                             _damm_tail("26000999"))))

    def test_bad_config_names_the_key(self):
        o = Okno(self)
        bad = os.path.join(o.dir, "bad.ini")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("[smtp]\nmax_recipients = lots\n")
        self.assertIn("max_recipients", self.one_line_error(o.run("list", "--config", bad)))

    def test_an_unreachable_store_asks_the_mta_to_retry(self):
        o = Okno(self, store_url="postgresql://postgres@127.0.0.1:1/nowhere")
        path = os.path.join(o.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(message())
        line = self.one_line_error(o.run("submit", "--config", o.config, path), code=75)
        self.assertIn("connect", line)

    def test_unknown_command(self):
        o = Okno(self)
        self.one_line_error(o.run("frobnicate"))


def _damm_tail(digits):
    table = [[0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
             [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
             [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
             [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
             [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]]
    i = 0
    for d in digits:
        i = table[i][int(d)]
    return str(i)


if __name__ == "__main__":
    unittest.main(verbosity=1)
