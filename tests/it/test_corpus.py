"""test_corpus.py: `okno parse --json` against public MIME corpora and our trap messages.

Three sets:
  * imap_tools (shared corpus): subject, from e-mail, text and attachment names are
    compared with imap_tools' own expected.json;
  * mime4j testmsgs/ and mimetools-testmsgs/ (shared corpus): every .msg must parse
    (exit 0, JSON out), and every decoded text part (<name>_decoded_*.txt) must show
    up in our text or be one of our attachments (same SHA-256);
  * tests/data/mail/*.eml: trap messages found in the wild, each with a hand-written
    .expected.json beside it.
A disagreement fails the test unless tests/data/corpus-exceptions.txt lists it as
`path<TAB>field<TAB>reason`; a listed exception that no longer disagrees fails too,
so the list stays true. Agreement figures are printed.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import unittest

OKNO_BIN = os.environ.get("OKNO_BIN", "okno")
SOURCE_DIR = os.environ.get("OKNO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DIR = os.environ.get("OKNO_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
CORPUS = os.path.join(SHARED_DIR, "corpus", "mime")
TRAPS = os.path.join(SOURCE_DIR, "tests", "data", "mail")
EXCEPTIONS = os.path.join(SOURCE_DIR, "tests", "data", "corpus-exceptions.txt")


def parse(path):
    """Runs okno parse --json; returns (exit code, record or None, stderr)."""
    proc = subprocess.run([OKNO_BIN, "parse", "--json", path], capture_output=True, timeout=120)
    record = None
    if proc.returncode == 0:
        record = json.loads(proc.stdout.decode("utf-8"))
    return proc.returncode, record, proc.stderr.decode("utf-8", "replace")


def fold(s):
    """White space runs to one space, trimmed (subjects, display names)."""
    return " ".join(s.split())


def norm_text(s):
    """CRLF to LF, trailing white space and blank lines dropped."""
    lines = [line.rstrip() for line in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def base_name(name):
    """The name as our sanitizer leaves it: last path component, no control chars."""
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F)
    return name.strip().lstrip(".").rstrip(". ")


GENERATED = re.compile(r"^(attachment-\d+\.[a-z0-9]+|message\.eml)$")


def load_exceptions():
    table = {}
    if os.path.exists(EXCEPTIONS):
        with open(EXCEPTIONS, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                path, field, reason = line.split("\t", 2)
                table[(path, field)] = reason
    return table


class Tally:
    """Collects disagreements per corpus and checks them against the exception list."""

    def __init__(self):
        self.disagreements = {}  # (path, field) -> detail
        self.counts = {}  # corpus -> [agree, total]

    def message(self, corpus, path, problems):
        agree_total = self.counts.setdefault(corpus, [0, 0])
        agree_total[1] += 1
        if not problems:
            agree_total[0] += 1
        for field, detail in problems:
            self.disagreements[(path, field)] = detail


TALLY = Tally()


def check_imap_tools():
    with open(os.path.join(CORPUS, "imap_tools", "expected.json"), encoding="utf-8") as f:
        expected_all = json.load(f)
    for key in sorted(expected_all):
        entry = expected_all[key]
        rel = "imap_tools/" + entry["eml"]
        path = os.path.join(CORPUS, "imap_tools", entry["eml"])
        exp = entry["expected"]
        problems = []
        code, rec, err = parse(path)
        if rec is None:
            TALLY.message("imap_tools", rel, [("parse", "exit %d: %s" % (code, err.strip()))])
            continue
        if fold(rec["subject"]) != fold(exp["subject"]):
            problems.append(("subject", "%r != %r" % (rec["subject"], exp["subject"])))
        if rec["from"]["email"].lower() != exp["from_"].lower():
            problems.append(("from", "%r != %r" % (rec["from"]["email"], exp["from_"])))
        if exp["text"] or not exp["html"]:
            if norm_text(rec["text"]) != norm_text(exp["text"]):
                problems.append(("text", "%r != %r" % (rec["text"][:80], exp["text"][:80])))
        elif not rec["text"].strip() and re.sub(r"<[^>]*>|&nbsp;", "", exp["html"]).strip():
            problems.append(("text", "no text from the html body"))
        ours = [a["filename"] for a in rec["attachments"]]
        wanted = [base_name(a["filename"]) for a in exp["attachments"] if base_name(a["filename"])]
        rest = list(ours)
        missing = []
        for name in wanted:
            if name in rest:
                rest.remove(name)
            else:
                missing.append(name)
        extra = [n for n in rest if not GENERATED.match(n)]
        if missing or extra:
            problems.append(("attachments", "missing %r, unexpected %r" % (missing, extra)))
        TALLY.message("imap_tools", rel, problems)


def check_mime4j(subdir):
    directory = os.path.join(CORPUS, subdir)
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".msg"):
            continue
        stem = name[:-4]
        rel = subdir + "/" + name
        code, rec, err = parse(os.path.join(directory, name))
        if rec is None:
            TALLY.message(subdir, rel, [("parse", "exit %d: %s" % (code, err.strip()))])
            continue
        problems = []
        ours_text = " ".join(rec["text"].split())
        shas = {a["sha256"] for a in rec["attachments"]}
        for part in sorted(os.listdir(directory)):
            if not (part.startswith(stem + "_decoded_") and part.endswith(".txt")):
                continue
            with open(os.path.join(directory, part), "rb") as f:
                data = f.read()
            if hashlib.sha256(data).hexdigest() in shas:
                continue
            found = False
            for charset in ("utf-8", "iso-8859-15", "cp1252", "koi8-r", "latin-1"):
                try:
                    content = data.decode(charset)
                except UnicodeDecodeError:
                    continue
                if content.lstrip().startswith("<"):
                    content = re.sub(r"<[^>]*>", " ", content)  # our text is html2text's
                    content = re.sub(r"&[a-z]+;", " ", content)
                words = content.split()
                # every word, in order, at most a few characters apart
                pattern = r"\s*".join(re.escape(word) for word in words)
                if not words or re.search(pattern, ours_text):
                    found = True
                    break
            if not found:
                problems.append(("part " + part[len(stem) + 1:], "decoded part not in text or attachments"))
        TALLY.message(subdir, rel, problems)


def check_traps():
    for name in sorted(os.listdir(TRAPS)):
        if not name.endswith(".eml"):
            continue
        rel = "tests/data/mail/" + name
        with open(os.path.join(TRAPS, name[:-4] + ".expected.json"), encoding="utf-8") as f:
            exp = json.load(f)
        code, rec, err = parse(os.path.join(TRAPS, name))
        if rec is None:
            TALLY.message("traps", rel, [("parse", "exit %d: %s" % (code, err.strip()))])
            continue
        problems = []
        for field in ("subject",):
            if field in exp and rec[field] != exp[field]:
                problems.append((field, "%r != %r" % (rec[field], exp[field])))
        for field in ("name", "email"):
            if field in exp.get("from", {}) and rec["from"][field] != exp["from"][field]:
                problems.append(("from." + field, "%r != %r" % (rec["from"][field], exp["from"][field])))
        for piece in exp.get("text_contains", []):
            if piece not in rec["text"]:
                problems.append(("text", "%r not in %r" % (piece, rec["text"][:200])))
        for piece in exp.get("text_lacks", []):
            if piece in rec["text"]:
                problems.append(("text", "%r should not be in the text" % piece))
        if "text_from_html" in exp and rec["text_from_html"] != exp["text_from_html"]:
            problems.append(("text_from_html", "%r" % rec["text_from_html"]))
        if "attachments" in exp:
            got = [{k: a.get(k) for k in e} for a, e in zip(rec["attachments"], exp["attachments"])]
            if len(rec["attachments"]) != len(exp["attachments"]) or got != exp["attachments"]:
                problems.append(("attachments", "%r != %r" % (rec["attachments"], exp["attachments"])))
        for field in ("budget_exceeded",):
            if field in exp and rec[field] != exp[field]:
                problems.append((field, "%r != %r" % (rec[field], exp[field])))
        if exp.get("defects_nonempty") and not rec["defects"]:
            problems.append(("defects", "no defect reported"))
        TALLY.message("traps", rel, problems)


class CorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        check_imap_tools()
        check_mime4j("testmsgs")
        check_mime4j("mimetools-testmsgs")
        check_traps()
        for corpus, (agree, total) in TALLY.counts.items():
            print("%s: %d/%d agree" % (corpus, agree, total), file=sys.stderr)

    def test_every_disagreement_is_a_listed_exception(self):
        exceptions = load_exceptions()
        unlisted = ["%s\t%s\t%s" % (p, f, d) for (p, f), d in sorted(TALLY.disagreements.items())
                    if (p, f) not in exceptions]
        self.assertEqual(unlisted, [], "disagreements not in corpus-exceptions.txt")

    def test_every_listed_exception_still_disagrees(self):
        stale = ["%s\t%s" % key for key in sorted(load_exceptions()) if key not in TALLY.disagreements]
        self.assertEqual(stale, [], "exceptions that now agree: remove them from the list")

    def test_every_corpus_was_seen(self):
        for corpus in ("imap_tools", "testmsgs", "mimetools-testmsgs", "traps"):
            self.assertGreater(TALLY.counts.get(corpus, [0, 0])[1], 0, corpus)

    def test_trap_messages_all_agree(self):
        exceptions = load_exceptions()
        traps = [k for k in TALLY.disagreements if k[0].startswith("tests/data/mail/")]
        self.assertEqual([k for k in traps if k not in exceptions], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
