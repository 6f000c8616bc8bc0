"""test_stats: the dashboard /console/stats, its CSV and XLSX downloads and `okno report
--json` agree with counts the test works out itself (issue 20).

One daemon serves the class. A known mix is loaded: e-mail appeals with `okno submit`
(support and one formal), web appeals through the real feedback form (their category
chosen there), routed to two departments by keyword; some are answered through the
command line, the scheduler's clock is moved past every deadline (`okno scheduler run
--now`, as test_scheduler does) so the open ones become overdue, one more is answered
late, one is sent for clarification, one is assigned; citizens rate three answers in the
cabinet. The expected figures are counted from what the test did (and checked against
each appeal's `okno show --json`); the page's tables (parsed with html.parser), the CSV
(csv module), the XLSX (openpyxl) and `okno report --json` must all equal them. Roles:
an operator gets 403 and no link, a supervisor sees only their department and is told
so when asking for another, the auditor sees all. A supervisor sets a formal appeal's
classifier code on its page (a code not in the list: a message next to the field). Runs
on SQLite and, as
it_stats_pg, on PostgreSQL.
"""
import csv
import datetime
import html.parser
import io
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
# modules, not their classes: unittest would run the imported test classes too
import test_cabinet  # noqa: E402
import test_feedback  # noqa: E402
from test_console import PASSWORD, letter  # noqa: E402
from test_users import totp  # noqa: E402

try:
    import openpyxl
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import openpyxl

MSK = datetime.timezone(datetime.timedelta(hours=3))


class Tables(html.parser.HTMLParser):
    """Every <table id="table-ID"> of a page as {ID: [[cell text, ...], ...]} (header
    row included), and whether each table follows an <svg role="img"> with a <title>."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.charts, self.cur, self.row, self.cell = {}, [], None, None, None
        self.svg_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("role") == "img":
            self.charts.append({"title": "", "labelledby": a.get("aria-labelledby", "")})
        elif tag == "title" and self.charts and not self.charts[-1]["title"]:
            self.svg_title = True
        elif tag == "table" and (a.get("id") or "").startswith("table-"):
            self.cur = a["id"][6:]
            self.tables[self.cur] = []
        elif tag == "tr" and self.cur:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_data(self, data):
        if self.svg_title:
            self.charts[-1]["title"] += data
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "title":
            self.svg_title = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.cur].append(self.row)
            self.row = None
        elif tag == "table":
            self.cur = None


def number(text):
    return float(text.replace(",", ".")) if "," in text or "." in text else int(text)


class Stats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t = cls.t = ClassScope(cls)
        cls.okno = Okno(t)
        # the weekly mail's day: three days from now (the daemon's own scheduler, on
        # today's clock, never sends it; the test runs the scheduler on that day)
        cls.mail_day = datetime.datetime.now(MSK) + datetime.timedelta(days=3)
        cls.okno.write_config({"http": {"captcha_bits": "12", "forms_per_hour": "1000000",
                                        "requests_per_minute": "100000"},
                               "stats": {"weekly_day": cls.mail_day.strftime("%A").lower()},
                               "formal": {"themes": "0002.0007.0074.0534:Пенсии; "
                                                    "0001.0001.0001.0001:Конституционный строй"}})
        for code, name in (("passports", "Паспортный отдел"), ("social", "Социальный отдел")):
            cls.cli("department", "add", "--code", code, "--name", name)
        cls.cli("route", "add", "--kind", "keyword", "--value", "паспорт", "--department", "passports")
        cls.cli("route", "add", "--kind", "keyword", "--value", "пособие", "--department", "social")
        cls.users = {}
        for login, role, dept in (("opa", "operator", "passports"), ("supa", "supervisor", "passports"),
                                  ("aud", "auditor", None)):
            args = ["user", "add", "--login", login, "--role", role, "--json",
                    "--email", login + "@portal.example"]
            if dept:
                args += ["--department", dept]
            cls.users[login] = json.loads(cls.cli(*args))
            cls.cli("user", "password", "--login", login, input=PASSWORD + "\n")
        cls.okno.start()
        cls.load()

    @classmethod
    def cli(cls, *args, input=None, env=None):
        p = cls.okno.run(*args, input=input) if env is None else cls.run_env(env, *args)
        if p.returncode != 0:
            raise AssertionError(" ".join(args) + ": " + p.stdout + p.stderr)
        return p.stdout

    @classmethod
    def run_env(cls, env, *args):
        import subprocess
        from okno_it import OKNO_BIN
        return subprocess.run([OKNO_BIN, args[0], "--config", cls.okno.config_path, *args[1:]],
                              capture_output=True, text=True, env=dict(os.environ, **env),
                              cwd=cls.okno.dir)

    @classmethod
    def submit(cls, i, subject, body, *extra):
        path = os.path.join(cls.okno.dir, "m%d.eml" % i)
        with open(path, "wb") as f:
            f.write(letter(subject, body, sender="citizen%d@mail.example" % i,
                           name="Житель %d" % i, msgid="<stats-%d@mail.example>" % i))
        return cls.cli("submit", *extra, path).strip()

    @classmethod
    def feedback(cls, email, category, description):
        c = HttpClient(cls.okno.base_url)
        form = test_feedback.Form(c)
        r = c.post("/feedback", form.fields("pow", email=email, category=category,
                                            description=description))
        m = re.search(r'id="appeal-number">(\d\d-\d{6,}-\d)<', r.text)
        if r.status != 200 or not m:
            raise AssertionError("feedback: %d %s" % (r.status, r.text[:2000]))
        return m.group(1)

    @classmethod
    def load(cls):
        a = cls.a = {}
        for i in range(1, 5):
            a["e%d" % i] = cls.submit(i, "Замена паспорта %d" % i, "Вопрос о замене паспорта.")
        a["e5"] = cls.submit(5, "Пособие", "Когда придёт пособие?")
        a["e6"] = cls.submit(6, "Пособие 2", "Не пришло пособие за месяц.")
        a["e7"] = cls.submit(7, "Жалоба про паспорт", "Формальное обращение о паспорте.",
                             "--kind", "formal")
        a["w1"] = cls.feedback("web1@example.ru", "documents",
                               "Прошу разъяснить порядок замены паспорта при смене фамилии: какие документы "
                               "нужны и сколько времени займёт оформление.")
        a["w2"] = cls.feedback("web2@example.ru", "payments",
                               "Не могу оплатить госпошлину на портале, а пособие на ребёнка не пришло уже "
                               "месяц; подскажите, куда обратиться.")
        a["e8"] = cls.submit(8, "Паспорт: вопрос не к нам", "Формальное обращение о паспорте.",
                             "--kind", "formal")
        a["e9"] = cls.submit(9, "Паспорт", "Формальное обращение о паспорте, грубое.",
                             "--kind", "formal")
        cls.cli("appeal", "forward", a["e8"], "Социальный фонд России")
        cls.cli("appeal", "leave-unanswered", a["e9"], "obscene")
        cls.cli("appeal", "theme", a["e7"], "0002.0007.0074.0534")
        cls.cli("appeal", "theme", a["e8"], "0001.0001.0001.0001")
        answer = ("appeal", "status", "--answer", "Ответ на ваш вопрос.")
        for k in ("e1", "e2", "w1"):
            cls.cli(*answer, a[k], "answered")
        cls.cli("appeal", "assign", a["e1"], "opa")
        later = (datetime.datetime.now(MSK) + datetime.timedelta(days=75)).isoformat(timespec="seconds")
        cls.cli("scheduler", "run", "--now", later, env={"OKNO_FAKE_NOW": later})
        cls.cli(*answer, a["e3"], "answered")
        cls.cli("appeal", "status", "--reason", "Уточните, пожалуйста, серию паспорта.",
                a["e4"], "needs_clarification")
        cab = cls.cab = test_cabinet.Cabinet()
        cab.okno = cls.okno
        for k, addr, score, comment in (("e1", "citizen1@mail.example", "5", "Спасибо, быстро"),
                                        ("e2", "citizen2@mail.example", "4", ""),
                                        ("w1", "web1@example.ru", "2", "Ответ неполный, «увы»")):
            c = cab.sign_in(addr)
            token = c.csrf("/cabinet")
            r = c.post("/cabinet/appeals/%s/rating" % a[k], {"csrf": token, "score": score,
                                                             "comment": comment})
            if r.status not in (200, 303):
                raise AssertionError("rating: %d %s" % (r.status, r.text[:1000]))
        cls.shown = {k: json.loads(cls.cli("show", "--json", n)) for k, n in a.items()}

    # ---- the figures the test knows ----

    def expected(self, dept=None):
        keys = [k for k, s in self.shown.items() if dept is None or s["department"] == dept]
        answered = {"e1", "e2", "w1", "e3"} & set(keys)
        overdue = {"e3", "e4", "e5", "e6", "e7", "w2"} & set(keys)
        for k in keys:  # the records agree with what the test did
            self.assertEqual(self.shown[k]["overdue"], k in overdue, k)
        by = lambda f: {v: sum(1 for k in keys if f(k) == v) for v in {f(k) for k in keys}}
        cat = {"w1": "documents", "w2": "payments"}
        return {
            "received": len(keys), "answered": len(answered),
            "on_time": len(answered - overdue), "overdue": len(overdue),
            "open": len(set(keys) - answered - {"e8", "e9"}),
            "by_channel": by(lambda k: "web" if k[0] == "w" else "email"),
            "by_category": by(lambda k: cat.get(k, "")),
            "by_department": by(lambda k: self.shown[k]["department"]),
        }

    def period(self):
        today = datetime.datetime.now(MSK).date()
        return ((today - datetime.timedelta(days=1)).isoformat(),
                (today + datetime.timedelta(days=1)).isoformat())

    clients = {}

    def staff(self, login):
        """A signed-in console client, one per login for the class (a TOTP code is
        accepted once, so a second sign-in within the same 30 s would be refused)."""
        if login in self.clients:
            return self.clients[login]
        c = self.clients[login] = HttpClient(self.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(self.users[login]["totp_uri"])})
        self.assertEqual(r.status, 303, r.text[:500])
        return c

    def page(self, c, **filters):
        frm, to = self.period()
        q = urllib.parse.urlencode(dict({"from": frm, "to": to}, **filters))
        r = c.get("/console/stats?" + q)
        return r, q

    def summary_of(self, tables):
        rows = dict((r[0], number(r[1])) for r in tables["summary"][1:])
        return {"received": rows["Поступило"], "answered": rows["Отвечено"],
                "on_time": rows["Отвечено в срок"], "overdue": rows["Просрочено"],
                "open": rows["Открыто"]}, rows

    def report(self, *extra):
        frm, to = self.period()
        return json.loads(self.cli("report", "--from", frm, "--to", to, "--json", *extra))

    # ---- tests ----

    def test_dashboard_csv_xlsx_and_report_agree_with_the_known_mix(self):
        want = self.expected()
        c = self.staff("aud")
        r, q = self.page(c)
        self.assertEqual(r.status, 200, r.text[:2000])
        tables = Tables(r.text).tables
        got, rows = self.summary_of(tables)
        self.assertEqual(got, {k: want[k] for k in got})
        judged = want["on_time"] + want["overdue"]
        self.assertEqual(rows["Соблюдение сроков, %"], round(100 * want["on_time"] / judged, 1))
        self.assertEqual(rows["Оценок"], 3)
        self.assertEqual(rows["Средняя оценка"], round(11 / 3, 1))
        self.assertEqual(rows["Запрошено уточнений"], 1)
        self.assertEqual(rows["Обращений с уточнением"], 1)
        channels = {r[0]: int(r[1]) for r in tables["channels"][1:]}
        self.assertEqual(channels["Электронная почта"], want["by_channel"]["email"])
        self.assertEqual(channels["Форма на сайте"], want["by_channel"]["web"])
        self.assertEqual(sum(channels.values()), want["received"])
        cats = {r[0]: int(r[1]) for r in tables["categories"][1:]}
        self.assertEqual(cats, {("Без категории" if k == "" else k): v
                                for k, v in want["by_category"].items()})
        self.assertEqual({r[0]: int(r[1]) for r in tables["ratings"][1:]},
                         {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1})
        comments = {r[0]: (int(r[1]), r[3]) for r in tables["comments"][1:]}
        self.assertEqual(comments, {self.a["e1"]: (5, "Спасибо, быстро"),
                                    self.a["w1"]: (2, "Ответ неполный, «увы»")})
        load = {r[0]: [int(x) for x in r[1:]] for r in tables["load"][1:]}
        self.assertEqual(load["opa"], [1, 1, 0])
        self.assertEqual(sum(v[0] for v in load.values()), want["received"])
        series = tables["series"][1:]
        self.assertEqual(len(series), 3)
        self.assertEqual(sum(int(r[1]) for r in series), want["received"])
        self.assertEqual(sum(int(r[2]) for r in series), want["answered"])
        self.assertEqual(sum(int(r[3]) for r in series), want["overdue"])
        backlog = {r[0]: int(r[1]) for r in tables["backlog"][1:]}
        self.assertEqual(backlog["до 1 дня"], want["open"])
        times = {r[0]: r[1:] for r in tables["times"][1:]}
        self.assertEqual(int(times["До первого ответа"][0]), want["answered"])
        self.assertEqual(int(times["Ожидание уточнения"][0]), 1)

        # the report command counts the same
        rep = self.report()
        self.assertEqual({k: rep[k] for k in want}, want)

        # every table's CSV and XLSX hold the page's cells
        for tid, rows_ in tables.items():
            d = c.get("/console/stats/export?" + q + "&table=%s&format=csv" % tid)
            self.assertEqual(d.status, 200, tid)
            self.assertIn("attachment", d.headers.get("Content-Disposition", ""))
            got_csv = list(csv.reader(io.StringIO(d.body.decode("utf-8"), newline="")))
            self.assertEqual(len(got_csv), len(rows_), tid)
            for a, b in zip(got_csv, rows_):
                self.assertEqual([x.replace(".", ",") if re.fullmatch(r"\d+\.\d", x) else x
                                  for x in a], b, tid)
            x = c.get("/console/stats/export?" + q + "&table=%s&format=xlsx" % tid)
            self.assertEqual(x.status, 200, tid)
            sheet = openpyxl.load_workbook(io.BytesIO(x.body)).active
            cells = [[c_ for c_ in row] for row in sheet.iter_rows(values_only=True)]
            self.assertEqual(len(cells), len(rows_), tid)
            for a, b in zip(cells, rows_):
                for va, vb in zip(a, b):
                    if isinstance(va, (int, float)):
                        self.assertAlmostEqual(float(va), float(number(vb)), places=6, msg=tid)
                    else:
                        self.assertEqual(va, vb, tid)
        self.assertEqual(c.get("/console/stats/export?" + q + "&table=nope&format=csv").status, 404)
        self.assertEqual(c.get("/console/stats/export?" + q + "&table=summary&format=pdf").status, 400)

    def test_filters_narrow_every_figure_like_the_report(self):
        c = self.staff("aud")
        for filters, extra, keys in (({"channel": "web"}, ("--channel", "web"), {"w1", "w2"}),
                                     ({"kind": "formal"}, ("--kind", "formal"), {"e7", "e8", "e9"}),
                                     ({"category": "documents"}, ("--category", "documents"), {"w1"})):
            r, _ = self.page(c, **filters)
            self.assertEqual(r.status, 200, r.text[:1000])
            got, _ = self.summary_of(Tables(r.text).tables)
            self.assertEqual(got["received"], len(keys), filters)
            self.assertEqual(got["answered"], len(keys & {"e1", "e2", "w1", "e3"}), filters)
            rep = self.report(*extra)
            self.assertEqual({k: rep[k] for k in got}, got, filters)
        r, _ = self.page(c, department="-")  # the triage queue: none of the mix is there
        self.assertEqual(r.status, 200)
        self.assertEqual(self.summary_of(Tables(r.text).tables)[0]["received"],
                         self.report("--department", "")["received"])
        self.assertEqual(self.report("--department", "")["received"], 0)
        r, _ = self.page(c, department="social")
        got, _ = self.summary_of(Tables(r.text).tables)
        want = self.expected("social")
        self.assertEqual(got, {k: want[k] for k in got})
        r, _ = self.page(c, channel="fax")
        self.assertEqual(r.status, 400)
        self.assertIn("Такого канала нет", r.text)
        r = c.get("/console/stats?from=2026-13-01")
        self.assertEqual(r.status, 400)
        self.assertIn("Укажите дату в виде ГГГГ-ММ-ДД", r.text)

    def test_roles_supervisor_sees_their_department_operator_none(self):
        op = self.staff("opa")
        self.assertEqual(op.get("/console/stats").status, 403)
        self.assertNotIn('href="/console/stats"', op.get("/console").text)
        sup = self.staff("supa")
        self.assertIn('href="/console/stats"', sup.get("/console").text)
        r, _ = self.page(sup)
        self.assertEqual(r.status, 200)
        got, _ = self.summary_of(Tables(r.text).tables)
        want = self.expected("passports")
        self.assertEqual(got, {k: want[k] for k in got})
        rep = self.report("--department", "passports")
        self.assertEqual({k: rep[k] for k in got}, got)
        r, _ = self.page(sup, department="social")
        self.assertEqual(r.status, 400)
        self.assertIn("Этот отдел вам недоступен", r.text)
        self.assertNotIn("Социальный отдел</option>", r.text)

    def test_every_chart_has_a_title_and_a_table(self):
        c = self.staff("aud")
        r, _ = self.page(c, group="week")
        self.assertEqual(r.status, 200)
        p = Tables(r.text)
        self.assertGreaterEqual(len(p.charts), 4)
        for ch in p.charts:
            self.assertTrue(ch["title"].strip())
            tid = ch["labelledby"].split()[0][len("chart-"):-len("-title")]
            self.assertIn(tid, p.tables)
        self.assertEqual(Tables(r.text).tables["series"][0][0], "Начало")

    def test_theme_set_from_the_appeal_page(self):
        """A supervisor sets the classifier code of a formal appeal on its page: a code
        not in the list is a message next to the field and changes nothing; a listed
        one goes into the dashboard's themes (rollup and --exact alike)."""
        c, e9 = self.staff("supa"), self.a["e9"]
        r = c.get("/console/appeals/" + e9)
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn('id="theme-form"', r.text)
        self.assertIn('<option value="0001.0001.0001.0001"', r.text)
        self.assertRegex(r.text, r'id="theme-now">\s*не указана')
        before = self.report("--dashboard")["dashboard"]["formal"]["themes"]
        self.assertEqual(before, self.report("--dashboard", "--exact")["dashboard"]["formal"]["themes"])
        token = c.csrf("/console/appeals/" + e9)
        r = c.post("/console/theme/" + e9, {"csrf": token, "code": "9999.0000.0000.0000"})
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertRegex(r.text, r'<p class="error" id="theme-code-error">Такого кода нет в '
                                 r'классификаторе: выберите тему из списка.</p>')
        self.assertIn('aria-invalid="true"', r.text)
        self.assertEqual(self.report("--dashboard")["dashboard"]["formal"]["themes"], before)
        r = c.post("/console/theme/" + e9, {"csrf": token, "code": "0001.0001.0001.0001"})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(urllib.parse.urlparse(r.headers["location"]).path, "/console/appeals/" + e9)
        r = c.get("/console/appeals/" + e9)
        self.assertRegex(r.text, r'id="theme-now">0001.0001.0001.0001 Конституционный строй')
        self.assertIn("Задана тема типового тематического классификатора 0001.0001.0001.0001 (supa)",
                      r.text)
        after = self.report("--dashboard")["dashboard"]["formal"]["themes"]
        want = dict(before)
        want[""] = want.get("", 0) - 1
        want["0001.0001.0001.0001"] = want.get("0001.0001.0001.0001", 0) + 1
        self.assertEqual({k: v for k, v in after.items() if v}, {k: v for k, v in want.items() if v})
        self.assertEqual(after, self.report("--dashboard", "--exact")["dashboard"]["formal"]["themes"])
        # a support request has no theme; an auditor may not set one
        r = c.get("/console/appeals/" + self.a["e1"])
        self.assertNotIn('id="theme-form"', r.text)
        self.assertEqual(c.post("/console/theme/" + self.a["e1"],
                                {"csrf": token, "code": "0001.0001.0001.0001"}).status, 403)
        aud = self.staff("aud")
        self.assertNotIn('id="theme-form"', aud.get("/console/appeals/" + e9).text)
        self.assertEqual(aud.post("/console/theme/" + e9,
                                  {"csrf": aud.csrf("/console/stats"),
                                   "code": "0002.0007.0074.0534"}).status, 403)

    def test_weekly_mail_to_the_supervisors_once_a_week(self):
        day = self.mail_day.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()
        for _ in range(2):  # the second run in the same week sends nothing
            self.cli("scheduler", "run", "--now", day, env={"OKNO_FAKE_NOW": day})
        mails = self.cab.mails_to("supa@portal.example", "Еженедельный отчёт", 1)
        self.assertEqual(len(mails), 1)
        m = mails[0]
        self.assertIn("Паспортный отдел", str(m["Subject"]))
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        text = m.get_content().replace("\r\n", "\n")
        want = self.expected("passports")
        self.assertIn("  Поступило: %d\n" % want["received"], text)
        self.assertIn("  Отвечено: %d\n" % want["answered"], text)
        self.assertIn("  Электронная почта: %d\n" % want["by_channel"]["email"], text)
        self.assertIn("/console/stats?from=", text)
        time.sleep(2)
        self.assertEqual(len(self.cab.mails_to("supa@portal.example", "Еженедельный отчёт", 2,
                                               timeout=3)), 1)
        # nobody else's supervisor, no operator
        self.assertEqual(self.cab.mails_to("opa@portal.example", "Еженедельный отчёт", 1,
                                           timeout=0), [])

    def test_quarterly_59fz_report_page_and_downloads(self):
        c = self.staff("aud")
        r = c.get("/console/stats/formal")
        self.assertEqual(r.status, 200, r.text[:1000])
        self.assertIn("Обращения граждан по 59-ФЗ", r.text)
        rows = {row[0]: int(row[1]) for row in Tables(r.text).tables["formal"][1:]}
        self.assertEqual(rows["Поступило"], 3)  # e7, e8, e9
        self.assertEqual(rows["Направлено по компетенции"], 1)
        self.assertEqual(rows["из них в течение 7 дней"], 1)
        self.assertEqual(rows["Дан ответ в течение 30 дней"], 0)
        self.assertEqual(rows["Оставлено без ответа (ст. 11)"], 1)
        self.assertEqual(rows["ст. 11: нецензурные либо оскорбительные выражения"], 1)
        self.assertEqual(sum(v for k, v in rows.items() if k.startswith("ст. 11:")), 1)
        link = re.search(r'href="(/console/stats/export\?table=formal&amp;format=csv[^"]*)"', r.text)
        d = c.get(link.group(1).replace("&amp;", "&"))
        self.assertEqual(d.status, 200)
        got = list(csv.reader(io.StringIO(d.body.decode("utf-8"), newline="")))
        self.assertEqual({a: int(b) for a, b in got[1:]}, rows)
        tables = Tables(r.text).tables
        self.assertEqual({row[0]: (row[1], int(row[2])) for row in tables["formal_sections"][1:]},
                         {"0001": ("Государство, общество, политика", 1),
                          "0002": ("Социальная сфера", 1), "—": ("Не указан", 1)})
        self.assertEqual({row[0]: (row[1], int(row[2])) for row in tables["formal_themes"][1:]},
                         {"0001.0001.0001.0001": ("Конституционный строй", 1),
                          "0002.0007.0074.0534": ("Пенсии", 1), "—": ("Не указан", 1)})
        # only formal appeals, only codes of the list
        for number, code, text in ((self.a["e1"], "0002.0007.0074.0534", "не обращение по 59-ФЗ"),
                                   (self.a["e9"], "9999.0000.0000.0000", "не найден")):
            p = self.okno.run("appeal", "theme", number, code)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(text, p.stderr)
            self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertEqual(c.get("/console/stats/formal?year=2026&quarter=5").status, 400)
        self.assertEqual(self.staff("opa").get("/console/stats/formal").status, 403)


if __name__ == "__main__":
    unittest.main()
