"""test_stats_rollup: the dashboard's figures read from the rollup (stats_daily, kept by
triggers on appeals, migration 25) equal the figures counted from the appeal rows
themselves (`okno report --exact`, the computation the dashboard used before the
rollup), after a random mix of changes (issue 20, item 4).

One daemon serves the class. A seeded random sequence (the seed is printed; set
OKNO_ROLLUP_SEED to replay one) registers appeals by mail (support and formal, routed to
two departments by keyword), answers, closes, reopens, transfers (the console's bulk
transfer, as an administrator), sends for clarification and takes back, assigns,
forwards and leaves formal ones unanswered, extends, and rates answers in the citizen's
cabinet; the scheduler's clock is moved on once so some appeals are flagged overdue.
Then `okno report --json --dashboard` (rollup) and the same with --exact (rows) must
print the same object for several filters and at two "now"s (today, and 75 days on,
when open appeals are past their deadline without the scheduler having flagged them),
and GET /api/v1/stats?dashboard=1 must print the same object as the command. On SQLite
the test also damages one rollup row and sees the comparison fail, so it can fail.
Runs on SQLite and, as it_stats_rollup_pg, on PostgreSQL.
"""
import datetime
import json
import os
import random
import sqlite3
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
import test_cabinet  # noqa: E402
from test_console import PASSWORD, letter  # noqa: E402
from test_users import totp  # noqa: E402

MSK = datetime.timezone(datetime.timedelta(hours=3))


class StatsRollup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t = cls.t = ClassScope(cls)
        cls.okno = Okno(t)
        cls.okno.write_config({"http": {"requests_per_minute": "100000", "forms_per_hour": "1000000"},
                               "formal": {"themes": "0002.0007.0074.0534:Пенсии"}})
        for code, name in (("passports", "Паспортный отдел"), ("social", "Социальный отдел")):
            cls.cli("department", "add", "--code", code, "--name", name)
        cls.cli("route", "add", "--kind", "keyword", "--value", "паспорт", "--department", "passports")
        cls.cli("route", "add", "--kind", "keyword", "--value", "пособие", "--department", "social")
        cls.users = {}
        for login, role in (("opa", "operator"), ("adm", "administrator")):
            args = ["user", "add", "--login", login, "--role", role, "--json",
                    "--email", login + "@portal.example"]
            if role == "operator":
                args += ["--department", "passports"]
            cls.users[login] = json.loads(cls.cli(*args))
            cls.cli("user", "password", "--login", login, input=PASSWORD + "\n")
        cls.okno.start()
        cls.adm = cls.sign_in("adm")
        cls.seed = int(os.environ.get("OKNO_ROLLUP_SEED") or random.randrange(1 << 30))
        print("test_stats_rollup: seed %d" % cls.seed, file=sys.stderr)
        cls.changes = cls.mix(random.Random(cls.seed))

    @classmethod
    def cli(cls, *args, input=None, env=None):
        if env is None:
            p = cls.okno.run(*args, input=input)
        else:
            import subprocess
            from okno_it import OKNO_BIN
            p = subprocess.run([OKNO_BIN, args[0], "--config", cls.okno.config_path, *args[1:]],
                               capture_output=True, text=True, env=dict(os.environ, **env),
                               cwd=cls.okno.dir)
        if p.returncode != 0:
            raise AssertionError(" ".join(args) + ": " + p.stdout + p.stderr)
        return p.stdout

    @classmethod
    def sign_in(cls, login):
        c = HttpClient(cls.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(cls.users[login]["totp_uri"])})
        if r.status != 303:
            raise AssertionError("sign-in: %d %s" % (r.status, r.text[:500]))
        return c

    @classmethod
    def mix(cls, rnd):
        """The random sequence of changes; returns how many of each were made."""
        done = {}
        status = {}   # number -> status as the test moved it
        citizen = {}  # number -> i of its sender citizen<i>@mail.example
        formal = set()
        rated = set()
        extended = set()
        n = 0

        def note(what):
            done[what] = done.get(what, 0) + 1

        def register():
            nonlocal n
            n += 1
            topic = rnd.choice(["паспорт", "пособие", "справка"])
            kind = ["--kind", "formal"] if rnd.random() < 0.25 else []
            path = os.path.join(cls.okno.dir, "r%d.eml" % n)
            with open(path, "wb") as f:
                f.write(letter("Вопрос %d: %s" % (n, topic), "Вопрос про %s, номер %d." % (topic, n),
                               sender="citizen%d@mail.example" % n, name="Житель %d" % n,
                               msgid="<rollup-%d@mail.example>" % n))
            number = cls.cli("submit", *kind, path).strip()
            status[number] = "new"
            citizen[number] = n
            if kind:
                formal.add(number)
            note("registration")

        def pick(*states):
            c = [k for k, s in status.items() if s in states]
            return rnd.choice(c) if c else None

        def move(number, to, *extra):
            cls.cli("appeal", "status", *extra, number, to)
            status[number] = to

        for _ in range(6):
            register()
        for step in range(50):
            op = rnd.choice(["register", "answer", "close", "reopen", "transfer", "clarify",
                             "unclarify", "assign", "formal", "extend", "rate", "answer"])
            if op == "register":
                register()
            elif op == "answer" and (a := pick("new", "in_progress")):
                move(a, "answered", "--answer", "Ответ на ваш вопрос.")
                note("answer")
            elif op == "close" and (a := pick("answered", "new", "in_progress")):
                move(a, "closed")
                note("close")
            elif op == "reopen" and (a := pick("answered", "closed")):
                move(a, "in_progress")
                note("reopen")
            elif op == "transfer" and (a := pick("new", "in_progress", "needs_clarification")):
                token = cls.adm.csrf("/console?view=all")
                r = cls.adm.post("/console/bulk", {"csrf": token, "action": "transfer",
                                                   "sel:" + a: "1",
                                                   "department": rnd.choice(["passports", "social"]),
                                                   "reason": "По теме другого отдела"})
                if r.status != 200:
                    raise AssertionError("transfer: %d %s" % (r.status, r.text[:800]))
                note("transfer")
            elif op == "clarify" and (a := pick("new", "in_progress")):
                move(a, "needs_clarification", "--reason", "Уточните, пожалуйста, адрес.")
                note("clarification")
            elif op == "unclarify" and (a := pick("needs_clarification")):
                move(a, "in_progress")
                note("clarification answered")
            elif op == "assign" and (a := pick("new", "in_progress")):
                # opa works in passports only: an appeal elsewhere goes to adm
                if cls.okno.run("appeal", "assign", a, "opa").returncode != 0:
                    cls.cli("appeal", "assign", a, "adm")
                note("assign")
            elif op == "formal":
                c = [k for k in formal if status[k] in ("new", "in_progress")]
                if c:
                    a = rnd.choice(c)
                    if rnd.random() < 0.5:
                        cls.cli("appeal", "forward", a, "Социальный фонд России")
                        note("forward")
                    else:
                        cls.cli("appeal", "leave-unanswered", a, "obscene")
                        note("left unanswered")
                    status[a] = json.loads(cls.cli("show", "--json", a))["status"]
                    cls.cli("appeal", "theme", a, "0002.0007.0074.0534")
            elif op == "extend":
                c = [k for k in formal if status[k] in ("new", "in_progress") and k not in extended]
                if c:
                    a = rnd.choice(c)
                    cls.cli("appeal", "extend", "--period", "30 calendar days",
                            "--reason", "Нужен запрос в другой орган.", a)
                    extended.add(a)
                    note("extend")
            elif op == "rate":
                # at most 6: the cabinet sends a sign-in code to one address 10 times at a burst
                c = [k for k, s in status.items() if s == "answered" and k not in rated]
                if c and len(rated) < 6:
                    a = rnd.choice(c)
                    i = citizen[a]
                    cab = test_cabinet.Cabinet()
                    cab.okno = cls.okno
                    w = cab.sign_in("citizen%d@mail.example" % i)
                    token = w.csrf("/cabinet")
                    r = w.post("/cabinet/appeals/%s/rating" % a,
                               {"csrf": token, "score": str(rnd.randint(1, 5)),
                                "comment": rnd.choice(["", "Спасибо"])})
                    if r.status not in (200, 303):
                        raise AssertionError("rating: %d %s" % (r.status, r.text[:1000]))
                    rated.add(a)
                    note("rating")
            if step == 30:  # the scheduler's clock moved on: open ones become overdue
                later = (datetime.datetime.now(MSK) + datetime.timedelta(days=75)).isoformat(
                    timespec="seconds")
                cls.cli("scheduler", "run", "--now", later, env={"OKNO_FAKE_NOW": later})
        return done

    def period(self):
        today = datetime.datetime.now(MSK).date()
        return ((today - datetime.timedelta(days=1)).isoformat(),
                (today + datetime.timedelta(days=1)).isoformat())

    def report(self, *extra, env=None):
        frm, to = self.period()
        return json.loads(self.cli("report", "--from", frm, "--to", to, "--json", "--dashboard",
                                   *extra, env=env))

    # each filter at today's "now"; the first two also 75 days on
    FILTERS = [(), ("--department", "passports"), ("--department", ""), ("--channel", "email"),
               ("--kind", "formal"), ("--sla-class", "formal")]

    def test_rollup_equals_rows_for_every_figure(self):
        print("test_stats_rollup: changes %s" % json.dumps(self.changes, ensure_ascii=False),
              file=sys.stderr)
        for what in ("registration", "answer", "transfer"):
            self.assertGreater(self.changes.get(what, 0), 0, what)
        later = (datetime.datetime.now(MSK) + datetime.timedelta(days=75)).isoformat(
            timespec="seconds")
        for env, filters in ((self.pinned_now(), self.FILTERS),
                             ({"OKNO_FAKE_NOW": later}, self.FILTERS[:2])):
            for f in filters:
                rolled, exact = self.report(*f, env=env), self.report("--exact", *f, env=env)
                self.same_times(rolled, exact, "filter %s" % (f,))
                self.assertEqual(rolled, exact, "filter %s, now %s" % (f, env))
        whole = self.report()
        self.assertGreater(whole["received"], 5)
        self.assertEqual(whole["received"], sum(whole["by_department"].values()))
        self.assertEqual(len(whole["dashboard"]["series"]), 3)
        d = whole["dashboard"]
        self.assertGreater(d["first_answer"]["n"], 0)
        self.assertEqual(d["rated"], self.changes.get("rating", 0))
        self.assertEqual(d["reopened"] > 0, self.changes.get("reopen", 0) > 0)

    @staticmethod
    def pinned_now():
        """One "now" for both reports of a comparison: a clarification still awaited counts
        its wait up to now in working hours, so two reports a moment apart in working
        hours differ by that moment."""
        return {"OKNO_FAKE_NOW": (datetime.datetime.now(MSK) + datetime.timedelta(minutes=2))
                .isoformat(timespec="seconds")}

    def same_waits(self, served, printed, elapsed_s, what):
        """The API's figures against the command's, taken elapsed_s seconds apart (the
        daemon's clock cannot be pinned): each clarification wait differs by at most that
        time, in hours. Removes them from both."""
        for d in (served, printed):
            d.setdefault("dashboard", {})
        r = served["dashboard"].pop("clarification_wait", None)
        e = printed["dashboard"].pop("clarification_wait", None)
        self.assertEqual(r is None, e is None, what)
        if r is None:
            return
        self.assertEqual(r["n"], e["n"], what)
        for m in ("median_h", "p90_h"):
            self.assertLessEqual(abs(r[m] - e[m]), elapsed_s / 3600 + 1e-9, (what, m, r, e))
        for d in (served, printed):
            if not d["dashboard"]:
                del d["dashboard"]

    def same_times(self, rolled, exact, what):
        """The durations read from the histograms (rollup.h): the same count, and each
        median and p90 the upper edge of the bucket holding the value read from the
        rows (half an hour wide up to 40 h, 4 h up to 400 h). Removes them from both."""
        for k in ("first_answer", "closing"):
            r, e = rolled["dashboard"].pop(k), exact["dashboard"].pop(k)
            self.assertEqual(r["n"], e["n"], (what, k))
            for m in ("median_h", "p90_h"):
                width = 0.5 if r[m] <= 40 else 4
                if r["n"] == 0:
                    self.assertEqual((r[m], e[m]), (0, 0), (what, k, m))
                elif r[m] == 400 and e[m] >= 400:
                    continue
                else:
                    self.assertTrue(r[m] - width <= e[m] < r[m], (what, k, m, r[m], e[m]))

    def test_api_twin_prints_what_the_command_prints(self):
        frm, to = self.period()
        for f, q in ((("--json", "--dashboard"), {"dashboard": "1"}),
                     (("--json",), {}),
                     (("--json", "--department", "social"), {"department": "social"})):
            t0 = time.monotonic()
            want = json.loads(self.cli("report", "--from", frm, "--to", to, *f))
            query = urllib.parse.urlencode(dict({"from": frm, "to": to}, **q))
            r = self.adm.get("/api/v1/stats?" + query)
            self.assertEqual(r.status, 200, r.text[:500])
            got = json.loads(r.text)
            self.same_waits(got, want, time.monotonic() - t0, q)
            self.assertEqual(got, want, q)
        r = self.adm.get("/api/v1/stats?from=2026-13-01&to=" + to)
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertIn("from", json.loads(r.text)["errors"])
        r = self.sign_in("opa").get("/api/v1/stats?from=%s&to=%s" % (frm, to))
        self.assertEqual(r.status, 403, r.text[:500])

    def test_damaged_rollup_is_seen(self):
        path = os.path.join(self.okno.dir, "okno.db")
        if os.environ.get("OKNO_IT_STORE") == "pg" or not os.path.exists(path):
            self.skipTest("the damage is made with sqlite3 on the SQLite store")
        db = sqlite3.connect(path, timeout=30)
        with db:
            db.execute("UPDATE stats_daily SET received = received + 1 WHERE rowid ="
                       " (SELECT min(rowid) FROM stats_daily WHERE received > 0)")
        try:
            self.assertNotEqual(self.report()["received"], self.report("--exact")["received"])
        finally:
            with db:
                db.execute("UPDATE stats_daily SET received = received - 1 WHERE rowid ="
                           " (SELECT min(rowid) FROM stats_daily WHERE received > 0)")
            db.close()
        env = self.pinned_now()
        rolled, exact = self.report(env=env), self.report("--exact", env=env)
        self.same_times(rolled, exact, "after repair")
        self.assertEqual(rolled, exact)


if __name__ == "__main__":
    unittest.main()
