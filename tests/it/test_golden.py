"""Golden appeals: tests/data/appeals/NAME.eml through `okno submit`, compared with
NAME.expected.json (format in tests/data/appeals/README.md)."""
import email
import email.policy
import glob
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_submit import Okno  # noqa: E402

DATA = os.path.join(os.environ.get("OKNO_SOURCE_DIR", "."), "tests", "data", "appeals")


class Golden(unittest.TestCase):
    def check(self, path):
        name = os.path.basename(path)[:-4]
        with open(path[:-4] + ".expected.json", encoding="utf-8") as f:
            exp = json.load(f)
        with open(path, "rb") as f:
            raw = f.read()
        o = Okno(self)
        opts = ["--from", exp["envelope_from"]] if "envelope_from" in exp else []
        number = o.submit(raw, *opts)
        a = o.show(number)
        inbound = a["messages"][0]
        for key in ("status", "subject", "from", "phone"):
            if key in exp:
                self.assertEqual(a[key], exp[key], f"{name}: {key}")
        for s in exp.get("text_contains", []):
            self.assertIn(s, inbound["text"], name)
        for s in exp.get("text_excludes", []):
            self.assertNotIn(s, inbound["text"], name)
        if "attachments" in exp:
            got = [[x["filename"], x["content_type"]] for x in inbound["attachments"]]
            self.assertEqual(got, exp["attachments"], name)
        if "refused" in exp:
            got = [x["filename"] for x in inbound["refused_attachments"]]
            self.assertEqual(got, exp["refused"], name)
            for x in inbound["refused_attachments"]:
                self.assertTrue(x["reason"], name)
        receipts = o.outbox()
        self.assertEqual(len(receipts), 1 if exp["receipt"] else 0, name)
        if receipts:
            r = receipts[0]
            self.assertIn(number, r["Subject"])
            if "receipt_subject_contains" in exp:
                self.assertIn(exp["receipt_subject_contains"], r["Subject"], name)
            body = r.get_body(("plain",)).get_content()
            for s in exp.get("receipt_body_contains", []):
                self.assertIn(s, body, name)
        else:
            self.assertIn("autoreply_suppressed", [e["kind"] for e in a["events"]], name)


def _add(path):
    def test(self):
        self.check(path)
    return test


for _p in sorted(glob.glob(os.path.join(DATA, "*.eml"))):
    setattr(Golden, "test_" + os.path.basename(_p)[:-4], _add(_p))

if __name__ == "__main__":
    unittest.main(verbosity=1)
