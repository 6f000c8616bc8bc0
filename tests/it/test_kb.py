"""test_kb: the knowledge base and answer suggestions (issue 19, items 3 and 4; docs/kb.md).

Against the real daemon, one start for the class: articles added, edited and published
with `okno kb` and in the console by a supervisor (an operator may not); drafts are not
public; /help finds a published article by Russian words in other forms, renders its
Markdown without the raw HTML or javascript: link it holds; the feedback form's step
«Проверить, есть ли готовый ответ» (no JavaScript) and its JSON twin offer it; a new
appeal's page and e-mail receipt list it under «Возможно, ответ уже есть» (an unrelated
one's do not); the citizen withdraws the appeal in the cabinet (status withdrawn, the
event, counted by `okno report`); and the console's suggestions for a new appeal show
the article and a similar answered appeal with its answer, insertable into the reply
(the answer shown is journaled as a read of that appeal, which its citizen sees).
Bad input (empty title, unknown article) is one line or a message next to the field,
and changes nothing. Runs on SQLite, and on PostgreSQL as it_kb_pg.
"""
import html
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cabinet  # noqa: E402
import test_feedback  # noqa: E402
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402

PASSWORD = "Зелёный-чай-42"
BODY = """Если код подтверждения **не приходит** в СМС:

- проверьте, что номер телефона в профиле указан верно;
- подождите пять минут и запросите код ещё раз.

<script>alert("x")</script>
[Подробнее](javascript:alert(1)) и [о профиле](https://portal.example/profile).
"""
SMS_TEXT = ("Здравствуйте! Третий день не приходят СМС с кодом подтверждения, когда я "
            "вхожу на портал. Телефон указан правильно, код запрашивала несколько раз, "
            "но сообщение так и не пришло. Помогите, пожалуйста, войти.")
OTHER_TEXT = ("Добрый день. Прошу разъяснить, как оформить субсидию на оплату жилья и "
              "какие документы для этого нужны. Заранее благодарю за подробный ответ.")


class KnowledgeBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({"http": {"forms_per_hour": "100000", "requests_per_minute": "100000",
                                        "captcha_bits": "12"},
                               "staff": {"actions_per_hour": "1000000"}})
        cls.cli_ok("department", "add", "--code", "support", "--name", "Поддержка")
        cls.users = {}
        for login, role in (("boss", "supervisor"), ("oleg", "operator")):
            out = cls.cli_ok("user", "add", "--login", login, "--role", role, "--department",
                             "support", "--json", "--email", login + "@portal.example")
            cls.users[login] = json.loads(out)
            cls.cli_ok("user", "password", "--login", login, input=PASSWORD + "\n")
        cls.okno.start()
        cls.clients = {}

    @classmethod
    def cli_ok(cls, *args, input=None):
        p = cls.okno.run(*args, input=input)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout

    def cli(self, *args, input=None, code=0):
        p = self.okno.run(*args, input=input)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        return p

    def staff(self, login):
        if login not in self.clients:
            c = HttpClient(self.okno.base_url)
            r = c.post("/console/login", {"csrf": c.csrf("/console/login"), "login": login,
                                          "password": PASSWORD,
                                          "code": totp(self.users[login]["totp_uri"])})
            self.assertEqual(r.status, 303, r.text[:500])
            self.clients[login] = c
        return self.clients[login]

    def listed(self, *extra):
        return [json.loads(x) for x in self.cli("kb", "list", *extra).stdout.splitlines()]

    def add_cli(self, title, body=BODY, tags="смс, код, вход"):
        r = json.loads(self.cli("kb", "add", "--title", title, "--body", "-", "--category",
                                "Вход на портал", "--tags", tags, input=body).stdout)
        self.assertEqual(r["version"], 1)
        return r["id"]

    def search(self, q):
        r = HttpClient(self.okno.base_url).get("/help?" + urllib.parse.urlencode({"q": q}))
        self.assertEqual(r.status, 200, r.text[:500])
        return [html.unescape(t) for t in re.findall(r'<h2><a href="/help/\d+">([^<]*)</a>', r.text)]

    # submit, mails_to, code_for and sign_in of the cabinet's test (the outbox maildir)
    submit = test_cabinet.Cabinet.submit
    mails_to = test_cabinet.Cabinet.mails_to
    code_for = test_cabinet.Cabinet.code_for
    sign_in = test_cabinet.Cabinet.sign_in

    def test_1_cli_drafts_are_private_until_published_and_help_finds_them(self):
        web = HttpClient(self.okno.base_url)
        n = len(self.listed())
        aid = self.add_cli("Не приходит код из СМС")
        [a] = [x for x in self.listed() if x["id"] == aid]
        self.assertEqual((a["published"], a["version"], a["category"]), (False, 1, "Вход на портал"))
        self.assertTrue(a["author"].startswith("cli:"))
        self.assertEqual(web.get("/help/%d" % aid).status, 404)  # a draft is not public
        self.assertNotIn("Не приходит код из СМС", self.search("код смс"))
        self.assertEqual(json.loads(self.cli("kb", "publish", "--id", str(aid)).stdout),
                         {"id": aid, "published": True})
        # other word forms find it: «кода», «приходят», «смски» share stems with it
        self.assertIn("Не приходит код из СМС", self.search("не приходят коды"))
        self.assertEqual(self.search("оформление загранпаспорта"), [])
        page = web.get("/help/%d" % aid)
        self.assertEqual(page.status, 200)
        self.assertIn("<strong>не приходит</strong>", page.text)
        self.assertIn('<a href="https://portal.example/profile">о профиле</a>', page.text)
        self.assertNotIn("<script>alert", page.text)
        self.assertNotIn("javascript:", page.text)
        self.assertIn('name="viewport"', page.text)  # phone width: the site's layout
        r = json.loads(self.cli("kb", "edit", "--id", str(aid), "--title",
                                "Не приходит код подтверждения из СМС").stdout)
        self.assertEqual(r, {"id": aid, "version": 2})
        self.assertIn("Не приходит код подтверждения из СМС", self.search("смс код"))
        # bad input: one line, nothing changed
        for args, why in [(("add", "--title", "  ", "--body", "-"), "--title: Укажите заголовок"),
                          (("add", "--title", "Т", "--body", "-"), "--body: Напишите текст"),
                          (("edit", "--id", "999999", "--title", "x"), "there is no article 999999"),
                          (("publish", "--id", "999999"), "there is no article 999999"),
                          (("publish",), "needs --id"),
                          (("remove", "--id", "1"), "kb takes one of")]:
            p = self.cli("kb", *args, input="   \n" if "--body" in args else None, code=1)
            self.assertIn(why, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(len(self.listed()), n + 1)
        self.assertEqual([x["id"] for x in self.listed("--published")].count(aid), 1)

    def test_2_console_supervisor_writes_and_publishes_operator_may_not(self):
        c = self.staff("boss")
        r = c.get("/console/kb")
        self.assertEqual(r.status, 200, r.text[:500])
        token = c.csrf("/console/kb/new")
        r = c.post("/console/kb/new", {"csrf": token, "title": "", "body": "текст",
                                       "category": "", "tags": ""})
        self.assertEqual(r.status, 422)
        self.assertIn('id="title-error">Укажите заголовок статьи.', r.text)
        n = len(self.listed())
        r = c.post("/console/kb/new", {"csrf": token, "title": "Как сменить адрес почты",
                                       "body": "Откройте **Настройки** в личном кабинете и "
                                               "укажите новый адрес электронной почты.",
                                       "category": "Личный кабинет", "tags": "почта, адрес"})
        self.assertEqual(r.status, 303, r.text[:500])
        aid = int(re.match(r"/console/kb/(\d+)$", r.headers["Location"]).group(1))
        self.assertEqual(len(self.listed()), n + 1)
        self.assertNotIn("Как сменить адрес почты", self.search("сменить адрес почты"))
        page = c.get("/console/kb/%d" % aid).text
        self.assertIn("<strong>Настройки</strong>", page)  # the preview
        r = c.post("/console/kb/%d/publish" % aid, {"csrf": token, "published": "1"})
        self.assertEqual(r.status, 303)
        self.assertIn("Как сменить адрес почты", self.search("сменить адрес почты"))
        r = c.post("/console/kb/%d" % aid, {"csrf": token, "title": "Как сменить адрес "
                                            "электронной почты", "body": "Откройте настройки.",
                                            "category": "Личный кабинет", "tags": "почта"})
        self.assertEqual(r.status, 303)
        page = c.get("/console/kb/%d" % aid).text
        self.assertIn("Версия 2, опубликована", page)
        self.assertIn("Версия 1: «Как сменить адрес почты»", page)
        [a] = [x for x in self.listed() if x["id"] == aid]
        self.assertEqual((a["author"], a["version"], a["published"]), ("boss", 2, True))
        op = self.staff("oleg")
        self.assertEqual(op.get("/console/kb").status, 403)
        self.assertEqual(op.post("/console/kb/%d/publish" % aid,
                                 {"csrf": op.csrf("/console"), "published": "0"}).status, 403)
        self.assertTrue([x for x in self.listed("--published") if x["id"] == aid])

    def test_3_form_offers_receipt_lists_and_citizen_withdraws(self):
        aid = self.add_cli("СМС с кодом не приходит при входе", tags="смс, код")
        self.cli("kb", "publish", "--id", str(aid))
        web = HttpClient(self.okno.base_url)
        # JavaScript's offers and the step without JavaScript: nothing is registered
        j = web.get("/api/v1/help?" + urllib.parse.urlencode({"offer": "1", "q": SMS_TEXT})).json()
        self.assertIn(aid, [a["id"] for a in j["articles"]])
        self.assertLessEqual(len(j["articles"]), 3)
        before = len(self.okno.list_json())
        form = test_feedback.Form(web)
        r = web.post("/feedback", form.fields(description=SMS_TEXT, kb_check="1",
                                              captcha_nonce=None))
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn("Возможно, ответ уже есть", r.text)
        self.assertIn('href="/help/%d"' % aid, r.text)
        self.assertIn(html.escape(SMS_TEXT, quote=False), r.text)  # the input kept
        self.assertEqual(len(self.okno.list_json()), before)
        # registered: the page and the receipt list it
        form = test_feedback.Form(web)
        r = web.post("/feedback", form.fields(description=SMS_TEXT, email="sveta@example.ru"))
        self.assertEqual(r.status, 200, r.text[:1500])
        number = re.search(r'id="appeal-number">([0-9-]+)<', r.text).group(1)
        self.assertIn('id="receipt-offers"', r.text)
        self.assertIn('href="/help/%d"' % aid, r.text)
        [receipt] = self.mails_to("sveta@example.ru", number + " зарегистрировано")
        text = receipt.get_content()
        self.assertIn("Возможно, ответ уже есть:", text)
        self.assertIn("— СМС с кодом не приходит при входе: %s/help/%d" % (self.okno.base_url, aid),
                      text)
        other = test_feedback.Form(web)
        r = web.post("/feedback", other.fields(description=OTHER_TEXT, email="petr@example.ru"))
        other_number = re.search(r'id="appeal-number">([0-9-]+)<', r.text).group(1)
        self.assertNotIn('id="receipt-offers"', r.text)
        [receipt] = self.mails_to("petr@example.ru", other_number + " зарегистрировано")
        self.assertNotIn("Возможно, ответ уже есть", receipt.get_content())

        # the citizen found the answer: withdraws the appeal in the cabinet
        c = self.sign_in("sveta@example.ru")
        page = c.get("/cabinet/appeals/" + number).text
        self.assertIn('id="withdraw-form"', page)
        token = c.csrf("/cabinet/appeals/" + number)
        r = c.post("/cabinet/appeals/%s/withdraw" % number, {"csrf": token, "why": ""})
        self.assertEqual(r.status, 303, r.text[:500])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["status"], "withdrawn")
        [ev] = [e for e in shown["events"] if e["kind"] == "withdrawn"]
        self.assertEqual(ev["detail"]["why"], "ответ найден в разделе «Помощь»")
        page = c.get("/cabinet/appeals/" + number).text
        self.assertIn("<strong>Отозвано вами</strong>", page)
        self.assertIn("Вы отозвали обращение", page)
        self.assertNotIn('id="withdraw-form"', page)
        r = c.post("/cabinet/appeals/%s/withdraw" % number, {"csrf": token})
        self.assertEqual(r.status, 422)
        self.assertIn("Отозвать можно только обращение, которое ещё рассматривается.", r.text)
        # another citizen cannot withdraw it (404 as for any appeal not theirs)
        c2 = self.sign_in("petr@example.ru")
        r = c2.post("/cabinet/appeals/%s/withdraw" % other_number,
                    {"csrf": c2.csrf("/cabinet")})
        self.assertEqual(r.status, 303)  # his own: withdrawn too
        r = c2.post("/cabinet/appeals/%s/withdraw" % number, {"csrf": c2.csrf("/cabinet")})
        self.assertEqual(r.status, 404)
        report = json.loads(self.cli("report", "--from", "2000-01-01", "--to", "2100-01-01",
                                     "--json").stdout)
        self.assertEqual(report["withdrawn"], 2)

    def test_4_suggestions_show_articles_and_similar_answered_appeals(self):
        aid = self.add_cli("Код из СМС не приходит: что делать", tags="смс")
        self.cli("kb", "publish", "--id", str(aid))
        answer = "Проверьте номер телефона в профиле и запросите код ещё раз через пять минут."
        first = self.submit(mail("olga@example.ru", "Не приходит СМС", SMS_TEXT, "a1"))
        self.cli("appeal", "status", first, "answered", "--answer", answer)
        second = self.submit(mail("ilya@example.ru", "Нет кода в СМС",
                                  SMS_TEXT.replace("Третий", "Второй"), "a2"))
        olga = self.sign_in("olga@example.ru")
        self.assertIn("Сотрудники ещё не открывали обращение.",
                      olga.get("/cabinet/appeals/" + first).text)
        c = self.staff("boss")
        page = c.get("/console/appeals/" + second).text
        self.assertIn('href="/console/suggest/%s"' % second, page)
        r = c.get("/console/suggest/" + second)
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn('href="/help/%d"' % aid, r.text)
        self.assertIn("Обращение № %s" % first, r.text)
        self.assertIn(html.escape(answer, quote=False), r.text)
        j = c.get("/api/v1/console/suggest/" + second).json()
        keys = [i["key"] for i in j["items"]]
        self.assertIn("a%d" % aid, keys)
        self.assertIn("c" + first, keys)
        self.assertNotIn("c" + second, keys)
        # the answer shown is a read of that appeal: its citizen sees who read it
        self.assertNotIn("Сотрудники ещё не открывали обращение.",
                         olga.get("/cabinet/appeals/" + first).text)
        [case] = [i for i in j["items"] if i["key"] == "c" + first]
        self.assertEqual(case["text"].strip(), answer)
        # without JavaScript: the link carries the text into a reply form
        r = c.get("/console/suggest/%s?use=a%d" % (second, aid))
        box = re.search(r'<textarea id="reply-text" name="text" rows="12">([^<]*)</textarea>', r.text)
        self.assertTrue(box, r.text[:2000])
        self.assertIn("Если код подтверждения не приходит в СМС:", html.unescape(box.group(1)))
        self.assertIn('action="/console/appeals/%s/reply"' % second, r.text)
        self.assertEqual(c.get("/console/suggest/26-999999-9").status, 404)


def mail(frm, subject, body, msgid):
    return test_cabinet.mail(frm, subject, body, "%s.%d@mail.example" % (msgid, time.time_ns()))


if __name__ == "__main__":
    unittest.main()
