"""test_pg: the intake end to end on PostgreSQL.

`okno migrate`, `okno submit`, `okno show/list --json` and `okno serve` against the
PostgreSQL server named by OKNO_TEST_PG_URL (scripts/check starts a throw-away one with
scripts/pg-test-cluster); without it every test is skipped. Each test gets a fresh
database (CREATE DATABASE okno_t_<random>, dropped at cleanup), so tests do not see
each other. The same messages also go through a SQLite store, and the two stores'
JSON must be equal: the backend changes nothing a person or a tool sees.
"""
import json
import os
import re
import secrets
import smtplib
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from test_submit import NUMBER, Okno, kinds, message  # noqa: E402

PG_URL = os.environ.get("OKNO_TEST_PG_URL", "")


def psql(sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_URL, "-c", sql],
                   check=True, capture_output=True, timeout=60)


class PgTest(unittest.TestCase):
    def setUp(self):
        if not PG_URL:
            self.skipTest("OKNO_TEST_PG_URL is not set: no PostgreSQL server to test against")

    def fresh_database(self):
        """A new empty database, dropped at cleanup; returns its URL."""
        name = "okno_t_" + secrets.token_hex(8)
        psql(f"CREATE DATABASE {name}")
        self.addCleanup(psql, f"DROP DATABASE {name} WITH (FORCE)")
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(PG_URL)._replace(path="/" + name))

    def pg_okno(self):
        return Okno(self, store_url=self.fresh_database())


class Migrate(PgTest):
    def test_migrate_reaches_the_latest_version_once(self):
        o = self.pg_okno()
        printed = []
        for _ in range(2):
            p = o.run("migrate", "--config", o.config)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout.decode(), r"^schema version [1-9][0-9]*\n$")
            printed.append(p.stdout.decode())
        self.assertEqual(printed[0], printed[1])
        # SQLite and PostgreSQL have the same steps, so the same latest version.
        sqlite = Okno(self)
        p = sqlite.run("migrate", "--config", sqlite.config)
        self.assertEqual((p.returncode, p.stdout.decode()), (0, printed[0]))

    def test_an_unreachable_server_is_an_internal_error_on_one_line(self):
        port = okno_it.free_port()
        o = Okno(self, store_url=f"postgresql://postgres@127.0.0.1:{port}/okno")
        p = o.run("migrate", "--config", o.config)
        self.assertEqual(p.returncode, 2)
        lines = p.stderr.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("okno: postgresql: cannot connect"), lines)


def normalised(appeal):
    """The appeal JSON without what differs between two stores by design: the random
    part of our own Message-IDs (okno.NUMBER.RANDOM@host), wherever they appear."""
    text = json.dumps(appeal, ensure_ascii=False, sort_keys=True)
    return json.loads(re.sub(r"(okno\.\d\d-\d{6}-\d)\.[0-9a-f]+@", r"\1.*@", text))


class Intake(PgTest):
    def test_the_same_messages_give_the_same_registry_as_on_sqlite(self):
        pg, sqlite = self.pg_okno(), Okno(self)
        first = message(extra="X-Odd:  spacing\t kept \r\n") + b"\x00 NUL and \xff byte\r\n"
        clarify = message(subject="Помогите", msgid="<m2@example.ru>", frm="olga@example.ru",
                          body="Спасибо.\r\n")
        numbers = {}
        for o in (pg, sqlite):
            numbers[o] = [o.submit(first), o.submit(clarify)]
        self.assertEqual(numbers[pg], numbers[sqlite])
        for n in numbers[pg]:
            self.assertRegex(n, NUMBER)
        self.assertEqual(pg.list(), sqlite.list())
        self.assertEqual([a["number"] for a in pg.list()], list(reversed(numbers[pg])))
        for n in numbers[pg]:
            self.assertEqual(normalised(pg.show(n)), normalised(sqlite.show(n)))
        shown = pg.show(numbers[pg][0])
        self.assertEqual(shown["from"], {"name": "Иван Петров", "email": "ivan@example.ru"})
        self.assertEqual(shown["received_at"], "2026-11-23T10:00:00+03:00")
        self.assertEqual(pg.show(numbers[pg][1])["status"], "needs_clarification")
        # The original bytes come back byte for byte from bytea.
        p = pg.run("show", "--config", pg.config, "--raw", "1", numbers[pg][0])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, first)
        self.assertEqual(len(pg.outbox()), 2)

    def test_a_duplicate_is_recognised(self):
        o = self.pg_okno()
        raw = message()
        first = o.submit(raw)
        self.assertEqual(o.submit(raw), first)
        self.assertEqual(o.submit(message(msgid="<resent@example.ru>")), first)
        self.assertEqual(len(o.list()), 1)
        self.assertEqual(kinds(o.show(first)).count("duplicate_received"), 2)
        self.assertEqual(len(o.outbox()), 1)

    def test_a_reply_joins_its_appeal(self):
        o = self.pg_okno()
        number = o.submit(message(subject="Помогите", body="Спасибо.\r\n"))
        again = o.submit(message(subject=f"Re: Обращение № {number}", msgid="<m2@example.ru>",
                                 body="Не могу оплатить штраф ГИБДД на портале: ошибка 500."))
        self.assertEqual(again, number)
        receipt_id = o.show(number)["messages"][1]["message_id"]
        third = o.submit(message(subject="Дополнение", msgid="<m3@example.ru>",
                                 extra=f"In-Reply-To: <{receipt_id}>\r\n",
                                 body="Ошибка появляется и в мобильном приложении."))
        self.assertEqual(third, number)
        a = o.show(number)
        self.assertEqual(a["status"], "new")
        self.assertEqual([m["direction"] for m in a["messages"]], ["in", "out", "in", "out", "in", "out"])
        self.assertIn("reply_joined", kinds(a))
        self.assertEqual(len(o.list()), 1)


def smtp_send(port, subject, msgid, sender="ivan.petrov@mail.example"):
    body = (f"From: Ivan Petrov <{sender}>\r\nTo: support@portal.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{msgid}@mail.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Здравствуйте! Не могу записаться на приём: страница записи выдаёт ошибку.\r\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail(sender)
        s.rcpt("support@portal.example")
        code, text = s.data(body.encode("utf-8"))
    return code, text.decode()


class Serve(PgTest):
    def serve(self, url):
        o = okno_it.Okno(self)
        o.write_config({"store": {"url": url}})
        o.start()
        return o

    def outbox(self, o):
        d = os.path.join(o.dir, "outbox", "new")
        return os.listdir(d) if os.path.isdir(d) else []

    def wait_for(self, what, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if what():
                return True
            time.sleep(0.1)
        return what()

    def test_serve_accepts_a_message_over_smtp(self):
        o = self.serve(self.fresh_database())
        code, text = smtp_send(o.smtp_port, "Запись на приём", "s1")
        self.assertEqual(code, 250)
        self.assertTrue(text.startswith("2.0.0 Ok: registered as "), text)
        number = text.rsplit(" ", 1)[1]
        self.assertEqual([a["number"] for a in o.list_json()], [number])
        self.assertEqual(o.show_json(number)["subject"], "Запись на приём")
        self.assertTrue(self.wait_for(lambda: len(self.outbox(o)) == 1), "no receipt went out")
        self.assertTrue(self.wait_for(lambda: "outbound_sent" in kinds(o.show_json(number))))
        self.assertEqual(o.stop(), 0)

    def test_two_nodes_on_one_store_number_uniquely_and_send_each_receipt_once(self):
        url = self.fresh_database()
        a, b = self.serve(url), self.serve(url)
        numbers = []
        for i in range(6):
            # A sender apiece: the per-sender limit on automatic replies stays out of it.
            code, text = smtp_send((a, b)[i % 2].smtp_port, f"Вопрос {i}", f"n{i}",
                                   f"citizen{i}@mail.example")
            self.assertEqual(code, 250, text)
            numbers.append(text.rsplit(" ", 1)[1])
        self.assertEqual(len(set(numbers)), 6)
        self.assertEqual(sorted(n[3:9] for n in numbers), [f"{i:06d}" for i in range(1, 7)])
        self.assertEqual(len(a.list_json()), 6)
        sent = lambda: len(self.outbox(a)) + len(self.outbox(b))  # noqa: E731
        self.assertTrue(self.wait_for(lambda: sent() >= 6), "receipts missing")
        time.sleep(1)  # a receipt sent twice would show up by now
        self.assertEqual(sent(), 6)
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    unittest.main()
