"""test_demo: `scripts/demo` gives a newcomer a console they can sign in to.

Runs the demo's set-up (`scripts/demo --no-serve`, with OKNO_BIN set so nothing is
built or installed, in a temp dir, on free ports) twice: the second run must succeed,
print the same credentials and create no second account or appeal. Then starts
`okno serve` on the configuration the demo wrote and signs in to /console as the
administrator and as the operator with exactly what the demo printed: the login, the
one-time password (then changed, as the console asks at a first sign-in) and a TOTP
code computed here from the printed secret (RFC 6238 with the stdlib's hmac). The
administrator's queue shows the sample appeal's number; the printed QR is the
terminal one (half blocks) and the page addresses are printed.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import OKNO_BIN, SOURCE_DIR, STORE, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

NEW_PASSWORD = "Демо-пароль-2026!x"


class Demo(unittest.TestCase):
    def setUp(self):
        if STORE != "sqlite":
            self.skipTest("the demo runs on SQLite")
        self.okno = Okno(self)
        self.env = dict(os.environ, OKNO_BIN=OKNO_BIN, OKNO_DEMO_DIR=self.okno.dir,
                        OKNO_DEMO_SMTP="127.0.0.1:%d" % self.okno.smtp_port,
                        OKNO_DEMO_HTTP="127.0.0.1:%d" % self.okno.http_port)

    def demo(self):
        p = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "demo"), "--no-serve"],
                           env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    @staticmethod
    def accounts(out):
        """{login: {"password", "secret", "uri"}} from the demo's printout."""
        found = {}
        for block in re.split(r"^==== \w+ ====$", out, flags=re.M)[1:]:
            login = re.search(r"^login: (\S+)$", block, re.M).group(1)
            found[login] = {
                "password": re.search(r"^password \(one-time[^:]*: (\S+)$", block, re.M).group(1),
                "uri": re.search(r"^totp_uri: (\S+)$", block, re.M).group(1),
                "secret": re.search(r"^totp secret[^:]*: ([A-Z2-7]+)$", block, re.M).group(1),
            }
        return found

    def sign_in(self, login, acc):
        c = HttpClient(self.okno.base_url)
        uri = "otpauth://totp/x?secret=" + acc["secret"]  # the printed secret alone
        r = c.post("/console/login", {"csrf": c.csrf("/console/login"), "login": login,
                                      "password": acc["password"], "code": totp(uri)})
        self.assertEqual(r.status, 303, r.text[:800])
        self.assertEqual(r.headers.get("Location"), "/console/password")
        r = c.post("/console/password", {"csrf": c.csrf("/console/password"),
                                         "current": acc["password"],
                                         "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
        self.assertEqual(r.status, 303, r.text[:800])
        r = c.get("/console")
        self.assertEqual(r.status, 200, r.text[:800])
        self.assertIn("Очереди обращений", r.text)
        return c

    def test_demo_accounts_sign_in_and_a_second_run_changes_nothing(self):
        first = self.demo()
        accounts = self.accounts(first)
        self.assertEqual(sorted(accounts), ["admin", "operator"])
        for acc in accounts.values():
            self.assertIn("secret=" + acc["secret"], acc["uri"])
        self.assertIn("\u2580", first)  # the QR code in the terminal (half blocks)
        number = re.search(r"sample appeal from citizen@example.ru: number (\S+)", first).group(1)
        base = self.okno.base_url
        for page in ("/console", "/cabinet", "/status", "/feedback"):
            self.assertIn(base + page, first)

        second = self.demo()
        self.assertEqual(self.accounts(second), accounts)
        self.assertIn("number " + number, second)
        users = self.okno.run("user", "list", "--json")
        self.assertEqual(users.returncode, 0, users.stderr)
        self.assertEqual(sorted(re.findall(r'"login" *: *"([^"]+)"', users.stdout)),
                         ["admin", "operator"])
        appeals = self.okno.list_json()
        self.assertEqual([a["number"] for a in appeals], [number])

        self.okno.start()
        admin = self.sign_in("admin", accounts["admin"])
        self.assertIn(number, admin.get("/console?view=all").text)
        self.sign_in("operator", accounts["operator"])
        # the one-time password no longer works once changed
        c = HttpClient(base)
        r = c.post("/console/login", {"csrf": c.csrf("/console/login"), "login": "admin",
                                      "password": accounts["admin"]["password"],
                                      "code": totp("otpauth://totp/x?secret=" + accounts["admin"]["secret"],
                                                   step_offset=1)})
        self.assertEqual(r.status, 401, r.text[:300])


if __name__ == "__main__":
    unittest.main()
