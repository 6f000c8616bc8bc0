"""bench/memory/load.py: SESSIONS SMTP clients that each send one large message at once.

Every client connects, says EHLO, MAIL, RCPT, DATA, then streams its message (a short
Russian letter and a PDF-like attachment of SIZE_MB, base64, shared by all clients so the
generator itself stays small; the From and Message-ID differ) and waits for the reply.
All clients start DATA together (a barrier), so the daemon holds every message at once.
Prints: sessions=N accepted=N other=N seconds=S
"""
import argparse
import base64
import os
import socket
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--sessions", type=int, default=200)
p.add_argument("--size-mb", type=int, default=25)
a = p.parse_args()

raw = b"%PDF-1.4\n" + os.urandom(a.size_mb * 1024 * 1024 * 3 // 4 - 64)
b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
HEAD = ("From: Citizen {n} <citizen{n}@mail.example>\r\nTo: support@portal.example\r\n"
        "Subject: =?UTF-8?B?0KHQutCw0L0g0LTQvtC60YPQvNC10L3RgtCw?= {n}\r\n"
        "Message-ID: <memory-{n}-{t}@mail.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Прошу принять скан документа, номер {n}.\r\n--b\r\n"
        "Content-Type: application/pdf; name=scan.pdf\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=scan.pdf\r\n\r\n")
TAIL = b"--b--\r\n.\r\n"
barrier = threading.Barrier(a.sessions)
results = []
lock = threading.Lock()


def reply(f):
    while True:
        line = f.readline()
        if not line:
            return -1
        if line[3:4] != b"-":
            return int(line[:3])


def client(n):
    code = -1
    try:
        s = socket.create_connection(("127.0.0.1", a.port), timeout=600)
        f = s.makefile("rb")
        reply(f)
        for cmd in (b"EHLO load.example\r\n", b"MAIL FROM:<citizen%d@mail.example>\r\n" % n,
                    b"RCPT TO:<support@portal.example>\r\n", b"DATA\r\n"):
            s.sendall(cmd)
            code = reply(f)
        barrier.wait()
        if code == 354:
            s.sendall(HEAD.format(n=n, t=time.time_ns()).encode())
            view = memoryview(b64)
            for off in range(0, len(b64), 1 << 20):
                s.sendall(view[off:off + (1 << 20)])
            s.sendall(TAIL)
            code = reply(f)
        s.sendall(b"QUIT\r\n")
        s.close()
    except (OSError, threading.BrokenBarrierError):
        code = -1
    with lock:
        results.append(code)


start = time.monotonic()
threads = [threading.Thread(target=client, args=(i,)) for i in range(a.sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ok = sum(1 for c in results if c == 250)
print("sessions=%d accepted=%d other=%d seconds=%.1f" %
      (a.sessions, ok, len(results) - ok, time.monotonic() - start))
