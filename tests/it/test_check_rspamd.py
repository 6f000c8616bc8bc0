#!/usr/bin/env python3
"""test_check_rspamd.py: the citizen's check (`okno check-mail`) with a REAL rspamd
(check/citizen.h, docs/phishing.md "rspamd").

One Debian rspamd for the class (tests/it/rspamd_server.py: its phishing module on, no
DNS, a Redis of its own for Bayes and a fuzzy_storage worker, so it can learn), and the
portal gosuslugi.ru with [rspamd] url and controller_url:

  - a letter that does not imitate the portal but whose link shows one bank's site and
    leads to another: rspamd's phishing module fires and the verdict is dangerous with
    the Russian reason rspamd_link beside okno's own link signal (rspamd's classifier has
    not judged it: nothing learnt as ham yet);
  - an ordinary letter: clean, rspamd's score in the JSON, the check not partial;
  - rspamd's port closed: okno's rules alone, "partial": true, and the Russian summary
    says the check was partial;
  - the /check page of a running okno shows rspamd's reason, and with rspamd's port
    closed says «Проверка неполная»;
  - learning: a letter rspamd has no opinion of; `okno phishing report` on it (an
    operator's or citizen's report) teaches rspamd (Bayes + fuzzy storage); the same
    campaign sent again (new Message-ID and date) now matches FUZZY_DENIED, rspamd's
    score rises and the verdict is dangerous with rspamd_phishing;
  - «Сообщить о фишинге» on the /check page: a dangerous letter (a portal look-alike
    sender) travels with the report form, signed; the report teaches rspamd like `okno
    phishing report` (learnspam + fuzzyadd): the same campaign again matches
    FUZZY_DENIED, and rspamd's controller counts one more letter learnt; a letter whose
    signature does not match is refused (400) and teaches nothing.

Skipped (exit 77) when rspamd or redis-server is not installed (scripts/deps --test
installs both)."""
import base64
import html
import json
import os
import re
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import ClassScope, HttpClient, Okno  # noqa: E402
from rspamd_server import REDIS, RSPAMD, Rspamd, free_port  # noqa: E402

if not (os.access(RSPAMD, os.X_OK) and os.access(REDIS, os.X_OK)):
    print("rspamd or redis-server is not installed (scripts/deps --test installs them): skipped")
    sys.exit(77)


MISMATCH = """From: Bank Support <support@bank-notice.example>
To: ivan@mail.example
Subject: Account verification
Message-ID: <mm1@bank-notice.example>
Date: Sun, 06 Dec 2026 10:00:00 +0300
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8

<html><body><p>Dear customer, please review your account.</p>
<p><a href="http://login.secure-verify.com/account">https://www.paypal.com/signin</a></p>
</body></html>
"""

ORDINARY = """From: Anna Petrova <anna@mail.example>
To: ivan@mail.example
Subject: Meeting on Tuesday
Message-ID: <ord1@mail.example>
Date: Sun, 06 Dec 2026 10:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello Ivan, shall we meet on Tuesday at ten to go through the quarterly figures?
Anna
"""

CAMPAIGN = """From: Delivery Service <info@parcel-track.example>
To: ivan@mail.example
Subject: Your parcel is waiting {n}
Message-ID: <camp{n}@parcel-track.example>
Date: Sun, 0{n} Dec 2026 10:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello, your parcel number 8841 could not be delivered because the delivery fee was not
paid. The courier will return it to the sender in three days. To arrange a new delivery
date, visit our tracking page and pay the small fee of 1.99 with your bank card. Thank you
for choosing our delivery service, we look forward to serving you again soon.
"""

WEB_CAMPAIGN = """From: Gosuslugi <robot@gosuslugl.ru>
To: ivan@mail.example
Subject: Debt notice {n}
Message-ID: <web{n}@gosuslugl.ru>
Date: Sun, 0{n} Dec 2026 11:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Dear citizen, a tax debt of 4 812 roubles was found on your record. Unless it is paid
within two days, a court order will freeze your bank accounts and your travel abroad will
be restricted. Pay the debt now on the payment page of the service and keep the receipt
until the record is updated. This letter was sent automatically, do not answer it.
"""


class CheckWithRspamd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = ClassScope(cls)
        cls.rspamd = Rspamd(scope, learning=True)
        cls.rspamd.start()
        cls.okno = cls.instance(scope, cls.rspamd.url)
        cls.down = cls.instance(scope, "http://127.0.0.1:%d" % free_port())
        cls.fresh = cls.instance(scope, cls.rspamd.url)  # a store with no block list
        cls.dir = cls.okno.dir

    @classmethod
    def instance(cls, scope, url):
        o = Okno(scope)
        o.write_config({"portal": {"domains": "gosuslugi.ru;госуслуги.рф"},
                        "rspamd": {"url": url, "timeout_ms": "20000",
                                   "controller_url": cls.rspamd.controller_url,
                                   "password": cls.rspamd.password}})
        return o

    def letter(self, text, name):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, path, okno=None, json_out=True):
        p = (okno or self.okno).run("check-mail", *(["--json"] if json_out else []), path)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if json_out else p.stdout

    def check_fuzzy(self, path):
        """The check of `path` by the instance without a block list, once rspamd's fuzzy
        storage knows it (it writes its updates in batches, every 0.5 s here)."""
        deadline = time.monotonic() + 15
        d = self.check(path, self.fresh)
        while "FUZZY_DENIED" not in d["rspamd"]["symbols"] and time.monotonic() < deadline:
            time.sleep(0.3)
            d = self.check(path, self.fresh)
        self.assertIn("FUZZY_DENIED", d["rspamd"]["symbols"], d)
        return d

    def codes(self, d):
        return [r["code"] for r in d["reasons"]]

    def test_mismatched_link_is_dangerous_by_rspamd(self):
        d = self.check(self.letter(MISMATCH, "mismatch.eml"))
        self.assertFalse(d["partial"])
        self.assertIn("PHISHING", d["rspamd"]["symbols"], d)
        self.assertIn("rspamd_link", self.codes(d))
        self.assertEqual(d["verdict"], "dangerous")
        text = [r["text"] for r in d["reasons"] if r["code"] == "rspamd_link"][0]
        self.assertIn("ссылку", text)
        self.assertNotIn("PHISHING", text)

    def test_ordinary_letter_is_clean_and_not_partial(self):
        d = self.check(self.letter(ORDINARY, "ordinary.eml"))
        self.assertEqual(d["verdict"], "clean", d)
        self.assertFalse(d["partial"])
        self.assertLess(d["rspamd"]["score"], 6)
        self.assertFalse([c for c in self.codes(d) if c.startswith("rspamd_")], d)

    def test_rspamd_down_is_partial(self):
        path = self.letter(MISMATCH, "mismatch-down.eml")
        d = self.check(path, self.down)
        self.assertTrue(d["partial"])
        self.assertNotIn("rspamd", d)
        self.assertFalse([c for c in self.codes(d) if c.startswith("rspamd_")], d)
        text = self.check(path, self.down, json_out=False)
        self.assertIn("Проверка неполная", text)
        self.assertNotIn("Проверка неполная", self.check(path, json_out=False))

    def test_check_page_with_rspamd_and_partial(self):
        # the /check page of a running okno: rspamd's reason in Russian; rspamd's port
        # closed: the page says the check was partial
        for okno, partial in ((self.okno, False), (self.down, True)):
            okno.start()
            c = HttpClient(okno.base_url)
            csrf = c.csrf("/check")
            r = c.post("/check", {"csrf": csrf},
                       files=[("message", "letter.eml", "message/rfc822", MISMATCH.encode())])
            self.assertEqual(r.status, 200, r.text[:2000])
            self.assertEqual('id="partial"' in r.text, partial, r.text[:3000])
            if partial:
                self.assertIn("Проверка неполная", r.text)
                self.assertNotIn('data-code="rspamd_link"', r.text)
            else:
                self.assertIn('data-code="rspamd_link"', r.text)
                self.assertIn("Опасно", r.text)
            okno.stop()

    def test_report_teaches_rspamd(self):
        first = self.check(self.letter(CAMPAIGN.format(n=1), "campaign1.eml"))
        self.assertNotIn("FUZZY_DENIED", first["rspamd"]["symbols"])
        self.assertNotIn("rspamd_phishing", self.codes(first))
        p = self.okno.run("phishing", "report", os.path.join(self.dir, "campaign1.eml"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("did not learn", p.stderr)
        # the same campaign again, as another recipient would get it; the block list of
        # this store would now flag it anyway, so the rspamd-only config judges it
        d = self.check_fuzzy(self.letter(CAMPAIGN.format(n=2), "campaign2.eml"))
        self.assertGreater(d["rspamd"]["score"], first["rspamd"]["score"])
        self.assertIn("rspamd_phishing", self.codes(d))
        self.assertEqual(d["verdict"], "dangerous")

    def learnt(self):
        """Letters rspamd's Bayes has learnt, from its controller's /stat."""
        req = urllib.request.Request(self.rspamd.controller_url + "/stat",
                                     headers={"Password": self.rspamd.password})
        with urllib.request.urlopen(req, timeout=10) as r:
            stat = json.loads(r.read())
        return stat.get("learned", 0)

    def test_web_report_teaches_rspamd(self):
        self.okno.start()
        try:
            c = HttpClient(self.okno.base_url)
            csrf = c.csrf("/check")
            first = WEB_CAMPAIGN.format(n=1).encode()
            r = c.post("/check", {"csrf": csrf},
                       files=[("message", "letter.eml", "message/rfc822", first)])
            self.assertEqual(r.status, 200, r.text[:2000])
            self.assertIn("Опасно", r.text)
            fields = {k: hidden(r.text, k) for k in ("csrf", "indicators", "sig", "letter",
                                                     "letter_sig")}
            self.assertTrue(all(fields.values()), fields)
            self.assertEqual(base64.b64decode(fields["letter"]), first)
            before = self.learnt()
            # another letter under this letter's signature: refused, nothing learnt
            forged = dict(fields, letter=base64.b64encode(b"Subject: x\r\n\r\nham").decode())
            bad = c.post("/check/report", forged)
            self.assertEqual(bad.status, 400, bad.text[:500])
            self.assertEqual(self.learnt(), before)
            done = c.post("/check/report", dict(fields, indicators=fields["indicators"].replace(
                "\n", "\r\n")))
            self.assertEqual(done.status, 200, done.text[:2000])
            self.assertIn("Спасибо", done.text)
            self.assertEqual(self.learnt(), before + 1)
            self.assertNotIn("rspamd_learn_failed", self.okno.log())
        finally:
            self.okno.stop()
        # the same campaign again, judged by an instance without the block list
        d = self.check_fuzzy(self.letter(WEB_CAMPAIGN.format(n=2), "webcampaign2.eml"))
        self.assertIn("rspamd_phishing", self.codes(d))


def hidden(html_text, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html_text)
    return html.unescape(m.group(1)) if m else ""


if __name__ == "__main__":
    unittest.main()
