"""test_paging: the console's queues, its JSON twin and `okno list` over 50,000 appeals.

The appeals are written straight into the store of a migrated daemon (INSERT ... SELECT
over a recursive counter in chunks of 5,000, the same SQL on SQLite and PostgreSQL; run through
python's sqlite3 or psql; on SQLite they are left out of the search index), with the real clock's "now" in the middle of their deadlines
(none within two hours after it, so no deadline passes while the test runs). Then, as
an auditor (every department) and as an operator of department "a" (who sees "a" and
triage), every queue in both sort orders answers 200 with 50 rows, its total equals a
plain count(*) of the store, and the next page continues it without a gap or a repeat
although an appeal arrives through `okno submit` between the two pages (both pages
together are exactly the first 100 rows of a plain SELECT taken before). The HTML page
shows 50 rows, «Всего: N» and «Следующие 50»; `okno list --limit 50 --after` pages
the same way. Runs on SQLite, and on PostgreSQL as it_paging_pg.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.parse
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import STORE, SUPPORT, ClassScope, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

N = 50000
CHUNK = 5000  # appeals per seeding transaction on PostgreSQL
PASSWORD = "Зелёный-чай-42"
QUEUES = ["mine", "department", "unassigned", "clarification", "overdue", "all"]
OPEN = "status NOT IN ('answered', 'closed', 'rejected')"

SEED = """
WITH RECURSIVE s(i) AS (SELECT CAST({lo} AS BIGINT) UNION ALL SELECT i + 1 FROM s WHERE i < {hi})
INSERT INTO appeals(number, status, channel, queue, subject, from_email, received_at,
                    deadline, updated_at, department, assignee)
SELECT 'T-' || i,
  CASE i % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'needs_clarification'
    WHEN 3 THEN 'answered' WHEN 4 THEN 'closed' ELSE 'rejected' END,
  'email', CASE WHEN i % 97 = 0 THEN 'quarantine' ELSE '' END, 'Вопрос ' || i,
  'c' || (i % 500) || '@example.ru',
  {start} + i * 1000000 - (i % 3) * 1000000,
  CASE WHEN i % 11 = 0 THEN 0
    WHEN (i * 7919) % 100000 >= 50000 THEN {now} + ((i * 7919) % 100000 - 50000 + 120) * 60000000
    ELSE {now} - (50000 - (i * 7919) % 100000) * 60000000 END,
  {start},
  CASE i % 4 WHEN 0 THEN '' WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END,
  CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN {op} ELSE {aud} END
FROM s
"""


class Paging(unittest.TestCase):
    """One daemon and one seeded store for the class: seeding 50,000 appeals is most of
    the time (on PostgreSQL the search documents and rollups are built for each), and
    each test takes its reference rows from the store when it begins."""

    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({"http": {"forms_per_hour": "1000000",
                                        "requests_per_minute": "100000"}})
        # the key file before the first command: the store's search terms are made under
        # it from the start (else the first start makes them again for 50,000 appeals)
        cls.okno.crypto_init()
        for code in ("a", "b", "c"):
            cls.cli("department", "add", "--code", code, "--name", "Отдел " + code)
        cls.users = {}
        for login, role, dept in [("opa", "operator", "a"), ("aud", "auditor", None)]:
            args = ["user", "add", "--login", login, "--role", role, "--json"]
            if dept:
                args += ["--department", dept]
            cls.users[login] = json.loads(cls.cli(*args))
            cls.cli("user", "password", "--login", login, input=PASSWORD + "\n")
        ids = {u["login"]: u["id"] for u in json.loads(cls.cli("user", "list", "--json"))}
        cls.ids = ids
        now = time.time_ns() // 1000
        cls.seed([SEED.format(lo=lo, hi=min(lo + CHUNK - 1, N), start=now - 2 * N * 1000000,
                              now=now, op=ids["opa"], aud=ids["aud"])
                  for lo in range(1, N + 1, CHUNK)])
        cls.okno.start()

    @classmethod
    def cli(cls, *args, input=None):
        p = cls.okno.run(*args, input=input)
        if p.returncode != 0:
            raise AssertionError("okno %s: exit %d\n%s%s" % (args[0], p.returncode, p.stdout,
                                                             p.stderr))
        return p.stdout

    # ---- the store, read and written behind the daemon's back ----

    @classmethod
    def sql(cls, statement):
        """Rows of one statement on the test's store (lists of strings on PostgreSQL)."""
        url = cls.okno.store_url
        if STORE == "pg":
            out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v",
                                  "ON_ERROR_STOP=1", "-d", url, "-c", statement],
                                 check=True, capture_output=True, text=True, timeout=300).stdout
            return [line.split("\t") for line in out.splitlines() if line]
        db = sqlite3.connect(url[len("sqlite:"):], timeout=30)
        try:
            rows = db.execute(statement).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    @classmethod
    def seed(cls, statements):
        if STORE == "pg":
            # the search trigger rebuilds one document per row: off for the bulk insert,
            # the documents built in one statement after it. One transaction per chunk:
            # the rollup triggers update the same few rows for every appeal, and one
            # transaction's versions of a row cannot be pruned until it ends (50,000 in
            # one took minutes, in chunks of 5,000 seconds).
            for statement in statements:
                cls.sql("BEGIN; ALTER TABLE appeals DISABLE TRIGGER appeal_search_appeal; "
                        + statement + "; SET CONSTRAINTS ALL IMMEDIATE;"
                        " ALTER TABLE appeals ENABLE TRIGGER appeal_search_appeal;"
                        " COMMIT")
            cls.sql("SELECT okno_search_rebuild(array(SELECT id FROM appeals))")
            cls.sql("ANALYZE")
        else:
            # the seeded appeals get no search rows (okno writes those itself,
            # store/search_queue.h: they are not searchable; search is not under test here)
            db = sqlite3.connect(cls.okno.store_url[len("sqlite:"):])
            for statement in statements:
                db.execute(statement)
            db.commit()
            db.execute("ANALYZE")
            db.close()

    def where(self, login, view):
        now = time.time_ns() // 1000
        cond = {
            "mine": "assignee = %d" % self.ids[login],
            # the auditor works in no department: the queue is empty
            "department": "department = 'a'" if login == "opa" else "0 = 1",
            "unassigned": "assignee IS NULL AND " + OPEN,
            "clarification": "status = 'needs_clarification'",
            "overdue": "deadline <> 0 AND deadline < %d AND %s" % (now, OPEN),
            "all": "1 = 1",
        }[view]
        if login == "opa":
            cond += " AND department IN ('a', '')"
        return "queue <> 'quarantine' AND " + cond

    def reference(self, login, view, sort, limit):
        order = ("CASE WHEN deadline = 0 THEN 1 ELSE 0 END, deadline, id" if sort
                 else "received_at DESC, id DESC")
        rows = self.sql("SELECT number FROM appeals WHERE %s ORDER BY %s LIMIT %d"
                        % (self.where(login, view), order, limit))
        return [r[0] for r in rows]

    def count(self, login, view):
        return int(self.sql("SELECT count(*) FROM appeals WHERE " + self.where(login, view))[0][0])

    # ---- the daemon ----

    def sign_in(self, login):
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(self.users[login]["totp_uri"])})
        self.assertEqual(r.status, 303, r.text[:800])
        return c

    def arrive(self):
        m = EmailMessage()
        m["From"] = "Пётр Новиков <new-%d@mail.example>" % time.time_ns()
        m["To"] = SUPPORT
        m["Subject"] = "Новое обращение"
        m["Message-ID"] = "<%d@mail.example>" % time.time_ns()
        m.set_content("Прошу ответить на мой вопрос о записи на приём.")
        path = os.path.join(self.okno.dir, "in-%d.eml" % time.time_ns())
        with open(path, "wb") as f:
            f.write(m.as_bytes())
        return self.cli("submit", path).strip()

    def test_every_queue_pages_of_50_while_appeals_arrive(self):
        clients = {}  # one sign-in each: a TOTP code is accepted once
        for login in ("aud", "opa"):
            c = clients[login] = self.sign_in(login)
            for view in QUEUES:
                for sort in ("", "deadline"):
                    where = "view=%s&sort=%s" % (view, sort)
                    want = self.reference(login, view, sort, 100)
                    t0 = time.monotonic()
                    r = c.get("/api/v1/console/queue?" + where)
                    took = time.monotonic() - t0
                    self.assertEqual(r.status, 200, r.text[:500])
                    d = r.json()
                    self.assertEqual(d["total"], self.count(login, view), where)
                    tabs = {t["id"]: t["count"] for t in d["queues"]}
                    self.assertEqual(tabs[view], d["total"])
                    self.assertNotIn("prev", d)
                    print("%s %s: %d of %d in %.0f ms" % (login, where, len(d["appeals"]),
                                                         d["total"], took * 1000))
                    if not want:  # the auditor's own departments: none
                        self.assertEqual((d["appeals"], "next" in d), ([], False), where)
                        continue
                    self.assertEqual(len(d["appeals"]), 50, where)
                    arrived = self.arrive()
                    r2 = c.get("/api/v1/console/queue?%s&after=%s" % (where, d["next"]))
                    self.assertEqual(r2.status, 200, r2.text[:500])
                    d2 = r2.json()
                    self.assertEqual(len(d2["appeals"]), 50, where)
                    got = [a["number"] for a in d["appeals"] + d2["appeals"]]
                    self.assertEqual(len(set(got)), 100, where)  # no repeat
                    self.assertEqual(got, want, where)  # no gap: the SELECT's first 100
                    self.assertNotIn(arrived, got)
                    # the previous page of the second is the first
                    r3 = c.get("/api/v1/console/queue?%s&before=%s" % (where, d2["prev"]))
                    self.assertEqual([a["number"] for a in r3.json()["appeals"]], got[:50])
        # the page: 50 rows, the total and the links
        c = clients["aud"]
        r = c.get("/console?view=all")
        self.assertEqual(r.status, 200)
        body = r.text.split("<tbody>")[1].split("</tbody>")[0]
        self.assertEqual(body.count("<tr"), 50)
        self.assertIn('Всего: <span id="queue-total">%d</span>' % self.count("aud", "all"), r.text)
        self.assertIn("Следующие 50", r.text)
        self.assertNotIn("Предыдущие 50", r.text)
        nxt = re.search(r'href="([^"]+)" rel="next"', r.text).group(1).replace("&amp;", "&")
        r = c.get(nxt)
        self.assertEqual(r.status, 200)
        self.assertIn("Предыдущие 50", r.text)
        self.assertEqual(r.text.split("<tbody>")[1].count("<tr"), 50)
        self.assertEqual(c.get("/api/v1/console/queue?after=garbage").status, 400)

    def test_okno_list_pages(self):
        want = [r[0] for r in self.sql("SELECT number FROM appeals ORDER BY received_at DESC, "
                                        "id DESC LIMIT 150")]
        first = self.okno.run("list", "--json", "--limit", "50")
        self.assertEqual(first.returncode, 0, first.stderr)
        page = [a["number"] for a in json.loads(first.stdout)]
        self.assertEqual(len(page), 50)
        self.assertIn("okno list --after " + page[-1], first.stderr)
        self.arrive()
        got = list(page)
        for _ in range(2):
            p = self.okno.run("list", "--json", "--limit", "50", "--after", got[-1])
            self.assertEqual(p.returncode, 0, p.stderr)
            got += [a["number"] for a in json.loads(p.stdout)]
        self.assertEqual(got, want)
        bad = self.okno.run("list", "--after", "99-999999-9")
        self.assertEqual(bad.returncode, 1)


if __name__ == "__main__":
    unittest.main()
