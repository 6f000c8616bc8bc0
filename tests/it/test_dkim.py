"""DKIM signing of outbound mail, checked by an independent verifier.

`okno submit` registers an appeal with a [dkim] config; the receipt delivered to the
outbox maildir is verified with dkimpy (Debian's python3-dkim, installed by
scripts/deps --test), whose DNS lookup is answered with the TXT record built here from
`openssl rsa -pubout` of the test's own key. A receipt altered after signing must fail
the same verification, `okno dkim-record` must print that very record, the stored copy
of the receipt must be the signed bytes, and a missing key must stop okno at start.
"""
import base64
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402

try:
    import dkim  # noqa: E402
except ImportError:
    # A Python outside Debian's (pyenv, venv) does not see Debian's dist-packages, where
    # python3-dkim (pure Python) lives.
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim  # noqa: E402

SELECTOR = "okno2026"
DOMAIN = "portal.example"

MESSAGE = ("From: =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>\r\n"
           "To: support@portal.example\r\n"
           "Subject: =?utf-8?B?0J3QtSDQv9GA0LjRhdC+0LTQuNGCINC60L7QtA==?=\r\n"
           "Date: Mon, 23 Nov 2026 09:58:00 +0300\r\n"
           "Message-ID: <dkim-1@example.ru>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n"
           "Здравствуйте! Третий день не могу войти в личный кабинет: SMS с кодом "
           "подтверждения не приходит.\r\n").encode("utf-8")


class DkimTest(unittest.TestCase):
    def setUp(self):
        self.okno = okno_it.Okno(self)
        self.key = os.path.join(self.okno.dir, "dkim.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.key, "2048"], check=True,
                       capture_output=True)
        pem = subprocess.run(["openssl", "rsa", "-in", self.key, "-pubout"], check=True,
                             capture_output=True, text=True).stdout
        b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
        base64.b64decode(b64, validate=True)
        self.txt = "v=DKIM1; k=rsa; p=" + b64
        self.lookups = []

    def dns(self, name, timeout=5):
        """dkimpy's DNS hook: our record for our name, nothing for any other."""
        self.lookups.append(name)
        if name == ("%s._domainkey.%s." % (SELECTOR, DOMAIN)).encode():
            return self.txt.encode()
        return None

    def submit(self, dkim_group):
        self.okno.write_config({"dkim": dkim_group} if dkim_group else None)
        path = os.path.join(self.okno.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(MESSAGE)
        return self.okno.run("submit", path)

    def outbox(self):
        new = os.path.join(self.okno.dir, "outbox", "new")
        files = sorted(os.listdir(new))
        self.assertEqual(len(files), 1, files)
        with open(os.path.join(new, files[0]), "rb") as f:
            return f.read()

    def test_delivered_receipt_verifies_and_any_change_breaks_it(self):
        r = self.submit({"selector": SELECTOR, "key": "dkim.pem"})
        self.assertEqual(r.returncode, 0, r.stderr)
        number = r.stdout.strip()
        self.assertRegex(number, r"^26-\d{6}-\d$")
        raw = self.outbox()
        self.assertTrue(raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=portal.example;"),
                        raw[:200])
        self.assertTrue(dkim.verify(raw, dnsfunc=self.dns))
        self.assertEqual(self.lookups, [b"okno2026._domainkey.portal.example."])

        head, body = raw.split(b"\r\n\r\n", 1)
        self.assertFalse(dkim.verify(head + b"\r\n\r\n" + body.replace(b"=", b"-", 1), dnsfunc=self.dns))
        forged = re.sub(rb"\r\nSubject: [^\r]*", b"\r\nSubject: =?utf-8?B?0J/QvtC00LTQtdC70LrQsA==?=",
                        raw, count=1)
        self.assertNotEqual(forged, raw)
        self.assertFalse(dkim.verify(forged, dnsfunc=self.dns))

        # The stored copy of the receipt, the evidence of what was sent, is the signed bytes.
        shown = subprocess.run([okno_it.OKNO_BIN, "show", "--config", self.okno.config_path,
                                "--raw", "2", number], capture_output=True, cwd=self.okno.dir)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(shown.stdout, raw)

    def test_dkim_record_prints_the_txt_record_of_the_key(self):
        self.okno.write_config({"dkim": {"selector": SELECTOR, "key": "dkim.pem"}})
        r = self.okno.run("dkim-record")
        self.assertEqual(r.returncode, 0, r.stderr)
        line = r.stdout.rstrip("\n")
        self.assertNotIn("\n", line)
        self.assertTrue(line.startswith('okno2026._domainkey.portal.example. IN TXT "'), line)
        strings = re.findall(r'"([^"]*)"', line)
        self.assertTrue(all(len(s) <= 255 for s in strings), strings)
        self.assertEqual("".join(strings), self.txt)

    def test_without_selector_the_receipt_is_not_signed(self):
        r = self.submit(None)
        self.assertEqual(r.returncode, 0, r.stderr)
        raw = self.outbox()
        self.assertNotIn(b"DKIM-Signature", raw)
        self.assertTrue(raw.startswith(b"Date: ") or raw.startswith(b"From: "), raw[:100])

    def test_missing_key_stops_okno_with_one_line_naming_the_file(self):
        r = self.submit({"selector": SELECTOR, "key": "absent.pem"})
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(os.path.join(self.okno.dir, "absent.pem"), lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.okno.dir, "outbox", "new"))
                         and os.listdir(os.path.join(self.okno.dir, "outbox", "new")))

        r = self.submit({"selector": SELECTOR})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("[dkim] selector is set but key is empty", r.stderr)
        self.assertIn(self.okno.config_path, r.stderr)


if __name__ == "__main__":
    unittest.main()
