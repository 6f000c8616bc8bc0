#!/usr/bin/env python3
"""test_scheduler.py: SLA deadlines, reminders, escalation, operator operations and
citizen notifications, through the real binary.

Time is injected: `okno submit` and `okno appeal ...` run with OKNO_FAKE_NOW, and
`okno scheduler run --now T` does one pass at T, so the test moves through days of
working time in milliseconds. Outcomes are read from the outbound maildir (who got
which mail, what it says) and from the events of `okno show --json`. Runs on SQLite
and, as it_scheduler_pg, on PostgreSQL.
"""
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import Okno, free_port  # noqa: E402

OKNO = os.environ.get("OKNO_BIN", "okno")
MON_10 = "2026-11-23T10:00:00+03:00"


def message(subject="Вопрос о статусе заявления", body=None, frm="Иван Петров <ivan@example.ru>",
            msgid="<s1@example.ru>"):
    if body is None:
        body = "Здравствуйте! Подскажите, пожалуйста, как узнать статус заявления на портале."
    head = (f"From: {frm}\r\nTo: support@portal.example\r\nSubject: {subject}\r\n"
            f"Message-ID: {msgid}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
    return (head + body + "\r\n").encode("utf-8")


class Desk:
    """One okno instance driven through its CLI at chosen instants."""

    def __init__(self, test, sla=None, dkim=False):
        self.test = test
        self.o = Okno(test)
        keys = {"operators": "ops@portal.example", "supervisors": "boss@portal.example",
                "supervisors_level2": "chief@portal.example"}
        keys.update(sla or {})
        groups = {"sla": keys}
        if dkim:
            key = os.path.join(self.o.dir, "dkim.pem")
            subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True,
                           capture_output=True)
            groups["dkim"] = {"selector": "s1", "key": key}
        self.o.write_config(groups)
        self.outbox = os.path.join(self.o.dir, "outbox", "new")
        self.n = 0

    def okno(self, now, *args, input=None, ok=True):
        env = dict(os.environ, OKNO_FAKE_NOW=now)
        r = subprocess.run([OKNO, *args, "--config", self.o.config_path],
                           capture_output=True, text=True, input=input, env=env, cwd=self.o.dir,
                           timeout=120)
        if ok:
            self.test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def submit(self, now, raw, *args):
        path = os.path.join(self.o.dir, "m%d.eml" % self.n)
        self.n += 1
        with open(path, "wb") as f:
            f.write(raw)
        return self.okno(now, "submit", *args, path).stdout.strip()

    def tick(self, now):
        """One scheduler pass at `now`; returns the number of jobs done."""
        return int(self.okno(now, "scheduler", "run", "--now", now).stdout.strip())

    def show(self, number):
        return self.o.show_json(number)

    def messages(self):
        """Every delivered message, oldest first, parsed."""
        out = []
        if not os.path.isdir(self.outbox):
            return out
        for name in sorted(os.listdir(self.outbox), key=lambda n: int(n.rsplit(".", 1)[1])):
            with open(os.path.join(self.outbox, name), "rb") as f:
                out.append(email.message_from_binary_file(f, policy=email.policy.default))
        return out

    def mails(self):
        """Every delivered message, oldest first: (to, subject, text)."""
        return [(m["To"].addresses[0].addr_spec, str(m["Subject"]),
                 m.get_body(("plain",)).get_content()) for m in self.messages()]


def kinds(appeal):
    return [e["kind"] for e in appeal["events"]]


def events(appeal, kind):
    return [e["detail"] for e in appeal["events"] if e["kind"] == kind]


class Scheduler(unittest.TestCase):
    def test_reminder_deadline_and_two_escalations(self):
        d = Desk(self)
        number = d.submit(MON_10, message())
        a = d.show(number)
        # No word classifies it: the default class, complex, 3 working days (Thu 18:00).
        self.assertEqual((a["kind"], a["sla_class"], a["priority"]), ("support", "complex", "normal"))
        self.assertEqual(a["deadline"], "2026-11-26T18:00:00+03:00")
        receipt = d.mails()[0]
        self.assertEqual(receipt[0], "ivan@example.ru")
        self.assertIn("до 26 ноября 2026 г., 18:00 (МСК)", receipt[2])
        self.assertIn("запрос в службу поддержки", receipt[2])
        self.assertIn("личный кабинет", receipt[2])

        # The reminder is due 24 working hours before Thu 18:00: Tue 12:00.
        self.assertEqual(d.tick("2026-11-24T11:59:00+03:00"), 0)
        self.assertEqual(len(d.mails()), 1)
        self.assertEqual(d.tick("2026-11-24T12:00:00+03:00"), 1)
        # The same instant again (a restart, a second node): nothing more.
        self.assertEqual(d.tick("2026-11-24T12:00:00+03:00"), 0)
        m = d.mails()
        self.assertEqual(len(m), 2)
        self.assertEqual(m[1][0], "ops@portal.example")
        self.assertIn("Напоминание", m[1][1])
        self.assertIn(number, m[1][1])

        # At the deadline: overdue, escalated to the supervisors.
        self.assertEqual(d.tick("2026-11-26T17:59:59+03:00"), 0)
        self.assertFalse(d.show(number)["overdue"])
        self.assertEqual(d.tick("2026-11-26T18:00:00+03:00"), 1)
        a = d.show(number)
        self.assertTrue(a["overdue"])
        self.assertEqual(events(a, "overdue"), [{"deadline": "2026-11-26T18:00:00+03:00"}])
        m = d.mails()
        self.assertEqual(len(m), 3)
        self.assertEqual(m[2][0], "boss@portal.example")
        self.assertIn("Просрочено", m[2][1])

        # 8 working hours later (Fri 09:00 + 8 h = 17:00): one level up.
        self.assertEqual(d.tick("2026-11-27T16:59:00+03:00"), 0)
        self.assertEqual(d.tick("2026-11-27T17:00:00+03:00"), 1)
        self.assertEqual(d.tick("2026-12-31T12:00:00+03:00"), 0)
        m = d.mails()
        self.assertEqual(len(m), 4)
        self.assertEqual(m[3][0], "chief@portal.example")
        a = d.show(number)
        esc = events(a, "sla_escalated")
        self.assertEqual([e["level"] for e in esc], [1, 2])
        self.assertEqual([e["to"] for e in esc], [["boss@portal.example"], ["chief@portal.example"]])
        self.assertEqual(len(events(a, "reminder_sent")), 1)
        self.assertEqual(events(a, "reminder_sent")[0]["to"], ["ops@portal.example"])

    def test_escalation_goes_to_the_department_supervisors_then_the_parent(self):
        d = Desk(self)
        d.okno(MON_10, "department", "add", "--code", "root", "--name", "Управление")
        d.okno(MON_10, "department", "add", "--code", "passports", "--name", "Паспортный отдел",
               "--parent", "root")
        d.okno(MON_10, "route", "add", "--kind", "keyword", "--value", "загранпаспорт",
               "--department", "passports")
        for login, dept, mail in (("orlova", "passports", "orlova@portal.example"),
                                  ("zuev", "passports", "zuev@portal.example"),
                                  ("nomail", "passports", None),
                                  ("glava", "root", "glava@portal.example")):
            d.okno(MON_10, "user", "add", "--login", login, "--role", "supervisor",
                   "--department", dept, *(("--email", mail) if mail else ()))
        d.okno(MON_10, "user", "add", "--login", "ivanov", "--role", "operator",
               "--department", "passports", "--email", "ivanov@portal.example")
        d.okno(MON_10, "user", "disable", "--login", "zuev")
        number = d.submit(MON_10, message(subject="Загранпаспорт",
                                          body="Когда будет готов мой загранпаспорт?"))
        self.assertEqual(d.show(number)["department"], "passports")
        self.assertEqual(d.tick("2026-11-26T18:00:00+03:00"), 2)  # reminder + overdue
        self.assertEqual(d.mails()[-1][0], "orlova@portal.example")
        self.assertEqual(d.tick("2026-11-27T17:00:00+03:00"), 1)
        self.assertEqual(d.mails()[-1][0], "glava@portal.example")
        esc = events(d.show(number), "sla_escalated")
        self.assertEqual([(e["level"], e["to"], e["supervisors_of"]) for e in esc],
                         [(1, ["orlova@portal.example"], "passports"),
                          (2, ["glava@portal.example"], "root")])

    def test_escalation_falls_back_to_the_config_when_nobody(self):
        d = Desk(self)
        # A department with no parent whose only supervisor has no e-mail.
        d.okno(MON_10, "department", "add", "--code", "visas", "--name", "Визовый отдел")
        d.okno(MON_10, "route", "add", "--kind", "keyword", "--value", "виза",
               "--department", "visas")
        d.okno(MON_10, "user", "add", "--login", "nomail", "--role", "supervisor",
               "--department", "visas")
        triage = d.submit(MON_10, message())
        visas = d.submit(MON_10, message(subject="Виза", body="Нужна виза, подскажите сроки.",
                                         msgid="<s2@example.ru>", frm="Олег <oleg@example.ru>"))
        self.assertEqual(d.show(triage)["department"], "")
        self.assertEqual(d.show(visas)["department"], "visas")
        d.tick("2026-11-26T18:00:00+03:00")
        d.tick("2026-11-27T17:00:00+03:00")
        for number in (triage, visas):
            esc = events(d.show(number), "sla_escalated")
            self.assertEqual([(e["level"], e["to"], e["supervisors_of"]) for e in esc],
                             [(1, ["boss@portal.example"], "[sla] config"),
                              (2, ["chief@portal.example"], "[sla] config")])

    def test_department_override_recomputes_the_deadline_at_routing(self):
        d = Desk(self, sla={"department_overrides": "passports:complex=5 working days"})
        d.okno(MON_10, "department", "add", "--code", "passports", "--name", "Паспортный отдел")
        d.okno(MON_10, "route", "add", "--kind", "keyword", "--value", "загранпаспорт",
               "--department", "passports")
        routed = d.submit(MON_10, message(subject="Загранпаспорт",
                                          body="Когда будет готов мой загранпаспорт?"))
        triage = d.submit(MON_10, message(msgid="<s2@example.ru>", frm="Олег <oleg@example.ru>"))
        a = d.show(routed)
        self.assertEqual((a["department"], a["sla_class"]), ("passports", "complex"))
        # 5 working days from Mon 10:00 instead of 3: next Mon 18:00.
        self.assertEqual(a["deadline"], "2026-11-30T18:00:00+03:00")
        self.assertEqual(events(a, "deadline_set")[-1]["why"], "routed to passports")
        self.assertEqual(events(a, "deadline_set")[-1]["rule"],
                         "complex in passports: 5 working days")
        receipt = [m for m in d.mails() if m[0] == "ivan@example.ru"][0]
        self.assertIn("до 30 ноября 2026 г., 18:00 (МСК)", receipt[2])
        self.assertEqual(d.show(triage)["deadline"], "2026-11-26T18:00:00+03:00")
        self.assertNotIn("deadline_set", kinds(d.show(triage)))
        # A malformed override stops okno at load with one line naming the key.
        bad = Desk(self, sla={"department_overrides": "passports:complex"})
        r = bad.okno(MON_10, "scheduler", "run", "--now", MON_10, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("[sla] department_overrides: 'passports:complex'", r.stderr)

    def test_department_hours_recompute_the_deadline_at_routing(self):
        d = Desk(self, sla={"department_hours": "passports:08-17"})
        d.okno(MON_10, "department", "add", "--code", "passports", "--name", "Паспортный отдел")
        d.okno(MON_10, "route", "add", "--kind", "keyword", "--value", "загранпаспорт",
               "--department", "passports")
        routed = d.submit(MON_10, message(subject="Загранпаспорт",
                                          body="Когда будет готов мой загранпаспорт?"))
        triage = d.submit(MON_10, message(msgid="<s2@example.ru>", frm="Олег <oleg@example.ru>"))
        a = d.show(routed)
        self.assertEqual((a["department"], a["sla_class"]), ("passports", "complex"))
        # 3 working days from Mon 10:00 end at the department's close: Thu 17:00.
        self.assertEqual(a["deadline"], "2026-11-26T17:00:00+03:00")
        self.assertEqual(events(a, "deadline_set")[-1]["why"], "routed to passports")
        receipt = [m for m in d.mails() if m[0] == "ivan@example.ru"][0]
        self.assertIn("до 26 ноября 2026 г., 17:00 (МСК)", receipt[2])
        self.assertEqual(d.show(triage)["deadline"], "2026-11-26T18:00:00+03:00")
        # The reminder, 24 working hours before, on 08-17: Thu 9, Wed 9, Tue 6 -> Tue 11:00
        # (the triage appeal's, on 09-18, is Tue 12:00).
        self.assertEqual(d.tick("2026-11-24T11:00:00+03:00"), 1)
        self.assertEqual(len(events(d.show(routed), "reminder_sent")), 1)
        self.assertEqual(len(events(d.show(triage), "reminder_sent")), 0)
        bad = Desk(self, sla={"department_hours": "passports:17-08"})
        r = bad.okno(MON_10, "scheduler", "run", "--now", MON_10, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("[sla] department_hours: 'passports:17-08'", r.stderr)

    def test_serve_runs_the_scheduler(self):
        d = Desk(self)
        metrics_port = free_port()
        with open(d.o.config_path, "a", encoding="utf-8") as f:
            f.write("[metrics]\nlisten=127.0.0.1:%d\n" % metrics_port)
        number = d.submit(MON_10, message())
        # The daemon's clock stands after the reminder; its first pass comes at start.
        saved = os.environ.get("OKNO_FAKE_NOW")
        os.environ["OKNO_FAKE_NOW"] = "2026-11-24T12:30:00+03:00"
        try:
            d.o.start()
        finally:
            if saved is None:
                del os.environ["OKNO_FAKE_NOW"]
            else:
                os.environ["OKNO_FAKE_NOW"] = saved
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up and len(d.mails()) < 2:
            time.sleep(0.1)
        # the job ran late by the time between its due instant and the daemon's clock
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=20) as r:
            text = r.read().decode()
        lag = dict(re.findall(r'^okno_scheduler_lag_seconds_(count|sum)\{kind="reminder"\} (\S+)$',
                              text, re.M))
        self.assertEqual(float(lag.get("count", 0)), 1, text)
        self.assertGreater(float(lag["sum"]), 0)
        self.assertIn('okno_scheduler_jobs_total{kind="reminder",outcome="done"} 1', text)
        self.assertEqual(d.o.stop(), 0)
        m = d.mails()
        # (Seen once under a loaded full run: only the reminder; say what there was.)
        self.assertEqual([x[0] for x in m], ["ivan@example.ru", "ops@portal.example"],
                         "outbox %s, events %s, log:\n%s" % (sorted(os.listdir(d.outbox)),
                                                             kinds(d.show(number)), d.o.log()))
        self.assertEqual(len(events(d.show(number), "reminder_sent")), 1)
        # A later one-shot pass at the same instant finds the job done.
        self.assertEqual(d.tick("2026-11-24T12:30:00+03:00"), 0)

    def test_two_passes_at_once_send_one_mail(self):
        d = Desk(self)
        numbers = [d.submit(MON_10, message(msgid="<c%d@example.ru>" % i,
                                            frm="c%d@example.ru" % i)) for i in range(5)]
        env = dict(os.environ, OKNO_FAKE_NOW=MON_10)
        now = "2026-11-24T12:00:00+03:00"
        procs = [subprocess.Popen([OKNO, "scheduler", "run", "--config", d.o.config_path,
                                   "--now", now], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env, cwd=d.o.dir) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(sum(int(out) for out, _ in outs), 5)
        reminders = [m for m in d.mails() if m[0] == "ops@portal.example"]
        self.assertEqual(len(reminders), 5)
        for n in numbers:
            self.assertEqual(len(events(d.show(n), "reminder_sent")), 1)

    def test_assignee_gets_the_reminder_and_answer_stops_the_jobs(self):
        d = Desk(self)
        number = d.submit(MON_10, message())
        # The assignee is a staff account (okno user); the reminder goes to its e-mail.
        d.okno(MON_10, "user", "add", "--login", "petrova", "--role", "operator",
               "--email", "petrova@portal.example", "--name", "Петрова Анна")
        d.okno(MON_10, "user", "add", "--login", "audit", "--role", "auditor")
        users = {u["login"]: u["id"] for u in json.loads(d.okno(MON_10, "user", "list", "--json").stdout)}
        self.assertIsNone(d.show(number)["assignee"])
        for who, why in (("nobody", "no staff account"), ("audit", "cannot work on")):
            r = d.okno(MON_10, "appeal", "assign", number, who, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn(why, r.stderr)
        version = d.show(number)["version"]
        d.okno(MON_10, "appeal", "assign", number, "petrova", "--by", "boss@portal.example")
        a = d.show(number)
        self.assertEqual(a["assignee"], users["petrova"])
        self.assertEqual(a["version"], version + 1)
        self.assertEqual(events(a, "assigned")[-1],
                         {"assignee": "petrova", "user": str(users["petrova"]),
                          "by": "boss@portal.example"})
        self.assertEqual(d.tick("2026-11-24T12:00:00+03:00"), 1)
        self.assertEqual(d.mails()[-1][0], "petrova@portal.example")
        self.assertIn("Ответственный: Петрова Анна", d.mails()[-1][2])
        d.okno("2026-11-25T10:00:00+03:00", "appeal", "status", number, "in_progress")
        d.okno("2026-11-25T11:00:00+03:00", "appeal", "status", number, "answered",
               "--answer", "Статус заявления виден в разделе «Заявления» личного кабинета.")
        answer = d.mails()[-1]
        self.assertEqual(answer[0], "ivan@example.ru")
        self.assertIn("Ответ на обращение", answer[1])
        self.assertIn("разделе «Заявления»", answer[2])
        # Answered: no overdue, no escalation.
        self.assertEqual(d.tick("2026-12-30T12:00:00+03:00"), 0)
        a = d.show(number)
        self.assertFalse(a["overdue"])
        self.assertNotIn("sla_escalated", kinds(a))
        self.assertEqual([e["to"] for e in events(a, "status_changed")], ["in_progress", "answered"])
        self.assertEqual([e["type"] for e in events(a, "notified")], ["status_changed", "answer"])
        # The machine refuses what makes no sense, with one line.
        r = d.okno("2026-11-25T12:00:00+03:00", "appeal", "status", number, "new", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertIn("перевести его в статус «Новое» нельзя", r.stderr)
        r = d.okno("2026-11-25T12:00:00+03:00", "appeal", "status", "26-999999-0", "closed", ok=False)
        self.assertEqual(r.returncode, 1)

    def test_reminder_of_a_disabled_or_unassigned_appeal_goes_to_the_operators(self):
        d = Desk(self)
        first = d.submit(MON_10, message())
        second = d.submit(MON_10, message(msgid="<s2@example.ru>", frm="Олег <oleg@example.ru>"))
        self.assertNotEqual(first, second)
        d.okno(MON_10, "user", "add", "--login", "sidorov", "--role", "operator",
               "--email", "sidorov@portal.example")
        for number in (first, second):
            d.okno(MON_10, "appeal", "assign", number, "sidorov")
        d.okno(MON_10, "appeal", "assign", second, "")  # unassigned again
        self.assertIsNone(d.show(second)["assignee"])
        self.assertEqual(events(d.show(second), "assigned")[-1], {"assignee": "", "by": "operator"})
        d.okno(MON_10, "user", "disable", "--login", "sidorov")
        self.assertEqual(d.tick("2026-11-24T12:00:00+03:00"), 2)
        self.assertEqual([m[0] for m in d.mails()[-2:]], ["ops@portal.example"] * 2)
        # A disabled account is refused as a new assignee.
        r = d.okno(MON_10, "appeal", "assign", second, "sidorov", ok=False)
        self.assertIn("disabled", r.stderr)

    def test_urgent_confirmed_and_extension_reschedule(self):
        d = Desk(self)
        number = d.submit(MON_10, message(subject="Срочно: аккаунт заблокирован"))
        a = d.show(number)
        self.assertEqual((a["sla_class"], a["priority"], a["priority_confirmed"]),
                         ("urgent", "urgent", False))
        self.assertEqual(a["deadline"], "2026-11-23T22:00:00+03:00")  # 12 h around the clock
        d.okno("2026-11-23T11:00:00+03:00", "appeal", "confirm-urgent", number, "--by", "boss@portal.example")
        a = d.show(number)
        self.assertTrue(a["priority_confirmed"])
        self.assertEqual(a["deadline"], "2026-11-23T15:00:00+03:00")  # 4 h from confirmation
        # The old deadline's jobs are gone: nothing happens at 22:00 beyond the new ones.
        self.assertEqual(d.tick("2026-11-23T15:00:00+03:00"), 2)  # reminder (13:00) + overdue
        self.assertTrue(d.show(number)["overdue"])
        # A supervisor extends it with a reason; the citizen is told; new jobs.
        d.okno("2026-11-23T16:00:00+03:00", "appeal", "extend", number, "--period", "1 working day",
               "--reason", "нужен ответ смежного ведомства")
        a = d.show(number)
        self.assertFalse(a["overdue"])
        # 1 working day from the old deadline (Monday 15:00): the close of Tuesday.
        self.assertEqual(a["deadline"], "2026-11-24T18:00:00+03:00")
        self.assertEqual(events(a, "deadline_extended")[0]["reason"], "нужен ответ смежного ведомства")
        told = d.mails()[-1]
        self.assertEqual(told[0], "ivan@example.ru")
        self.assertIn("продлён до 24 ноября 2026 г., 18:00 (МСК)", told[2])
        self.assertIn("нужен ответ смежного ведомства", told[2])
        # The old deadline's second escalation (Tuesday 14:00) was cancelled; the new
        # deadline brings its own reminder (halfway: Tuesday 05:00) and overdue mark.
        self.assertEqual(d.tick("2026-11-24T17:59:00+03:00"), 1)
        self.assertEqual(d.tick("2026-11-24T18:00:00+03:00"), 1)
        self.assertNotIn(2, [e.get("level") for e in events(d.show(number), "sla_escalated")])
        self.assertEqual(len(events(d.show(number), "overdue")), 2)

    def test_notifications_and_staff_mail_are_dkim_signed(self):
        d = Desk(self, dkim=True)
        number = d.submit(MON_10, message())
        d.okno(MON_10, "appeal", "status", number, "in_progress")
        self.assertEqual(d.tick("2026-11-24T12:00:00+03:00"), 1)
        msgs = d.messages()
        self.assertEqual(len(msgs), 3)  # receipt, status notice, reminder
        for m in msgs:
            self.assertIn("s=s1", m["DKIM-Signature"])
        self.assertEqual(msgs[1]["Auto-Submitted"], "auto-generated")
        self.assertNotIn("dkim_failed", kinds(d.show(number)))

    def test_notification_settings_are_honoured(self):
        d = Desk(self)
        number = d.submit(MON_10, message())
        r = d.okno(MON_10, "notifications", "--email", "IVAN@example.ru", "status_changed=off")
        self.assertIn("status_changed=off", r.stdout)
        self.assertIn("clarification=on", r.stdout)
        before = len(d.mails())
        d.okno(MON_10, "appeal", "status", number, "in_progress")
        self.assertEqual(len(d.mails()), before)
        a = d.show(number)
        self.assertEqual(events(a, "notification_suppressed"),
                         [{"type": "status_changed", "reason": "turned off by the citizen"}])
        d.okno(MON_10, "appeal", "status", number, "needs_clarification", "--reason",
               "укажите, пожалуйста, номер заявления")
        m = d.mails()[-1]
        self.assertEqual(m[0], "ivan@example.ru")
        self.assertIn("требуется уточнение", m[1])
        self.assertIn("номер заявления", m[2])
        a = d.show(number)
        self.assertIsNone(a["deadline"])  # the clock stopped
        self.assertIn("clock_paused", kinds(a))
        self.assertEqual(d.tick("2026-12-30T12:00:00+03:00"), 0)
        r = d.okno(MON_10, "notifications", "--email", "ivan@example.ru", "bogus=off", ok=False)
        self.assertEqual(r.returncode, 1)
        # Registration notices off: the next appeal gets no receipt.
        d.okno(MON_10, "notifications", "--email", "ivan@example.ru", "registered=off")
        before = len(d.mails())
        n2 = d.submit(MON_10, message(msgid="<s2@example.ru>", subject="Другой вопрос",
                                      body="Как сменить номер телефона в профиле?"))
        self.assertEqual(len(d.mails()), before)
        self.assertIn("autoreply_suppressed", kinds(d.show(n2)))


class FormalAppeals(unittest.TestCase):
    def test_formal_lifecycle_with_one_extension(self):
        d = Desk(self)
        number = d.submit("2026-04-09T15:00:00+03:00", message(), "--kind", "formal")
        a = d.show(number)
        self.assertEqual((a["kind"], a["sla_class"]), ("formal", "formal"))
        # 30 calendar days: 9 May, a Saturday and holiday; 10 May Sunday; 11 May off.
        self.assertEqual(a["deadline"], "2026-05-12T18:00:00+03:00")
        # Forwarding within 7 days: 16 April, a Thursday.
        self.assertEqual(a["forward_deadline"], "2026-04-16T18:00:00+03:00")
        receipt = d.mails()[0][2]
        self.assertIn("59-ФЗ", receipt)
        self.assertNotIn("запрос в службу поддержки", receipt)

        now = "2026-05-06T12:00:00+03:00"
        r = d.okno(now, "appeal", "extend", number, "--period", "31 calendar days", "--reason", "x", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("at most 30 calendar days", r.stderr)
        r = d.okno(now, "appeal", "extend", number, "--period", "10 calendar days", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--reason", r.stderr)
        d.okno(now, "appeal", "extend", number, "--period", "30 calendar days",
               "--reason", "запрошены документы в другом органе")
        a = d.show(number)
        # 12 May + 30 days = Thursday 11 June, the eve of a holiday: shortened, 17:00.
        self.assertEqual(a["deadline"], "2026-06-11T17:00:00+03:00")
        self.assertEqual(a["extensions"], 1)
        told = d.mails()[-1]
        self.assertIn("продлён", told[2])
        self.assertIn("запрошены документы в другом органе", told[2])
        r = d.okno(now, "appeal", "extend", number, "--period", "5 calendar days", "--reason", "ещё", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already extended once", r.stderr)
        d.okno(now, "appeal", "status", number, "in_progress")
        d.okno(now, "appeal", "status", number, "answered", "--answer", "Ответ по существу.")
        d.okno(now, "appeal", "status", number, "closed")
        self.assertEqual(d.show(number)["status"], "closed")

    def test_forwarded_to_the_competent_body(self):
        d = Desk(self)
        number = d.submit(MON_10, message(), "--kind", "formal")
        # 7 calendar days after Monday 23 November: Monday 30 November.
        self.assertEqual(d.show(number)["forward_deadline"], "2026-11-30T18:00:00+03:00")
        # The operation may come after the options, as any option order works.
        r = subprocess.run([OKNO, "appeal", "--config", d.o.config_path, "forward", number,
                            "Социальный фонд России", "--by", "ivanova@portal.example"],
                           capture_output=True, text=True, cwd=d.o.dir,
                           env=dict(os.environ, OKNO_FAKE_NOW="2026-11-25T12:00:00+03:00"))
        self.assertEqual(r.returncode, 0, r.stderr)
        a = d.show(number)
        self.assertEqual(a["status"], "closed")
        self.assertEqual(events(a, "forwarded"), [{"to": "Социальный фонд России", "from": "new",
                                                   "in_time": "yes", "by": "ivanova@portal.example"}])
        told = d.mails()[-1]
        self.assertEqual(told[0], "ivan@example.ru")
        self.assertIn("направлено по компетенции", told[1])
        self.assertIn("Социальный фонд России", told[2])
        self.assertEqual(d.tick("2026-12-30T12:00:00+03:00"), 0)
        r = d.okno(MON_10, "appeal", "forward", number, "Кто-то ещё", ok=False)
        self.assertEqual(r.returncode, 1)

    def test_art11_grounds(self):
        d = Desk(self)
        formal = d.submit(MON_10, message(), "--kind", "formal")
        support = d.submit(MON_10, message(msgid="<s9@example.ru>", frm="anna@example.ru"))
        r = d.okno(MON_10, "appeal", "leave-unanswered", support, "obscene", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("support request", r.stderr)
        r = d.okno(MON_10, "appeal", "leave-unanswered", formal, "boring", ok=False)
        self.assertEqual(r.returncode, 1)
        d.okno(MON_10, "appeal", "leave-unanswered", formal, "obscene")
        a = d.show(formal)
        self.assertEqual(a["status"], "closed")
        self.assertEqual(events(a, "left_unanswered")[0]["ground"], "obscene")
        told = d.mails()[-1]
        self.assertEqual(told[0], "ivan@example.ru")
        self.assertIn("статьи 11", told[2])
        # Only the support request's jobs run (reminder, overdue, escalation).
        self.assertEqual(d.tick("2026-12-30T12:00:00+03:00"), 3)
        self.assertNotIn("sla_escalated", kinds(d.show(formal)))

    def test_repeated_appeal_reopens_one_closed_without_answer(self):
        d = Desk(self)
        first = d.submit(MON_10, message())
        d.okno(MON_10, "appeal", "status", first, "closed", "--reason", "не удалось связаться")
        second = d.submit("2026-11-30T10:00:00+03:00",
                          message(subject="Повторное обращение по № %s" % first, msgid="<s3@example.ru>",
                                  body="Ответа так и не получил, прошу рассмотреть."))
        self.assertNotEqual(first, second)
        b = d.show(second)
        self.assertEqual(b["related"], first)
        a = d.show(first)
        self.assertEqual(a["status"], "in_progress")
        self.assertIn("reopened", kinds(a))
        self.assertEqual(a["deadline"], "2026-12-03T18:00:00+03:00")
        # One closed with an answer stays closed, only linked.
        d.okno(MON_10, "appeal", "status", first, "answered", "--answer", "Ответ.")
        d.okno(MON_10, "appeal", "status", first, "closed")
        third = d.submit("2026-12-01T10:00:00+03:00",
                         message(subject="Повторное обращение", msgid="<s4@example.ru>",
                                 body="Повторное обращение, см. № %s, вопрос тот же." % first))
        self.assertEqual(d.show(third)["related"], first)
        self.assertEqual(d.show(first)["status"], "closed")


if __name__ == "__main__":
    unittest.main()
