"""test_incidents: mass incidents (issue 19 item 5; docs/incidents.md).

Against the real daemon, one start for the class: a burst of 50 near-identical appeals
over SMTP (different citizens, names and wordings, as people write about the same
outage) with 8 ordinary appeals on other topics sent in the same window raises exactly
one incident of the 50, which none of the 8 joins; the department's supervisor gets the
alert by mail and sees it at /console/incidents; an operator may not open the page. One
answer from the console reaches all 50 citizens (the outbox maildir's new/ only, polled
with a deadline), each letter threaded to that citizen's own message and naming its own
appeal, each appeal answered with the event `incident_answered` in its history. An
appeal taken out of the incident stays out and a second answer skips the answered ones;
bad input (an empty answer, an unknown number) is a message next to the field and
changes nothing. Runs on SQLite, and on PostgreSQL as it_incidents_pg.
"""
import email
import email.policy
import glob
import json
import os
import re
import smtplib
import sys
import time
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_kb  # noqa: E402
from okno_it import ClassScope, Okno  # noqa: E402

PASSWORD = "Зелёный-чай-42"
SUPPORT = "support@portal.example"
MARK = "Сбой с отправкой кодов устранён"

GREETINGS = ["Здравствуйте!", "Добрый день.", "Добрый вечер!", "", "Уважаемая служба поддержки,",
             "Помогите, пожалуйста."]
CORES = ["Не приходит СМС с кодом подтверждения при входе на портал.",
         "мне не приходит код из смс, не могу войти в личный кабинет портала",
         "Уже второй час не приходят смс-коды для входа на портал.",
         "Почему не приходит код подтверждения по СМС? Войти на портал невозможно.",
         "Несколько раз запрашивал код для входа на портал, смс так и не пришло.",
         "СМС с кодом для входа на портал не приходит.",
         "Не могу зайти на портал: код подтверждения в смс не приходит.",
         "Код из СМС не приходит, вход на портал не работает."]
DETAILS = ["Телефон в профиле указан верно.", "Номер телефона правильный, другие смс приходят.",
           "Пробовал с другого браузера.", "", "Что случилось?", "Прошу разобраться."]
CLOSINGS = ["Спасибо.", "С уважением,", "Жду ответа.", "", "Заранее благодарю."]
NAMES = ["Иван Петров", "Мария Соколова", "Олег Сидоров", "Анна Кузнецова", "Дмитрий Орлов",
         "Елена Смирнова", "Сергей Иванов", "Ольга Васильева", "Павел Морозов", "Наталья Волкова"]
SUBJECTS = ["Не приходит СМС", "Код подтверждения", "Не могу войти на портал", "Проблема со входом",
            "Не приходит код", "Вход на портал"]

OTHERS = [
    ("Госпошлина за загранпаспорт", "Здравствуйте! Прошу разъяснить, как оплатить госпошлину "
     "за загранпаспорт банковской картой со скидкой. Иван Петров"),
    ("Пособие", "Добрый день. В заявлении на пособие по уходу за ребёнком неверно указана дата "
     "рождения ребёнка, как её исправить?"),
    ("Мусор во дворе", "Во дворе дома 5 по улице Ленина третью неделю не вывозят мусор. "
     "С уважением, Ольга"),
    ("Запись к врачу", "Как записаться к врачу через портал, если моя поликлиника не "
     "отображается в списке медицинских организаций?"),
    ("Ошибка в выписке", "Прошу исправить ошибку в фамилии в выписке из реестра недвижимости. "
     "Пётр Васильев"),
    ("Пенсия", "Не пришла пенсия за ноябрь, в личном кабинете заявление в статусе «в обработке»."),
    ("Налоговый вычет", "Подала декларацию на налоговый вычет за лечение зубов, прошло три "
     "месяца, деньги не вернули. Наталья"),
    ("Штраф ГИБДД", "Пришёл штраф за превышение скорости, но машину я продал в прошлом году. "
     "Договор купли-продажи прилагаю."),
]


def plain(m):
    body = m.get_body(("plain",))
    return body.get_content() if body is not None else ""


def burst_letter(i):
    text = " ".join(x for x in (GREETINGS[i % 6], CORES[(i * 3) % 8], DETAILS[(i * 5) % 6],
                                CLOSINGS[(i * 7) % 5], NAMES[i % 10]) if x)
    return SUBJECTS[(i * 11) % 6], text


class Incidents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({
            "http": {"forms_per_hour": "100000", "requests_per_minute": "100000"},
            "staff": {"actions_per_hour": "1000000"},
            "sla": {"scheduler_interval": "1"},
            "incidents": {"interval": "1", "window_minutes": "30", "min_count": "20",
                          "factor": "5"},
        })
        cls.cli_ok("department", "add", "--code", "support", "--name", "Поддержка")
        cls.cli_ok("route", "add", "--kind", "sender_domain", "--value", "mail.example",
                   "--department", "support")
        cls.users = {}
        for login, role in (("boss", "supervisor"), ("oleg", "operator")):
            out = cls.cli_ok("user", "add", "--login", login, "--role", role, "--department",
                             "support", "--json", "--email", login + "@portal.example")
            cls.users[login] = json.loads(out)
            cls.cli_ok("user", "password", "--login", login, input=PASSWORD + "\n")
        cls.okno.start()
        cls.clients = {}
        cls.burst, cls.others, cls.msgids = cls.send_all()

    @classmethod
    def cli_ok(cls, *args, input=None):
        p = cls.okno.run(*args, input=input)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout

    @classmethod
    def send_all(cls):
        """50 burst letters with the 8 ordinary ones among them, one SMTP session; the
        numbers of each kind by sender, and each citizen's Message-ID."""
        letters, msgids = [], {}
        o = 0
        for i in range(50):
            letters.append(("b", "citizen%d@mail.example" % i, NAMES[i % 10]) + burst_letter(i))
            if i % 6 == 5 and o < len(OTHERS):
                letters.append(("o", "person%d@post.example" % o, "Заявитель %d" % o) + OTHERS[o])
                o += 1
        with smtplib.SMTP("127.0.0.1", cls.okno.smtp_port, timeout=120) as s:
            for n, (kind, addr, name, subject, text) in enumerate(letters):
                m = EmailMessage()
                m["From"] = "%s <%s>" % (name, addr)
                m["To"] = SUPPORT
                m["Subject"] = subject
                m["Message-ID"] = "<%d.%d@%s>" % (time.time_ns(), n, addr.split("@")[1])
                msgids[addr] = m["Message-ID"]
                m.set_content(text)
                s.send_message(m)
        by_addr = {a["from"]["email"]: a["number"] for a in cls.okno.list_json()}
        burst = {a: by_addr[a] for k, a, *_ in letters if k == "b"}
        others = {a: by_addr[a] for k, a, *_ in letters if k == "o"}
        assert len(burst) == 50 and len(others) == len(OTHERS), (len(burst), len(others))
        return burst, others, msgids

    # the console's sign-in of the knowledge base's test (boss, oleg: PASSWORD and TOTP)
    staff = test_kb.KnowledgeBase.staff

    def incidents(self):
        r = self.staff("boss").get("/api/v1/console/incidents")
        self.assertEqual(r.status, 200, r.text[:500])
        return r.json()["incidents"]

    def incident(self, ident):
        r = self.staff("boss").get("/api/v1/console/incidents/%d" % ident)
        self.assertEqual(r.status, 200, r.text[:500])
        return r.json()

    def wait_incident(self, appeals, timeout=90):
        """Polls until one incident holds `appeals` appeals (the scheduler's passes run
        every second); the incidents then."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.incidents()
            if any(x["appeals"] == appeals for x in found) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def outbox(self, predicate, want, timeout=90):
        """The outbox's letters (new/ only) matching `predicate`, by recipient address,
        polled until every address in `want` has one or the deadline passes."""
        deadline, seen, found = time.monotonic() + timeout, set(), {}
        while True:
            for p in glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*")):
                if p in seen:
                    continue
                seen.add(p)
                with open(p, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                if predicate(m):
                    found.setdefault(m["To"].addresses[0].addr_spec, []).append(m)
            if all(a in found for a in want) or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def appeal(self, number):
        """The appeal as the supervisor's console API gives it (status, events): an HTTP
        request, cheaper than a process per appeal; `okno show` is checked once."""
        r = self.staff("boss").get("/api/v1/console/appeals/" + number)
        self.assertEqual(r.status, 200, r.text[:300])
        return r.json()

    def events(self, number):
        return self.appeal(number)["events"]

    def test_1_burst_is_one_incident_and_others_stay_out(self):
        found = self.wait_incident(50)
        self.assertEqual(len(found), 1, found)
        x = found[0]
        self.assertTrue(x["open"])
        self.assertEqual(x["appeals"], 50)
        self.assertEqual(x["department"], "support")
        page = self.incident(x["id"])
        numbers = {a["number"] for a in page["appeals"]}
        self.assertEqual(numbers, set(self.burst.values()))
        for number in self.others.values():
            kinds = [e["kind"] for e in self.events(number)]
            self.assertNotIn("incident_joined", kinds, number)
        kinds = [e["kind"] for e in self.events(self.burst["citizen7@mail.example"])]
        self.assertIn("incident_joined", kinds)
        # the supervisor's alert, in polite Russian, through the outbound queue
        alert = self.outbox(lambda m: "Массовый инцидент № %d" % x["id"] in str(m["Subject"]),
                            ["boss@portal.example"]).get("boss@portal.example", [])
        self.assertEqual(len(alert), 1)
        body = alert[0].get_content()
        self.assertIn("Уважаемые коллеги", body)
        self.assertIn("/console/incidents/%d" % x["id"], body)
        # the console's page: the banner for the supervisor, none for an operator
        r = self.staff("boss").get("/console/incidents")
        self.assertIn('id="incidents-open"', r.text)
        self.assertIn("Инцидент № %d" % x["id"], r.text)
        self.assertEqual(self.staff("oleg").get("/console/incidents").status, 403)
        # a later pass raises no second one
        time.sleep(2.5)
        self.assertEqual(len(self.incidents()), 1)

    def test_2_one_answer_reaches_every_citizen_threaded(self):
        x = self.wait_incident(50)[0]
        c = self.staff("boss")
        path = "/console/incidents/%d" % x["id"]
        # bad input first: nothing changes
        r = c.post(path + "/answer", {"csrf": c.csrf(path), "text": "   "})
        self.assertEqual(r.status, 422)
        self.assertIn("Напишите текст ответа.", r.text)
        r = c.post(path + "/add", {"csrf": c.csrf(path), "number": "26-999999-0"})
        self.assertEqual(r.status, 422)
        self.assertIn("Нет доступного вам обращения", r.text)
        # one ordinary appeal taken out, then back in, then out again: it stays out
        out_number = self.burst["citizen49@mail.example"]
        r = c.post(path + "/remove", {"csrf": c.csrf(path), "number": out_number})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.incident(x["id"])["incident"]["appeals"], 49)
        time.sleep(2.5)  # passes run meanwhile: the detection never puts it back
        self.assertEqual(self.incident(x["id"])["incident"]["appeals"], 49)
        r = c.post(path + "/add", {"csrf": c.csrf(path), "number": out_number})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.incident(x["id"])["incident"]["appeals"], 50)
        text = ("Уважаемый(ая) {{name}}! " + MARK + ", коды снова приходят. "
                "Ваше обращение № {{number}} рассмотрено.")
        r = c.post(path + "/answer", {"csrf": c.csrf(path), "text": text})
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn("отправлено 50 из 50", r.text)
        answers = self.outbox(lambda m: MARK in plain(m),
                              list(self.burst))
        for addr, number in self.burst.items():
            got = answers.get(addr, [])
            self.assertEqual(len(got), 1, addr)
            m = got[0]
            self.assertEqual(m["In-Reply-To"], self.msgids[addr])
            self.assertIn(self.msgids[addr], m["References"])
            self.assertIn(number, plain(m))
            shown = self.appeal(number)
            self.assertEqual(shown["status"], "answered")
            answered = [e for e in shown["events"] if e["kind"] == "incident_answered"]
            self.assertEqual(len(answered), 1, number)
        for addr in self.others:
            self.assertNotIn(addr, answers)
        shown = self.okno.show_json(self.burst["citizen3@mail.example"])
        self.assertEqual(shown["status"], "answered")
        self.assertIn("incident_answered", [e["kind"] for e in shown["events"]])
        # a second answer skips those answered already
        r = c.post(path + "/answer", {"csrf": c.csrf(path), "text": "Ещё раз: " + MARK})
        self.assertIn("отправлено 0 из 50", r.text)
        self.assertIn("У обращения уже есть ответ.", r.text)
        # closing
        r = c.post(path + "/close", {"csrf": c.csrf(path)})
        self.assertEqual(r.status, 303)
        self.assertFalse(self.incident(x["id"])["incident"]["open"])
        # without the CSRF token nothing is done
        r = c.post(path + "/remove", {"number": self.burst["citizen1@mail.example"]})
        self.assertEqual(r.status, 403)


if __name__ == "__main__":
    unittest.main()
