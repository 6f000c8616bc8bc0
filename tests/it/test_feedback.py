"""The feedback form («Обратная связь») and its JSON API against the real daemon:
registration through the intake pipeline (channel web, category, phone, attachments,
receipt), every field error next to its field with the input kept, the attachment
policy, both captchas (proof of work solved here with hashlib, and the question) and
their replay, script in every field shown as text, broken and oversized bodies.
"""
import hashlib
import html
import json
import os
import re
import signal
import socket
import sys
import urllib.parse
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import HttpClient, Okno, multipart  # noqa: E402

WORDS = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
         "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
         "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать", "двадцать"]

DESCRIPTION = ("Третий день не могу войти в личный кабинет: после ввода пароля страница "
               "обновляется и снова просит войти. Пробовал другой браузер и очистку cookies.")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def hidden(text, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, text)
    return html.unescape(m.group(1)) if m else None


def solve_pow(token, bits):
    n = 0
    while True:
        h = hashlib.sha256((token + str(n)).encode()).digest()
        if int.from_bytes(h, "big") >> (256 - bits) == 0:
            return str(n)
        n += 1


def answer(question):
    m = re.search(r"Сколько будет (\S+) плюс (\S+)\?", question)
    return str(WORDS.index(m.group(1)) + WORDS.index(m.group(2)))


class Form:
    """The page's hidden fields and captcha, read from GET /feedback."""

    def __init__(self, client):
        r = client.get("/feedback")
        assert r.status == 200, r.status
        self.text = r.text
        self.csrf = hidden(r.text, "csrf")
        self.pow = re.search(r'data-pow="([^"]*)"', r.text).group(1)
        self.bits = int(re.search(r'data-pow-bits="(\d+)"', r.text).group(1))
        self.q = hidden(r.text, "captcha_q")
        self.question = html.unescape(re.search(r'<label for="captcha_answer">([^<]*)</label>',
                                                r.text).group(1))

    def fields(self, how="pow", **values):
        f = {"csrf": self.csrf, "name": "Петров Иван Сергеевич", "email": "ivan@example.ru",
             "phone": "8 (912) 345-67-89", "category": "technical",
             "description": DESCRIPTION, "consent": "yes",
             "captcha_pow": self.pow, "captcha_q": self.q, "captcha_nonce": "", "captcha_answer": ""}
        if how == "pow":
            f["captcha_nonce"] = solve_pow(self.pow, self.bits)
        elif how == "question":
            f["captcha_answer"] = answer(self.question)
        f.update(values)
        return {k: v for k, v in f.items() if v is not None}


class Feedback(unittest.TestCase):
    def start(self, http=None):
        self.okno = Okno(self)
        self.okno.write_config({"http": dict({"captcha_bits": "12"}, **(http or {}))})
        self.okno.start()
        return HttpClient(self.okno.base_url)

    def number_of(self, r):
        self.assertEqual(r.status, 200, r.text[:3000])
        m = re.search(r'id="appeal-number">(\d\d-\d{6,}-\d)<', r.text)
        self.assertTrue(m, r.text[:3000])
        return m.group(1)

    def outbox(self):
        out = []
        for sub in ("new", "cur", "tmp", ""):
            d = os.path.join(self.okno.dir, "outbox", sub)
            if os.path.isdir(d):
                for n in sorted(os.listdir(d)):
                    p = os.path.join(d, n)
                    if os.path.isfile(p):
                        with open(p, "rb") as f:
                            out.append(f.read())
        return out

    def test_submit_with_pow_and_files_registers_like_mail(self):
        c = self.start()
        form = Form(c)
        self.assertIn('<html lang="ru">', form.text)
        self.assertIn("Обратная связь", form.text)
        self.assertIn('<script src="/static/pow.js" defer></script>', form.text)
        for label in ("Техническая проблема", "Регистрация и вход", "Документы", "Платежи",
                      "Жалоба", "Предложение", "Другое"):
            self.assertIn(label, form.text)
        r = c.post("/feedback", form.fields(),
                   files=[("attachments", "скан.pdf", "application/pdf", PDF),
                          ("attachments", "screen.png", "image/png", PNG)])
        number = self.number_of(r)
        self.assertIn("ivan@example.ru", r.text)
        a = self.okno.show_json(number)
        self.assertEqual(a["channel"], "web")
        self.assertEqual(a["category"], "technical")
        self.assertEqual(a["from"], {"name": "Петров Иван Сергеевич", "email": "ivan@example.ru"})
        self.assertEqual(a["status"], "new")
        self.assertTrue(a["deadline"])
        self.assertEqual(a["subject"], "Обратная связь: Техническая проблема")
        msg = a["messages"][0]
        self.assertEqual(msg["direction"], "in")
        self.assertIn("Третий день не могу войти", msg["text"])
        files = sorted((x["filename"], x["content_type"]) for x in msg["attachments"])
        self.assertEqual(files, [("screen.png", "image/png"), ("скан.pdf", "application/pdf")])
        self.assertEqual([x["sha256"] for x in msg["attachments"] if x["filename"] == "скан.pdf"],
                         [hashlib.sha256(PDF).hexdigest()])
        kinds = [e["kind"] for e in a["events"]]
        self.assertIn("received", kinds)
        self.assertIn("registered", kinds)
        listed = [x for x in self.okno.list_json() if x["number"] == number]
        self.assertEqual(len(listed), 1)
        # the phone given on the form is the appeal's phone
        r = self.okno.run("list", "--json")
        self.assertIn("+79123456789", json.dumps(json.loads(r.stdout), ensure_ascii=False)
                      + self.okno.run("show", number).stdout)
        # the receipt went out like one for mail, to the form's address
        for _ in range(100):
            mails = self.outbox()
            if mails:
                break
            import time
            time.sleep(0.1)
        self.assertTrue(mails, "no receipt in the outbox")
        self.assertTrue(any(b"ivan@example.ru" in m and number.encode() in m for m in mails))

    def test_question_fallback(self):
        c = self.start()
        form = Form(c)
        self.assertRegex(form.question, r"^Сколько будет \S+ плюс \S+\? Ответ введите цифрами\. \*$")
        number = self.number_of(c.post("/feedback", form.fields("question", phone="")))
        self.assertEqual(self.okno.show_json(number)["channel"], "web")

    def test_every_field_error_next_to_its_field_with_input_kept(self):
        c = self.start()
        form = Form(c)
        r = c.post("/feedback", form.fields("pow", name="", email="не адрес", phone="12ab",
                                            category="nonsense", description="Коротко <b>жирно</b>",
                                            consent=None))
        self.assertEqual(r.status, 422)
        expect = {
            "name": "Укажите, пожалуйста, фамилию, имя и отчество.",
            "email": "Адрес электронной почты указан неверно.",
            "phone": "Номер телефона указан неверно.",
            "category": "Выберите, пожалуйста, тему обращения.",
            "description": "не меньше 100 символов (сейчас 20)",
            "consent": "Нужно согласие на обработку персональных данных",
        }
        for field, text in expect.items():
            m = re.search(r'<p class="error" id="%s-error">([^<]*)</p>' % field, r.text)
            self.assertTrue(m, field)
            self.assertIn(text, html.unescape(m.group(1)), field)
            self.assertRegex(r.text, r'id="%s"[^>]*aria-describedby="[^"]*%s-error' % (field, field)
                             if field != "consent" else r'id="consent"[^>]*aria-describedby="consent-error"')
            self.assertIn('aria-invalid="true"', r.text)
        # the first error gets the focus, and only it
        self.assertEqual(r.text.count(" autofocus"), 1)
        self.assertRegex(r.text, r'id="name"[^>]* autofocus')
        # the summary links to the fields
        self.assertIn('<a href="#email">', r.text)
        # the input is kept (escaped)
        self.assertIn('value="не адрес"', r.text)
        self.assertIn('value="12ab"', r.text)
        self.assertIn("Коротко &lt;b&gt;жирно&lt;/b&gt;</textarea>", r.text)
        self.assertEqual(self.okno.list_json(), [])
        # each on its own, with the other fields right
        for values, field in [({"description": "а" * 99}, "description"),
                              ({"email": "ivan@"}, "email"), ({"email": "a b@c.ru"}, "email"),
                              ({"phone": "+7 912"}, "phone"), ({"category": ""}, "category"),
                              ({"consent": "no"}, "consent"), ({"name": "   "}, "name")]:
            form = Form(c)
            r = c.post("/feedback", form.fields("pow", **values))
            self.assertEqual(r.status, 422, values)
            self.assertIn('id="%s-error"' % field, r.text, values)
            self.assertEqual(r.text.count('class="error"'), 1, values)
        # 100 characters exactly is enough
        form = Form(c)
        self.number_of(c.post("/feedback", form.fields("pow", description="я" * 100)))

    def test_attachment_policy(self):
        c = self.start()
        cases = [
            ([("attachments", "virus.pdf.exe", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200)],
             "«virus.pdf.exe» не принят"),
            ([("attachments", "big.png", "image/png", PNG + b"\x00" * (5 * 1024 * 1024 + 10))],
             "изображение больше 5 МБ"),
            ([("attachments", "a.pdf", "application/pdf", PDF + b"\x00" * (5 * 1024 * 1024 + 300000)),
              ("attachments", "b.pdf", "application/pdf", PDF + b"\x00" * (5 * 1024 * 1024))],
             "Общий размер файлов больше 10 МБ"),
            ([("attachments", "empty.pdf", "application/pdf", b"")], None),  # empty: refused
            ([("other", "a.pdf", "application/pdf", PDF)], "в поле «Файлы»"),
        ]
        for files, text in cases:
            form = Form(c)
            r = c.post("/feedback", form.fields("pow"), files=files)
            self.assertEqual(r.status, 422, (files[0][1], r.text[:2000]))
            m = re.search(r'<p class="error" id="attachments-error">([^<]*)</p>', r.text)
            self.assertTrue(m, files[0][1])
            if text:
                self.assertIn(text, html.unescape(m.group(1)))
        self.assertEqual(self.okno.list_json(), [])

    def test_captcha_replay_and_wrong_answers(self):
        c = self.start()
        form = Form(c)
        fields = form.fields("pow")
        self.number_of(c.post("/feedback", fields))
        again = c.post("/feedback", dict(fields, description=DESCRIPTION + " Ещё раз."))
        self.assertEqual(again.status, 422)
        self.assertIn('id="captcha-error"', again.text)
        self.assertIn("уже была использована", again.text)
        # a nonce that does not do the work
        form = Form(c)
        bad = form.fields("none", captcha_nonce="1")
        if hashlib.sha256((form.pow + "1").encode()).digest()[0] != 0:
            r = c.post("/feedback", bad)
            self.assertEqual(r.status, 422)
            self.assertIn("не пройдена", r.text)
        # a forged challenge (more zero bits than asked do not help a wrong MAC)
        forged = form.pow.rsplit(".", 1)[0] + "." + "0" * 64
        r = c.post("/feedback", form.fields("none", captcha_pow=forged,
                                            captcha_nonce=solve_pow(forged, form.bits)))
        self.assertEqual(r.status, 422)
        self.assertIn('id="captcha-error"', r.text)
        # no answer at all
        r = c.post("/feedback", Form(c).fields("none"))
        self.assertEqual(r.status, 422)
        self.assertIn("Ответьте, пожалуйста, на вопрос", r.text)
        # a wrong answer uses the question up: the right one afterwards is refused too
        form = Form(c)
        right = answer(form.question)
        wrong = str(int(right) + 1)
        r = c.post("/feedback", form.fields("none", captcha_answer=wrong))
        self.assertIn("Ответ на вопрос неверный", r.text)
        r = c.post("/feedback", form.fields("none", captcha_answer=right))
        self.assertIn("уже была использована", r.text)
        # the right answer once, then its replay
        form = Form(c)
        fields = form.fields("question", description=DESCRIPTION + " Другое обращение.")
        self.number_of(c.post("/feedback", fields))
        r = c.post("/feedback", fields)
        self.assertIn("уже была использована", r.text)
        self.assertEqual(len(self.okno.list_json()), 2)

    def test_expired_captcha(self):
        c = self.start({"captcha_ttl": "10"})
        form = Form(c)
        fields = form.fields("pow")
        import time
        time.sleep(11)
        r = c.post("/feedback", fields)
        self.assertEqual(r.status, 422)
        self.assertIn("истекло", r.text)

    def test_script_in_every_field_is_text(self):
        c = self.start()
        xss = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        form = Form(c)
        r = c.post("/feedback", form.fields("pow", name=xss, email=xss, phone=xss, category=xss,
                                            description=xss * 3, captcha_answer=xss))
        self.assertEqual(r.status, 422)
        self.assertNotIn("<script>alert", r.text)
        self.assertNotIn("<img src=x", r.text)
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", r.text)
        # a name with markup is registered as text and shown as text
        form = Form(c)
        number = self.number_of(c.post("/feedback", form.fields("pow", name=xss,
                                                                description=DESCRIPTION + xss)))
        a = self.okno.show_json(number)
        self.assertEqual(a["from"]["name"], xss)
        self.assertIn(xss, a["messages"][0]["text"])

    def test_bad_bodies(self):
        c = self.start({"max_body": "65536"})
        form = Form(c)
        # invalid UTF-8 in a multipart text field
        body, ctype = multipart({"csrf": form.csrf, "name": b"\xff\xfe\xc3("}, [])
        r = c.post("/feedback", body=body, content_type=ctype)
        self.assertEqual(r.status, 400)
        self.assertIn("UTF-8", r.text)
        # broken multipart: no closing boundary, part without a name, garbage
        for body in (b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx",
                     b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n",
                     b"\x00\x01garbage"):
            r = c.post("/feedback", body=body, content_type="multipart/form-data; boundary=zz")
            self.assertEqual(r.status, 400, body)
            self.assertIn("повреждена", r.text)
        # wrong content types
        for ctype in ("application/json", "text/plain", "application/xml"):
            r = c.post("/feedback", body=b'{"name": "x"}', content_type=ctype)
            self.assertEqual(r.status, 415, ctype)
        # oversized: the whole request, and one file
        r = c.post("/feedback", form.fields("pow"),
                   files=[("attachments", "a.pdf", "application/pdf", PDF + b"\x00" * 70000)])
        self.assertEqual(r.status, 413)
        self.assertIn("слишком велики", r.text)
        # too many fields
        r = c.post("/feedback", dict(form.fields("pow"), **{"f%d" % i: "x" for i in range(80)}))
        self.assertEqual(r.status, 400)
        self.assertEqual(self.okno.list_json(), [])

    def test_csrf(self):
        c = self.start()
        form = Form(c)
        other = Form(HttpClient(self.okno.base_url))
        r = c.post("/feedback", form.fields("pow", csrf=other.csrf))
        self.assertEqual(r.status, 403)
        self.assertIn("Форма устарела", r.text)
        r = c.post("/feedback", form.fields("pow", csrf=None))
        self.assertEqual(r.status, 403)
        # the same token works again in the same browser (it is bound to the browser,
        # the captcha is what is single use)
        self.number_of(c.post("/feedback", form.fields("pow")))
        # the API with the browser's cookie needs the token too
        r = c.post("/api/v1/feedback", form.fields("pow", csrf=None))
        self.assertEqual(r.status, 403)
        self.assertIn("error", r.json())

    def test_api(self):
        self.start()
        api = HttpClient(self.okno.base_url)  # no cookies: a script
        cap = api.get("/api/v1/captcha")
        self.assertEqual(cap.status, 200)
        self.assertIn("application/json", cap.headers["Content-Type"])
        self.assertEqual(cap.headers["Cache-Control"], "no-store")
        cap = cap.json()
        self.assertEqual(cap["pow"]["bits"], 12)
        self.assertRegex(cap["question"]["text"], r"^Сколько будет")
        fields = {"name": "Сидорова Анна", "email": "Anna@Example.RU", "category": "payments",
                  "description": DESCRIPTION, "consent": "yes",
                  "captcha_pow": cap["pow"]["token"],
                  "captcha_nonce": solve_pow(cap["pow"]["token"], 12)}
        r = api.post("/api/v1/feedback", dict(fields, description="коротко", consent=""))
        self.assertEqual(r.status, 422)
        errors = r.json()["errors"]
        self.assertEqual(set(errors), {"description", "consent"})
        self.assertIn("не меньше 100 символов", errors["description"])
        r = api.post("/api/v1/feedback", fields,
                     files=[("attachments", "чек.pdf", "application/pdf", PDF)])
        self.assertEqual(r.status, 201, r.text)
        number = r.json()["number"]
        a = self.okno.show_json(number)
        self.assertEqual((a["channel"], a["category"], a["from"]["email"]),
                         ("web", "payments", "anna@example.ru"))
        self.assertEqual(a["messages"][0]["attachments"][0]["filename"], "чек.pdf")
        r = api.post("/api/v1/feedback", fields)  # the captcha again
        self.assertEqual(r.status, 422)
        self.assertIn("captcha", r.json()["errors"])
        # status by JSON
        ok = api.post("/api/v1/status", body=json.dumps({"number": number, "email": "anna@example.ru"}).encode(),
                      content_type="application/json")
        self.assertEqual(ok.status, 200)
        self.assertEqual(ok.json(), {"number": number, "status": "new", "status_text": "Зарегистрировано"})
        miss = api.post("/api/v1/status", body=json.dumps({"number": number, "email": "x@example.ru"}).encode(),
                        content_type="application/json")
        self.assertEqual(miss.status, 404)
        self.assertIn("не найдено", miss.json()["error"])
        bad = api.post("/api/v1/status", body=b'{"number": 5}', content_type="application/json")
        self.assertEqual(bad.status, 422)
        self.assertIn("number", bad.json()["errors"])
        broken = api.post("/api/v1/status", body=b'{"number": ', content_type="application/json")
        self.assertEqual(broken.status, 400)
        form = api.post("/api/v1/status", {"number": number, "email": "anna@example.ru"})
        self.assertEqual(form.json()["status"], "new")

    def test_sigterm_while_a_form_is_registering(self):
        """A form in flight when SIGTERM comes is answered with its number, or (sent before
        the server took the connection) refused with nothing registered; never lost."""
        c = self.start()
        form = Form(c)
        body = urllib.parse.urlencode(form.fields("pow")).encode()
        cookie = "; ".join("%s=%s" % (k.name, k.value) for k in c.jar)
        s = socket.create_connection(("127.0.0.1", self.okno.http_port), timeout=60)
        s.sendall(b"POST /feedback HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nCookie: "
                  + cookie.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        self.okno.signal(signal.SIGTERM)
        out = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                out += d
        except ConnectionResetError:
            pass
        s.close()
        self.assertEqual(self.okno.stop(), 0)
        numbers = re.findall(rb'id="appeal-number">([^<]*)<', out)
        listed = [a["number"] for a in self.okno.list_json()]
        if out:
            self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:300])
            self.assertEqual(listed, [numbers[0].decode()])
        else:
            self.assertEqual(listed, [])


if __name__ == "__main__":
    unittest.main()
