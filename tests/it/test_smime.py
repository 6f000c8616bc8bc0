"""S/MIME signing of receipts and answers, checked by independent verifiers.

The test makes its own CA and a portal certificate signed by it with `openssl req` /
`openssl x509` (as docs/smime.md tells), registers an appeal with `okno submit` under a
config with [smime] and [dkim], and answers it with `okno appeal status ... answered`.
Each letter in the outbox maildir, as sent:
- verifies with `openssl cms -verify -CAfile ca.pem` (the signed part comes out as it
  was), and fails once one byte of the signed body is changed;
- parses with Python's email package as multipart/signed, protocol
  application/pkcs7-signature, micalg sha-256, whose second part is the signature;
- still verifies with dkimpy (DKIM signs over the S/MIME message);
- the receipt still verifies with `okno evidence verify` (its signed entry timestamp).
A certificate whose key is not the one configured stops okno with one line naming it.
"""
import base64
import email
import email.policy
import glob
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402

from test_dkim import DOMAIN, MESSAGE, SELECTOR, dkim  # noqa: E402  (the same letter)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=cwd)


def make_ca_and_cert(d):
    """A CA, and the portal's certificate signed by it (docs/smime.md, for tests)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=okno test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "smime.key", "-out", "smime.csr",
            "-subj", "/CN=Служба поддержки портала/emailAddress=support@portal.example",
            "-utf8", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=emailProtection\nsubjectAltName=email:support@portal.example\n")
    openssl("x509", "-req", "-in", "smime.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "30", "-extfile", "ext.cnf", "-out", "smime.pem", cwd=d)
    openssl("genrsa", "-out", "dkim.pem", "2048", cwd=d)
    openssl("genrsa", "-out", "other.key", "2048", cwd=d)


class SmimeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scope = okno_it.ClassScope(cls)
        cls.okno = okno_it.Okno(scope)
        d = cls.okno.dir
        make_ca_and_cert(d)
        pem = subprocess.run(["openssl", "rsa", "-in", "dkim.pem", "-pubout"], check=True,
                             capture_output=True, text=True, cwd=d).stdout
        cls.txt = "v=DKIM1; k=rsa; p=" + "".join(
            l for l in pem.splitlines() if l and not l.startswith("-----"))
        cls.okno.write_config({"smime": {"cert_file": "smime.pem", "key_file": "smime.key"},
                               "dkim": {"selector": SELECTOR, "key": "dkim.pem"}})
        r = cls.okno.run("journal", "init", "--json")
        assert r.returncode == 0, r.stderr
        cls.pub = json.loads(r.stdout)["public_key"]
        path = os.path.join(d, "in.eml")
        with open(path, "wb") as f:
            f.write(MESSAGE)
        r = cls.okno.run("submit", path)
        assert r.returncode == 0, r.stderr
        cls.number = r.stdout.strip()
        cls.receipt_path = cls.outbox()[0]
        for status in ("in_progress", "answered"):
            r = cls.okno.run("appeal", "status", cls.number, status, "--answer",
                             "Здравствуйте! Код подтверждения отправлен повторно.")
            assert r.returncode == 0, r.stderr
        cls.answer_path = [p for p in cls.outbox() if p != cls.receipt_path
                           and "Ответ на обращение" in str(cls.parse(p)["Subject"])][0]

    @classmethod
    def outbox(cls):
        return sorted(glob.glob(os.path.join(cls.okno.dir, "outbox", "new", "*")),
                      key=os.path.getmtime)

    @staticmethod
    def parse(path):
        with open(path, "rb") as f:
            return email.message_from_bytes(f.read(), policy=email.policy.default)

    def cms_verify(self, path):
        return subprocess.run(["openssl", "cms", "-verify", "-CAfile", "ca.pem", "-in", path],
                              capture_output=True, cwd=self.okno.dir)

    def dns(self, name, timeout=5):
        if name == ("%s._domainkey.%s." % (SELECTOR, DOMAIN)).encode():
            return self.txt.encode()
        return None

    def test_1_receipt_and_answer_verify_with_openssl_cms(self):
        for path in (self.receipt_path, self.answer_path):
            r = self.cms_verify(path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"Verification successful", r.stderr)
            # the content that was signed is the letter itself (Content-* and the body)
            self.assertTrue(r.stdout.startswith(b"Content-Type: "), r.stdout[:200])
        r = self.cms_verify(self.receipt_path)
        self.assertIn(b"okno-receipt.json", r.stdout)

    def test_2_one_changed_byte_fails(self):
        with open(self.receipt_path, "rb") as f:
            data = f.read()
        qp = data.index(b"=D0", data.index(b"quoted-printable"))  # a Cyrillic letter
        for pos in (qp + 2, data.index(b"base64\r\n\r\n", qp) + 40):
            changed = data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:]
            path = os.path.join(self.okno.dir, "changed.eml")
            with open(path, "wb") as f:
                f.write(changed)
            r = self.cms_verify(path)
            self.assertNotEqual(r.returncode, 0, "a changed byte at %d passed" % pos)
            self.assertNotIn(b"Verification successful", r.stderr)
        # and a certificate that is not from this CA does not pass either
        other = os.path.join(self.okno.dir, "otherca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", other + ".key", "-out", other, "-subj", "/CN=other CA"],
                       check=True, capture_output=True)
        r = subprocess.run(["openssl", "cms", "-verify", "-CAfile", other, "-in", self.receipt_path],
                           capture_output=True)
        self.assertNotEqual(r.returncode, 0)

    def test_3_mail_client_sees_the_signature(self):
        for path, says in ((self.receipt_path, self.number),
                           (self.answer_path, "Код подтверждения отправлен повторно")):
            m = self.parse(path)
            self.assertEqual(m.get_content_type(), "multipart/signed")
            self.assertEqual(m.get_param("protocol"), "application/pkcs7-signature")
            self.assertEqual(m.get_param("micalg"), "sha-256")
            self.assertEqual(m["MIME-Version"], "1.0")
            self.assertIn(DOMAIN, str(m["From"]))
            parts = m.get_payload()
            self.assertEqual(len(parts), 2)
            sig = parts[1]
            self.assertEqual(sig.get_content_type(), "application/pkcs7-signature")
            self.assertEqual(sig.get_filename(), "smime.p7s")
            der = sig.get_payload(decode=True)
            self.assertEqual(der[0], 0x30)  # a DER SEQUENCE: the CMS ContentInfo
            text = [p for p in parts[0].walk() if p.get_content_type() == "text/plain"][0]
            self.assertIn(says, text.get_content())
        m = self.parse(self.receipt_path)
        names = [p.get_filename() for p in m.walk()]
        self.assertIn("okno-receipt.json", names)

    def test_4_dkim_still_verifies_over_the_smime_message(self):
        for path in (self.receipt_path, self.answer_path):
            with open(path, "rb") as f:
                raw = f.read()
            self.assertTrue(raw.startswith(b"DKIM-Signature: "), raw[:100])
            self.assertTrue(dkim.verify(raw, dnsfunc=self.dns))

    def test_5_evidence_verify_still_passes_on_the_receipt(self):
        r = subprocess.run([okno_it.OKNO_BIN, "evidence", "verify", "--key", self.pub,
                            self.receipt_path], capture_output=True, text=True, cwd="/", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        other = base64.b64encode(bytes(32)).decode()
        r = subprocess.run([okno_it.OKNO_BIN, "evidence", "verify", "--key", other,
                            self.receipt_path], capture_output=True, text=True, cwd="/", timeout=60)
        self.assertEqual(r.returncode, 1)
        # and the stored copy, the evidence of what was sent, is the signed bytes
        with open(self.receipt_path, "rb") as f:
            raw = f.read()
        shown = subprocess.run([okno_it.OKNO_BIN, "show", "--config", self.okno.config_path,
                                "--raw", "2", self.number], capture_output=True, cwd=self.okno.dir)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(shown.stdout, raw)

    def test_6_a_key_that_is_not_the_certificates_stops_okno(self):
        good = self.okno.config_path
        self.okno.write_config({"smime": {"cert_file": "smime.pem", "key_file": "other.key"}})
        try:
            r = self.okno.run("submit", os.path.join(self.okno.dir, "in.eml"))
            self.assertEqual(r.returncode, 1, r.stderr)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("other.key", lines[0])
            self.assertIn("not the key of the certificate", lines[0])
            self.okno.write_config({"smime": {"cert_file": "smime.pem"}})
            r = self.okno.run("submit", os.path.join(self.okno.dir, "in.eml"))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("[smime] cert_file and key_file go together", r.stderr)
        finally:
            self.okno.write_config({"smime": {"cert_file": "smime.pem", "key_file": "smime.key"},
                                    "dkim": {"selector": SELECTOR, "key": "dkim.pem"}})
        self.assertEqual(self.okno.config_path, good)


if __name__ == "__main__":
    unittest.main()
