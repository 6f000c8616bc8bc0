#!/usr/bin/env python3
"""bench/intake/threads.py: a daemon's CPU by thread, per appeal.

`threads.py snap PID...` prints, for each process, one line per thread alive now
(pid, tid, name, user and system clock ticks from /proc/PID/task/TID/stat) and one
line of the process's own totals (tid "-": /proc/PID/stat, which keeps the time of
threads that have ended). `threads.py diff BEFORE AFTER APPEALS` reads two such
snapshots (files) and prints what the threads spent between them, grouped by thread
name (okno names its threads: okno-commit, okno-parse, outbound, ...; the main thread
has the process's name), one line per group, most first, in ms of CPU per appeal:

  thread okno-commit: 1.32 ms CPU per appeal (user 1.10, system 0.22; 1 thread)

A thread born between the two snapshots counts whole; the time of threads that ended
between them is the process's total minus its live threads' (which also holds the
kernel's rounding, a tick or two) and is printed as "(ended or rounding)" when not 0. Several processes (nodes) add up by name.
Used by bench/intake/run after each measured level.
"""
import os
import sys


def stat_ticks(path):
    """(utime, stime) in clock ticks from a /proc stat file; None when it is gone."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)


def snap(pids):
    for pid in pids:
        total = stat_ticks(f"/proc/{pid}/stat")
        if total is None:
            continue
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            ticks = stat_ticks(f"/proc/{pid}/task/{tid}/stat")
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    name = f.read().strip().replace(" ", "_") or "?"
            except OSError:
                continue
            if ticks is not None:
                print(pid, tid, name, ticks[0], ticks[1])
        print(pid, "-", "-", total[0], total[1])


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            pid, tid, name, user, system = line.split()
            rows[(pid, tid)] = (name, int(user), int(system))
    return rows


def diff(before_path, after_path, appeals):
    before, after = load(before_path), load(after_path)
    hz = os.sysconf("SC_CLK_TCK")
    groups = {}  # name -> [user, system, threads]
    live = {}  # pid -> (user, system) of its live threads
    for (pid, tid), (name, user, system) in after.items():
        if tid == "-":
            continue
        _, user0, system0 = before.get((pid, tid), (name, 0, 0))
        g = groups.setdefault(name, [0, 0, 0])
        g[0] += user - user0
        g[1] += system - system0
        g[2] += 1
        lu, ls = live.get(pid, (0, 0))
        live[pid] = (lu + user - user0, ls + system - system0)
    ended = 0  # ticks; the kernel splits user and system per task, so only the sum
    for (pid, tid), (_, user, system) in after.items():
        if tid != "-" or (pid, "-") not in before:
            continue
        _, user0, system0 = before[(pid, "-")]
        lu, ls = live.get(pid, (0, 0))
        ended += max(0, user + system - user0 - system0 - lu - ls)
    ms = lambda ticks: 1000.0 * ticks / hz / max(appeals, 1)
    for name, (user, system, n) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        print(f"  thread {name}: {ms(user + system):.2f} ms CPU per appeal "
              f"(user {ms(user):.2f}, system {ms(system):.2f}; {n} thread{'s' if n != 1 else ''})")
    if ended > 0:
        print(f"  thread (ended or rounding): {ms(ended):.2f} ms CPU per appeal")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "snap":
        snap(sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: threads.py snap PID... | threads.py diff BEFORE AFTER APPEALS")
