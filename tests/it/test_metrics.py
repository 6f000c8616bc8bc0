"""Metrics and health of `okno serve` on [metrics] listen (docs/metrics.md): /metrics
passes `promtool check metrics` (the Prometheus project's own linter, Debian package
`prometheus`), every metric is named okno_* with HELP and TYPE, the intake counter
moves by exactly the number of messages sent over SMTP (and a duplicate is counted as
one), the SMTP-to-250 histogram and the web request counter move, the gauges read from
the store show the queued receipts; /healthz and /readyz answer 200; other paths 404.
One daemon for the class. Without promtool the test is skipped (77), except in CI.
"""
import os
import re
import shutil
import smtplib
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from okno_it import ClassScope, HttpClient, Okno, free_port  # noqa: E402

PROMTOOL = shutil.which("promtool")
if not PROMTOOL:
    if os.environ.get("CI"):
        print("promtool is missing in CI: scripts/deps --test installs package prometheus")
        sys.exit(1)
    print("promtool not found (Debian package prometheus): skipped")
    sys.exit(77)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def mail(n, subject="Не приходит код"):
    return ("From: Иван Петров <ivan%d@example.ru>\r\nTo: support@portal.example\r\n"
            "Subject: %s %d\r\nMessage-ID: <metrics-%d@example.ru>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Здравствуйте! Не приходит код подтверждения, номер %d.\r\n"
            % (n, subject, n, n, n)).encode("utf-8")


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8")


def samples(text):
    """{(name, labels-text): float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.port = free_port()
        cls.okno.write_config({"metrics": {"listen": "127.0.0.1:%d" % cls.port},
                               "sla": {"scheduler_interval": "1"}})
        cls.okno.start()
        cls.base = "http://127.0.0.1:%d" % cls.port

    def scrape(self):
        status, headers, body = get(self.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"),
                        headers["Content-Type"])
        return body

    def send(self, data):
        with smtplib.SMTP("127.0.0.1", self.okno.smtp_port, timeout=30) as s:
            s.sendmail("ivan@example.ru", ["support@portal.example"], data)

    def test_health_and_ready(self):
        self.assertEqual(get(self.base + "/healthz")[0], 200)
        status, _, body = get(self.base + "/readyz")
        self.assertEqual((status, body), (200, "ready\n"))
        self.assertEqual(get(self.base + "/nothing")[0], 404)
        req = urllib.request.Request(self.base + "/metrics", data=b"x", method="POST")
        try:
            urllib.request.urlopen(req, timeout=20)
            self.fail("POST /metrics answered 2xx")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 405)

    def test_promtool_and_names(self):
        self.send(mail(100))  # so that histograms and labelled counters have series
        text = self.scrape()
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, "promtool: %s\n%s" % (p.stderr, text))
        helps = set(re.findall(r"^# HELP (\S+) ", text, re.M))
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        self.assertEqual(helps, set(types))
        for name in types:
            self.assertTrue(name.startswith("okno_"), name)
        for (name, _labels) in samples(text):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            self.assertTrue(name in types or (base in types and types[base] == "histogram"),
                            name)
        for want in ("okno_intake_messages_total", "okno_commit_group_size",
                     "okno_commit_sync_seconds", "okno_smtp_data_to_250_seconds",
                     "okno_intake_parse_seconds", "okno_outbound_queue_depth",
                     "okno_outbound_oldest_age_seconds", "okno_appeals_overdue",
                     "okno_appeals", "okno_store_up"):
            self.assertIn(want, types)
        self.assertEqual(samples(text)[("okno_store_up", "")], 1)

    def test_counters_move_with_mail(self):
        created = ("okno_intake_messages_total", '{channel="email",outcome="created"}')
        dup = ("okno_intake_messages_total", '{channel="email",outcome="duplicate"}')
        to250 = ("okno_smtp_data_to_250_seconds_count", "")
        before = samples(self.scrape())
        for n in range(1, 4):
            self.send(mail(n))
        self.send(mail(1))  # the same message again: a duplicate, nothing new registered
        after = samples(self.scrape())
        self.assertEqual(after[created] - before.get(created, 0), 3)
        self.assertEqual(after[dup] - before.get(dup, 0), 1)
        self.assertEqual(after[to250] - before.get(to250, 0), 4)
        groups = ("okno_commit_group_size_count", "")
        self.assertGreaterEqual(after[groups] - before.get(groups, 0), 1)
        self.assertEqual(after[("okno_appeals", '{status="new"}')],
                         len([a for a in self.okno.list_json() if a["status"] == "new"]))

    def test_the_scheduler_says_when_it_last_passed(self):
        import time
        deadline = time.monotonic() + 10
        key = ("okno_scheduler_last_pass_timestamp_seconds", "")
        while key not in samples(self.scrape()) and time.monotonic() < deadline:
            time.sleep(0.2)
        first = samples(self.scrape())[key]
        self.assertLess(abs(first - time.time()), 30)
        time.sleep(2.2)  # passes every second: the gauge moves on
        self.assertGreater(samples(self.scrape())[key], first)

    def test_web_requests_counted(self):
        key = ("okno_http_requests_total", '{route="feedback",status="200"}')
        missing = ("okno_http_requests_total", '{route="other",status="404"}')
        before = samples(self.scrape())
        c = HttpClient(self.okno.base_url)
        self.assertEqual(c.get("/feedback").status, 200)
        self.assertEqual(c.get("/no-such-page").status, 404)
        after = samples(self.scrape())
        self.assertEqual(after[key] - before.get(key, 0), 1)
        self.assertEqual(after[missing] - before.get(missing, 0), 1)


if __name__ == "__main__":
    unittest.main()
