"""test_report: `okno report` prints the same figures as JSON, CSV and XLSX.

Appeals are registered with `okno submit` at chosen instants (OKNO_FAKE_NOW): four in
the period (two in one category, one answered, one a formal appeal) and one the day
after it. The JSON must count what the test registered; the CSV (read with Python's csv
module) and the XLSX (read back with openpyxl, a real spreadsheet reader, Debian's
python3-openpyxl) must hold exactly the JSON's figures, row for row. Wrong use is one
line on stderr and exit 1. Runs on SQLite and, as it_report_pg, on PostgreSQL.
"""
import csv
import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import OKNO_BIN, Okno  # noqa: E402

try:
    import openpyxl
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import openpyxl


def letter(n, subject):
    return ("From: Житель %d <citizen%d@mail.example>\r\nTo: support@portal.example\r\n"
            "Subject: %s\r\nMessage-ID: <report-%d@mail.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nТекст обращения номер %d.\r\n"
            % (n, n, subject, n, n)).encode()


class Report(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.okno.write_config()

    def cli(self, now, *args, ok=True):
        env = dict(os.environ, OKNO_FAKE_NOW=now)
        r = subprocess.run([OKNO_BIN, args[0], "--config", self.okno.config_path, *args[1:]],
                           capture_output=True, env=env, cwd=self.okno.dir)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def submit(self, now, n, subject, *extra):
        path = os.path.join(self.okno.dir, "m%d.eml" % n)
        with open(path, "wb") as f:
            f.write(letter(n, subject))
        return self.cli(now, "submit", "--no-deliver", "--from", "citizen%d@mail.example" % n,
                        *extra, path).stdout.decode().strip()

    def test_json_csv_and_xlsx_hold_the_same_figures(self):
        day = "2026-12-02T1%d:00:00+03:00"
        numbers = [self.submit(day % i, i, "Вопрос %d" % i) for i in range(3)]
        self.submit(day % 3, 3, "Жалоба", "--kind", "formal")
        self.submit("2026-12-04T10:00:00+03:00", 4, "После периода")
        self.cli(day % 5, "appeal", "status", "--no-deliver", "--answer",
                 "Ответ на ваш вопрос.", numbers[0], "answered")
        period = ("--from", "2026-12-01", "--to", "2026-12-03")
        got = json.loads(self.cli(day % 6, "report", *period, "--json").stdout)
        self.assertEqual(got["received"], 4)
        self.assertEqual(got["answered"], 1)
        self.assertEqual(got["by_channel"], {"email": 4})
        self.assertEqual(got["open"], 3)

        want = [("Итого", k, got[k]) for k in ("received", "answered", "on_time", "overdue", "open",
                                                   "withdrawn")]
        for section in ("by_channel", "by_category", "by_department"):
            want += [(section, k or "(нет)", v) for k, v in sorted(got[section].items())]

        text = self.cli(day % 6, "report", *period, "--csv").stdout.decode()
        self.assertTrue(text.endswith("\r\n"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(rows[0], ["Раздел", "Показатель", "Число"])
        self.assertEqual([(a, b, int(c)) for a, b, c in rows[1:]], want)

        out = os.path.join(self.okno.dir, "report.xlsx")
        self.cli(day % 6, "report", *period, "--xlsx", "--out", out)
        sheet = openpyxl.load_workbook(out).active
        self.assertEqual(sheet.title, "Отчёт 2026-12-01 — 2026-12-03")
        cells = [tuple(c.value for c in row) for row in sheet.iter_rows()]
        self.assertEqual(cells[0], ("Раздел", "Показатель", "Число"))
        self.assertEqual([(a, b, int(c)) for a, b, c in cells[1:]], want)

    def test_wrong_use_is_one_line_and_exit_1(self):
        now = "2026-12-02T10:00:00+03:00"
        for args, text in ((("--from", "2026-12-01", "--to", "2026-12-03"), "one format"),
                           (("--from", "2026-12-01", "--to", "2026-12-03", "--json", "--csv"), "one format"),
                           (("--from", "2026-12-01", "--to", "2026-12-03", "--xlsx"), "--out FILE"),
                           (("--from", "2026-12-31", "--to", "2026-12-01", "--csv"), "before")):
            r = self.cli(now, "report", *args, ok=False)
            self.assertEqual(r.returncode, 1, args)
            err = r.stderr.decode()
            self.assertIn(text, err)
            self.assertEqual(err.count("\n"), 1, err)


if __name__ == "__main__":
    unittest.main()
