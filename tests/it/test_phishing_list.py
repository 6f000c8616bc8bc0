#!/usr/bin/env python3
"""test_phishing_list.py: phishing reports and the block list, end to end.

Runs the real binary: `okno phishing block/unblock/report/list` write the store; `okno
check-mail` on the same config turns a letter pointing at a blocked domain or URL
dangerous, with a Russian reason naming it, and clean again once it is unblocked;
intake (okno serve, over real SMTP) registers a message pointing at a blocked URL in
the "suspicious" queue with a phishing_blocklisted event. User errors (a value that is
not a domain or URL, unblocking what is not listed, a sample naming nothing) exit 1
with one line."""
import json
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)

SHOP = (b"From: Shop News <news@shop.example>\r\n"
        b"To: ivan@example.ru\r\n"
        b"Subject: New catalogue\r\n"
        b"Message-ID: <cat-1@shop.example>\r\n"
        b"\r\n"
        b"Our new catalogue is here: https://shop.example/catalogue\r\n")

SAMPLE = ("From: =?utf-8?B?0JPQvtGB0YPRgdC70YPQs9C4?= <info@gosuslugi-pay.example>\r\n"
          "Reply-To: help@collect.example\r\n"
          "To: ivan@example.ru\r\n"
          "Subject: Штраф\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: 8bit\r\n"
          "\r\n"
          "Оплатите штраф: https://pay.collect.example/fine?id=1 или войдите на "
          "https://portal.example/cabinet\r\n").encode("utf-8")


class PhishingListTest(unittest.TestCase):
    def setUp(self):
        self.okno = okno_it.Okno(self)
        self.okno.write_config()

    def write(self, name, data):
        path = os.path.join(self.okno.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def check(self, path):
        r = self.okno.run("check-mail", "--json", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def listed(self):
        r = self.okno.run("phishing", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_block_makes_check_mail_dangerous_and_unblock_undoes_it(self):
        path = self.write("shop.eml", SHOP)
        self.assertEqual(self.check(path)["verdict"], "clean")

        r = self.okno.run("phishing", "block", "--domain", "Shop.Example", "--by", "operator1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "blocked domain shop.example")
        entries = self.listed()
        self.assertEqual(len(entries), 1)
        e = entries[0]
        self.assertEqual((e["kind"], e["value"], e["blocked"], e["reports"], e["reported_by"]),
                         ("domain", "shop.example", True, 1, "operator1"))

        d = self.check(path)
        self.assertEqual(d["verdict"], "dangerous")
        reason = [x for x in d["reasons"] if x["code"] == "blocklisted_domain"]
        self.assertEqual(len(reason), 1, d["reasons"])
        self.assertIn("shop.example", reason[0]["text"])
        self.assertRegex(reason[0]["text"], CYRILLIC)

        r = self.okno.run("phishing", "unblock", "--domain", "shop.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.check(path)["verdict"], "clean")
        self.assertFalse(self.listed()[0]["blocked"])
        r = self.okno.run("phishing", "list", "--json", "--blocked")
        self.assertEqual(json.loads(r.stdout), [])

    def test_blocked_url_matches_longer_urls_only_at_a_boundary(self):
        r = self.okno.run("phishing", "block", "--url", "https://shop.example/cat")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.check(self.write("a.eml", SHOP))["verdict"], "clean")  # /catalogue
        r = self.okno.run("phishing", "block", "--url", "http://shop.example/catalogue")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.check(self.write("b.eml", SHOP))
        self.assertEqual(d["verdict"], "dangerous")
        self.assertTrue(any(x["code"] == "blocklisted_url" for x in d["reasons"]))

    def test_report_blocks_the_sample_domains_and_links_but_not_the_portal(self):
        path = self.write("sample.eml", SAMPLE)
        r = self.okno.run("phishing", "report", "--json", "--by", "operator2", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        blocked = {(x["kind"], x["value"]) for x in json.loads(r.stdout)["blocked"]}
        self.assertIn(("domain", "gosuslugi-pay.example"), blocked)
        self.assertIn(("domain", "collect.example"), blocked)
        self.assertIn(("url", "https://pay.collect.example/fine?id=1"), blocked)
        self.assertNotIn(("domain", "portal.example"), blocked)
        self.assertFalse(any("portal.example/" in v for k, v in blocked))
        entries = self.listed()
        self.assertEqual({(e["kind"], e["value"]) for e in entries}, blocked)
        self.assertTrue(all(e["blocked"] and e["reported_by"] == "operator2" and e["source"] == "cli"
                            for e in entries))
        # reporting it again counts a second report, nothing new
        r = self.okno.run("phishing", "report", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(all(e["reports"] == 2 for e in self.listed()))

    def test_user_errors_say_what_to_fix_in_one_line(self):
        for args in (["block", "--domain", "not a domain"], ["block", "--url", "ftp://x.example/"],
                     ["block"], ["block", "--domain", "a.example", "--url", "http://a.example/"],
                     ["unblock", "--domain", "never.example"], ["frobnicate"],
                     ["report", self.write("plain.eml", b"Subject: hi\r\n\r\nno links here\r\n")]):
            r = self.okno.run("phishing", *args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertEqual(r.stderr.count("\n"), 1, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("okno: "), r.stderr)

    def test_intake_puts_a_message_with_a_blocked_link_in_the_suspicious_queue(self):
        r = self.okno.run("phishing", "block", "--url", "https://shop.example/catalogue")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.okno.start()
        letter = (b"From: Ivan Petrov <ivan@example.ru>\r\n"
                  b"To: support@portal.example\r\n"
                  b"Subject: Is this yours?\r\n"
                  b"Message-ID: <q-1@example.ru>\r\n"
                  b"\r\n"
                  b"I got a letter with the link https://shop.example/catalogue?x=1 - is it yours?\r\n")
        clean = (b"From: Maria <maria@example.ru>\r\n"
                 b"To: support@portal.example\r\n"
                 b"Subject: Cannot log in\r\n"
                 b"Message-ID: <q-2@example.ru>\r\n"
                 b"\r\n"
                 b"I cannot log in to my cabinet since yesterday.\r\n")
        with smtplib.SMTP("127.0.0.1", self.okno.smtp_port, timeout=60) as s:
            s.sendmail("ivan@example.ru", ["support@portal.example"], letter)
            s.sendmail("maria@example.ru", ["support@portal.example"], clean)
        appeals = {a["subject"]: a for a in self.okno.list_json()}
        self.assertEqual(len(appeals), 2)
        flagged = self.okno.show_json(appeals["Is this yours?"]["number"])
        self.assertEqual(flagged["queue"], "suspicious")
        events = [e for e in flagged["events"] if e["kind"] == "phishing_blocklisted"]
        self.assertEqual(len(events), 1, flagged["events"])
        self.assertIn("shop.example/catalogue", json.dumps(events[0]))
        other = self.okno.show_json(appeals["Cannot log in"]["number"])
        self.assertEqual(other["queue"], "")
        self.assertFalse(any(e["kind"] == "phishing_blocklisted" for e in other["events"]))
        self.assertIn("event=phishing_blocklisted kind=url", self.okno.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
