#!/usr/bin/env python3
"""test_desk.py: the console as an operator's working day (issue 21, docs/console.md),
against the real daemon (one start for the class: okno_it.ClassScope).

- the queue's time left («осталось N раб. ч») agrees with `okno deadline`: for every
  row, N working hours from the instant the page counted from end no later than the
  appeal's deadline, and N + 1 end after it (on the department's calendar);
- the queue's columns (citizen masked, channel, assignee) and the JSON twin;
- the history as Russian sentences with no JSON, on the page of an appeal;
- the extend form takes Russian periods («10 календарных дней») and the old English
  ones; a bad period is refused next to the field (422) and nothing changes;
- the reply box's one-step actions: a clarification request and a note;
- bulk actions: take and assign several appeals at once (each its own event), an
  answer from a template to several (each its own letter; an appeal answered meanwhile
  is not answered again), refused without the CSRF token, nothing done to an appeal
  the user may not see."""
import html
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


def letter(n, subject="Загранпаспорт", sender=None):
    sender = sender or "citizen%d@mail.example" % n
    return ("From: Гражданин %d <%s>\r\nTo: support@portal.example\r\n"
            "Subject: %s %d\r\nMessage-ID: <desk-%d-%d@mail.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Здравствуйте! Вопрос про %s, номер %d.\r\n"
            % (n, sender, subject, n, n, time.time_ns(), subject.lower(), n)).encode()


class Desk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({"http": {"forms_per_hour": "1000000",
                                        "requests_per_minute": "100000"}})
        for code, name in [("passports", "Паспорта"), ("social", "Социальный отдел")]:
            cls.cli("department", "add", "--code", code, "--name", name)
        cls.cli("route", "add", "--kind", "keyword", "--value", "загранпаспорт",
                "--department", "passports")
        cls.cli("route", "add", "--kind", "keyword", "--value", "пособие", "--department", "social")
        cls.users = {}
        for login, role, dept in [("opa", "operator", "passports"), ("opc", "operator", "passports"),
                                  ("supa", "supervisor", "passports")]:
            cls.users[login] = json.loads(cls.cli("user", "add", "--login", login, "--role", role,
                                                  "--department", dept, "--json"))
            cls.cli("user", "password", "--login", login, input=PASSWORD + "\n")
        cls.okno.start()
        cls.n = 0
        cls.clients = {}

    @classmethod
    def cli(cls, *args, input=None):
        p = cls.okno.run(*args, input=input)
        if p.returncode != 0:
            raise AssertionError(p.stdout + p.stderr)
        return p.stdout

    def submit(self, subject="Загранпаспорт", sender=None):
        Desk.n += 1
        path = os.path.join(self.okno.dir, "desk-%d.eml" % Desk.n)
        with open(path, "wb") as f:
            f.write(letter(Desk.n, subject, sender))
        return self.cli("submit", path).strip()

    def sign_in(self, login):
        # one session per user for the class: a TOTP code is good once (replay guard)
        if login in Desk.clients:
            return Desk.clients[login]
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(self.users[login]["totp_uri"])})
        self.assertEqual(r.status, 303, r.text[:500])
        Desk.clients[login] = c
        return c

    def page(self, c, number):
        r = c.get("/console/appeals/" + number)
        self.assertEqual(r.status, 200, r.text[:500])
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)
        version = re.search(r'name="version" value="(\d+)"', r.text).group(1)
        return r, csrf, version

    def queue_json(self, c, view="all"):
        r = c.get("/api/v1/console/queue?view=" + view)
        self.assertEqual(r.status, 200, r.text[:500])
        return json.loads(r.text)

    # ---- the time left against `okno deadline` ----

    def test_time_left_agrees_with_okno_deadline(self):
        numbers = {self.submit() for _ in range(3)}
        c = self.sign_in("opa")
        q = self.queue_json(c)
        rows = [a for a in q["appeals"] if a["number"] in numbers]
        self.assertEqual(len(rows), 3)
        for a in rows:
            deadline = self.okno.show_json(a["number"])["deadline"]
            n = a["sla_hours"]
            self.assertGreater(n, 0, a)
            self.assertEqual(a["sla_text"], "осталось %d раб. ч" % n)
            self.assertEqual(a["sla_class"], "sla-ok" if n >= 24 else "sla-soon")

            def ends(hours):
                out = self.cli("deadline", "--from", q["now"], "--working-hours", str(hours),
                               "--department", "passports").strip()
                return time_us(out)

            self.assertLessEqual(ends(n), time_us(deadline), (n, deadline, q["now"]))
            self.assertGreater(ends(n + 1), time_us(deadline), (n, deadline, q["now"]))

    def test_queue_columns_masked_citizen_channel_assignee(self):
        number = self.submit(sender="ivan.petrov@mail.example")
        c = self.sign_in("opa")
        _, csrf, version = self.page(c, number)
        r = c.post("/console/appeals/%s/take" % number, {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 303, r.text[:500])
        r = c.get("/console?view=all")
        row = re.search(r'<tr class="[^"]*" data-number="%s">(.*?)</tr>' % number, r.text, re.S)
        self.assertIsNotNone(row, r.text[:2000])
        cells = [html.unescape(re.sub(r"<[^>]+>", "", x)).strip()
                 for x in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
        self.assertEqual(cells[1], number)
        self.assertEqual(cells[3], "i***@mail.example")
        self.assertEqual(cells[4], "почта")
        self.assertEqual(cells[7], "opa")
        self.assertRegex(cells[9], r"^осталось \d+ раб\. ч")
        self.assertNotIn("ivan.petrov@", r.text)

    # ---- sorting by any column, keyset pages; saved filters ----

    def walk(self, c, query):
        seen, url = [], "/api/v1/console/queue?view=all&limit=4&" + query
        pages = []
        while True:
            r = c.get(url)
            self.assertEqual(r.status, 200, r.text[:500])
            d = json.loads(r.text)
            pages.append(d)
            seen += d["appeals"]
            if "next" not in d:
                return seen, pages
            url = "/api/v1/console/queue?view=all&limit=4&%s&after=%s" % (query, d["next"])

    def test_sorting_by_columns_pages_by_keyset(self):
        for _ in range(6):
            self.submit()
        c = self.sign_in("supa")
        total = json.loads(c.get("/api/v1/console/queue?view=all").text)["total"]
        self.assertGreaterEqual(total, 6)
        up, pages = self.walk(c, "sort=status")
        self.assertEqual(len(up), total)
        self.assertEqual(len({a["number"] for a in up}), total)  # no repeats, no gaps
        keys = [(a["status"], a["number"]) for a in up]
        self.assertEqual([k[0] for k in keys], sorted(k[0] for k in keys))
        down, _ = self.walk(c, "sort=status&dir=desc")
        self.assertEqual([a["number"] for a in down], [a["number"] for a in reversed(up)])
        # back from the second page is the first page
        r = c.get("/api/v1/console/queue?view=all&limit=4&sort=status&before=%s" % pages[1]["prev"])
        self.assertEqual([a["number"] for a in json.loads(r.text)["appeals"]],
                         [a["number"] for a in pages[0]["appeals"]])
        # the subject is sealed at rest: its stored order means nothing, so it is no order
        r = c.get("/api/v1/console/queue?view=all&limit=4&sort=subject")
        d = c.get("/api/v1/console/queue?view=all&limit=4")
        self.assertEqual([a["number"] for a in json.loads(r.text)["appeals"]],
                         [a["number"] for a in json.loads(d.text)["appeals"]])
        nums, _ = self.walk(c, "sort=number")
        self.assertEqual([a["number"] for a in nums], sorted(a["number"] for a in up))
        by_assignee, _ = self.walk(c, "sort=assignee&dir=desc")
        keys = [a["assignee"] for a in by_assignee]
        self.assertEqual(keys, sorted(keys, reverse=True))
        # a token of another order is refused, not misread
        r = c.get("/api/v1/console/queue?view=all&sort=number&after=%s" % pages[0]["next"])
        self.assertEqual(r.status, 400)
        page = c.get("/console?view=all&sort=status").text
        self.assertIn('aria-sort="ascending"><a href="/console?view=all&amp;status=&amp;q=&amp;sort=status&amp;dir=desc">Статус', page)

    def test_saved_filters_are_per_user(self):
        s, a = self.sign_in("supa"), self.sign_in("opa")
        token = s.csrf("/console")
        r = s.post("/console/filters", {"csrf": token, "name": " ", "view": "mine"})
        self.assertEqual(r.status, 422)
        r = s.post("/console/filters", {"csrf": token, "name": "Мои по сроку", "view": "mine",
                                        "sort": "deadline", "status": "", "q": "", "dir": ""})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(r.headers.get("Location"), "/console?view=mine&status=&q=&sort=deadline")
        page = html.unescape(s.get("/console").text)
        self.assertIn('<a href="/console?view=mine&status=&q=&sort=deadline">Мои по сроку</a>', page)
        fid = re.search(r'action="/console/filters/delete".*?name="id" value="(\d+)"', page, re.S).group(1)
        self.assertNotIn("Мои по сроку", a.get("/console").text)
        r = a.post("/console/filters/delete", {"csrf": a.csrf("/console"), "id": fid})
        self.assertEqual(r.status, 404)
        r = s.post("/console/filters/delete", {"csrf": token, "id": fid})
        self.assertEqual(r.status, 303)
        self.assertNotIn("Мои по сроку", s.get("/console").text)

    # ---- the history ----

    def test_history_is_sentences_without_json(self):
        number = self.submit()
        c = self.sign_in("supa")
        r, _, _ = self.page(c, number)
        events = r.text.split('<ol class="events">')[1].split("</ol>")[0]
        text = html.unescape(re.sub(r"<[^>]+>", " ", events))
        self.assertNotRegex(text, r'[{}]|"[a-z_]+"\s*:')
        self.assertIn("Обращение получено по каналу «электронная почта».", text)
        self.assertIn("Передано в отдел «Паспорта»: правило «загранпаспорт».", text)
        self.assertIn("Подробности", text)
        # the JSON twin keeps the structured detail for programs, and the sentence
        api = json.loads(c.get("/api/v1/console/appeals/" + number).text)
        routed = [e for e in api["events"] if e["kind"] == "routed"][0]
        self.assertEqual(routed["detail"]["department"], "passports")
        self.assertEqual(routed["text"], "Передано в отдел «Паспорта»: правило «загранпаспорт».")

    # ---- the extend form ----

    def test_extend_takes_russian_periods_and_refuses_bad_ones_next_to_the_field(self):
        number = self.submit()
        c = self.sign_in("supa")
        before = self.okno.show_json(number)
        _, csrf, version = self.page(c, number)
        r = c.post("/console/appeals/%s/extend" % number,
                   {"csrf": csrf, "version": version, "by": "10 дней", "reason": "Запрос в МВД"})
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertRegex(r.text, r'id="extend-by-error">Укажите, на сколько продлить срок')
        self.assertIn('<details class="rare-actions" open>', r.text)
        self.assertEqual(self.okno.show_json(number)["deadline"], before["deadline"])
        r = c.post("/console/appeals/%s/extend" % number,
                   {"csrf": csrf, "version": version, "by": "10 календарных дней",
                    "reason": "Запрос в МВД"})
        self.assertEqual(r.status, 303, r.text[:500])
        after = self.okno.show_json(number)
        self.assertGreater(time_us(after["deadline"]), time_us(before["deadline"]))
        r, csrf, version = self.page(c, number)
        self.assertIn("Срок продлён на 10 календарных дней до", html.unescape(r.text))
        # the English of the config still works
        other = self.submit()
        _, csrf, version = self.page(c, other)
        r = c.post("/console/appeals/%s/extend" % other,
                   {"csrf": csrf, "version": version, "by": "8 working hours", "reason": "Архив"})
        self.assertEqual(r.status, 303, r.text[:500])
        r, _, _ = self.page(c, other)
        self.assertIn("Срок продлён на 8 рабочих часов", html.unescape(r.text))

    # ---- the reply box ----

    def test_clarification_request_and_note_are_one_action_each(self):
        number = self.submit()
        c = self.sign_in("opa")
        _, csrf, version = self.page(c, number)
        r = c.post("/console/appeals/%s/take" % number, {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 303, r.text[:500])
        r, csrf, version = self.page(c, number)
        self.assertIn('id="reply-clarify"', r.text)
        r = c.post("/console/appeals/%s/clarify" % number, {"csrf": csrf, "version": version, "text": " "})
        self.assertEqual(r.status, 422)
        self.assertIn("Напишите, что заявителю нужно уточнить", r.text)
        self.assertEqual(self.okno.show_json(number)["status"], "in_progress")
        r = c.post("/console/appeals/%s/clarify" % number,
                   {"csrf": csrf, "version": version, "text": "Укажите серию старого паспорта."})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(self.okno.show_json(number)["status"], "needs_clarification")
        _, csrf, version = self.page(c, number)
        r = c.post("/console/appeals/%s/note" % number,
                   {"csrf": csrf, "version": version, "text": "Перезвонить в понедельник"})
        self.assertEqual(r.status, 303, r.text[:500])
        r, _, _ = self.page(c, number)
        self.assertIn("Внутренняя заметка (opa): Перезвонить в понедельник.", html.unescape(r.text))

    def test_answering_after_someone_else_answered_warns_and_sends_nothing(self):
        number = self.submit()
        a, s = self.sign_in("opa"), self.sign_in("supa")
        _, csrf, version = self.page(a, number)
        r = a.post("/console/appeals/%s/take" % number, {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 303, r.text[:500])
        _, csrf_a, version_a = self.page(a, number)
        _, csrf_s, version_s = self.page(s, number)
        r = s.post("/console/appeals/%s/reply" % number,
                   {"csrf": csrf_s, "version": version_s, "step": "send",
                    "text": "Ответ руководителя: заявление подаётся в МФЦ."})
        self.assertEqual(r.status, 303, r.text[:500])
        r = a.post("/console/appeals/%s/reply" % number,
                   {"csrf": csrf_a, "version": version_a, "step": "send",
                    "text": "Ответ оператора."})
        self.assertEqual(r.status, 409, r.text[:500])
        self.assertIn("Пока вы писали, на это обращение уже ответил supa", html.unescape(r.text))
        outs = [m for m in self.okno.show_json(number)["messages"]
                if m["direction"] == "out" and "Ответ" in m["text"]]
        self.assertEqual(len(outs), 1)

    # ---- bulk actions ----

    def bulk(self, c, action, numbers, extra=None, csrf=True, expect=200):
        token = c.csrf("/console?view=all")
        f = {"action": action}
        if csrf:
            f["csrf"] = token
        for n in numbers:
            f["sel:" + n] = "1"
        f.update(extra or {})
        r = c.post("/console/bulk", f)
        self.assertEqual(r.status, expect, r.text[:800])
        return html.unescape(r.text)

    def test_bulk_take_and_assign_each_with_its_event(self):
        mine = [self.submit() for _ in range(3)]
        foreign = self.submit(subject="Пособие")  # social: opa does not see it
        c = self.sign_in("opa")
        self.bulk(c, "take", mine, csrf=False, expect=403)
        for n in mine:
            self.assertIsNone(self.okno.show_json(n).get("assignee") or None)
        text = self.bulk(c, "take", mine + [foreign])
        self.assertIn("Выполнено: 3 из 4.", text)
        self.assertIn("Нет такого обращения.", text)
        self.assertFalse(self.okno.show_json(foreign).get("assignee"))
        for n in mine:
            a = self.okno.show_json(n)
            self.assertEqual(a["status"], "in_progress")
            self.assertEqual(len([e for e in a["events"] if e["kind"] == "assigned"]), 1)
        s = self.sign_in("supa")
        text = self.bulk(s, "assign", mine, {"user": "opc"})
        self.assertIn("Выполнено: 3 из 3.", text)
        for n in mine:
            a = self.okno.show_json(n)
            got = [e["detail"]["assignee"] for e in a["events"] if e["kind"] == "assigned"]
            self.assertEqual(got, ["opa", "opc"])

    def test_bulk_answer_from_a_template_each_its_own_letter(self):
        numbers = [self.submit() for _ in range(3)]
        s = self.sign_in("supa")
        token = s.csrf("/console/templates")
        r = s.post("/console/templates", {"csrf": token, "department": "passports",
                                          "name": "Загранпаспорт: порядок",
                                          "body": "Здравствуйте, {{name}}! По обращению № {{number}}: подайте заявление в МФЦ."})
        self.assertEqual(r.status, 303, r.text[:500])
        tid = re.search(r'name="id" value="(\d+)"', s.get("/console/templates").text).group(1)
        text = self.bulk(s, "answer", numbers[:2], {"template": tid})
        self.assertIn("Выполнено: 2 из 2.", text)
        # the first again with the third: the first already has its answer
        text = self.bulk(s, "answer", [numbers[0], numbers[2]], {"template": tid})
        self.assertIn("Выполнено: 1 из 2.", text)
        self.assertIn("У обращения уже есть ответ", text)
        for n in numbers:
            a = self.okno.show_json(n)
            self.assertEqual(a["status"], "answered")
            outs = [m for m in a["messages"] if m["direction"] == "out" and "МФЦ" in m["text"]]
            self.assertEqual(len(outs), 1, n)
            self.assertIn("№ %s" % n, outs[0]["text"])


def time_us(rfc3339):
    from datetime import datetime
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1_000_000)


if __name__ == "__main__":
    unittest.main()
