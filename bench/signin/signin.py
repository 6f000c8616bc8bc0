"""bench/signin/signin.py: CLIENTS threads that sign in to the console with wrong
credentials, each as fast as the server answers, until SECONDS pass.

Each attempt is a GET of /console/login (for the CSRF token and the pre-session cookie)
and a POST with an unknown login: the server spends a whole Argon2id verification on
it (an unknown login costs what a known one does), so this is the most expensive thing
an anonymous client can make the web do. Every attempt comes from another loopback
address (127.1.x.y), as a guesser rotating addresses would, so the per-address sign-in
limit never answers 429 instead of hashing. Prints: attempts=N hashed=N seconds=S
(hashed: answered 401, i.e. after the verification).
"""
import argparse
import http.client
import re
import threading
import time
import urllib.parse

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--clients", type=int, default=20)
p.add_argument("--seconds", type=float, default=30)
a = p.parse_args()
stop = time.monotonic() + a.seconds
counts = {"attempts": 0, "hashed": 0}
lock = threading.Lock()


def client(n):
    i = 0
    while time.monotonic() < stop:
        i += 1
        src = ("127.1.%d.%d" % (n, i % 250 + 1), 0)
        try:
            c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60, source_address=src)
            c.request("GET", "/console/login")
            r = c.getresponse()
            page = r.read().decode("utf-8", "replace")
            cookie = "; ".join(h.split(";")[0] for k, h in r.getheaders() if k.lower() == "set-cookie")
            m = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
            c.close()
            body = urllib.parse.urlencode({"csrf": m.group(1) if m else "", "login": "nobody%d-%d" % (n, i),
                                           "password": "Wrong-password-1", "code": "123456"})
            c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60, source_address=src)
            c.request("POST", "/console/login", body,
                      {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            r = c.getresponse()
            r.read()
            c.close()
            with lock:
                counts["attempts"] += 1
                counts["hashed"] += r.status == 401
        except OSError:
            with lock:
                counts["attempts"] += 1


start = time.monotonic()
threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("attempts=%d hashed=%d seconds=%.1f" % (counts["attempts"], counts["hashed"],
                                               time.monotonic() - start))
