#!/usr/bin/env python3
"""test_spam.py: spam judged by a REAL rspamd, over real SMTP (docs/spam.md).

One Debian rspamd (/usr/bin/rspamd, package rspamd) per test class, started here in the
foreground with its own configuration in a temp dir: no DNS (a closed loopback port),
the network modules off, a tiny TLD list (startup under a second), and regexp rules
that make a letter spam deterministically by a marker in its Subject (Bayes would need
hundreds of letters to learn). okno serve is configured with [rspamd] url pointing at
its normal worker and controller_url at its controller:

  - a letter with the spam marker (score 8 >= spam_score 6) is accepted (250) into the
    `spam` hold: no receipt, no deadline, not in the regular queue; the score, action
    and symbols are in the `spam_checked` event;
  - a ham letter is unaffected: the normal flow, a receipt, a `spam_checked` event
    with verdict accept;
  - the operator's «Не спам» releases the held appeal: queue empty, deadline counted
    from that moment, the receipt sent; rspamd is asked to learn it as ham (without a
    Redis rspamd has no statistics backend and refuses: the attempt is an event);
  - «Спам» on a normal appeal moves it into the hold and stops its clock;
  - the reject marker (score 30 >= reject_score 15): 550 5.7.1 at SMTP time, nothing
    stored;
  - rspamd stopped (its port closed): on_failure = tempfail answers 451 4.3.0 and stores
    nothing; on_failure = accept registers the letter unscanned, with a
    `spam_unscanned` event and its receipt, and the counter okno_rspamd_unscanned_total
    on /metrics ([metrics] listen) goes from 0 to 1.

Skipped (exit 77) when rspamd is not installed (scripts/deps --test installs it)."""
import email
import email.policy
import json
import os
import re
import smtplib
import sys
import time
import unittest
import urllib.request
from datetime import datetime
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dns_server import DnsServer  # noqa: E402
from okno_it import ClassScope, HttpClient, Okno, free_port  # noqa: E402
from test_users import totp  # noqa: E402

from rspamd_server import CONTROLLER_PASSWORD, REDIS, RSPAMD  # noqa: E402
from rspamd_server import Rspamd as RealRspamd  # noqa: E402

if not (os.access(RSPAMD, os.X_OK) and os.access(REDIS, os.X_OK)):
    print("rspamd or redis-server is not installed (scripts/deps --test installs them): skipped")
    sys.exit(77)

PASSWORD = "Correct-Horse-Battery-42"
# rspamd's own actions far away: okno's thresholds decide in these tests
REGEXP = """
OKNO_SPAM_MARKER { re = 'Subject=/okno-spam-marker/i'; score = 8.0;
  description = "okno test: spam marker"; group = "okno"; }
OKNO_REJECT_MARKER { re = 'Subject=/okno-reject-marker/i'; score = 30.0;
  description = "okno test: reject marker"; group = "okno"; }
"""


def Rspamd(test):
    """rspamd with the marker rules, its phishing module off, and a Redis and fuzzy
    storage so that it learns (tests/it/rspamd_server.py)."""
    return RealRspamd(test, regexp=REGEXP, phishing=False, learning=True)


# a mailing long enough for rspamd's fuzzy hashes (32 words and more)
CAMPAIGN = ("Только сегодня! Большая распродажа бытовой техники и электроники в нашем "
            "интернет-магазине: скидки до семидесяти процентов на холодильники, стиральные "
            "машины, телевизоры, пылесосы и кофемашины. Доставка бесплатно по всей стране, "
            "оплата при получении, гарантия три года. Успейте оформить заказ до конца дня, "
            "количество товаров ограничено. Подпишитесь на нашу рассылку и получайте "
            "промокоды каждую неделю.")


def letter(subject, sender="ivan.petrov@mail.example", body=None):
    m = EmailMessage()
    m["From"] = "Иван Петров <%s>" % sender
    m["To"] = "support@portal.example"
    m["Subject"] = subject
    m["Message-ID"] = "<%d.%s>" % (time.time_ns(), sender)
    m["Date"] = "Sun, 06 Dec 2026 10:00:00 +0300"
    m.set_content(body or "Здравствуйте! Не могу войти в личный кабинет: после ввода "
                  "пароля страница обновляется и ничего не происходит. Помогите, пожалуйста.")
    return m


def send(okno, msg):
    """Sends over SMTP; returns (code, text) of the end of DATA (or of the refusal)."""
    with smtplib.SMTP("127.0.0.1", okno.smtp_port, timeout=30) as s:
        try:
            s.send_message(msg)
        except smtplib.SMTPResponseException as e:
            return e.smtp_code, e.smtp_error.decode("utf-8", "replace")
        except smtplib.SMTPDataError as e:  # pragma: no cover (a subclass of the above)
            return e.smtp_code, str(e)
    return 250, ""


def number_of(okno, subject):
    for a in okno.list_json():
        if a["subject"] == subject:
            return a["number"]
    return None


def events(shown, kind):
    return [e for e in shown.get("events", []) if e["kind"] == kind]


def outbox(okno):
    new = os.path.join(okno.dir, "outbox", "new")
    out = []
    for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            out.append(f.read())
    return out


def wait_receipt(okno, number, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for m in outbox(okno):
            if number.encode() in m:
                return m
        time.sleep(0.2)
    return None


def class_rspamd(cls):
    """One rspamd for the class `cls`, started; returns the class scope."""
    scope = ClassScope(cls)
    cls.rspamd = Rspamd(scope)
    cls.rspamd.start()
    return scope


class SpamWithRspamd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = class_rspamd(cls)
        # sender authentication on, against a DNS of the test's own: forged.example fails
        # both SPF and DMARC; every other domain has no records (spf=none, no DMARC)
        cls.dns = DnsServer()
        scope.addCleanup(cls.dns.stop)
        cls.dns.set_zones({"forged.example": [{"TXT": "v=spf1 -all"}],
                           "_dmarc.forged.example": [{"TXT": "v=DMARC1; p=none"}]})
        cls.okno = Okno(scope)
        cls.okno.write_config({"rspamd": {"url": cls.rspamd.url, "spam_score": "6",
                                          "reject_score": "15", "on_failure": "tempfail",
                                          "controller_url": cls.rspamd.controller_url,
                                          "password": CONTROLLER_PASSWORD},
                               "auth": {"verify": "1"},
                               "dns": {"server": cls.dns.address, "timeout_ms": "400"},
                               "http": {"requests_per_minute": "100000"}})
        p = cls.okno.run("user", "add", "--login", "opa", "--role", "operator", "--json",
                         "--email", "opa@portal.example")
        assert p.returncode == 0, p.stderr
        cls.opa = json.loads(p.stdout)
        p = cls.okno.run("user", "password", "--login", "opa", input=PASSWORD + "\n")
        assert p.returncode == 0, p.stderr
        cls.okno.start()

    def sign_in(self):
        # one sign-in per class: a TOTP code is accepted once
        if getattr(type(self), "client", None):
            return type(self).client
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/console/login")
        r = c.post("/console/login", {"csrf": token, "login": "opa", "password": PASSWORD,
                                      "code": totp(self.opa["totp_uri"])})
        self.assertEqual(r.status, 303, r.text[:500])
        type(self).client = c
        return c

    def act(self, c, number, action):
        r = c.get("/console/appeals/" + number)
        self.assertEqual(r.status, 200, r.text[:500])
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)
        version = re.search(r'name="version" value="(\d+)"', r.text).group(1)
        return c.post("/console/appeals/%s/%s" % (number, action),
                      {"csrf": csrf, "version": version}), r.text

    def test_spam_is_held_without_receipt_and_not_spam_releases_it(self):
        subject = "Выгодное предложение okno-spam-marker 1"
        self.assertEqual(send(self.okno, letter(subject))[0], 250)
        number = number_of(self.okno, subject)
        self.assertIsNotNone(number, self.okno.log()[-2000:])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "spam")
        self.assertIsNone(shown["deadline"])
        checked = events(shown, "spam_checked")
        self.assertEqual(len(checked), 1, shown["events"])
        detail = checked[0]["detail"]
        self.assertGreaterEqual(detail["score"], 8.0)
        self.assertEqual(detail["verdict"], "spam")
        self.assertIn("OKNO_SPAM_MARKER", detail["symbols"])
        self.assertTrue(events(shown, "autoreply_suppressed"))
        self.assertIsNone(wait_receipt(self.okno, number, timeout=3))
        # not in the regular queue of anyone
        c = self.sign_in()
        r = c.get("/console?view=all")
        self.assertEqual(r.status, 200)
        self.assertNotIn(number, r.text)

        # «Не спам»: out of the hold, the receipt, the deadline from now
        before = time.time()
        r, page = self.act(c, number, "ham")
        self.assertIn("Не спам", page)
        self.assertEqual(r.status, 303, r.text[:500])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "")
        self.assertTrue(events(shown, "released_from_spam"))
        self.assertIsNotNone(shown["deadline"])
        self.assertGreater(datetime.fromisoformat(shown["deadline"]).timestamp(), before)
        self.assertEqual([e["detail"]["why"] for e in events(shown, "deadline_set")],
                         ["released from the spam hold"])
        receipt = wait_receipt(self.okno, number)
        self.assertIsNotNone(receipt, "no receipt after «Не спам»")
        self.assertIn(b"ivan.petrov@mail.example", receipt)
        # rspamd learnt it as ham (its Bayes on the test's own Redis)
        self.assertFalse(events(shown, "rspamd_learn_failed"))
        self.assertEqual([e["detail"]["as"] for e in events(shown, "rspamd_learned")], ["ham"])
        r = c.get("/console?view=all")
        self.assertIn(number, r.text)

    def test_the_cabinet_does_not_show_a_held_appeal(self):
        sender = "olga.sidorova@mail.example"
        subject = "Скидки okno-spam-marker кабинет"
        self.assertEqual(send(self.okno, letter(subject, sender=sender))[0], 250)
        number = number_of(self.okno, subject)
        self.assertEqual(self.okno.show_json(number)["queue"], "spam")
        c = HttpClient(self.okno.base_url)
        r = c.post("/api/v1/cabinet/login", {"email": sender})
        self.assertEqual(r.status, 202, r.text)
        code = None
        end = time.monotonic() + 30
        while code is None and time.monotonic() < end:
            for raw in outbox(self.okno):
                m = email.message_from_bytes(raw, policy=email.policy.default)
                if sender in str(m["To"]) and "Код для входа" in str(m["Subject"]):
                    code = re.search(r":\s*(\d{6})\s", m.get_content()).group(1)
            time.sleep(0.2)
        self.assertIsNotNone(code, "no sign-in code mailed")
        r = c.post("/api/v1/cabinet/login/code", {"email": sender, "code": code})
        self.assertEqual(r.status, 200, r.text)
        r = c.get("/api/v1/cabinet/appeals")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["total"], 0, r.text)
        self.assertEqual(c.get("/api/v1/cabinet/appeals/" + number).status, 404)

    def test_spam_page_lists_held_letters_and_releases_them(self):
        subject = "Распродажа okno-spam-marker page"
        self.assertEqual(send(self.okno, letter(subject))[0], 250)
        number = number_of(self.okno, subject)
        self.assertEqual(self.okno.show_json(number)["queue"], "spam")
        c = self.sign_in()
        r = c.get("/console/spam")
        self.assertEqual(r.status, 200, r.text[:500])
        self.assertIn('data-number="%s"' % number, r.text)
        self.assertIn("Не спам", r.text)
        # not in the regular queue page
        self.assertNotIn(number, c.get("/console?view=all").text)
        row = r.text[r.text.index('data-number="%s"' % number):]
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', row).group(1)
        version = re.search(r'name="version" value="(\d+)"', row).group(1)
        before = time.time() - 1
        r = c.post("/console/appeals/%s/ham" % number, {"csrf": csrf, "version": version})
        self.assertEqual(r.status, 303, r.text[:500])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "")
        self.assertGreater(datetime.fromisoformat(shown["deadline"]).timestamp(), before)
        self.assertIsNotNone(wait_receipt(self.okno, number), "no receipt after «Не спам»")
        self.assertNotIn('data-number="%s"' % number, c.get("/console/spam").text)

    def test_no_backscatter_to_a_forged_sender_even_when_released(self):
        # spam from a sender failing SPF and DMARC: held, no receipt; «Не спам» releases
        # it with a deadline, and still no receipt (the forged From must not get mail)
        subject = "Акция okno-spam-marker forged"
        self.assertEqual(send(self.okno, letter(subject, sender="boss@forged.example"))[0], 250)
        number = number_of(self.okno, subject)
        self.assertEqual(self.okno.show_json(number)["queue"], "spam")
        c = self.sign_in()
        r, _ = self.act(c, number, "ham")
        self.assertEqual(r.status, 303, r.text[:500])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "")
        self.assertIsNotNone(shown["deadline"])
        reasons = [e["detail"]["reason"] for e in events(shown, "autoreply_suppressed")]
        self.assertIn("sender failed SPF and DMARC: the From address is probably forged",
                      reasons)
        self.assertFalse(events(shown, "acknowledged"))
        time.sleep(2)  # what the outbound worker would have written by now
        self.assertIsNone(wait_receipt(self.okno, number, timeout=1))

    def test_ham_is_unaffected(self):
        subject = "Не могу войти в личный кабинет"
        self.assertEqual(send(self.okno, letter(subject))[0], 250)
        number = number_of(self.okno, subject)
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "")
        self.assertIsNotNone(shown["deadline"])
        checked = events(shown, "spam_checked")
        self.assertEqual(len(checked), 1)
        self.assertEqual(checked[0]["detail"]["verdict"], "accept")
        self.assertLess(checked[0]["detail"]["score"], 6)
        self.assertIsNotNone(wait_receipt(self.okno, number))

    def test_operator_marks_an_appeal_as_spam(self):
        subject = "Рассылка, которую фильтр пропустил"
        self.assertEqual(send(self.okno, letter(subject, sender="promo@shop.example",
                                                body=CAMPAIGN))[0], 250)
        number = number_of(self.okno, subject)
        self.assertIsNotNone(self.okno.show_json(number)["deadline"])
        c = self.sign_in()
        # «Не спам» on an appeal that is not held: refused in Russian, nothing changed
        r, _ = self.act(c, number, "ham")
        self.assertEqual(r.status, 422, r.text[:500])
        self.assertIn("не находится в очереди спама", r.text)
        self.assertEqual(self.okno.show_json(number)["queue"], "")
        r, page = self.act(c, number, "spam")
        self.assertIn(">Спам<", page)
        self.assertEqual(r.status, 303, r.text[:500])
        shown = self.okno.show_json(number)
        self.assertEqual(shown["queue"], "spam")
        self.assertIsNone(shown["deadline"])
        self.assertTrue(events(shown, "marked_spam"))
        self.assertFalse(events(shown, "rspamd_learn_failed"))
        self.assertEqual([e["detail"]["as"] for e in events(shown, "rspamd_learned")], ["spam"])
        # learning moves rspamd's verdict: the same campaign again (another subject and
        # Message-ID) matches the fuzzy storage (FUZZY_DENIED) and is held as spam with
        # no receipt (the storage writes its updates every 0.5 s: a few tries)
        for i in range(20):
            again = "Рассылка ещё раз %d" % i
            self.assertEqual(send(self.okno, letter(again, sender="promo@shop.example",
                                                    body=CAMPAIGN))[0], 250)
            shown = self.okno.show_json(number_of(self.okno, again))
            if shown["queue"] == "spam":
                break
            time.sleep(0.5)
        checked = events(shown, "spam_checked")[0]["detail"]
        self.assertEqual(shown["queue"], "spam", checked)
        self.assertIn("FUZZY_DENIED", checked["symbols"])
        self.assertEqual(checked["verdict"], "spam")

    def test_reject_score_refuses_at_smtp_time_and_stores_nothing(self):
        subject = "Срочно okno-reject-marker"
        code, text = send(self.okno, letter(subject))
        self.assertEqual(code, 550, text)
        self.assertIn("5.7.1", text)
        self.assertNotIn("OKNO_REJECT_MARKER", text)
        self.assertNotIn("score", text.lower())
        self.assertIsNone(number_of(self.okno, subject))


class RspamdDown(unittest.TestCase):
    """rspamd stopped: a real one started and stopped again, so its port is closed."""

    @classmethod
    def setUpClass(cls):
        class_rspamd(cls)
        cls.rspamd.stop()

    def serve(self, on_failure):
        okno = Okno(self)
        okno.metrics_port = free_port()
        okno.write_config({"rspamd": {"url": self.rspamd.url, "on_failure": on_failure,
                                      "timeout_ms": "2000"},
                           "metrics": {"listen": "127.0.0.1:%d" % okno.metrics_port}})
        okno.start()
        return okno

    def unscanned(self, okno):
        """okno_rspamd_unscanned_total on /metrics (None when the line is missing)."""
        url = "http://127.0.0.1:%d/metrics" % okno.metrics_port
        with urllib.request.urlopen(url, timeout=10) as r:
            text = r.read().decode()
        m = re.search(r"^okno_rspamd_unscanned_total (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def test_tempfail_answers_451_and_stores_nothing(self):
        okno = self.serve("tempfail")
        subject = "Письмо при остановленном rspamd"
        code, text = send(okno, letter(subject))
        self.assertEqual(code, 451, text)
        self.assertIn("4.3.0", text)
        self.assertEqual(okno.list_json(), [])
        self.assertIn("event=rspamd_unavailable", okno.log())
        self.assertEqual(self.unscanned(okno), 0)  # refused, not accepted unscanned

    def test_accept_registers_unscanned_with_an_event_and_a_receipt(self):
        okno = self.serve("accept")
        subject = "Письмо при остановленном rspamd, принять"
        self.assertEqual(self.unscanned(okno), 0)
        self.assertEqual(send(okno, letter(subject))[0], 250)
        self.assertEqual(self.unscanned(okno), 1)
        number = number_of(okno, subject)
        shown = okno.show_json(number)
        self.assertEqual(shown["queue"], "")
        self.assertTrue(events(shown, "spam_unscanned"))
        self.assertFalse(events(shown, "spam_checked"))
        self.assertIsNotNone(wait_receipt(okno, number))


if __name__ == "__main__":
    unittest.main(verbosity=2)
