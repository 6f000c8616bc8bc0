"""test_users: staff accounts, departments and routing rules through the real binary.

`okno user add --json` must print the contract of DESIGN.md (login, a one-time
password meeting the policy, an otpauth:// URI, ten recovery codes); a TOTP code
computed here with the stdlib's hmac from the printed URI must sign in through
`okno user verify` (the console's sign-in path), once per step; recovery codes work
once; reset-2fa replaces the secret; a disabled account is refused; failed sign-ins
lock the guessing address out of the account (not the owner from another address),
answered as a wrong password is, and the owner's notice leaves through the outbound queue of a
running daemon; bad input is one line, exit 1, nothing changed; and a letter that
arrives over SMTP is routed by the rules, the `routed` event naming the rule (or the
triage queue). Runs on SQLite, and on PostgreSQL as it_users_pg.
"""
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import smtplib
import struct
import subprocess
import sys
import time
import unittest
import urllib.parse
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, Okno  # noqa: E402


def totp(uri, at=None, step_offset=0):
    """The RFC 6238 code of an otpauth:// URI at `at` (now), SHA-1, 6 digits, 30 s."""
    q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
    secret = q["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time() if at is None else at) // 30 + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def letter(subject, body, sender="ivan.petrov@mail.example"):
    m = EmailMessage()
    m["From"] = "Иван Петров <%s>" % sender
    m["To"] = SUPPORT
    m["Subject"] = subject
    m["Message-ID"] = "<%d.%s@mail.example>" % (time.time_ns(), subject.encode().hex()[:8])
    m.set_content(body)
    return m.as_bytes()


# The one answer to a wrong password or code, an unknown login and a locked address.
BAD = ("Неверный логин, пароль или код. После нескольких неудачных попыток вход с этого "
       "адреса на время закрывается.")


class Users(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.okno.write_config({"staff": {"lockout_after": "3", "totp_issuer": "Окно"}})

    def ok(self, *args, input=None):
        p = self.okno.run(*args, input=input)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def refused(self, *args, input=None):
        p = self.okno.run(*args, input=input)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        return lines[0]

    def verify(self, login, password, code, code_expected=0, ip="198.51.100.4"):
        p = self.okno.run("user", "verify", "--login", login, "--json", "--ip", ip,
                          "--user-agent", "it-test", input="%s\n%s\n" % (password, code))
        self.assertEqual(p.returncode, code_expected, p.stdout + p.stderr)
        return json.loads(p.stdout)

    def add_user(self, login, role="operator", *extra):
        return json.loads(self.ok("user", "add", "--login", login, "--role", role, "--json", *extra))

    def fresh_step(self):
        """Waits, if needed, so that the current and the next step are both ahead."""
        if time.time() % 30 > 27:
            time.sleep(30 - time.time() % 30 + 0.1)

    def test_add_prints_the_contract_and_totp_from_the_uri_signs_in_once(self):
        self.ok("department", "add", "--code", "passports", "--name", "Паспортный отдел")
        u = self.add_user("ivanov", "supervisor", "--department", "passports",
                          "--email", "ivanov@portal.example", "--name", "Иван Иванов")
        self.assertEqual(set(u), {"login", "role", "password", "totp_uri", "recovery_codes"})
        self.assertEqual(u["login"], "ivanov")
        pw = u["password"]
        self.assertGreaterEqual(len(pw), 8)
        for cls in (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]"):
            self.assertRegex(pw, cls)
        uri = urllib.parse.urlparse(u["totp_uri"])
        self.assertEqual((uri.scheme, uri.netloc), ("otpauth", "totp"))
        self.assertEqual(urllib.parse.unquote(uri.path), "/Окно:ivanov")
        q = urllib.parse.parse_qs(uri.query)
        self.assertEqual(q["issuer"], ["Окно"])
        self.assertEqual((q["algorithm"], q["digits"], q["period"]), (["SHA1"], ["6"], ["30"]))
        self.assertEqual(len(base64.b32decode(q["secret"][0] + "=" * (-len(q["secret"][0]) % 8))), 20)
        self.assertEqual(len(set(u["recovery_codes"])), 10)
        for c in u["recovery_codes"]:
            self.assertRegex(c, r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")

        listed = json.loads(self.ok("user", "list", "--json"))
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["departments"], ["passports"])
        self.assertEqual(listed[0]["role"], "supervisor")
        self.assertEqual(listed[0]["name"], "Иван Иванов")
        self.assertTrue(listed[0]["must_change_password"])
        self.assertEqual(listed[0]["recovery_codes_left"], 10)

        self.fresh_step()
        code = totp(u["totp_uri"])
        r = self.verify("ivanov", pw, code)
        self.assertEqual((r["ok"], r["result"], r["role"]), (True, "ok", "supervisor"))
        r = self.verify("ivanov", pw, code, 1)
        self.assertEqual((r["ok"], r["result"]), (False, "replayed_code"))
        self.assertEqual(r["message"], BAD)
        r = self.verify("ivanov", pw, totp(u["totp_uri"], step_offset=1))
        self.assertEqual(r["result"], "ok")
        r = self.verify("ivanov", pw + "x", totp(u["totp_uri"], step_offset=1), 1)
        self.assertEqual(r["result"], "bad_password")

        # Recovery codes: once each, any case.
        r = self.verify("ivanov", pw, u["recovery_codes"][0].lower())
        self.assertEqual(r["result"], "ok_recovery")
        self.assertEqual(self.verify("ivanov", pw, u["recovery_codes"][0], 1)["result"], "bad_code")

        # The journal: every attempt, newest first, with address and agent, no secrets.
        journal = json.loads(self.ok("user", "journal", "--login", "ivanov", "--json"))
        self.assertEqual([j["result"] for j in journal],
                         ["bad_code", "ok_recovery", "bad_password", "ok", "replayed_code", "ok"])
        self.assertTrue(all(j["ip"] == "198.51.100.4" and j["user_agent"] == "it-test"
                            for j in journal))
        dump = json.dumps(journal)
        self.assertNotIn(pw, dump)
        self.assertNotIn(code, dump)

        # reset-2fa: a new secret; the old one and the old codes stop working.
        new = json.loads(self.ok("user", "reset-2fa", "--login", "ivanov", "--json"))
        self.assertNotEqual(new["totp_uri"], u["totp_uri"])
        self.assertNotIn("password", new)
        self.assertEqual(self.verify("ivanov", pw, u["recovery_codes"][1], 1)["result"], "bad_code")
        self.fresh_step()
        self.assertEqual(self.verify("ivanov", pw, totp(new["totp_uri"]))["result"], "ok")

        # Disabled: refused, and said so only to whoever knows the password.
        self.ok("user", "disable", "--login", "ivanov")
        r = self.verify("ivanov", pw, new["recovery_codes"][0], 1)
        self.assertEqual(r["result"], "disabled")
        self.assertIn("отключена", r["message"])
        self.assertTrue(json.loads(self.ok("user", "list", "--json"))[0]["disabled"])

    def test_owner_sets_a_password_under_the_policy(self):
        u = self.add_user("orlova")
        self.add_user("belov")
        msg = self.refused("user", "password", "--login", "orlova", input="short\n")
        self.assertIn("не менее 8 символов", msg)
        self.assertIn("цифра", msg)
        self.assertIn("распространённых",
                      self.refused("user", "password", "--login", "orlova", input="Qwerty123!\n"))
        self.ok("user", "password", "--login", "orlova", input="Зелёный-чай-42\n")
        self.fresh_step()
        self.assertEqual(self.verify("orlova", u["password"], totp(u["totp_uri"]), 1)["result"],
                         "bad_password")
        r = self.verify("orlova", "Зелёный-чай-42", totp(u["totp_uri"]))
        self.assertEqual(r["result"], "ok")
        self.assertFalse(r["must_change_password"])
        self.verify("belov", "nope", "000000", 1)
        everyone = json.loads(self.ok("user", "journal", "--json"))
        self.assertEqual([(j["login"], j["result"]) for j in everyone],
                         [("belov", "bad_password"), ("orlova", "ok"), ("orlova", "bad_password")])

    def test_bad_input_is_one_line_exit_1_and_changes_nothing(self):
        self.ok("department", "add", "--code", "social", "--name", "Социальный отдел")
        self.add_user("petrov")
        before = (self.ok("user", "list", "--json"), self.ok("department", "list", "--json"),
                  self.ok("route", "list", "--json"))
        self.assertIn("роль", self.refused("user", "add", "--login", "x1", "--role", "boss"))
        self.assertIn("занят", self.refused("user", "add", "--login", "petrov", "--role", "operator"))
        self.assertIn("nope", self.refused("user", "add", "--login", "sidorov", "--role",
                                           "operator", "--department", "nope"))
        self.assertIn("логин", self.refused("user", "add", "--login", "Сидоров", "--role", "operator"))
        self.assertIn("--login", self.refused("user", "add", "--role", "operator"))
        self.assertIn("отдел", self.refused("user", "add", "--login", "boss", "--role", "supervisor"))
        self.refused("user", "add", "--login", "sidorov", "--role", "operator", "--email", "no-at")
        self.assertIn("уже есть", self.refused("department", "add", "--code", "social",
                                               "--name", "Другой"))
        self.refused("department", "add", "--code", "Bad Code", "--name", "Отдел")
        self.refused("department", "add", "--code", "child", "--name", "Отдел", "--parent", "nope")
        self.refused("route", "add", "--kind", "subject", "--value", "x", "--department", "social")
        self.refused("route", "add", "--kind", "keyword", "--value", "x", "--department", "nope")
        self.refused("route", "remove", "999")
        self.refused("route", "remove", "abc")
        self.refused("user", "disable", "--login", "nobody")
        self.refused("user", "reset-2fa", "--login", "nobody")
        self.refused("user", "frobnicate")
        after = (self.ok("user", "list", "--json"), self.ok("department", "list", "--json"),
                 self.ok("route", "list", "--json"))
        self.assertEqual(before, after)

    def test_lock_out_notice_leaves_through_the_outbound_queue(self):
        # Signed with the instance's DKIM key, like receipts.
        subprocess.run(["openssl", "genrsa", "-out", os.path.join(self.okno.dir, "dkim.pem"), "2048"],
                       check=True, capture_output=True)
        self.okno.write_config({"staff": {"lockout_after": "3"},
                                "dkim": {"selector": "s1", "key": "dkim.pem"}})
        u = self.add_user("sidorova", "operator", "--email", "sidorova@portal.example")
        self.okno.start()
        for _ in range(3):
            self.assertEqual(self.verify("sidorova", "guess", "123456", 1)["result"], "bad_password")
        self.fresh_step()
        r = self.verify("sidorova", u["password"], totp(u["totp_uri"]), 1)
        # the guessing address is locked out, answered as any wrong attempt is ...
        self.assertEqual(r["result"], "locked")
        self.assertEqual(r["message"], BAD)
        self.assertEqual(self.verify("nobody", "guess", "123456", 1)["message"], BAD)
        listed = json.loads(self.ok("user", "list", "--json"))[0]
        self.assertEqual(listed["failed_attempts"], 3)
        self.assertIsNone(listed["locked_until"])  # three failures: no account-wide back-off
        # ... and the owner from another address is not
        r = self.verify("sidorova", u["password"], totp(u["totp_uri"]), ip="203.0.113.9")
        self.assertEqual(r["result"], "ok")
        # the journal keeps a login only when it names an account
        logins = [j["login"] for j in json.loads(self.ok("user", "journal", "--json"))]
        self.assertIn("(unknown)", logins)
        self.assertNotIn("nobody", logins)
        # The daemon's delivery pass (every few seconds) writes it to the maildir.
        new = os.path.join(self.okno.dir, "outbox", "new")
        deadline = time.monotonic() + 60
        files = []
        while time.monotonic() < deadline and not files:
            files = os.listdir(new) if os.path.isdir(new) else []
            time.sleep(0.2)
        self.assertEqual(len(files), 1, self.okno.log())
        with open(os.path.join(new, files[0]), "rb") as f:
            notice = f.read()
        self.assertTrue(notice.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;"), notice[:200])
        parsed = email.message_from_bytes(notice, policy=email.policy.default)
        self.assertEqual(parsed["To"].addresses[0].addr_spec, "sidorova@portal.example")
        self.assertEqual(parsed["Auto-Submitted"], "auto-generated")
        body = parsed.get_body(("plain",)).get_content()
        self.assertIn("sidorova", body)
        self.assertIn("198.51.100.4", body)
        self.assertNotIn("guess", body)
        self.assertNotIn(b"guess", open(os.path.join(self.okno.dir, "serve.log"), "rb").read())

    def test_letters_over_smtp_are_routed_by_the_first_matching_rule(self):
        o = self.okno
        self.ok("department", "add", "--code", "root", "--name", "Руководство")
        self.ok("department", "add", "--code", "passports", "--name", "Паспортный отдел",
                "--parent", "root")
        self.ok("department", "add", "--code", "city", "--name", "Городские службы")
        kw = self.ok("route", "add", "--kind", "keyword", "--value", "загранпаспорт",
                     "--department", "passports").strip()
        dom = self.ok("route", "add", "--kind", "sender_domain", "--value", "mos.example",
                      "--department", "city", "--position", "1").strip()
        rules = json.loads(self.ok("route", "list", "--json"))
        self.assertEqual([r["id"] for r in rules], [int(dom), int(kw)])
        o.start()
        numbers = []
        for subject, body, sender in [
                ("Загранпаспорта нет", "Прошу сообщить, готов ли мой загранпаспорт.",
                 "ivan@mail.example"),
                ("Загранпаспорт", "Где мой загранпаспорт?", "anna@dit.mos.example"),
                ("Вопрос", "Как записаться на приём?", "oleg@mail.example")]:
            with smtplib.SMTP("127.0.0.1", o.smtp_port, timeout=30) as s:
                s.ehlo("client.example")
                s.mail(sender)
                s.rcpt(SUPPORT)
                code, text = s.data(letter(subject, body, sender))
            self.assertEqual(code, 250, text)
            numbers.append(text.decode().rsplit(" ", 1)[1])

        def routed(number):
            events = [e for e in o.show_json(number)["events"] if e["kind"] == "routed"]
            self.assertEqual(len(events), 1)
            return events[0]["detail"]

        self.assertEqual(routed(numbers[0]), {"department": "passports", "queue": "department",
                                              "rule": int(kw), "kind": "keyword",
                                              "value": "загранпаспорт"})
        self.assertEqual(routed(numbers[1])["department"], "city")
        self.assertEqual(routed(numbers[1])["rule"], int(dom))
        self.assertEqual(routed(numbers[2]), {"department": "", "queue": "triage", "rule": None})
        self.assertEqual([o.show_json(n)["department"] for n in numbers], ["passports", "city", ""])
        self.assertEqual([a["department"] for a in o.list_json()], ["", "city", "passports"])


if __name__ == "__main__":
    unittest.main()
