#!/usr/bin/env python3
"""test_telegram.py: the Telegram bot (issue 22; web/telegram_routes.c, ops/messenger.h)
against a fake Bot API written for the test (tests/it/fake_botapi.py).

One okno for the class with [telegram] token, webhook_secret and api_url pointing at the
fake. Updates are posted to the webhook as Telegram posts them:
  - without the secret header, or with a wrong one: 403 and nothing stored, nothing sent;
  - with the right secret: an appeal (channel telegram) and, through the outbound queue,
    a sendMessage to the chat carrying the appeal's number; the same update again is a
    duplicate; the chat id is never in okno's log in clear;
  - a second message from the chat joins its open appeal;
  - /status NUMBER answers the status to the chat the appeal belongs to, «не найдено» to
    another chat;
  - an operator's answer queued while okno is stopped reaches the fake API exactly once
    across two restarts;
  - a 429 with parameters.retry_after: the message is sent again, not before retry_after;
  - a document sent in the chat is fetched (getFile) and attached to the new appeal;
  - /link gives the chat a one-time code; a citizen signed in to the cabinet types it
    under «Мои чаты» and the chat's appeals are then in «Мои обращения»; a wrong or
    used code is refused with a message next to the field; a group chat gets no code.
Runs on PostgreSQL too (it_telegram_pg)."""
import hashlib
import json
import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_botapi import FakeBotApi  # noqa: E402
from okno_it import ClassScope, Okno  # noqa: E402
from test_crypto_at_rest import sign_in  # noqa: E402

TOKEN = "123456:TEST-token_abc"
SECRET = "webhook-secret-0123456789"
CHAT = 7700112233
OTHER_CHAT = 7700998877
TEXT = ("Здравствуйте! Не могу войти в личный кабинет на портале: после ввода пароля "
        "страница обновляется и снова просит войти. Пробовал другой браузер, не помогает.")


class Telegram(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = FakeBotApi(TOKEN)
        cls.addClassCleanup(cls.api.close)
        cls.okno = Okno(ClassScope(cls))
        cls.okno.write_config({"telegram": {"token": TOKEN, "webhook_secret": SECRET,
                                            "api_url": cls.api.url}})
        cls.okno.start()
        cls.update_id = 500000

    def post(self, update, secret=SECRET):
        data = json.dumps(update).encode()
        req = urllib.request.Request(self.okno.base_url + "/telegram/webhook", data=data,
                                     method="POST", headers={"Content-Type": "application/json"})
        if secret is not None:
            req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def message(self, text, chat=CHAT, update_id=None):
        if update_id is None:
            type(self).update_id += 1
            update_id = type(self).update_id
        return {"update_id": update_id,
                "message": {"message_id": update_id - 499000, "date": int(time.time()),
                            "chat": {"id": chat, "type": "private", "first_name": "Иван"},
                            "from": {"id": chat, "is_bot": False, "first_name": "Иван",
                                     "last_name": "Петров"},
                            "text": text}}

    def telegram_appeals(self):
        return [a for a in self.okno.list_json() if a["channel"] == "telegram"]

    def test_1_wrong_or_missing_secret_is_403_and_stores_nothing(self):
        self.assertEqual(self.post(self.message(TEXT), secret=None), 403)
        self.assertEqual(self.post(self.message(TEXT), secret="webhook-secret-0123456788"), 403)
        self.assertEqual(self.post(self.message(TEXT), secret=""), 403)
        time.sleep(1.5)  # a pass of the queue: nothing may be sent
        self.assertEqual(self.okno.list_json(), [])
        self.assertEqual(self.api.requests, [])

    def test_2_right_secret_registers_and_the_api_gets_the_number(self):
        update = self.message(TEXT)
        self.assertEqual(self.post(update), 200)
        appeals = self.telegram_appeals()
        self.assertEqual(len(appeals), 1, appeals)
        number = appeals[0]["number"]
        type(self).number = number
        got = self.api.wait_for(lambda b: b.get("chat_id") == CHAT and number in b.get("text", ""))
        self.assertIn(number, got["text"])
        # Telegram sends an update again when it missed our answer: a duplicate
        self.assertEqual(self.post(update), 200)
        self.assertEqual(len(self.telegram_appeals()), 1)
        shown = self.okno.show_json(number)
        self.assertEqual(shown["channel"], "telegram")
        kinds = [e["kind"] for e in shown["events"]]
        self.assertIn("duplicate_received", kinds)
        self.api.wait_for(lambda b: True)
        time.sleep(1.5)
        sent = [e for e in self.okno.show_json(number)["events"] if e["kind"] == "outbound_sent"]
        self.assertTrue(any(e["detail"].get("transport") == "telegram" for e in sent), sent)
        self.assertNotIn(str(CHAT), self.okno.log())  # personal data: tags only

    def test_3_a_second_message_joins_the_open_appeal(self):
        self.assertEqual(self.post(self.message("И ещё: код из СМС тоже не приходит.")), 200)
        appeals = self.telegram_appeals()
        self.assertEqual(len(appeals), 1, appeals)
        shown = self.okno.show_json(self.number)
        inbound = [m for m in shown["messages"] if m["direction"] == "in"]
        self.assertEqual(len(inbound), 2, shown["messages"])
        self.assertIn("reply_joined", [e["kind"] for e in shown["events"]])

    def test_4_status_command(self):
        before = len(self.api.sent(CHAT))
        self.assertEqual(self.post(self.message("/status " + self.number)), 200)
        got = self.api.wait_for(lambda b: b.get("chat_id") == CHAT and
                                b.get("text", "").startswith("Обращение № %s:" % self.number))
        self.assertIn("зарегистрировано", got["text"])
        self.assertGreater(len(self.api.sent(CHAT)), before)
        self.assertEqual(self.post(self.message("/status " + self.number, chat=OTHER_CHAT)), 200)
        got = self.api.wait_for(lambda b: b.get("chat_id") == OTHER_CHAT)
        self.assertIn("не найдено", got["text"])
        self.assertEqual(len(self.telegram_appeals()), 1)  # a command registers nothing

    def test_5_an_answer_reaches_the_api_exactly_once_across_restarts(self):
        answer = "Ответ оператора: сбросьте, пожалуйста, пароль по ссылке «Забыли пароль?»."
        self.assertEqual(self.okno.stop(), 0)
        r = self.okno.run("appeal", "status", self.number, "answered", "--answer", answer,
                          "--by", "operator@portal.example", "--no-deliver")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([b for b in self.api.sent(CHAT) if answer in b["text"]], [])
        self.okno.start()
        self.api.wait_for(lambda b: b.get("chat_id") == CHAT and answer in b.get("text", ""))
        self.assertEqual(self.okno.stop(), 0)
        self.okno.start()
        time.sleep(2.5)  # passes of the restarted queue
        self.assertEqual(len([b for b in self.api.sent(CHAT) if answer in b["text"]]), 1)

    def test_6_a_429_is_retried_after_retry_after(self):
        self.api.fail_next(1, 429, retry_after=3)
        mark = len(self.api.requests)
        self.assertEqual(self.post(self.message("/status " + self.number)), 200)
        end = time.monotonic() + 20
        while time.monotonic() < end and len(self.api.requests) < mark + 2:
            time.sleep(0.1)
        tries = self.api.requests[mark:]
        self.assertEqual(len(tries), 2, tries)
        self.assertEqual(tries[0][2], tries[1][2])  # the same message again
        self.assertGreaterEqual(tries[1][0] - tries[0][0], 3 - 0.05)

    def test_7_a_document_is_fetched_and_attached(self):
        pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
               b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
        self.api.files["BQACAgIAAx0-file_1"] = ("documents/file_1.pdf", pdf)
        update = self.message("", chat=7700555000)
        del update["message"]["text"]
        update["message"]["caption"] = ("Скан заявления, которое не принимает портал: ошибка "
                                        "при загрузке на шаге подтверждения документов.")
        update["message"]["document"] = {"file_id": "BQACAgIAAx0-file_1", "file_name": "заявление.pdf",
                                         "mime_type": "application/pdf"}
        self.assertEqual(self.post(update), 200)
        appeals = [a for a in self.telegram_appeals() if a["number"] != self.number]
        self.assertEqual(len(appeals), 1, appeals)
        shown = self.okno.show_json(appeals[0]["number"])
        files = [f for m in shown["messages"] for f in m.get("attachments", [])]
        self.assertEqual([f["filename"] for f in files], ["заявление.pdf"], shown["messages"])
        self.assertEqual(files[0]["sha256"], hashlib.sha256(pdf).hexdigest())

    def test_8_link_the_chat_to_a_cabinet_with_the_bots_code(self):
        c = sign_in(self.okno, "ivan.tg@example.ru")
        self.assertNotIn(self.number, c.get("/cabinet").text)
        self.assertEqual(self.post(self.message("/link")), 200)
        got = self.api.wait_for(lambda b: b.get("chat_id") == CHAT and
                                "Код для привязки" in b.get("text", ""))
        code = re.search(r"([A-Z2-9]{5}-[A-Z2-9]{5})", got["text"]).group(1)
        token = c.csrf("/cabinet/chats")
        wrong = "ZZZZZ-ZZZZZ" if code != "ZZZZZ-ZZZZZ" else "YYYYY-YYYYY"
        r = c.post("/cabinet/telegram", {"csrf": token, "code": wrong})
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertIn("Код не подошёл", r.text)
        self.assertNotIn(self.number, c.get("/cabinet").text)
        # typed in lower case without the dash: the same code
        r = c.post("/cabinet/telegram", {"csrf": token, "code": code.lower().replace("-", "")})
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn("Чат в Telegram привязан", r.text)
        self.assertIn(self.number, c.get("/cabinet").text)
        self.assertEqual(c.get("/cabinet/appeals/" + self.number).status, 200)
        # used once only: another cabinet cannot take it
        other = sign_in(self.okno, "boris.tg@example.ru")
        r = other.post("/cabinet/telegram", {"csrf": other.csrf("/cabinet/chats"), "code": code})
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertNotIn(self.number, other.get("/cabinet").text)
        # a group chat gets no code
        group = self.message("/link", chat=-100200300)
        group["message"]["chat"]["type"] = "group"
        self.assertEqual(self.post(group), 200)
        got = self.api.wait_for(lambda b: b.get("chat_id") == -100200300)
        self.assertIn("только личный чат", got["text"])


if __name__ == "__main__":
    unittest.main()
