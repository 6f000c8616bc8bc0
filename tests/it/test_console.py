"""test_console: the operator console over HTTP against the real daemon (issue 4).

Staff accounts are made with `okno user add --json`; the TOTP code is computed here
from the printed otpauth:// URI with the stdlib's hmac. Covered: sign-in with TOTP
(and the forced password change of a first sign-in), wrong password / wrong code (one
message, which part is not told), lock-out, session fixation (the browser's session
before sign-in is worthless after it), CSRF missing and replayed after sign-out, IDOR
between departments (dept A's operator gets 404 for dept B's appeal, page and
actions), the auditor reads but cannot act (403), XSS through the subject, the name,
an attachment's file name and the body (shown escaped), a stale version (409, nothing
changed), unmasking journaled, attachments downloaded (404 across departments),
queues (counts, status filter, deadline sort, Russian full-text search), transfer with
a reason and escalation, merging a duplicate (its thread then joins the target),
splitting inbound messages into a new appeal (events on both, the attachment moves;
all messages, an outbound one, an unknown place, a stale version and the auditor are
refused), extending the deadline with a reason and confirming urgency (supervisors
only; a stale version 409),
administration (users with the QR enrolment image, departments, routing rules; 403 for
others), templates and the reply: previewed, then sent as a threaded, DKIM-signed
letter in the outbound maildir, stored as an `out` message and the appeal `answered`.
Runs on SQLite, and on PostgreSQL as it_console_pg.
"""
import copy
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import time
import unittest
import urllib.parse
from email import message_from_bytes, policy
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SUPPORT, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

try:
    import dkim  # noqa: E402
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim  # noqa: E402

PASSWORD = "Зелёный-чай-42"
XSS = '<script>alert(1)</script>"\'&'


def letter(subject, body, sender="ivan.petrov@mail.example", name="Иван Петров",
           attachment=None, msgid=None):
    m = EmailMessage()
    m["From"] = "%s <%s>" % (name, sender)
    m["To"] = SUPPORT
    m["Subject"] = subject
    m["Message-ID"] = msgid or "<%d@mail.example>" % time.time_ns()
    m["References"] = "<earlier-1@mail.example>"
    m.set_content(body)
    if attachment:
        m.add_attachment(b"%PDF-1.4\n%fake\n", maintype="application", subtype="pdf",
                         filename=attachment)
    return m.as_bytes()


# The one answer to a wrong password or code, an unknown login and a locked address.
BAD = ("Неверный логин, пароль или код. После нескольких неудачных попыток вход с этого "
       "адреса на время закрывается.")


class Console(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.key = os.path.join(self.okno.dir, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True,
                       capture_output=True)
        pem = subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout"], check=True,
                             capture_output=True, text=True).stdout
        self.txt = "v=DKIM1; k=rsa; p=" + "".join(
            l for l in pem.splitlines() if l and not l.startswith("-----"))
        self.okno.write_config({"staff": {"lockout_after": "3"},
                                "dkim": {"selector": "s1", "key": "dkim.pem"},
                                "http": {"forms_per_hour": "1000000",
                                         "requests_per_minute": "100000"}})
        self.cli("department", "add", "--code", "passports", "--name", "Паспортный отдел")
        self.cli("department", "add", "--code", "social", "--name", "Социальный отдел")
        self.cli("route", "add", "--kind", "keyword", "--value", "паспорт",
                 "--department", "passports")
        self.cli("route", "add", "--kind", "keyword", "--value", "пособие",
                 "--department", "social")
        self.users = {}
        for login, role, dept in [("opa", "operator", "passports"),
                                  ("opb", "operator", "social"),
                                  ("supa", "supervisor", "passports"),
                                  ("aud", "auditor", None)]:
            args = ["user", "add", "--login", login, "--role", role, "--json",
                    "--email", login + "@portal.example"]
            if dept:
                args += ["--department", dept]
            self.users[login] = json.loads(self.cli(*args))
        self.okno.start()

    def cli(self, *args, input=None):
        p = self.okno.run(*args, input=input)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def submit(self, raw):
        path = os.path.join(self.okno.dir, "in-%d.eml" % time.time_ns())
        with open(path, "wb") as f:
            f.write(raw)
        return self.cli("submit", path).strip()

    def set_password(self, login):
        self.cli("user", "password", "--login", login, input=PASSWORD + "\n")

    def sign_in(self, login, password=PASSWORD, code=None, client=None, expect=303,
                csrf_from="/console/login"):
        c = client or HttpClient(self.okno.base_url)
        token = c.csrf(csrf_from)
        r = c.post("/console/login", {"csrf": token, "login": login, "password": password,
                                      "code": code or totp(self.users[login]["totp_uri"])})
        self.assertEqual(r.status, expect, r.text[:800])
        return c, r

    def page_csrf_version(self, c, number):
        r = c.get("/console/appeals/" + number)
        self.assertEqual(r.status, 200, r.text[:500])
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)
        m = re.search(r'name="version" value="(\d+)"', r.text)
        # a read-only page has no forms: take the version a forger would know
        version = m.group(1) if m else str(self.okno.show_json(number)["version"])
        return r, csrf, version

    def act(self, c, number, action, fields=None, expect=303):
        _, csrf, version = self.page_csrf_version(c, number)
        f = {"csrf": csrf, "version": version}
        f.update(fields or {})
        r = c.post("/console/appeals/%s/%s" % (number, action), f)
        self.assertEqual(r.status, expect, r.text[:800])
        return r

    def outbox(self):
        new = os.path.join(self.okno.dir, "outbox", "new")
        out = []
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read())
        return out

    def wait_outbox(self, pred, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            found = [m for m in self.outbox() if pred(m)]
            if found:
                return found[0]
            time.sleep(0.2)
        self.fail("no such letter in the outbox")

    # ---- sign-in ----

    def test_first_sign_in_forces_a_password_change_then_totp_signs_in(self):
        u = self.users["opa"]
        c, r = self.sign_in("opa", password=u["password"])
        self.assertEqual(r.headers.get("Location"), "/console/password")
        self.assertEqual(c.get("/console").headers.get("Location"), "/console/password")
        csrf = c.csrf("/console/password")
        r = c.post("/console/password", {"csrf": csrf, "current": u["password"],
                                         "password": "short", "password2": "short"})
        self.assertEqual(r.status, 422)
        self.assertIn("Пароль не подходит", r.text)
        r = c.post("/console/password", {"csrf": csrf, "current": u["password"],
                                         "password": PASSWORD, "password2": PASSWORD})
        self.assertEqual(r.status, 303, r.text[:500])
        r = c.get("/console")
        self.assertEqual(r.status, 200)
        self.assertIn("Очереди обращений", r.text)
        # the account page lists this sign-in and this session
        r = c.get("/console/account")
        self.assertIn("успешно", r.text)
        self.assertIn("этот сеанс", r.text)

    def test_wrong_password_or_code_one_message_and_lock_out(self):
        self.set_password("opa")
        code = totp(self.users["opa"]["totp_uri"])
        _, r = self.sign_in("opa", password=PASSWORD + "x", code=code, expect=401)
        self.assertIn("Неверный логин, пароль или код", r.text)
        _, r = self.sign_in("opa", code="000000" if code != "000000" else "111111", expect=401)
        self.assertIn("Неверный логин, пароль или код", r.text)
        _, r = self.sign_in("opa", password="nope", code=code, expect=401)
        self.assertIn(BAD, r.text)
        # the third failure locked this address out of the account: even the right password
        # and code are refused, with the same page as a wrong password (and as a login that
        # names no account)
        _, r = self.sign_in("opa", expect=401)
        self.assertIn(BAD, r.text)
        _, r = self.sign_in("nobody", code="123456", expect=401)
        self.assertIn(BAD, r.text)

    def test_session_fixation_csrf_and_sign_out(self):
        self.set_password("opa")
        self.set_password("opb")
        c = HttpClient(self.okno.base_url)
        c.get("/console/login")
        before = {k.name: k.value for k in c.jar}
        self.assertEqual(c.get("/console").status, 303)
        # a session the browser already had (planted, or the previous user's) dies
        self.sign_in("opb", client=c)
        planted = {k.name: k.value for k in c.jar}["okno_session"]
        self.sign_in("opa", client=c, csrf_from="/console")
        after = {k.name: k.value for k in c.jar}
        self.assertNotEqual(after["okno_session"], planted)
        self.assertNotIn(after["okno_session"], before.values())
        other = HttpClient(self.okno.base_url)
        other.jar.set_cookie(next(k for k in c.jar if k.name == "okno_session"))
        self.assertEqual(other.get("/console").status, 200)
        thief = HttpClient(self.okno.base_url)
        cookie = copy.copy(next(k for k in c.jar if k.name == "okno_session"))
        cookie.value = planted
        thief.jar.set_cookie(cookie)
        self.assertEqual(thief.get("/console").status, 303)
        # CSRF: missing is refused; replayed after sign-out is refused
        csrf = c.csrf("/console")
        self.assertEqual(c.post("/console/logout", {}).status, 403)
        self.assertEqual(c.post("/console/logout", {"csrf": csrf}).status, 303)
        self.sign_in("opa", client=c, code=totp(self.users["opa"]["totp_uri"], step_offset=1))
        self.assertEqual(c.post("/console/logout", {"csrf": csrf}).status, 403)

    # ---- permissions ----

    def test_idor_between_departments_and_the_read_only_auditor(self):
        for login in ("opa", "opb", "aud"):
            self.set_password(login)
        number = self.submit(letter("Выплата пособие", "Не пришло пособие за октябрь."))
        self.assertEqual(self.okno.show_json(number)["department"], "social")
        a, _ = self.sign_in("opa")
        self.assertEqual(a.get("/console/appeals/" + number).status, 404)
        self.assertEqual(a.get("/api/v1/console/appeals/" + number).status, 404)
        csrf = a.csrf("/console")
        for action in ("take", "note", "status", "reply", "unmask", "transfer"):
            r = a.post("/console/appeals/%s/%s" % (number, action),
                       {"csrf": csrf, "version": "1", "text": "x", "status": "in_progress"})
            self.assertEqual(r.status, 404, action)
        self.assertNotIn(number, a.get("/console?view=all").text)
        b, _ = self.sign_in("opb")
        self.assertIn(number, b.get("/console?view=unassigned").text)
        self.assertEqual(b.get("/console/appeals/" + number).status, 200)
        aud, _ = self.sign_in("aud")
        r = aud.get("/console/appeals/" + number)
        self.assertEqual(r.status, 200)
        self.assertNotIn("/take\"", r.text)
        version = self.okno.show_json(number)["version"]
        for action in ("take", "note", "status", "reply", "unmask"):
            self.act(aud, number, action, {"text": "x", "status": "in_progress"}, expect=403)
        self.assertEqual(self.okno.show_json(number)["version"], version)
        self.assertEqual(self.okno.show_json(number)["status"], "new")

    def test_every_field_of_an_appeal_is_shown_escaped(self):
        self.set_password("opa")
        number = self.submit(letter("паспорт " + XSS, "Текст " + XSS, name="Имя " + XSS,
                                    attachment="file" + XSS + ".pdf"))
        a, _ = self.sign_in("opa")
        for path in ("/console/appeals/" + number, "/console?view=all"):
            r = a.get(path)
            self.assertEqual(r.status, 200)
            self.assertNotIn("<script>alert(1)", r.text, path)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", r.text, path)
        items = re.findall(r'<li class="attachment">(.*?)</li>', a.get("/console/appeals/" + number).text)
        self.assertEqual(len(items), 1)
        self.assertNotIn("<", re.sub(r'</?a[^>]*>', "", items[0]))
        self.assertIn("&gt;&quot;&#39;&amp;.pdf", items[0])
        # the attachment downloads (never inline) for its department, 404 for another
        href = re.search(r'href="(/console/appeals/[^"]+/attachments/1)"', items[0]).group(1)
        d = a.get(href)
        self.assertEqual(d.status, 200)
        self.assertEqual(d.body, b"%PDF-1.4\n%fake\n")
        self.assertTrue(d.headers.get("Content-Type").startswith("application/octet-stream"))
        self.assertTrue(d.headers.get("Content-Disposition").startswith("attachment"))
        self.assertEqual(a.get(href[:-1] + "2").status, 404)
        self.set_password("opb")
        b, _ = self.sign_in("opb")
        self.assertEqual(b.get(href).status, 404)

    # ---- working an appeal ----

    def test_console_actions_are_counted_per_staff_session(self):
        # two sign-ins use up the address's form budget; each session has its own
        self.assertEqual(self.okno.stop(), 0)
        self.okno.write_config({"staff": {"lockout_after": "3", "actions_per_hour": "4"},
                                "dkim": {"selector": "s1", "key": "dkim.pem"},
                                "http": {"forms_per_hour": "2", "requests_per_minute": "100000"}})
        self.okno.start()
        self.set_password("opa")
        self.set_password("supa")
        number = self.submit(letter("Замена паспорт", "Прошу помочь с паспортом."))
        a, _ = self.sign_in("opa")
        s, _ = self.sign_in("supa")
        for i in range(4):
            self.act(a, number, "note", {"text": "Заметка %d" % i})
        self.act(a, number, "note", {"text": "Лишняя"}, expect=429)
        self.act(s, number, "note", {"text": "Заметка руководителя"})

    def test_take_stale_version_note_unmask_and_status(self):
        self.set_password("opa")
        self.set_password("supa")
        number = self.submit(letter("Замена паспорт", "Прошу помочь, телефон +7 916 123-45-67."))
        a, _ = self.sign_in("opa")
        s, _ = self.sign_in("supa")
        _, csrf_a, v = self.page_csrf_version(a, number)
        r = s.get("/console/appeals/" + number)
        self.assertIn("opa", r.text)  # presence: the supervisor sees who else has it open
        self.act(a, number, "take")
        shown = self.okno.show_json(number)
        self.assertEqual(shown["status"], "in_progress")
        # a form rendered before the take is stale: refused, nothing changed
        r = a.post("/console/appeals/%s/note" % number, {"csrf": csrf_a, "version": v,
                                                           "text": "старая форма"})
        self.assertEqual(r.status, 409)
        self.assertIn("Обращение уже изменил другой сотрудник", r.text)
        self.assertEqual(self.okno.show_json(number)["version"], shown["version"])
        self.act(a, number, "note", {"text": "Позвонить заявителю"})
        r = a.get("/console/appeals/" + number)
        # the side panel's summary is masked (the letters themselves show what was written)
        self.assertNotIn("123-45-67", r.text.split("<aside")[1].split("</aside>")[0])
        self.assertIn("***67", r.text)
        r = self.act(a, number, "unmask", expect=200)
        self.assertIn("+79161234567", r.text.replace(" ", "").replace("-", ""))
        r = self.act(a, number, "status", {"status": "closed", "reason": ""}, expect=303)
        r = self.act(a, number, "status", {"status": "new"}, expect=422)
        self.assertIn("нельзя", r.text)
        kinds = [e["kind"] for e in self.okno.show_json(number)["events"]]
        for k in ("assigned", "status_changed", "note", "unmasked"):
            self.assertIn(k, kinds)

    def test_staff_reads_are_journaled_and_shown_to_the_auditor(self):
        self.set_password("opa")
        self.set_password("aud")
        number = self.submit(letter("Замена паспорт", "Телефон +7 916 123-45-67.",
                                    attachment="scan.pdf"))
        a, _ = self.sign_in("opa")
        r = a.get("/console/appeals/" + number)
        self.assertEqual(r.status, 200)
        self.assertEqual(a.get("/console/appeals/%s/attachments/1" % number).status, 200)
        r = a.get("/console/appeals/%s/raw/1" % number)
        self.assertEqual(r.status, 200)
        self.assertIn(b"Subject:", r.body)
        self.act(a, number, "unmask", expect=200)
        # an operator does not see the journal page
        self.assertEqual(a.get("/console/journal").status, 403)
        d, _ = self.sign_in("aud")
        j = d.get("/api/v1/console/journal?appeal=" + number).json()
        mine = [x for x in j["access"] if x["login"] == "opa"]
        actions = sorted(x["action"] for x in mine)
        # the page twice (the unmask re-reads the page it posts from), file, raw, unmask
        self.assertEqual(actions, ["download", "raw", "unmask", "view", "view"])
        self.assertTrue(all(x["ip"] == "127.0.0.1" and x["number"] == number and
                            x["department"] == "passports" and x["role"] == "оператор"
                            for x in mine), mine)
        self.assertGreater(j["size"], 0)
        j = d.get("/api/v1/console/journal?login=opa").json()
        self.assertEqual(len(j["access"]), 5)
        page = d.get("/console/journal?login=opa")
        self.assertIn("скачал(а) исходное письмо", page.text)
        self.assertIn("Последняя ежедневная проверка", page.text)
        # every read is a leaf the store agrees with; one removed by hand is found
        r = self.okno.run("journal", "verify", "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        gone = "DELETE FROM access_log WHERE action = 'raw'"
        if self.okno.store_url.startswith("sqlite:"):
            with sqlite3.connect(self.okno.store_url[len("sqlite:"):]) as db:
                db.execute(gone)
        else:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                            self.okno.store_url, "-c", gone], check=True, capture_output=True)
        r = self.okno.run("journal", "verify", "--json")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["first"]["record"], "access")
        self.assertEqual(json.loads(r.stdout)["first"]["number"], number)

    def test_auditor_exports_an_evidence_bundle_that_verifies(self):
        self.set_password("opa")
        self.set_password("aud")
        key = json.loads(self.cli("journal", "init", "--json"))
        number = self.submit(letter("Замена паспорт", "Прошу помочь."))
        a, _ = self.sign_in("opa")
        token = a.csrf("/console")
        self.assertEqual(a.post("/console/journal/export", {"csrf": token, "appeal": number}).status,
                         403)
        d, _ = self.sign_in("aud")
        page = d.get("/console/journal")
        self.assertIn("Выгрузить пакет доказательств", page.text)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        r = d.post("/console/journal/export", {"csrf": token, "appeal": number})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertIn("evidence-%s.tar" % number, r.headers["Content-Disposition"])
        out = os.path.join(self.okno.dir, "from-console")
        os.mkdir(out)
        with tarfile.open(fileobj=io.BytesIO(r.body)) as t:
            t.extractall(out, filter="data")
        bundle = os.path.join(out, "evidence-" + number)
        self.assertTrue(os.path.exists(os.path.join(bundle, "README.txt")))
        p = subprocess.run([os.environ.get("OKNO_BIN", "okno"), "evidence", "verify", "--key",
                            key["public_key"], bundle], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        j = d.get("/api/v1/console/journal?appeal=" + number).json()
        self.assertIn("export", [x["action"] for x in j["access"] if x["login"] == "aud"])

    def test_reply_from_a_template_is_threaded_signed_and_stored(self):
        self.set_password("supa")
        msgid = "<citizen-1@mail.example>"
        number = self.submit(letter("Потерян паспорт", "Что делать?", msgid=msgid))
        s, _ = self.sign_in("supa")
        csrf = s.csrf("/console/templates")
        r = s.post("/console/templates", {"csrf": csrf, "department": "passports",
                                          "name": "Потеря",
                                          "body": "Здравствуйте, {{name}}! По обращению "
                                                  "№ {{number}} от {{received}} сообщаем: "
                                                  "обратитесь в МФЦ. {{operator}}"})
        self.assertEqual(r.status, 303, r.text[:500])
        page = s.get("/console/appeals/" + number).text
        tid = re.search(r'<option value="(\d+)">Потеря</option>', page).group(1)
        self.act(s, number, "take")
        r = self.act(s, number, "reply", {"template": tid, "step": "preview"}, expect=200)
        self.assertIn("Предпросмотр ответа", r.text)
        self.assertIn("Здравствуйте, Иван Петров! По обращению № " + number, r.text)
        self.assertEqual(self.okno.show_json(number)["status"], "in_progress")
        text = re.search(r'<textarea id="text" name="text" rows="16">(.*?)</textarea>', r.text,
                         re.S).group(1)
        import html
        self.act(s, number, "reply", {"text": html.unescape(text), "step": "send"})
        shown = self.okno.show_json(number)
        self.assertEqual(shown["status"], "answered")
        out = [m for m in shown["messages"] if m["direction"] == "out" and
               m["subject"].startswith("Ответ на обращение")]
        self.assertEqual(len(out), 1)
        raw = self.wait_outbox(lambda m: b"In-Reply-To: " + msgid.encode() in m and
                               b"Auto-Submitted" not in m)
        msg = message_from_bytes(raw, policy=policy.default)
        self.assertIn(number, str(msg["Subject"]))
        self.assertIn(msgid, str(msg["References"]))
        self.assertIn("<earlier-1@mail.example>", str(msg["References"]))
        self.assertEqual(msg["From"].addresses[0].addr_spec, SUPPORT)
        self.assertIn("обратитесь в МФЦ", msg.get_content())

        def dns(name, timeout=5):
            if name == b"s1._domainkey.portal.example.":
                return self.txt.encode()
            return None
        self.assertTrue(dkim.verify(raw, dnsfunc=dns))
        # the JSON twin shows the reply too
        j = s.get("/api/v1/console/appeals/" + number).json()
        self.assertEqual(j["status"], "answered")

    def test_transfer_with_a_reason_and_escalation(self):
        self.set_password("opa")
        self.set_password("opb")
        number = self.submit(letter("Паспорт и пособие", "Вопрос про паспорт."))
        a, _ = self.sign_in("opa")
        self.act(a, number, "take")
        r = self.act(a, number, "transfer", {"department": "social", "reason": ""}, expect=422)
        self.assertIn("причину", r.text)
        r = self.act(a, number, "escalate", {"reason": "жалоба"}, expect=422)
        self.assertIn("нет вышестоящего", r.text)
        r = self.act(a, number, "transfer", {"department": "social",
                                             "reason": "вопрос о пособии"})
        self.assertEqual(r.headers.get("Location"), "/console")
        shown = self.okno.show_json(number)
        self.assertEqual(shown["department"], "social")
        ev = [e for e in shown["events"] if e["kind"] == "transferred"][0]["detail"]
        self.assertEqual((ev["from"], ev["to"], ev["reason"], ev["by"]),
                         ("passports", "social", "вопрос о пособии", "opa"))
        self.assertEqual(a.get("/console/appeals/" + number).status, 404)
        b, _ = self.sign_in("opb")
        self.assertIn(number, b.get("/console?view=unassigned").text)

    def test_supervisor_merges_a_duplicate_keeping_history(self):
        self.set_password("supa")
        self.set_password("opa")
        orig = self.submit(letter("Паспорт не готов", "Когда будет готов паспорт?"))
        dup = self.submit(letter("Паспорт не готов (повторно)", "Пишу повторно о паспорте.",
                                 msgid="<dup-1@mail.example>"))
        o, _ = self.sign_in("opa")
        self.act(o, dup, "merge", {"into": orig}, expect=403)  # operators do not merge
        s, _ = self.sign_in("supa")
        r = self.act(s, dup, "merge", {"into": "26-999999-1"}, expect=422)
        r = self.act(s, dup, "merge", {"into": orig})
        self.assertEqual(r.headers.get("Location"), "/console/appeals/" + orig)
        d, t = self.okno.show_json(dup), self.okno.show_json(orig)
        self.assertEqual(d["status"], "closed")
        self.assertEqual(d["messages"], [])
        self.assertIn("merged_into", [e["kind"] for e in d["events"]])
        self.assertIn("merged_from", [e["kind"] for e in t["events"]])
        self.assertIn("Пишу повторно о паспорте.", [m["text"].strip() for m in t["messages"]])
        # a reply in the duplicate's thread now joins the original
        reply = letter("Re: ваше письмо", "Дополняю.", msgid="<dup-2@mail.example>")
        reply = reply.replace(b"References: <earlier-1@mail.example>",
                              b"In-Reply-To: <dup-1@mail.example>\nReferences: <dup-1@mail.example>")
        self.assertEqual(self.submit(reply), orig)

    def test_operator_splits_inbound_messages_into_a_new_appeal(self):
        self.set_password("opa")
        self.set_password("supa")
        first = self.submit(letter("Паспорт не готов", "Когда будет готов паспорт?",
                                   msgid="<split-1@mail.example>"))
        more = letter("Re: паспорт", "И ещё: потерял заграничный паспорт.",
                      attachment="справка.pdf", msgid="<split-2@mail.example>")
        more = more.replace(b"References: <earlier-1@mail.example>",
                            b"In-Reply-To: <split-1@mail.example>\nReferences: <split-1@mail.example>")
        self.assertEqual(self.submit(more), first)
        msgs = self.okno.show_json(first)["messages"]
        inbound = [i + 1 for i, m in enumerate(msgs) if m["direction"] == "in"]
        self.assertEqual(len(inbound), 2, msgs)
        o, _ = self.sign_in("opa")
        self.act(o, first, "take")
        # refused: all inbound messages, an outbound one or one of no such place, nothing
        before = self.okno.show_json(first)
        self.act(o, first, "split", {"messages": ",".join(map(str, inbound))}, expect=422)
        outbound = [i + 1 for i, m in enumerate(msgs) if m["direction"] != "in"]
        if outbound:
            self.act(o, first, "split", {"messages": str(outbound[0])}, expect=422)
        self.act(o, first, "split", {"messages": str(len(msgs) + 5)}, expect=422)
        r = self.act(o, first, "split", {"messages": "x"}, expect=422)
        self.assertIn("входящие сообщения этого обращения", r.text)
        self.act(o, first, "split", {"messages": ""}, expect=422)
        self.assertEqual(self.okno.show_json(first)["messages"], before["messages"])
        # a stale version: 409
        _, csrf, version = self.page_csrf_version(o, first)
        r = o.post("/console/appeals/%s/split" % first,
                   {"csrf": csrf, "version": str(int(version) - 1),
                    "messages": str(inbound[1])})
        self.assertEqual(r.status, 409, r.text[:500])
        # an auditor cannot
        self.set_password("aud")
        a, _ = self.sign_in("aud")
        self.act(a, first, "split", {"messages": str(inbound[1])}, expect=403)
        # the split
        r = self.act(o, first, "split", {"messages": str(inbound[1])})
        new = r.headers.get("Location").rsplit("/", 1)[1]
        self.assertNotEqual(new, first)
        old, fresh = self.okno.show_json(first), self.okno.show_json(new)
        self.assertEqual(fresh["status"], "new")
        self.assertEqual(fresh["related"], first)
        self.assertTrue(fresh["deadline"], fresh)
        texts = [m["text"].strip() for m in fresh["messages"]]
        self.assertEqual(texts, ["И ещё: потерял заграничный паспорт."])
        self.assertEqual([x["filename"] for x in fresh["messages"][0]["attachments"]],
                         ["справка.pdf"])
        self.assertNotIn("И ещё: потерял заграничный паспорт.",
                         [m["text"].strip() for m in old["messages"]])
        self.assertIn("Когда будет готов паспорт?", [m["text"].strip() for m in old["messages"]])
        to = [e for e in old["events"] if e["kind"] == "split_to"]
        frm = [e for e in fresh["events"] if e["kind"] == "split_from"]
        self.assertEqual(len(to), 1)
        self.assertEqual(len(frm), 1)
        self.assertEqual(to[0]["detail"]["to"], new)
        self.assertEqual(to[0]["detail"]["by"], "opa")
        self.assertEqual(frm[0]["detail"]["from"], first)
        self.assertEqual(frm[0]["detail"]["by"], "opa")
        # the new appeal is on the operator's page, its attachment downloadable
        r = o.get("/console/appeals/" + new)
        self.assertEqual(r.status, 200)
        self.assertIn("потерял заграничный паспорт", r.text)
        self.assertEqual(o.get("/console/appeals/%s/attachments/1" % new).status, 200)
        # the JSON twin names the new appeal; the last inbound message cannot go
        api = "/api/v1/console/appeals/%s/split" % new
        _, csrf, version = self.page_csrf_version(o, new)
        r = o.post(api, {"csrf": csrf, "version": version, "messages": "1"})
        self.assertEqual(r.status, 422, r.text[:500])

    def test_supervisor_extends_the_deadline_and_confirms_urgency(self):
        self.set_password("opa")
        self.set_password("supa")
        n = self.submit(letter("Паспорт не готов", "Когда будет готов паспорт?"))
        before = self.okno.show_json(n)
        self.assertTrue(before["deadline"], before)
        o, _ = self.sign_in("opa")
        self.act(o, n, "take")
        self.act(o, n, "extend", {"by": "2 working days", "reason": "Запрос в архив"},
                 expect=403)
        self.act(o, n, "confirm_urgent", expect=403)
        s, _ = self.sign_in("supa")
        r = self.act(s, n, "extend", {"by": "2 working days", "reason": ""}, expect=422)
        self.assertIn("Укажите причину продления срока.", r.text)
        r = self.act(s, n, "extend", {"by": "два дня", "reason": "Запрос в архив"}, expect=422)
        self.assertEqual(self.okno.show_json(n)["deadline"], before["deadline"])
        self.act(s, n, "extend", {"by": "2 working days", "reason": "Запрос в архив"})
        after = self.okno.show_json(n)
        self.assertGreater(after["deadline"], before["deadline"])
        ext = [e for e in after["events"] if e["kind"] == "deadline_extended"]
        self.assertEqual(len(ext), 1)
        self.assertEqual(ext[0]["detail"]["reason"], "Запрос в архив")
        self.assertEqual(ext[0]["detail"]["by"], "supa")
        # urgency confirmed: the deadline never grows, the appeal becomes urgent
        _, csrf, version = self.page_csrf_version(s, n)
        r = s.post("/api/v1/console/appeals/%s/confirm_urgent" % n,
                   {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertGreater(json.loads(r.text)["version"], int(version))
        urgent = self.okno.show_json(n)
        self.assertLessEqual(urgent["deadline"], after["deadline"])
        self.assertEqual(urgent["priority"], "urgent")
        conf = [e for e in urgent["events"] if e["kind"] == "priority_confirmed"]
        self.assertEqual(conf[0]["detail"]["by"], "supa")
        # a stale version is refused
        r = s.post("/api/v1/console/appeals/%s/confirm_urgent" % n,
                   {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 409, r.text[:500])

    def test_supervisor_holds_an_appeal_and_the_auditor_reads_the_act(self):
        """The legal hold on the appeal page (docs/retention.md) and the acts' list."""
        for login in ("opa", "supa", "aud"):
            self.set_password(login)
        n = self.submit(letter("Паспорт и суд", "Прошу сохранить переписку о паспорте."))
        self.cli("appeal", "status", n, "closed", "--no-deliver")
        o, _ = self.sign_in("opa")
        r = o.get("/console/appeals/" + n)
        self.assertNotIn('action="/console/appeals/%s/hold"' % n, r.text)
        self.act(o, n, "hold", {"reason": "суд"}, expect=403)
        s, _ = self.sign_in("supa")
        r = self.act(s, n, "hold", {"reason": "   "}, expect=422)
        # the message stands next to the field it is about
        self.assertRegex(r.text, r'id="hold-reason"[^>]*aria-invalid="true"')
        self.assertIn('<p class="error" id="hold-reason-error">Укажите основание удержания.</p>',
                      r.text)
        self.act(s, n, "hold", {"reason": "Запрос прокуратуры № 7"})
        r = s.get("/console/appeals/" + n)
        self.assertIn("Удерживается с", r.text)
        self.assertIn("Запрос прокуратуры № 7", r.text)
        self.assertIn('action="/console/appeals/%s/unhold"' % n, r.text)
        later = "2029-01-10T10:00:00+03:00"
        r = self.okno.run("retention", "run", "--now", later, "--json")
        self.assertEqual(json.loads(r.stdout)["held"], 1, r.stdout + r.stderr)
        self.act(s, n, "unhold")
        r = self.okno.run("retention", "run", "--now", later, "--json")
        self.assertEqual(json.loads(r.stdout)["act"], 1, r.stdout + r.stderr)
        r = s.get("/console/appeals/" + n)
        self.assertIn("Персональные данные уничтожены", r.text)
        self.assertNotIn('action="/console/appeals/%s/hold"' % n, r.text)
        # the acts: the auditor's, not the supervisor's
        self.assertEqual(s.get("/console/acts").status, 403)
        a, _ = self.sign_in("aud")
        r = a.get("/console/acts")
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn('href="/console/acts/1.csv"', r.text)
        r = a.get("/console/acts/1.csv")
        self.assertEqual(r.status, 200)
        self.assertIn("attachment", r.headers.get("Content-Disposition", ""))
        self.assertIn(n, r.text)
        r = a.get("/console/acts/1.pdf")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b"%PDF-"))
        self.assertEqual(a.get("/console/acts/2.csv").status, 404)

    def test_queues_count_filter_sort_and_search(self):
        self.set_password("opa")
        n1 = self.submit(letter("Паспорт: замена", "Нужна замена паспорта после смены фамилии."))
        n2 = self.submit(letter("Паспорт утерян", "Утерян паспорт, прошу помочь с заявлением."))
        a, _ = self.sign_in("opa")
        self.act(a, n1, "take")
        q = a.get("/api/v1/console/queue?view=unassigned").json()
        counts = {t["id"]: t["count"] for t in q["queues"]}
        self.assertEqual((counts["mine"], counts["unassigned"], counts["department"]), (1, 1, 2))
        self.assertEqual([x["number"] for x in q["appeals"]], [n2])
        q = a.get("/api/v1/console/queue?view=department&status=in_progress").json()
        self.assertEqual([x["number"] for x in q["appeals"]], [n1])
        q = a.get("/api/v1/console/queue?view=all&sort=deadline").json()
        deadlines = [x["deadline"] for x in q["appeals"]]
        self.assertEqual(len(deadlines), 2)
        # full-text search in Russian forms: «заявлений» finds «заявлением»
        q = a.get("/api/v1/console/queue?view=all&q=" + urllib.parse.quote("заявлений")).json()
        self.assertEqual([x["number"] for x in q["appeals"]], [n2])
        r = a.get("/console?view=all&q=" + urllib.parse.quote("смена фамилий"))
        self.assertIn(n1, r.text)
        self.assertNotIn(n2, r.text)
        self.assertEqual(a.get("/api/v1/console/queue").status, 200)
        self.assertEqual(HttpClient(self.okno.base_url).get("/api/v1/console/queue").status, 401)

    # ---- administration ----

    def test_administrator_adds_a_user_with_qr_enrolment_departments_and_rules(self):
        import html
        admin = json.loads(self.cli("user", "add", "--login", "adm", "--role", "administrator",
                                    "--json"))
        self.users["adm"] = admin
        self.set_password("adm")
        self.set_password("opa")
        op, _ = self.sign_in("opa")
        self.assertEqual(op.get("/console/admin").status, 403)
        csrf = op.csrf("/console")
        self.assertEqual(op.post("/console/admin/departments",
                                 {"csrf": csrf, "code": "x", "name": "X"}).status, 403)
        c, _ = self.sign_in("adm")
        csrf = c.csrf("/console/admin")
        r = c.post("/console/admin/departments", {"csrf": csrf, "code": "tax",
                                                  "name": "Налоговый <b>отдел</b>", "parent": ""})
        self.assertEqual(r.status, 303, r.text[:500])
        r = c.post("/console/admin/departments", {"csrf": csrf, "code": "Bad Code", "name": "X"})
        self.assertEqual(r.status, 422)
        r = c.post("/console/admin/routes", {"csrf": csrf, "kind": "keyword", "value": "налог",
                                             "department": "tax", "position": "1"})
        self.assertEqual(r.status, 303, r.text[:500])
        page = c.get("/console/admin").text
        self.assertIn("Налоговый &lt;b&gt;отдел&lt;/b&gt;", page)
        rules = json.loads(self.cli("route", "list", "--json"))
        self.assertEqual(rules[0]["department"], "tax")
        r = c.post("/console/admin/users", {"csrf": csrf, "login": "novikova", "role": "operator",
                                            "name": "Новикова", "departments": "tax, social"})
        self.assertEqual(r.status, 200, r.text[:800])
        uri = html.unescape(re.search(r"<code>(otpauth://[^<]+)</code>", r.text).group(1))
        password = html.unescape(re.search(r'Временный пароль: <code class="secret">([^<]+)</code>',
                                           r.text).group(1))
        qr = re.search(r'src="(/console/admin/enrolment/[0-9a-f]+\.svg)"', r.text).group(1)
        img = c.get(qr)
        self.assertEqual(img.status, 200)
        self.assertTrue(img.headers.get("Content-Type").startswith("image/svg+xml"))
        self.assertIn(b"<svg", img.body)
        self.assertEqual(op.get(qr).status, 403)
        # the new account signs in with the enrolment and must change its password
        self.users["novikova"] = {"totp_uri": uri}
        n, r = self.sign_in("novikova", password=password)
        self.assertEqual(r.headers.get("Location"), "/console/password")
        # disabling ends the work at once
        r = c.post("/console/admin/users/state", {"csrf": csrf, "login": "novikova",
                                                  "action": "disable"})
        self.assertEqual(r.status, 303)
        self.assertEqual(n.get("/console/password").status, 303)
        listed = {u["login"]: u for u in json.loads(self.cli("user", "list", "--json"))}
        self.assertTrue(listed["novikova"]["disabled"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
