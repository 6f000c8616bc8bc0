#!/usr/bin/env python3
"""Counts test cases across the whole run and prints "N passed, N failed".

Reads meson's testlog.json (one record per test program) and counts the cases inside
each program: cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s).", Python
unittest's "Ran N tests" / "FAILED (failures=a, errors=b)". A program whose output has
neither counts as one case, passed or failed by its exit status; a program that failed
without saying which case (a crash, a sanitizer report) adds one failure. Then the
fuzz results file: one line per fuzz target, "ok" or "FAIL". Exit 1 if anything failed.
For each failed program it first prints the last lines of its output, so that a CI log
says why without the build directory.
"""
import json
import re
import sys


def count(rec):
    out = (rec.get("stdout") or "") + "\n" + (rec.get("stderr") or "")
    ok = rec.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    passed = failed = 0
    m = re.findall(r"\[  PASSED  \] (\d+) test", out)
    f = re.findall(r"\[  FAILED  \] (\d+) test", out)
    r = re.findall(r"^Ran (\d+) tests?", out, re.M)
    if m or f:
        passed = sum(map(int, m))
        failed = sum(map(int, f))
    elif r:
        ran = sum(map(int, r))
        bad = 0
        for fm in re.finditer(r"FAILED \(([^)]*)\)", out):
            for k, v in re.findall(r"(failures|errors|unexpected successes)=(\d+)", fm.group(1)):
                bad += int(v)
        failed = bad
        passed = ran - bad
        skipped = re.search(r"skipped=(\d+)", out)
        if skipped:
            passed -= int(skipped.group(1))
    else:
        return (1, 0) if ok else (0, 1)
    if not ok and failed == 0:
        failed = 1
    return passed, failed


def main():
    passed = failed = 0
    failures = []
    with open(sys.argv[1], encoding="utf-8", errors="replace") as fh:
        for line in fh:
            rec = json.loads(line)
            p, f = count(rec)
            passed += p
            failed += f
            if f:
                failures.append(rec.get("name"))
                tail = ((rec.get("stdout") or "") + (rec.get("stderr") or "")).splitlines()[-40:]
                print("--- %s (last %d lines)" % (rec.get("name"), len(tail)))
                print("\n".join(tail))
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as fh:
            for line in fh:
                if " ok" in line:
                    passed += 1
                elif "FAIL" in line:
                    failed += 1
                    failures.append(line.split()[0])
    if failures:
        print("failed: " + ", ".join(failures))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
