"""The citizen cabinet «Мои обращения» over HTTP against the real daemon: sign-in with a
one-time code read from the outbound maildir (wrong, expired, exhausted and resent
codes, CSRF), the list with filters and paging, the card, downloads, replies through
intake, ratings, notification settings (honoured by the receipt sender), the address
change, and the access-control matrix: a second citizen gets 404 on every route that
names the first one's appeal, pages and JSON API alike.
"""
import datetime
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from okno_it import HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
NOW = "2026-11-23T10:00:00+03:00"


def mail(frm, subject, body, msgid, attachment=None):
    """An RFC 5322 message to support, optionally with a PDF attachment."""
    head = (f"From: {frm}\r\nTo: support@portal.example\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 09:58:00 +0300\r\nMessage-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n")
    if not attachment:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n").encode("utf-8")
    import base64
    b64 = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (head + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body + "\r\n--b1\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="spravka.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n--b1--\r\n").encode("utf-8")


BODY = ("Здравствуйте! Не могу записаться на приём через портал: после выбора времени "
        "страница выдаёт ошибку. Прошу помочь разобраться с проблемой.")


class Cabinet(unittest.TestCase):
    def start(self, fake_now=None, keep=False):
        if not keep:
            self.okno = Okno(self)
            # many forms from one test client: the per-IP limits are not under test here
            self.okno.write_config({"http": {"forms_per_hour": "100000",
                                             "requests_per_minute": "100000"}})
        if fake_now:
            os.environ["OKNO_FAKE_NOW"] = fake_now
        try:
            self.okno.start()
        finally:
            os.environ.pop("OKNO_FAKE_NOW", None)
        return self.okno

    def submit(self, raw):
        path = os.path.join(self.okno.dir, "in-%d.eml" % time.monotonic_ns())
        with open(path, "wb") as f:
            f.write(raw)
        r = self.okno.run("submit", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def set_status(self, number, status):
        """An operator's status change through the CLI (ops/ops.h), as in production;
        `answered` carries the answer's text, which goes to the citizen."""
        extra = ["--answer", "Ответ службы поддержки."] if status == "answered" else []
        r = self.okno.run("appeal", "status", number, status, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)

    def mails_to(self, addr, subject_part, count=1, timeout=30):
        """The parsed messages in the outbox to `addr` whose subject holds `subject_part`
        (waits for `count` of them: delivery runs every few seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            found = []
            for p in sorted(glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*")),
                            key=os.path.getmtime):
                with open(p, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                if m["To"] and addr in str(m["To"]) and subject_part in str(m["Subject"]):
                    found.append(m)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def code_for(self, addr, count=1, subject="Код для входа"):
        mails = self.mails_to(addr, subject, count)
        self.assertGreaterEqual(len(mails), count, "no code mail to " + addr)
        m = mails[-1]
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        text = m.get_content()
        return re.search(r":\s*(\d{6})\s", text).group(1)

    def sign_in(self, addr, client=None):
        c = client or HttpClient(self.okno.base_url)
        token = c.csrf("/cabinet/login")
        before = len(self.mails_to(addr, "Код для входа", 0, timeout=0))
        r = c.post("/cabinet/login", {"csrf": token, "email": addr})
        self.assertEqual(r.status, 200, r.text)
        code = self.code_for(addr, before + 1)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": addr, "code": code})
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.headers["Location"], "/cabinet")
        return c

    def page_csrf(self, c):
        return c.csrf("/cabinet")

    # ---- sign-in ----

    def test_sign_in_with_code_and_sign_out(self):
        self.start()
        number = self.submit(mail("Анна <anna@example.ru>", "Запись на приём", BODY, "a1@example.ru"))
        c = HttpClient(self.okno.base_url)
        r = c.get("/cabinet")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers["Location"], "/cabinet/login")
        self.assertEqual(c.get("/api/v1/cabinet/appeals").status, 401)
        token = c.csrf("/cabinet/login")
        # CSRF missing: refused before anything is sent
        self.assertEqual(c.post("/cabinet/login", {"email": "anna@example.ru"}).status, 403)
        r = c.post("/cabinet/login", {"csrf": token, "email": "not an address"})
        self.assertEqual(r.status, 422)
        self.assertIn("Укажите адрес электронной почты", r.text)
        self.assertIn('value="not an address"', r.text)
        r = c.post("/cabinet/login", {"csrf": token, "email": " Anna@Example.RU "})
        self.assertEqual(r.status, 200)
        self.assertIn("Мы отправили код на адрес <strong>anna@example.ru</strong>", r.text)
        code = self.code_for("anna@example.ru")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "anna@example.ru", "code": wrong})
        self.assertEqual(r.status, 422)
        self.assertIn("Код неверный. Осталось попыток: 4.", r.text)
        self.assertEqual(c.post("/cabinet/login/code", {"email": "anna@example.ru", "code": code}).status,
                         403)  # CSRF missing on the code form too
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "anna@example.ru", "code": code})
        self.assertEqual(r.status, 303)
        self.assertIn("okno_session=", r.headers.get("Set-Cookie", ""))
        r = c.get("/cabinet")
        self.assertEqual(r.status, 200)
        self.assertIn(number, r.text)
        self.assertIn("anna@example.ru", r.text)
        # the code is single-use
        r = c.post("/cabinet/login/code", {"csrf": self.page_csrf(c), "email": "anna@example.ru",
                                           "code": code})
        self.assertEqual(r.status, 422)
        session_csrf = self.page_csrf(c)
        self.assertNotEqual(session_csrf, token)  # the session has its own token
        r = c.post("/cabinet/logout", {"csrf": session_csrf})
        self.assertEqual(r.status, 303)
        self.assertEqual(c.get("/cabinet").status, 303)
        # the session's token replayed after sign-out is refused
        self.assertEqual(c.post("/cabinet/logout", {"csrf": session_csrf}).status, 303)
        self.assertEqual(c.post("/cabinet/login", {"csrf": session_csrf, "email": "a@b.ru"}).status, 403)
        self.assertNotIn("anna@example.ru", self.okno.log())  # no address in clear in the log

    def test_api_sign_in(self):
        self.start()
        self.submit(mail("anna@example.ru", "Запись", BODY, "a1@example.ru"))
        c = HttpClient(self.okno.base_url)
        r = c.post("/api/v1/cabinet/login", {"email": "anna@example.ru"})
        self.assertEqual(r.status, 202, r.text)
        self.assertEqual(r.json(), {"email": "anna@example.ru", "sent": True})
        r = c.post("/api/v1/cabinet/login/code", {"email": "anna@example.ru", "code": "12"})
        self.assertEqual(r.status, 422)
        self.assertIn("code", r.json()["errors"])
        r = c.post("/api/v1/cabinet/login/code",
                   {"email": "anna@example.ru", "code": self.code_for("anna@example.ru")})
        self.assertEqual(r.status, 200, r.text)
        csrf = r.json()["csrf"]
        r = c.get("/api/v1/cabinet/appeals")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["total"], 1)
        # with the session cookie, a state-changing API call needs the token
        self.assertEqual(c.post("/api/v1/cabinet/logout", {}).status, 403)
        r = c.post("/api/v1/cabinet/logout", {}, headers={"X-CSRF-Token": csrf})
        self.assertEqual(r.status, 200)
        self.assertEqual(c.get("/api/v1/cabinet/appeals").status, 401)

    def test_code_mail_is_dkim_signed(self):
        self.okno = Okno(self)
        subprocess.run(["openssl", "genrsa", "-out", os.path.join(self.okno.dir, "dkim.pem"), "2048"],
                       check=True, capture_output=True)
        self.okno.write_config({"dkim": {"selector": "okno1", "key": "dkim.pem"}})
        self.okno.start()
        c = HttpClient(self.okno.base_url)
        c.post("/cabinet/login", {"csrf": c.csrf("/cabinet/login"), "email": "zoya@example.ru"})
        m = self.mails_to("zoya@example.ru", "Код для входа")[0]
        sig = str(m["DKIM-Signature"])
        self.assertIn("d=portal.example", sig)
        self.assertIn("s=okno1", sig)
        self.code_for("zoya@example.ru")

    def test_too_many_attempts_and_new_code(self):
        self.start()
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/cabinet/login")
        c.post("/cabinet/login", {"csrf": token, "email": "boris@example.ru"})
        code = self.code_for("boris@example.ru")
        wrong = "%06d" % ((int(code) + 7) % 1000000)
        for left in (4, 3, 2, 1):
            r = c.post("/cabinet/login/code", {"csrf": token, "email": "boris@example.ru", "code": wrong})
            self.assertIn("Осталось попыток: %d." % left, r.text)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "boris@example.ru", "code": wrong})
        self.assertIn("Слишком много неверных попыток", r.text)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "boris@example.ru", "code": code})
        self.assertEqual(r.status, 422)  # even the right code is dead now
        self.assertIn("Слишком много неверных попыток", r.text)
        # a new code works, and only the newest one
        c.post("/cabinet/login", {"csrf": token, "email": "boris@example.ru"})
        code2 = self.code_for("boris@example.ru", 2)
        if code2 != code:
            r = c.post("/cabinet/login/code", {"csrf": token, "email": "boris@example.ru", "code": code})
            self.assertEqual(r.status, 422)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "boris@example.ru", "code": code2})
        self.assertEqual(r.status, 303)

    def test_resend_limit(self):
        self.start()
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/cabinet/login")
        for _ in range(5):
            self.assertEqual(c.post("/cabinet/login", {"csrf": token, "email": "vera@example.ru"}).status, 200)
        r = c.post("/cabinet/login", {"csrf": token, "email": "vera@example.ru"})
        self.assertEqual(r.status, 429)
        self.assertIn("Retry-After", r.headers)
        self.assertIn("Слишком много запросов", r.text)

    def test_expired_code(self):
        okno = self.start(fake_now=NOW)
        c = HttpClient(okno.base_url)
        token = c.csrf("/cabinet/login")
        c.post("/cabinet/login", {"csrf": token, "email": "gleb@example.ru"})
        code = self.code_for("gleb@example.ru")
        self.assertEqual(okno.stop(), 0)
        self.start(fake_now="2026-11-23T10:10:01+03:00", keep=True)  # 10 min 1 s later
        r = c.post("/cabinet/login/code", {"csrf": token, "email": "gleb@example.ru", "code": code})
        self.assertEqual(r.status, 422)
        self.assertIn("Срок действия кода истёк", r.text)

    # ---- list, card, files, reply, rating ----

    def test_list_filters_and_paging(self):
        self.start()
        numbers = [self.submit(mail("dina@example.ru", "Вопрос %d" % i, BODY + " %d" % i,
                                    "d%d@example.ru" % i)) for i in range(22)]
        self.submit(mail("other@example.ru", "Чужое", BODY, "o1@example.ru"))
        self.set_status(numbers[0], "in_progress")
        c = self.sign_in("dina@example.ru")
        r = c.get("/api/v1/cabinet/appeals")
        d = r.json()
        self.assertEqual((d["total"], len(d["appeals"]), "next" in d), (22, 22, False))
        d = c.get("/api/v1/cabinet/appeals?limit=20").json()
        self.assertEqual((d["total"], len(d["appeals"]), "prev" in d), (22, 20, False))
        self.assertEqual(d["appeals"][0]["number"], numbers[-1])  # newest first
        # keyset: an appeal arriving now does not shift the next page
        self.submit(mail("dina@example.ru", "Новое", BODY, "d-new@example.ru"))
        d2 = c.get("/api/v1/cabinet/appeals?limit=20&after=" + d["next"]).json()
        self.assertEqual([a["number"] for a in d2["appeals"]], [numbers[1], numbers[0]])
        self.assertEqual(d2["total"], 23)
        d3 = c.get("/api/v1/cabinet/appeals?limit=20&before=" + d2["prev"]).json()
        self.assertEqual([a["number"] for a in d3["appeals"]],
                         [a["number"] for a in d["appeals"]])
        self.assertEqual(c.get("/api/v1/cabinet/appeals?after=zzz").status, 422)
        self.assertEqual(c.get("/api/v1/cabinet/appeals?limit=51").status, 422)
        d = c.get("/api/v1/cabinet/appeals?status=in_progress").json()
        self.assertEqual([a["number"] for a in d["appeals"]], [numbers[0]])
        self.assertEqual(d["appeals"][0]["status_label"], "В работе")
        self.assertEqual(c.get("/api/v1/cabinet/appeals?from=2000-01-01&to=2000-01-31").json()["total"], 0)
        self.assertEqual(c.get("/api/v1/cabinet/appeals?from=2000-01-01").json()["total"], 23)
        r = c.get("/api/v1/cabinet/appeals?from=31.12.2026")
        self.assertEqual(r.status, 422)
        self.assertIn("from", r.json()["errors"])
        self.assertEqual(c.get("/api/v1/cabinet/appeals?status=hacked").status, 422)
        r = c.get("/cabinet?limit=20")
        self.assertIn('rel="next"', r.text)
        self.assertIn("Следующие 50", r.text)
        self.assertIn("Всего: 23", r.text)
        self.assertNotIn("Чужое", r.text)

    def test_card_download_reply_and_script_as_text(self):
        self.start()
        number = self.submit(mail("Елена <elena@example.ru>", "Справка <b>жирно</b>", BODY,
                                  "e1@example.ru", attachment=PDF))
        c = self.sign_in("elena@example.ru")
        d = c.get("/api/v1/cabinet/appeals/" + number).json()
        self.assertEqual(d["number"], number)
        self.assertEqual(d["status_label"], "Зарегистрировано")
        self.assertIn("(МСК)", d["deadline_text"])
        self.assertEqual([m["direction"] for m in d["messages"]], ["in", "out"])  # the receipt too
        files = d["messages"][0]["attachments"]
        self.assertEqual(files[0]["filename"], "spravka.pdf")
        r = c.get(files[0]["href"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, PDF)
        self.assertIn("attachment", r.headers["Content-Disposition"])
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(c.get("/cabinet/appeals/%s/files/%d" % (number, files[0]["id"])).body, PDF)
        self.assertEqual(c.get("/cabinet/appeals/%s/files/999" % number).status, 404)
        kinds = [e["text"] for e in d["events"]]
        self.assertIn("Обращение зарегистрировано", kinds)
        page = c.get("/cabinet/appeals/" + number)
        self.assertEqual(page.status, 200)
        self.assertIn("Справка &lt;b&gt;жирно&lt;/b&gt;", page.text)
        # reply with a script and a file: joins the thread, shown as text
        token = self.page_csrf(c)
        r = c.post("/cabinet/appeals/%s/reply" % number,
                   {"csrf": token, "text": "Добавляю скриншот <script>alert(1)</script>"},
                   files=[("files", "screen.png", "image/png", PNG)])
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.headers["Location"], "/cabinet/appeals/%s?sent=1" % number)
        page = c.get(r.headers["Location"])
        self.assertIn("Ваше сообщение добавлено к обращению.", page.text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page.text)
        self.assertNotIn("<script>alert", page.text)
        shown = self.okno.show_json(number)
        ins = [m for m in shown["messages"] if m["direction"] == "in"]
        self.assertEqual(len(ins), 2)
        self.assertIn("<script>alert(1)</script>", ins[1]["text"])
        self.assertEqual(ins[1]["attachments"][0]["filename"], "screen.png")
        self.assertIn("reply_joined", [e["kind"] for e in shown["events"]])
        # the API reply, and the errors
        r = c.post("/api/v1/cabinet/appeals/%s/reply" % number, {"text": "Ещё вопрос"},
                   headers={"X-CSRF-Token": token})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json(), {"number": number, "outcome": "joined"})
        r = c.post("/api/v1/cabinet/appeals/%s/reply" % number, {"text": "  "},
                   headers={"X-CSRF-Token": token})
        self.assertEqual(r.status, 422)
        self.assertEqual(c.post("/cabinet/appeals/%s/reply" % number, {"text": "x"}).status, 403)

    def test_citizen_sees_who_opened_the_appeal_by_role_and_department(self):
        self.start()
        number = self.submit(mail("olga@example.ru", "Справка", BODY, "o1@example.ru"))
        for args in (["department", "add", "--code", "passports", "--name", "Паспортный отдел"],
                     ["user", "add", "--login", "sidorova", "--role", "operator", "--json",
                      "--name", "Сидорова Анна", "--department", "passports",
                      "--email", "sidorova@portal.example"]):
            r = self.okno.run(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
        uri = json.loads(r.stdout)["totp_uri"]
        r = self.okno.run("user", "password", "--login", "sidorova", input="Зелёный-чай-42\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        c = self.sign_in("olga@example.ru")
        self.assertIn("Сотрудники ещё не открывали обращение.",
                      c.get("/cabinet/appeals/" + number).text)
        staff = HttpClient(self.okno.base_url)
        token = staff.csrf("/console/login")
        r = staff.post("/console/login", {"csrf": token, "login": "sidorova",
                                          "password": "Зелёный-чай-42", "code": totp(uri)})
        self.assertEqual(r.status, 303, r.text[:500])
        self.assertEqual(staff.get("/console/appeals/" + number).status, 200)
        d = c.get("/api/v1/cabinet/appeals/" + number).json()
        self.assertEqual(len(d["reads"]), 1)
        read = d["reads"][0]
        self.assertEqual((read["role"], read["department"], read["action"]),
                         ("оператор", "Паспортный отдел", "view"))
        self.assertNotIn("login", read)
        self.assertNotIn("ip", read)
        page = c.get("/cabinet/appeals/" + number).text
        self.assertIn("Кто открывал обращение", page)
        self.assertIn("Паспортный отдел", page)
        self.assertNotIn("sidorova", page)
        self.assertNotIn("Сидорова", page)

    def test_rating_after_answer_once(self):
        self.start()
        number = self.submit(mail("fedor@example.ru", "Оплата", BODY, "f1@example.ru"))
        c = self.sign_in("fedor@example.ru")
        token = self.page_csrf(c)
        r = c.post("/cabinet/appeals/%s/rating" % number, {"csrf": token, "score": "5"})
        self.assertEqual(r.status, 422)
        self.assertIn("Оценить ответ можно, когда он будет дан.", r.text)
        self.assertFalse(c.get("/api/v1/cabinet/appeals/" + number).json()["can_rate"])
        self.set_status(number, "answered")
        self.assertTrue(c.get("/api/v1/cabinet/appeals/" + number).json()["can_rate"])
        r = c.post("/cabinet/appeals/%s/rating" % number, {"csrf": token, "score": "7"})
        self.assertEqual(r.status, 422)
        r = c.post("/cabinet/appeals/%s/rating" % number,
                   {"csrf": token, "score": "4", "comment": "Спасибо <i>быстро</i>"})
        self.assertEqual(r.status, 303)
        d = c.get("/api/v1/cabinet/appeals/" + number).json()
        self.assertEqual(d["rating"]["score"], 4)
        self.assertEqual(d["rating"]["comment"], "Спасибо <i>быстро</i>")
        self.assertFalse(d["can_rate"])
        self.assertIn("Спасибо &lt;i&gt;быстро&lt;/i&gt;", c.get("/cabinet/appeals/" + number).text)
        r = c.post("/api/v1/cabinet/appeals/%s/rating" % number, {"score": "1"},
                   headers={"X-CSRF-Token": token})
        self.assertEqual(r.status, 409)
        self.assertEqual(c.get("/api/v1/cabinet/appeals/" + number).json()["rating"]["score"], 4)

    def test_export_zip_and_deletion_request(self):
        """«Скачать мои данные» (a ZIP read back with zipfile) and «Удалить обращение»
        (docs/retention.md): refused while open, accepted once closed, with a notice
        letter; the retention pass destroys it after the legal minimum."""
        import io
        import json as _json
        import zipfile
        self.start()
        n1 = self.submit(mail("Глеб <gleb@example.ru>", "Справка", BODY, "g1@example.ru",
                              attachment=PDF))
        n2 = self.submit(mail("gleb@example.ru", "Ещё вопрос", "Второе обращение, уникальноеслово.",
                              "g2@example.ru"))
        other = self.submit(mail("ivan@example.ru", "Чужое", BODY, "i1@example.ru"))
        self.set_status(n1, "answered")
        c = self.sign_in("gleb@example.ru")
        self.assertIn('href="/cabinet/export"', c.get("/cabinet").text)
        r = c.get("/cabinet/export")
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertIn("attachment", r.headers.get("Content-Disposition", ""))
        z = zipfile.ZipFile(io.BytesIO(r.body))
        self.assertIsNone(z.testzip())
        names = z.namelist()
        self.assertIn("README.txt", names)
        for n in (n1, n2):
            self.assertIn(n + "/appeal.json", names)
            self.assertEqual(_json.loads(z.read(n + "/appeal.json"))["number"], n)
        self.assertFalse(any(x.startswith(other) for x in names))
        self.assertIn(n1 + "/letters/1-in.eml", names)
        self.assertIn(b"Message-ID: <g1@example.ru>", z.read(n1 + "/letters/1-in.eml"))
        self.assertTrue(any(x.startswith(n1 + "/letters/") and x.endswith("-out.eml")
                            for x in names))  # the receipt and the answer
        self.assertEqual(z.read(n1 + "/attachments/1-spravka.pdf"), PDF)
        self.assertIn("уникальноеслово", z.read(n2 + "/appeal.json").decode())

        token = self.page_csrf(c)
        # open: refused with the reason
        r = c.post("/cabinet/appeals/%s/delete" % n2, {"csrf": token})
        self.assertEqual(r.status, 422)
        self.assertIn("Удалить можно только закрытое обращение", r.text)
        self.assertNotIn('action="/cabinet/appeals/%s/delete"' % n2,
                         c.get("/cabinet/appeals/" + n2).text)
        self.set_status(n2, "closed")
        self.assertIn('action="/cabinet/appeals/%s/delete"' % n2,
                      c.get("/cabinet/appeals/" + n2).text)
        r = c.post("/cabinet/appeals/%s/delete" % n2, {"csrf": token})
        self.assertEqual(r.status, 303, r.text[:300])
        page = c.get("/cabinet/appeals/" + n2).text
        self.assertIn("Вы попросили удалить это обращение", page)
        self.assertNotIn('action="/cabinet/appeals/%s/delete"' % n2, page)
        notice = self.mails_to("gleb@example.ru", "Запрос на удаление обращения")
        self.assertEqual(len(notice), 1)
        self.assertIn("будут уничтожены не позднее", notice[0].get_content())
        self.assertIn("deletion_requested", [e["kind"] for e in self.okno.show_json(n2)["events"]])
        # the pass: not before the minimum, then destroyed; the other appeal stays
        soon = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 20 * 86400))
        r = self.okno.run("retention", "run", "--now", soon, "--json")
        self.assertEqual(_json.loads(r.stdout)["purged"], 0, r.stdout + r.stderr)
        later = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 31 * 86400))
        r = self.okno.run("retention", "run", "--now", later, "--json")
        rep = _json.loads(r.stdout)
        self.assertEqual([(a["number"], a["grounds"]) for a in rep["appeals"]], [(n2, "request")])
        self.assertEqual(self.okno.show_json(n2)["subject"], "")
        self.assertEqual(self.okno.show_json(n1)["subject"], "Справка")
        r = self.okno.run("retention", "act", str(rep["act"]), "--csv")
        self.assertIn("требование субъекта", r.stdout)

    def test_replies_per_cabinet_are_limited(self):
        self.start()
        number = self.submit(mail("kira@example.ru", "Много", BODY, "k1@example.ru"))
        c = self.sign_in("kira@example.ru")
        token = self.page_csrf(c)
        for i in range(30):
            time.sleep(0.1)  # the per-IP form bucket (burst 10) refills at 27 a second here
            r = c.post("/api/v1/cabinet/appeals/%s/reply" % number, {"text": "Дополнение %d" % i},
                       headers={"X-CSRF-Token": token})
            self.assertEqual(r.status, 200, "%d: %s" % (i, r.text))
        r = c.post("/api/v1/cabinet/appeals/%s/reply" % number, {"text": "Ещё одно"},
                   headers={"X-CSRF-Token": token})
        self.assertEqual(r.status, 429)
        self.assertIn("Retry-After", r.headers)

    # ---- settings ----

    def test_settings_and_receipt_honours_registered_off(self):
        self.start()
        self.submit(mail("galina@example.ru", "Первое", BODY, "g1@example.ru"))
        c = self.sign_in("galina@example.ru")
        d = c.get("/api/v1/cabinet/settings").json()
        self.assertEqual(d["settings"], {"registered": True, "status_changed": True,
                                         "answer": True, "clarification": True,
                                         "deadline_reminder": True, "deadline_extended": True,
                                         "sms": False})
        token = self.page_csrf(c)
        r = c.post("/cabinet/settings", {"csrf": token, "status_changed": "on", "answer": "on",
                                         "clarification": "on", "deadline_reminder": "on",
                                         "deadline_extended": "on"})
        self.assertEqual(r.status, 200)
        self.assertIn("Настройки сохранены", r.text)
        self.assertNotIn('name="registered" value="on" checked', r.text)
        self.assertIn('name="answer" value="on" checked', r.text)
        self.assertFalse(c.get("/api/v1/cabinet/settings").json()["settings"]["registered"])
        number = self.submit(mail("galina@example.ru", "Второе", BODY + " Второе.", "g2@example.ru"))
        events = self.okno.show_json(number)["events"]
        sup = [e for e in events if e["kind"] == "autoreply_suppressed"]
        self.assertEqual(len(sup), 1, events)
        self.assertIn("turned registration notices off", sup[0]["detail"]["reason"])
        self.assertEqual(c.post("/cabinet/settings", {"registered": "on"}).status, 403)

    # ---- the address change ----

    def test_address_change(self):
        self.start()
        number = self.submit(mail("ilya@example.ru", "Старое", BODY, "i1@example.ru"))
        old_client = self.sign_in("ilya@example.ru")
        c = self.sign_in("ilya@example.ru")
        token = self.page_csrf(c)
        r = c.post("/cabinet/email", {"csrf": token, "new_email": "ilya@example.ru"})
        self.assertEqual(r.status, 422)
        r = c.post("/cabinet/email", {"csrf": token, "new_email": "ilya.new@example.org"})
        self.assertEqual(r.status, 200)
        code = self.code_for("ilya.new@example.org", subject="Код для смены адреса")
        r = c.post("/cabinet/email/code", {"csrf": token, "new_email": "ilya.new@example.org",
                                           "code": "000000" if code != "000000" else "111111"})
        self.assertEqual(r.status, 422)
        r = c.post("/cabinet/email/code", {"csrf": token, "new_email": "ilya.new@example.org",
                                           "code": code})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers["Location"], "/cabinet?moved=1")
        page = c.get("/cabinet?moved=1")
        self.assertIn("ilya.new@example.org", page.text)
        self.assertIn(number, page.text)  # the old address's appeals moved with the cabinet
        told = self.mails_to("ilya@example.ru", "Адрес личного кабинета изменён")
        self.assertEqual(len(told), 1)
        self.assertIn("ilya.new@example.org", told[0].get_content())
        self.assertEqual(old_client.get("/cabinet").status, 303)  # old sessions signed out
        # the old address alone no longer opens these appeals
        again = self.sign_in("ilya@example.ru")
        self.assertEqual(again.get("/cabinet/appeals/" + number).status, 404)
        # a reply from the new cabinet joins the thread as the appeal's contact
        r = c.post("/api/v1/cabinet/appeals/%s/reply" % number, {"text": "Новый адрес"},
                   headers={"X-CSRF-Token": self.page_csrf(c)})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["outcome"], "joined")

    def test_staff_mail_about_the_appeal_is_not_shown(self):
        """SLA reminders and escalations to staff are kept in the appeal's history
        (docs/sla.md); the citizen's card shows only the citizen's correspondence."""
        self.okno = Okno(self)
        self.okno.write_config({"http": {"forms_per_hour": "100000",
                                         "requests_per_minute": "100000"},
                                "sla": {"operators": "duty@portal.example",
                                        "supervisors": "boss@portal.example"}})
        self.start(keep=True)
        number = self.submit(mail("sveta@example.ru", "Срочно", BODY, "sv1@example.ru"))
        due = self.okno.show_json(number)["deadline"]
        later = datetime.datetime.fromisoformat(due) + datetime.timedelta(days=30)
        r = self.okno.run("scheduler", "run", "--now", later.isoformat())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(int(r.stdout.strip()), 2)  # reminder and overdue at least
        shown = self.okno.show_json(number)
        outs = [m for m in shown["messages"] if m["direction"] == "out"]
        self.assertGreaterEqual(len(outs), 3, shown["messages"])  # receipt + staff mail
        c = self.sign_in("sveta@example.ru")
        d = c.get("/api/v1/cabinet/appeals/" + number).json()
        self.assertEqual([m["direction"] for m in d["messages"]], ["in", "out"], d["messages"])
        page = c.get("/cabinet/appeals/" + number).text
        self.assertNotIn("Напоминание: срок ответа", page)
        self.assertNotIn("Просрочено обращение", page)
        self.assertNotIn("duty@portal.example", page)
        self.assertIn("Срок ответа истёк", page)

    # ---- access control ----

    def test_access_matrix_other_citizen_gets_404(self):
        self.start()
        a_num = self.submit(mail("alice@example.ru", "Алиса", BODY, "al1@example.ru", attachment=PDF))
        b_num = self.submit(mail("bob@example.ru", "Боб", BODY + " Боб.", "bo1@example.ru"))
        self.set_status(a_num, "answered")
        self.set_status(b_num, "answered")
        alice = self.sign_in("alice@example.ru")
        bob = self.sign_in("bob@example.ru")
        fid = alice.get("/api/v1/cabinet/appeals/" + a_num).json()["messages"][0]["attachments"][0]["id"]
        btok = self.page_csrf(bob)
        missing = "26-999999-" + str([d for d in range(10)][0])
        # a well-formed number that does not exist: find one with a valid check digit
        for d in range(10):
            if bob.get("/api/v1/cabinet/appeals/26-999999-%d" % d).status == 404:
                missing = "26-999999-%d" % d
        routes = [
            ("GET", "/cabinet/appeals/%s", None),
            ("GET", "/cabinet/appeals/%s/files/" + str(fid), None),
            ("POST", "/cabinet/appeals/%s/reply", {"csrf": btok, "text": "чужое"}),
            ("POST", "/cabinet/appeals/%s/rating", {"csrf": btok, "score": "1"}),
            ("GET", "/api/v1/cabinet/appeals/%s", None),
            ("GET", "/api/v1/cabinet/appeals/%s/files/" + str(fid), None),
            ("POST", "/api/v1/cabinet/appeals/%s/reply", {"csrf": btok, "text": "чужое"}),
            ("POST", "/api/v1/cabinet/appeals/%s/rating", {"csrf": btok, "score": "1"}),
        ]
        for method, path, fields in routes:
            for target in (a_num, missing):
                p = path % target
                r = bob.get(p) if method == "GET" else bob.post(p, fields)
                self.assertEqual(r.status, 404, "%s %s" % (method, p))
                self.assertNotIn("Алиса", r.text)
            # the same for the owner works (downloads, card) or is not 404
            if method == "GET":
                self.assertEqual(alice.get(path % a_num).status, 200, path)
        # bob's file route on his own appeal with alice's file id: 404
        self.assertEqual(bob.get("/cabinet/appeals/%s/files/%d" % (b_num, fid)).status, 404)
        self.assertNotIn(a_num, bob.get("/cabinet").text)
        self.assertEqual(bob.get("/api/v1/cabinet/appeals").json()["total"], 1)
        # nothing of bob's attempts reached alice's appeal
        shown = self.okno.show_json(a_num)
        # (the receipt and the operator's answer; no reply of bob's)
        self.assertEqual([m["direction"] for m in shown["messages"]], ["in", "out", "out"])
        self.assertIsNone(alice.get("/api/v1/cabinet/appeals/" + a_num).json()["rating"])
        # signed out: pages redirect, the API says 401
        anon = HttpClient(self.okno.base_url)
        self.assertEqual(anon.get("/cabinet/appeals/" + a_num).status, 303)
        self.assertEqual(anon.get("/api/v1/cabinet/appeals/" + a_num).status, 401)
        self.assertEqual(anon.get("/api/v1/cabinet/appeals/%s/files/%d" % (a_num, fid)).status, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
