"""test_chat.py: the web chat (issue 22, docs/chat.md) against the real daemon, over the
WebSocket endpoints /chat/ws and /console/chat/ws with the stdlib client ws_client.py.

One daemon per class (ClassScope), with a [chat] answers file. Checks: the bot says it
is a bot and answers from the file; «позвать оператора» and an unanswerable question
hand over; a message is in the store (sealed, never in clear) when the other side sees
it; bad messages get a Russian error and change nothing; an operator (signed in through
the console's form) sees the chat in the queue with the citizen's presence and typing,
takes it, answers, makes an appeal (channel chat, the transcript as its first message,
a deadline) whose number both sides see; a node killed (SIGKILL) mid-chat loses no
message: the citizen reconnects and gets what came after the last id it saw; a signed-in
citizen has the chat and its appeal in the cabinet; a broken answers file stops serve
with one line. Also runs
on PostgreSQL as it_chat_pg.
"""
import email
import email.policy
import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
from test_users import totp  # noqa: E402
from ws_client import WsClient  # noqa: E402

PASSWORD = "Зелёный-чай-42"
ANSWERS = ("# ответы бота\n"
           "загранпаспорт, заграничный паспорт = Загранпаспорт оформляют в МФЦ или на портале; "
           "срок — до 30 дней.\n"
           "пенсия = Пенсию назначает Социальный фонд России.\n")


class Chat(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.okno = okno = Okno(ClassScope(cls))
        path = os.path.join(okno.dir, "answers.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(ANSWERS)
        okno.write_config({"chat": {"answers": path, "messages_per_minute": "100000"},
                           "http": {"forms_per_hour": "100000", "requests_per_minute": "100000"}})
        cls.users = {}
        cls.add_user("opchat")
        # departments: a chat about «техосмотр» is routed to transport at handover
        for args in (["department", "add", "--code", "transport", "--name", "Транспортный отдел"],
                     ["department", "add", "--code", "pensions", "--name", "Пенсионный отдел"],
                     ["route", "add", "--kind", "keyword", "--value", "техосмотр",
                      "--department", "transport"]):
            r = okno.run(*args)
            assert r.returncode == 0, r.stderr
        cls.add_user("optrans", "transport")
        cls.add_user("oppens", "pensions")
        # a published article of the knowledge base: the bot answers from it first
        body = os.path.join(okno.dir, "article.md")
        with open(body, "w", encoding="utf-8") as f:
            f.write("Откройте «Настройки», затем «Безопасность» и нажмите «Сменить пароль». "
                    "Старый пароль понадобится.\n")
        r = okno.run("kb", "add", "--title", "Как сменить пароль учётной записи", "--body",
                     body, "--category", "Вход", "--tags", "пароль")
        assert r.returncode == 0, r.stderr
        cls.article = json.loads(r.stdout.splitlines()[0])["id"]
        r = okno.run("kb", "publish", "--id", str(cls.article))
        assert r.returncode == 0, r.stderr
        okno.start()
        cls.cookies = {login: cls.staff_sign_in(login) for login in cls.users}
        cls.staff_cookie = cls.cookies["opchat"]

    @classmethod
    def add_user(cls, login, department=None):
        args = ["user", "add", "--login", login, "--role", "operator", "--json",
                "--email", login + "@portal.example"]
        if department:
            args += ["--department", department]
        r = cls.okno.run(*args)
        assert r.returncode == 0, r.stderr
        cls.users[login] = json.loads(r.stdout)
        r = cls.okno.run("user", "password", "--login", login, input=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr

    @classmethod
    def staff_sign_in(cls, login):
        c = HttpClient(cls.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": login, "password": PASSWORD,
                                      "code": totp(cls.users[login]["totp_uri"])})
        assert r.status == 303, r.text[:500]
        return "; ".join("%s=%s" % (k.name, k.value) for k in c.jar)

    def citizen(self, hello=None):
        ws = WsClient("127.0.0.1", self.okno.http_port, "/chat/ws")
        self.addCleanup(ws.close)
        ws.send_json(hello or {"t": "hello"})
        welcome = ws.until(lambda m: m["t"] == "welcome")
        return ws, welcome

    def operator(self, login="opchat"):
        ws = WsClient("127.0.0.1", self.okno.http_port, "/console/chat/ws",
                      cookie=self.cookies[login])
        self.addCleanup(ws.close)
        ws.send_json({"t": "hello"})
        return ws

    def stored_ids(self, chat):
        """Message ids of `chat` in the SQLite store, read behind the daemon's back."""
        db = sqlite3.connect(self.okno.store_url[len("sqlite:"):])
        try:
            return {r[0]: r[1] for r in db.execute(
                "SELECT id, text FROM chat_messages WHERE chat_id = ?", (chat,))}
        finally:
            db.close()

    def test_bot_says_it_is_a_bot_answers_from_the_file_and_hands_over(self):
        ws, welcome = self.citizen()
        greeting = ws.until(lambda m: m["t"] == "msg")
        self.assertEqual(greeting["author"], "bot")
        self.assertIn("бот", greeting["text"])
        self.assertIn("не человек", greeting["text"])
        ws.send_json({"t": "say", "text": "Как оформить Загранпаспорт ребёнку?"})
        mine = ws.until(lambda m: m["t"] == "msg" and m["author"] == "citizen")
        answer = ws.until(lambda m: m["t"] == "msg" and m["author"] == "bot")
        self.assertIn("МФЦ", answer["text"])
        self.assertGreater(answer["id"], mine["id"])
        ws.send_json({"t": "say", "text": "А как записаться к врачу?"})
        ws.until(lambda m: m["t"] == "msg" and "не нашёл" in m["text"])
        state = ws.until(lambda m: m["t"] == "state")
        self.assertEqual(state["status"], "waiting")
        if not self.okno.store_url.startswith("sqlite:"):
            return
        # what the citizen was shown is in the store, sealed: no text in clear
        stored = self.stored_ids(welcome["chat"])
        for m in (greeting, mine, answer):
            self.assertIn(m["id"], stored)
            self.assertNotIn("Загранпаспорт", stored[m["id"]])
            self.assertTrue(stored[m["id"]].startswith("~1"), stored[m["id"]][:20])

    def test_the_bot_answers_first_from_a_published_article(self):
        ws, _ = self.citizen()
        ws.until(lambda m: m["t"] == "msg" and m["author"] == "bot")  # the greeting
        ws.send_json({"t": "say", "text": "Подскажите, как сменить пароль?"})
        answer = ws.until(lambda m: m["t"] == "msg" and m["author"] == "bot")
        self.assertIn("«Как сменить пароль учётной записи»", answer["text"])
        self.assertIn("нажмите «Сменить пароль»", answer["text"])
        self.assertIn("/help/%d" % self.article, answer["text"])

    def test_bad_messages_get_an_error_and_change_nothing(self):
        ws, welcome = self.citizen()
        ws.until(lambda m: m["t"] == "msg")
        for bad in ["не json", "[1,2]", json.dumps({"t": "take", "chat": 1}),
                    json.dumps({"t": "say", "text": ""}), json.dumps({"t": "say", "text": 5}),
                    json.dumps({"t": "say", "text": "x" * 4001}),
                    json.dumps({"t": "hello", "token": "not-hex"})]:
            ws.send_text(bad)
            err = ws.until(lambda m: m["t"] in ("error", "msg"))
            self.assertEqual(err["t"], "error", bad)
            self.assertRegex(err["text"], "[а-яА-Я]")
        ws.send_binary(b"\x00\x01")
        self.assertEqual(ws.until(lambda m: True)["t"], "error")
        # the chat still works and holds only the greeting
        again, w2 = self.citizen({"t": "hello", "token": welcome["token"], "since": 0})
        self.assertEqual(w2["chat"], welcome["chat"])
        msgs = []
        try:
            while True:
                m = again.recv_json(timeout=1)
                if m["t"] == "msg":
                    msgs.append(m)
        except TimeoutError:
            pass
        self.assertEqual([m["author"] for m in msgs], ["bot"])

    def test_operator_takes_answers_and_makes_an_appeal_both_see_the_number(self):
        op = self.operator()
        ws, welcome = self.citizen()
        chat = welcome["chat"]
        st = op.until(lambda m: m["t"] == "state" and m["chat"] == chat)
        self.assertEqual(st["status"], "bot")
        ws.send_json({"t": "say", "text": "Мне не пришла пенсия за ноябрь"})
        ws.until(lambda m: m["t"] == "msg" and m["author"] == "bot" and "Социальный" in m["text"])
        ws.send_json({"t": "say", "text": "позвать оператора"})
        op.until(lambda m: m["t"] == "state" and m["chat"] == chat and m["status"] == "waiting")
        op.send_json({"t": "take", "chat": chat})
        ws.until(lambda m: m["t"] == "state" and m["status"] == "active")
        ws.send_json({"t": "typing"})
        typing = op.until(lambda m: m["t"] == "typing" and m["chat"] == chat)
        self.assertEqual(typing["who"], "citizen")
        op.send_json({"t": "typing", "chat": chat})
        ws.until(lambda m: m["t"] == "typing" and m["who"] == "operator")
        op.send_json({"t": "say", "chat": chat, "text": "Здравствуйте! Проверю выплату."})
        got = ws.until(lambda m: m["t"] == "msg" and m["author"] == "operator")
        self.assertEqual(got["operator"], "opchat")
        op.send_json({"t": "appeal", "chat": chat})
        number = op.until(lambda m: m["t"] == "state" and m["chat"] == chat and m["number"])["number"]
        self.assertEqual(ws.until(lambda m: m["t"] == "state" and m["number"])["number"], number)
        # the note with the number came (stored) before the state
        self.assertTrue(any(m["t"] == "msg" and number in m["text"] for m in ws.seen))
        a = self.okno.show_json(number)
        self.assertEqual(a["channel"], "chat")
        self.assertTrue(a["deadline"])
        self.assertIn("Мне не пришла пенсия за ноябрь", a["messages"][0]["text"])
        self.assertIn("Здравствуйте! Проверю выплату.", a["messages"][0]["text"])
        # twice: refused, the same number named
        op.send_json({"t": "appeal", "chat": chat})
        self.assertIn(number, op.until(lambda m: m["t"] == "error")["text"])
        op.send_json({"t": "close", "chat": chat})
        ws.until(lambda m: m["t"] == "state" and m["status"] == "closed")
        ws.send_json({"t": "say", "text": "ещё вопрос"})
        self.assertIn("завершён", ws.until(lambda m: m["t"] == "error")["text"])

    def test_the_chat_queue_is_filtered_by_the_operators_department(self):
        trans, pens = self.operator("optrans"), self.operator("oppens")
        ws, welcome = self.citizen()
        chat = welcome["chat"]
        ws.send_json({"t": "say", "text": "Когда проходить техосмотр? Позовите оператора"})
        st = trans.until(lambda m: m["t"] == "state" and m["chat"] == chat and m["status"] == "waiting")
        self.assertEqual(st["department"], "transport")
        ws.until(lambda m: m["t"] == "state" and m["status"] == "waiting")
        # the other department's operator: the chat leaves the queue, is as good as absent
        pens.until(lambda m: m["t"] == "gone" and m["chat"] == chat)
        pens.send_json({"t": "take", "chat": chat})
        self.assertEqual(pens.until(lambda m: m["t"] == "error")["text"], "Чат не найден.")
        pens.send_json({"t": "history", "chat": chat})
        self.assertEqual(pens.until(lambda m: m["t"] == "error")["text"], "Чат не найден.")
        # (the new chat and its greeting went to everyone: it was not routed yet)
        self.assertFalse([m for m in pens.seen if m.get("chat") == chat and
                          (m.get("author", "bot") != "bot" or m.get("status") == "waiting")],
                         pens.seen)
        # a new connection lists it for transport only
        again = {}
        for login in ("optrans", "oppens"):
            op = self.operator(login)
            op.send_json({"t": "say", "chat": 1 << 40, "text": "ping"})  # ends the list
            op.until(lambda m: m["t"] == "error")
            again[login] = [m["chat"] for m in op.seen if m["t"] == "state"]
        self.assertIn(chat, again["optrans"])
        self.assertNotIn(chat, again["oppens"])
        # transport takes it and answers; pensions sees none of it
        trans.send_json({"t": "take", "chat": chat})
        ws.until(lambda m: m["t"] == "state" and m["status"] == "active")
        trans.send_json({"t": "say", "chat": chat, "text": "Техосмотр проходят раз в два года."})
        ws.until(lambda m: m["t"] == "msg" and m["author"] == "operator")
        pens.send_json({"t": "take", "chat": chat})
        pens.until(lambda m: m["t"] == "error")
        self.assertFalse([m for m in pens.seen if m.get("chat") == chat and
                          (m.get("author", "bot") != "bot" or m.get("status") not in (None, "bot"))],
                         pens.seen)

    def test_presence_and_an_operator_page(self):
        op = self.operator()
        ws, welcome = self.citizen()
        ws.close()
        p = op.until(lambda m: m["t"] == "presence" and m["chat"] == welcome["chat"])
        self.assertFalse(p["online"])
        anon = WsClient("127.0.0.1", self.okno.http_port, "/console/chat/ws")
        self.addCleanup(anon.close)
        anon.send_json({"t": "hello"})
        self.assertIn("Войдите", anon.until(lambda m: m["t"] == "error")["text"])
        # the operator's cookie from another site's page: refused (cross-site hijacking)
        evil = WsClient("127.0.0.1", self.okno.http_port, "/console/chat/ws",
                        cookie=self.staff_cookie, origin="http://evil.example")
        self.addCleanup(evil.close)
        evil.send_json({"t": "hello"})
        self.assertIn("Войдите", evil.until(lambda m: m["t"] == "error")["text"])
        same = WsClient("127.0.0.1", self.okno.http_port, "/console/chat/ws",
                        cookie=self.staff_cookie, origin=self.okno.base_url)
        self.addCleanup(same.close)
        same.send_json({"t": "hello"})
        self.assertEqual(same.until(lambda m: m["t"] in ("state", "error"))["t"], "state")
        r = HttpClient(self.okno.base_url).get("/chat")
        self.assertEqual(r.status, 200)
        self.assertIn("/static/chat.js", r.text)

    def citizen_sign_in(self, addr):
        """Signs `addr` in to the cabinet with the code from the outbox; the client."""
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/cabinet/login")
        r = c.post("/cabinet/login", {"csrf": token, "email": addr})
        self.assertEqual(r.status, 200, r.text[:500])
        code = None
        deadline = time.monotonic() + 30
        while not code and time.monotonic() < deadline:
            for p in glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*")):
                with open(p, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                if addr in str(m["To"]) and "Код для входа" in str(m["Subject"]):
                    code = re.search(r":\s*(\d{6})\s", m.get_content()).group(1)
            time.sleep(0.2)
        self.assertTrue(code, "no sign-in code for " + addr)
        r = c.post("/cabinet/login/code", {"csrf": token, "email": addr, "code": code})
        self.assertEqual(r.status, 303, r.text[:500])
        return c

    def test_a_signed_in_citizens_chat_and_its_appeal_are_in_the_cabinet(self):
        addr = "anna.chat@example.ru"
        c = self.citizen_sign_in(addr)
        cookie = "; ".join("%s=%s" % (k.name, k.value) for k in c.jar)
        ws = WsClient("127.0.0.1", self.okno.http_port, "/chat/ws", cookie=cookie)
        self.addCleanup(ws.close)
        ws.send_json({"t": "hello"})
        chat = ws.until(lambda m: m["t"] == "welcome")["chat"]
        self.assertTrue(ws.until(lambda m: m["t"] == "state")["signed_in"])
        ws.send_json({"t": "say", "text": "Не приходит письмо с кодом подтверждения телефона"})
        ws.until(lambda m: m["t"] == "state" and m["status"] == "waiting")
        op = self.operator()
        op.send_json({"t": "appeal", "chat": chat})
        number = op.until(lambda m: m["t"] == "state" and m["chat"] == chat and m["number"])["number"]
        r = c.get("/api/v1/cabinet/chats")
        self.assertEqual(r.status, 200, r.text[:300])
        mine = [x for x in r.json()["chats"] if x["id"] == chat]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["number"], number)
        page = c.get("/cabinet/chats")
        self.assertIn('href="/cabinet/appeals/%s"' % number, page.text)
        self.assertIn(number, c.get("/cabinet").text)
        self.assertEqual(self.okno.show_json(number)["from"]["email"], addr)
        # another citizen's cabinet does not list it; signed out: the sign-in page
        other = self.citizen_sign_in("boris.chat@example.ru")
        self.assertEqual(other.get("/api/v1/cabinet/chats").json()["chats"], [])
        self.assertEqual(HttpClient(self.okno.base_url).get("/cabinet/chats").status, 303)

    def test_a_broken_answers_file_stops_serve_with_one_line(self):
        other = Okno(self)
        path = os.path.join(other.dir, "answers.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("паспорт = В МФЦ.\nпенсия без знака равенства\n")
        other.write_config({"chat": {"answers": path}})
        r = subprocess.run([os.environ.get("OKNO_BIN", "okno"), "serve", "--config",
                            other.config_path], capture_output=True, text=True, timeout=60,
                           cwd=other.dir)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("[chat] answers", r.stderr)
        self.assertIn("line 2: no '='", r.stderr)

    def test_a_flood_of_messages_is_refused_and_not_stored(self):
        other = Okno(self)
        other.write_config({"chat": {"messages_per_minute": "3"}})
        other.start()
        ws = WsClient("127.0.0.1", other.http_port, "/chat/ws")
        self.addCleanup(ws.close)
        ws.send_json({"t": "hello"})                       # 1
        welcome = ws.until(lambda m: m["t"] == "welcome")
        for i in range(2):                                 # 2, 3
            ws.send_json({"t": "say", "text": "Вопрос %d" % i})
            ws.until(lambda m: m["t"] == "msg" and m["author"] == "citizen")
        ws.send_json({"t": "say", "text": "Лишний вопрос"})
        err = ws.until(lambda m: m["t"] in ("error", "msg") and m.get("author") != "bot")
        self.assertEqual(err["t"], "error")
        self.assertIn("Слишком много сообщений", err["text"])
        deadline = time.monotonic() + 10  # the log line may follow the answer
        while "event=rate-limited" not in other.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("event=rate-limited", other.log())
        if other.store_url.startswith("sqlite:"):
            db = sqlite3.connect(other.store_url[len("sqlite:"):])
            n = db.execute("SELECT count(*) FROM chat_messages WHERE chat_id = ? AND "
                           "author = 'citizen'", (welcome["chat"],)).fetchone()[0]
            db.close()
            self.assertEqual(n, 2)

    def test_z_node_killed_mid_chat_loses_no_message(self):
        ws, welcome = self.citizen()
        seen = [ws.until(lambda m: m["t"] == "msg")]
        for i in range(5):
            ws.send_json({"t": "say", "text": "Сообщение %d про пенсию" % i})
            seen.append(ws.until(lambda m: m["t"] == "msg" and m["author"] == "citizen"))
        last = seen[-1]["id"]
        self.okno.signal(signal.SIGKILL)
        self.okno.proc.wait(timeout=20)
        self.okno.start()
        # everything shown before the kill is there after it
        again, w2 = self.citizen({"t": "hello", "token": welcome["token"], "since": 0})
        self.assertEqual(w2["chat"], welcome["chat"])
        got = []
        try:
            while True:
                m = again.recv_json(timeout=2)
                if m["t"] == "msg":
                    got.append(m["id"])
        except TimeoutError:
            pass
        for m in seen:
            self.assertIn(m["id"], got)
        # and a client resuming from its last id gets only what came after
        again.send_json({"t": "say", "text": "После перезапуска"})
        new = again.until(lambda m: m["t"] == "msg" and m["author"] == "citizen")
        self.assertGreater(new["id"], last)
        third, _ = self.citizen({"t": "hello", "token": welcome["token"], "since": last})
        ids = []
        try:
            while True:
                m = third.recv_json(timeout=2)
                if m["t"] == "msg":
                    ids.append(m["id"])
        except TimeoutError:
            pass
        self.assertTrue(ids and min(ids) > last, ids)
        self.assertIn(new["id"], ids)


if __name__ == "__main__":
    unittest.main()
