"""test_check_page.py: «Проверить письмо» (/check) and its API (/api/v1/check) against the
real daemon with the phishing corpus config (portal gosuslugi.ru, our host mx.okno.test):
a genuine letter is safe and proved to come from the portal, a lookalike sender is
dangerous and unproved, pasted text is checked like a file, an empty form and an oversized
letter get a Russian error, a POST without CSRF is refused, script in the letter is shown
as text, «Сообщить о фишинге» puts the letter's sender and links on the block list
(`okno phishing list --json`, reporter "web"), and the API's JSON equals
`okno check-mail --json` for the same file.
"""
import html
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import HttpClient, Okno  # noqa: E402

SOURCE = os.environ.get("OKNO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(SOURCE, "tests", "data", "phishing")
PORTAL = {"smtp": {"hostname": "mx.okno.test"},
          "portal": {"domains": "gosuslugi.ru;госуслуги.рф", "name": "Госуслуги"}}


def sample(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def hidden(text, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, text)
    return html.unescape(m.group(1)) if m else None


SCRIPT = ("From: Госуслуги <info@gosuslugi-pay.example>\r\n"
          "To: ivan@example.ru\r\n"
          "Subject: <script>alert(1)</script>\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=b1\r\n"
          "\r\n"
          "--b1\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "\r\n"
          "Срочно подтвердите учётную запись: https://gosuslugi-pay.example/<script>x</script>\r\n"
          "--b1\r\n"
          "Content-Type: application/octet-stream\r\n"
          "Content-Disposition: attachment; filename=\"<img src=x onerror=alert(2)>.exe\"\r\n"
          "\r\n"
          "MZ\r\n"
          "--b1--\r\n")


class CheckPage(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.okno.write_config(PORTAL)
        self.okno.start()
        self.c = HttpClient(self.okno.base_url)
        # an API client without cookies (no ambient authority, so no CSRF token needed)
        self.api = HttpClient(self.okno.base_url)

    def check_file(self, data, name="letter.eml"):
        csrf = self.c.csrf("/check")
        return self.c.post("/check", {"csrf": csrf},
                           files=[("message", name, "message/rfc822", data)])

    def verdict(self, r):
        self.assertEqual(r.status, 200, r.text[:3000])
        m = re.search(r'id="verdict-label">([^<]*)<', r.text)
        self.assertTrue(m, r.text[:3000])
        return m.group(1)

    def test_form_and_links(self):
        r = self.c.get("/check")
        self.assertEqual(r.status, 200)
        self.assertIn("Проверить письмо", r.text)
        self.assertIn('name="message" type="file"', r.text)
        self.assertIn('<textarea id="text" name="text"', r.text)
        self.assertIn('href="/check"', self.c.get("/").text)

    def test_clean_verified(self):
        r = self.check_file(sample("genuine-01-fine.eml"))
        self.assertEqual(self.verdict(r), "Безопасно")
        self.assertIn("действительно отправлено порталом", r.text)

    def test_dangerous_lookalike(self):
        r = self.check_file(sample("phish-01-typo-l.eml"))
        self.assertEqual(self.verdict(r), "Опасно")
        self.assertIn("подтвердить, что его отправил портал, не удалось", r.text)
        self.assertIn('data-code="sender_lookalike"', r.text)
        self.assertIn("Сообщить о фишинге", r.text)

    def test_pasted_text(self):
        csrf = self.c.csrf("/check")
        r = self.c.post("/check", {"csrf": csrf,
                                   "text": sample("phish-01-typo-l.eml").decode("utf-8")})
        self.assertEqual(self.verdict(r), "Опасно")

    def test_empty_input(self):
        csrf = self.c.csrf("/check")
        r = self.c.post("/check", {"csrf": csrf, "text": "  \r\n "})
        self.assertEqual(r.status, 422)
        self.assertIn('id="message-error">Выберите файл письма', r.text)
        self.assertIn('aria-invalid="true"', r.text)
        r = self.api.post("/api/v1/check", {"message": ""})
        self.assertEqual(r.status, 422)
        self.assertIn("message", r.json()["errors"])

    def test_oversized(self):
        big = sample("genuine-01-fine.eml") + b"x" * (3 * 1024 * 1024)
        csrf = self.c.csrf("/check")
        r = self.c.post("/check", {"csrf": csrf, "text": "Тема: проверка"},
                        files=[("message", "big.eml", "message/rfc822", big)])
        self.assertEqual(r.status, 413)
        self.assertIn('id="message-error">Письмо слишком большое: проверить можно письмо не больше 2 МБ.',
                      r.text)
        self.assertIn(">Тема: проверка</textarea>", r.text)  # the input kept
        r = self.api.post("/api/v1/check", body=big, content_type="message/rfc822")
        self.assertEqual(r.status, 413)
        self.assertIn("2 МБ", r.json()["error"])

    def test_csrf_missing(self):
        self.c.get("/check")  # the pre-session cookie
        r = self.c.post("/check", {"text": SCRIPT})
        self.assertEqual(r.status, 403)
        r = self.c.post("/check/report", {"indicators": "domain evil.example\n", "sig": "00"})
        self.assertEqual(r.status, 403)

    def test_script_shown_as_text_and_kept(self):
        csrf = self.c.csrf("/check")
        r = self.c.post("/check", {"csrf": csrf, "text": SCRIPT})
        self.assertEqual(self.verdict(r), "Опасно")
        self.assertNotIn("<script>", r.text)
        self.assertIn("«&lt;img src=x onerror=alert(2)&gt;.exe»", r.text)
        self.assertNotIn("<img", r.text)
        # the kept input after an error is escaped too
        r = self.c.post("/check", {"csrf": csrf, "text": "<script>alert(1)</script>"},
                        files=[("message", "big.eml", "message/rfc822", b"x" * (2 * 1024 * 1024 + 1))])
        self.assertEqual(r.status, 413)
        self.assertNotIn("<script>alert", r.text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;</textarea>", r.text)

    def test_report_adds_to_block_list(self):
        r = self.check_file(sample("phish-01-typo-l.eml"))
        self.assertEqual(self.verdict(r), "Опасно")
        csrf, ind, sig = hidden(r.text, "csrf"), hidden(r.text, "indicators"), hidden(r.text, "sig")
        self.assertTrue(ind and sig)
        # a forged list is refused
        bad = self.c.post("/check/report", {"csrf": csrf, "indicators": "domain forged.example\n",
                                            "sig": sig})
        self.assertEqual(bad.status, 400)
        # as a browser sends it: the field's line ends as CRLF
        done = self.c.post("/check/report", {"csrf": csrf, "indicators": ind.replace("\n", "\r\n"),
                                             "sig": sig})
        self.assertEqual(done.status, 200, done.text[:2000])
        self.assertIn("Спасибо", done.text)
        r = self.okno.run("phishing", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = json.loads(r.stdout)
        values = {(e["kind"], e["value"]) for e in listed}
        for line in ind.strip().split("\n"):
            kind, value = line.split(" ", 1)
            self.assertIn((kind, value), values)
        self.assertTrue(all(e["blocked"] and e["reported_by"] == "web" for e in listed))
        self.assertFalse(any(e["value"] == "forged.example" for e in listed))
        # the API report of another letter, then both are dangerous with the block list
        r = self.api.post("/api/v1/check/report", body=SCRIPT.encode("utf-8"),
                        content_type="message/rfc822")
        self.assertEqual(r.status, 200, r.text)
        self.assertIn({"kind": "domain", "value": "gosuslugi-pay.example"}, r.json()["blocked"])
        r = self.api.post("/api/v1/check", body=SCRIPT.encode("utf-8"), content_type="message/rfc822")
        self.assertIn("blocklisted_domain", [x["code"] for x in r.json()["reasons"]])

    def test_api_equals_cli(self):
        for name in ("genuine-01-fine.eml", "phish-01-typo-l.eml", "phish-03-other-tld.eml"):
            path = os.path.join(CORPUS, name)
            cli = self.okno.run("check-mail", "--json", path)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            want = json.loads(cli.stdout)
            raw = self.api.post("/api/v1/check", body=sample(name), content_type="message/rfc822")
            self.assertEqual(raw.status, 200, raw.text)
            self.assertEqual(raw.json(), want, name)
            form = self.api.post("/api/v1/check", {}, files=[("message", name, "message/rfc822",
                                                            sample(name))])
            self.assertEqual(form.json(), want, name)


if __name__ == "__main__":
    unittest.main()
