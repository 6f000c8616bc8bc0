#!/usr/bin/env python3
"""bench/intake/wal_by_relation.py: where a PostgreSQL server's WAL went, by relation.

Reads `pg_waldump` output on stdin and a map of relfilenodes to relation names (the
file named by the first argument: one "relfilenode<TAB>name" per line, as
`SELECT pg_relation_filenode(oid), relname FROM pg_class` prints it), and prints, per
appeal (the second argument: how many appeals the WAL covers), the relations whose
records took the most bytes: bytes, records and full-page images, then the same by
record type (resource manager and the first word of its description). A record's whole
length counts for the relation of its first block reference ("-" when it has none:
commits, running transactions). A relfilenode the map does not name is printed as
"rel N" (the catalogs of other databases, a relation dropped since). Used by
bench/intake/run with PG_WAL=1; prints at most the third argument's rows (default 20).
"""
import re
import sys
from collections import defaultdict

RECORD = re.compile(r"^rmgr: (\S+)\s+len \(rec/tot\):\s*(\d+)/\s*(\d+), .*?desc: (\S+)(.*)$")
BLOCK = re.compile(r"blkref #(\d+): rel \d+/\d+/(\d+)(?: fork (\w+))? blk \d+( FPW)?")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: wal_by_relation.py MAPFILE APPEALS [ROWS] < pg_waldump-output")
    names = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[0].isdigit():
                names[parts[0]] = parts[1]
    appeals = max(int(sys.argv[2]), 1)
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    by_rel = defaultdict(lambda: [0, 0, 0])
    by_kind = defaultdict(lambda: [0, 0, 0])
    total = [0, 0, 0]
    for line in sys.stdin:
        m = RECORD.match(line)
        if not m:
            continue
        rmgr, length, desc, rest = m.group(1), int(m.group(3)), m.group(4), m.group(5)
        blocks = BLOCK.findall(rest)
        fpw = sum(1 for b in blocks if b[3])
        if blocks:
            node, fork = blocks[0][1], blocks[0][2] or "main"
            rel = names.get(node, "rel " + node)
            if fork != "main":
                rel += " (" + fork + ")"
        else:
            rel = "-"
        for acc in (by_rel[rel], by_kind[rmgr + " " + desc], total):
            acc[0] += length
            acc[1] += 1
            acc[2] += fpw
    print("  wal by relation: %.0f bytes, %.1f records, %.2f full pages per appeal"
          % (total[0] / appeals, total[1] / appeals, total[2] / appeals))
    for title, table in (("relation", by_rel), ("record", by_kind)):
        for key, (length, count, fpw) in sorted(table.items(), key=lambda kv: -kv[1][0])[:rows]:
            print("    %7.0f B %6.2f rec %5.2f fpw  %s %s"
                  % (length / appeals, count / appeals, fpw / appeals, title, key))


if __name__ == "__main__":
    main()
