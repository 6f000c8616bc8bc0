#!/usr/bin/env python3
"""test_deadline_cli.py: `okno deadline` and `okno calendar` as a user runs them.

Runs the real binary (OKNO_BIN) with a config in a fresh temporary directory: one case
per amount kind with the deadline worked out by hand from data/calendar/ru.txt, every
user error (exit 1, one line on stderr), the month table and year totals, and
`calendar import` (a wrong file changes nothing; a good one is used afterwards)."""
import os
import shutil
import subprocess
import tempfile
import unittest

OKNO = os.environ.get("OKNO_BIN", "okno")
SOURCE = os.environ.get("OKNO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHIPPED = os.path.join(SOURCE, "data", "calendar", "ru.txt")

# 2030 starts on a Tuesday. 1-2 January off; Saturday 5 January is a shortened working day.
CAL_2030 = "# test calendar\n2030-01-01 off\n2030-01-02 off\n2030-01-05 work short\n"


class DeadlineCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="okno-deadline-")
        self.config = self.write("okno.ini", "[store]\nurl = sqlite:var/okno.db\n")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_okno(self, *args, config=None):
        cmd = [OKNO, args[0], "--config", config or self.config, *args[1:]]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=self.dir)

    def deadline(self, *args, config=None):
        return self.run_okno("deadline", *args, config=config)

    def assert_ok(self, r, stdout):
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, stdout)

    def assert_user_error(self, r, fragment):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(fragment, lines[0])

    # --- the four amount kinds ---

    def test_working_hours_skip_the_may_holidays(self):
        # Friday 8 May 2026 closes at 17:00 (shortened); 9-11 May off; Tuesday 10:00.
        r = self.deadline("--from", "2026-05-08T17:30:00+03:00", "--working-hours", "1")
        self.assert_ok(r, "2026-05-12T10:00:00+03:00\n")

    def test_working_days_start_the_next_day(self):
        # Monday noon + 3 working days: Tuesday, Wednesday, Thursday at 18:00.
        r = self.deadline("--from", "2026-11-23T12:00:00+03:00", "--working-days", "3")
        self.assert_ok(r, "2026-11-26T18:00:00+03:00\n")

    def test_calendar_days_ending_on_a_holiday_move_on(self):
        # 9 April + 30 days = Saturday 9 May 2026; 10 Sunday, 11 off; Tuesday 12 May.
        r = self.deadline("--from", "2026-04-09T15:00:00+03:00", "--calendar-days", "30")
        self.assert_ok(r, "2026-05-12T18:00:00+03:00\n")

    def test_plain_hours_from_utc_input_print_moscow_time(self):
        r = self.deadline("--from", "2026-12-31T20:00:00Z", "--hours", "3")
        self.assert_ok(r, "2027-01-01T02:00:00+03:00\n")

    def test_department_is_accepted(self):
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--working-hours", "24",
                          "--department", "ИТ")
        self.assert_ok(r, "2026-11-25T16:00:00+03:00\n")

    def test_department_with_its_own_hours(self):
        cfg = self.write("dept.ini", "[store]\nurl = sqlite:var/okno.db\n"
                         "[sla]\ndepartment_hours = passports:08-17; night:00-24\n")
        # 08-17, 9 hours a day: Mon 16:30 -> Mon 0.5, Tue 9, Wed 9, Thu 5.5 from 08:00.
        r = self.deadline("--from", "2026-11-23T16:30:00+03:00", "--working-hours", "24",
                          "--department", "passports", config=cfg)
        self.assert_ok(r, "2026-11-26T13:30:00+03:00\n")
        # Working days end at the department's close.
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--working-days", "3",
                          "--department", "passports", config=cfg)
        self.assert_ok(r, "2026-11-26T17:00:00+03:00\n")
        # Another department (and none) keeps 09-18: Mon 1.5, Tue 9, Wed 9, Thu 4.5.
        for extra in (["--department", "visas"], []):
            r = self.deadline("--from", "2026-11-23T16:30:00+03:00", "--working-hours", "24",
                              *extra, config=cfg)
            self.assert_ok(r, "2026-11-26T13:30:00+03:00\n")
        r = self.deadline("--from", "2026-11-23T07:30:00+03:00", "--working-hours", "24",
                          "--department", "visas", config=cfg)
        self.assert_ok(r, "2026-11-25T15:00:00+03:00\n")
        r = self.deadline("--from", "2026-11-23T07:30:00+03:00", "--working-hours", "24",
                          "--department", "passports", config=cfg)
        self.assert_ok(r, "2026-11-25T14:00:00+03:00\n")
        # Round the clock working hours: Mon 16:30 + 24 -> Tue 16:30 (a working day).
        r = self.deadline("--from", "2026-11-23T16:30:00+03:00", "--working-hours", "24",
                          "--department", "night", config=cfg)
        self.assert_ok(r, "2026-11-24T16:30:00+03:00\n")
        # "N hours" does not depend on hours.
        r = self.deadline("--from", "2026-11-23T16:30:00+03:00", "--hours", "24",
                          "--department", "passports", config=cfg)
        self.assert_ok(r, "2026-11-24T16:30:00+03:00\n")

    def test_bad_department_hours_fail_at_load(self):
        cfg = self.write("bad.ini", "[store]\nurl = sqlite:var/okno.db\n"
                         "[sla]\ndepartment_hours = passports:17-08\n")
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--working-hours", "1",
                          "--department", "passports", config=cfg)
        self.assert_user_error(r, "[sla] department_hours: 'passports:17-08'")

    def test_calendar_file_from_the_config_is_used(self):
        self.write("cal2030.txt", CAL_2030)
        cfg = self.write("c2.ini", "[store]\nurl = sqlite:var/okno.db\n[calendar]\nfile = cal2030.txt\n")
        # From Friday 4 January 2030 the next working day is Saturday 5 January, shortened.
        r = self.deadline("--from", "2030-01-04T12:00:00+03:00", "--working-days", "1", config=cfg)
        self.assert_ok(r, "2030-01-05T17:00:00+03:00\n")

    # --- user errors ---

    def test_no_amount(self):
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00")
        self.assert_user_error(r, "give exactly one of --working-hours, --working-days, --calendar-days, --hours")

    def test_two_amounts(self):
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--hours", "1", "--working-days", "2")
        self.assert_user_error(r, "give exactly one of")

    def test_amount_not_a_positive_number(self):
        for bad in ("0", "-3", "ten", "1.5", "100001"):
            with self.subTest(amount=bad):
                r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--working-days", bad)
                self.assert_user_error(r, "--working-days needs a whole number from 1 to 100000")

    def test_missing_from(self):
        self.assert_user_error(self.deadline("--hours", "1"), "--from is required")

    def test_from_without_offset_or_garbage(self):
        for bad in ("2026-11-23T10:00:00", "tomorrow", "2026-13-01T10:00:00+03:00"):
            with self.subTest(frm=bad):
                r = self.deadline("--from", bad, "--hours", "1")
                self.assert_user_error(r, "--from needs RFC 3339 with an offset")

    def test_past_the_calendar_is_an_error(self):
        r = self.deadline("--from", "2027-12-30T12:00:00+03:00", "--working-days", "3")
        self.assert_user_error(
            r, "the production calendar has no data for 2028; import it with okno calendar import")

    def test_unexpected_argument(self):
        r = self.deadline("--from", "2026-11-23T10:00:00+03:00", "--hours", "1", "extra")
        self.assert_user_error(r, "unexpected argument 'extra'")

    def test_broken_calendar_in_config_names_file_and_line(self):
        self.write("bad.txt", "2030-01-01 off\n2030-01-02 holiday\n")
        cfg = self.write("c3.ini", "[calendar]\nfile = bad.txt\n")
        r = self.deadline("--from", "2030-01-03T12:00:00+03:00", "--working-days", "1", config=cfg)
        self.assert_user_error(r, "bad.txt:2: unknown kind 'holiday'")

    # --- okno calendar show ---

    def test_month_table_marks_holidays_and_short_days(self):
        r = self.run_okno("calendar", "show", "2026-05")
        self.assertEqual(r.returncode, 0, r.stderr)
        table = ("Май 2026\n"
                 " Пн   Вт   Ср   Чт   Пт   Сб   Вс\n"
                 "%s1*   2    3\n" % (" " * 22) +
                 "  4    5    6    7    8~   9*  10\n"
                 " 11*  12   13   14   15   16   17\n"
                 " 18   19   20   21   22   23   24\n"
                 " 25   26   27   28   29   30   31\n")
        self.assertTrue(r.stdout.startswith(table), r.stdout)
        self.assertIn("Рабочих дней: 19, часов: 151", r.stdout)
        self.assertIn("~  сокращённый", r.stdout)

    def test_month_table_marks_a_transferred_working_saturday(self):
        r = self.run_okno("calendar", "show", "2025-11")
        self.assertEqual(r.returncode, 0, r.stderr)
        # 1 November 2025 is a Saturday worked (shortened); 3 and 4 November off.
        self.assertIn("\n" + " " * 27 + "1+~  2\n  3*   4*   5 ", r.stdout)

    def test_year_totals_match_the_decrees(self):
        for year in ("2025", "2026", "2027"):
            with self.subTest(year=year):
                r = self.run_okno("calendar", "show", year)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Рабочих дней: 247\n", r.stdout)
                self.assertIn("Рабочих часов: 1972\n", r.stdout)
        r = self.run_okno("calendar", "show", "2026")
        self.assertIn("Месяц       дней  часов\nЯнварь        15    120\n", r.stdout)
        self.assertIn("Май           19    151\n", r.stdout)

    def test_show_errors(self):
        self.assert_user_error(self.run_okno("calendar", "show", "2028"), "no data for 2028")
        self.assert_user_error(self.run_okno("calendar", "show", "2026-13"), "is not a year YYYY or a month")
        self.assert_user_error(self.run_okno("calendar", "frobnicate"), "usage: okno calendar")

    # --- okno calendar import ---

    def test_import_validates_before_installing(self):
        dest = os.path.join(self.dir, "var", "calendar.txt")
        bad = self.write("bad.txt", "2030-01-01 off\n2030-01-01 short\n")
        r = self.run_okno("calendar", "import", bad)
        self.assert_user_error(r, "bad.txt:2: 2030-01-01 is already listed on line 1")
        self.assertFalse(os.path.exists(dest))

    def test_import_installs_next_to_the_store_and_is_used(self):
        dest = os.path.join(self.dir, "var", "calendar.txt")
        good = self.write("new.txt", CAL_2030)
        r = self.run_okno("calendar", "import", good)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(dest, r.stdout)
        with open(dest, encoding="utf-8") as f:
            self.assertEqual(f.read(), CAL_2030)
        r = self.deadline("--from", "2030-01-04T12:00:00+03:00", "--working-days", "1")
        self.assert_ok(r, "2030-01-05T17:00:00+03:00\n")
        # A wrong file later leaves the installed one untouched.
        bad = self.write("bad.txt", "2031-02-30 off\n")
        self.assert_user_error(self.run_okno("calendar", "import", bad), "bad.txt:1: '2031-02-30' is not a date")
        with open(dest, encoding="utf-8") as f:
            self.assertEqual(f.read(), CAL_2030)
        self.assertEqual([n for n in os.listdir(os.path.dirname(dest)) if "calendar" in n], ["calendar.txt"])

    def test_import_writes_where_the_config_says(self):
        cfg = self.write("c4.ini", "[calendar]\nfile = cal/in-use.txt\n")
        with open(SHIPPED, encoding="utf-8") as f:
            shipped = f.read()
        r = self.run_okno("calendar", "import", SHIPPED, config=cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, "cal", "in-use.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read(), shipped)


if __name__ == "__main__":
    unittest.main()
