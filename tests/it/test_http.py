"""The HTTP server of `okno serve`: security headers, errors (404, 405, 411, 413, 415,
400), CSRF, rate limits (429) and the status check, against the real daemon over
python's urllib (okno_it.HttpClient) and raw sockets where urllib cannot misbehave.
"""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import okno_it  # noqa: E402
from okno_it import HttpClient, Okno  # noqa: E402

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

MAIL = ("From: Иван Петров <ivan@example.ru>\r\nTo: support@portal.example\r\n"
        "Subject: =?utf-8?b?0J3QtSDQv9GA0LjRhdC+0LTQuNGCINC60L7QtA==?=\r\n"
        "Message-ID: <s1@example.ru>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Здравствуйте! Не приходит код подтверждения при входе в личный кабинет.\r\n")


def raw_http(port, data, timeout=20):
    """Sends `data` as is and returns everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out:
                    head, _, body = out.partition(b"\r\n\r\n")
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            if len(body) >= int(line.split(b":")[1]):
                                return out
        except (ConnectionResetError, socket.timeout):
            pass
        return out


class Http(unittest.TestCase):
    def start(self, http=None):
        self.okno = Okno(self)
        overrides = {"http": http} if http else None
        self.okno.write_config(overrides)
        self.okno.start()
        self.c = HttpClient(self.okno.base_url)
        return self.c

    def assertSecure(self, r, cache=True):
        for k, v in SECURITY.items():
            self.assertEqual(r.headers.get(k), v, k)
        csp = r.headers.get("Content-Security-Policy", "")
        self.assertIn("default-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        if cache:
            self.assertEqual(r.headers.get("Cache-Control"), "no-store")

    def test_home_headers_and_cookie(self):
        c = self.start()
        r = c.get("/")
        self.assertEqual(r.status, 200)
        self.assertSecure(r)
        self.assertIn("text/html; charset=utf-8", r.headers["Content-Type"])
        self.assertIn('<html lang="ru">', r.text)
        self.assertIn("Портал государственных услуг", r.text)
        cookie = r.headers.get("Set-Cookie", "")
        self.assertIn("okno_pre=", cookie)
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Lax", cookie)
        self.assertNotIn("Secure", cookie)  # public_url is http://
        self.assertNotIn("<script>", r.text)  # no inline script anywhere
        self.assertNotIn(" style=", r.text)

    def test_static(self):
        c = self.start()
        r = c.get("/static/okno.css")
        self.assertEqual(r.status, 200)
        self.assertSecure(r, cache=False)
        self.assertIn("text/css", r.headers["Content-Type"])
        self.assertIn("max-age", r.headers["Cache-Control"])
        for bad in ("/static/../okno.ini", "/static/%2e%2e/okno.ini", "/static/nope.css",
                    "/static/"):
            self.assertEqual(c.get(bad).status, 404, bad)
        self.assertEqual(c.post("/static/okno.css", {"a": "b"}).status, 405)

    def test_404_page_and_api(self):
        c = self.start()
        r = c.get("/no/such/page")
        self.assertEqual(r.status, 404)
        self.assertSecure(r)
        self.assertIn("Такой страницы нет", r.text)
        r = c.get("/api/v1/nothing")
        self.assertEqual(r.status, 404)
        self.assertSecure(r)
        self.assertIn("application/json", r.headers["Content-Type"])
        self.assertIn("Такой страницы нет", r.json()["error"])

    def test_405(self):
        c = self.start()
        r = c.request("DELETE", "/status")
        self.assertEqual(r.status, 405)
        self.assertSecure(r)
        self.assertIn("GET", r.headers["Allow"])
        self.assertIn("POST", r.headers["Allow"])
        self.assertIn("не принимает такой запрос", r.text)
        r = c.request("PUT", "/")
        self.assertEqual(r.status, 405)
        self.assertEqual(c.request("HEAD", "/status").status, 200)

    def test_413_oversized_body(self):
        c = self.start({"max_body": "8192"})
        token = c.csrf("/status")
        r = c.post("/status", {"csrf": token, "number": "x" * 10000, "email": "a@b.ru"})
        self.assertEqual(r.status, 413)
        self.assertSecure(r)
        self.assertIn("слишком велики", r.text)
        # Expect: 100-continue gets the answer before any byte of the body is sent
        out = raw_http(self.okno.http_port,
                       b"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Expect: 100-continue\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:200])
        # the daemon is still well and answers the next request
        self.assertEqual(c.get("/").status, 200)

    def test_411_chunked(self):
        self.start()
        out = raw_http(self.okno.http_port,
                       b"POST /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                       b"3\r\na=b\r\n0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 411"), out[:200])
        self.assertIn("Content-Length".encode(), out)

    def test_415_and_400(self):
        c = self.start()
        token = c.csrf("/status")
        r = c.post("/status", body=b"<x/>", content_type="text/xml")
        self.assertEqual(r.status, 415)
        self.assertIn("Неподдерживаемый тип данных", r.text)
        r = c.post("/status", body=b"csrf=" + token.encode() + b"&number=%FF%FE&email=a",
                   content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 400)
        self.assertIn("UTF-8", r.text)
        r = c.post("/status", body=b"--zz\r\nbroken", content_type="multipart/form-data; boundary=zz")
        self.assertEqual(r.status, 400)
        self.assertIn("повреждена", r.text)
        r = c.post("/status", body=b"a=b", content_type="multipart/form-data")  # no boundary
        self.assertEqual(r.status, 400)

    def test_csrf(self):
        c = self.start()
        # no token at all, no cookie
        r = HttpClient(self.okno.base_url).post("/status", {"number": "26-000001-0", "email": "a@b.ru"})
        self.assertEqual(r.status, 403)
        self.assertSecure(r)
        self.assertIn("Форма устарела", r.text)
        token = c.csrf("/status")
        # a token of another browser does not fit this browser's cookie
        other = HttpClient(self.okno.base_url)
        other_token = other.csrf("/status")
        self.assertNotEqual(token, other_token)
        self.assertEqual(c.post("/status", {"csrf": other_token, "number": "1", "email": "a"}).status, 403)
        self.assertEqual(c.post("/status", {"csrf": "", "number": "1", "email": "a"}).status, 403)
        flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
        self.assertEqual(c.post("/status", {"csrf": flipped, "number": "1", "email": "a"}).status, 403)
        # the right token passes (the form then complains about the number)
        r = c.post("/status", {"csrf": token, "number": "1", "email": "a"})
        self.assertEqual(r.status, 422)
        # the header works too (for scripts)
        r = c.post("/status", {"number": "1", "email": "a"}, headers={"X-CSRF-Token": token})
        self.assertEqual(r.status, 422)

    def test_429_forms_and_requests(self):
        c = self.start({"forms_per_hour": "3"})
        token = c.csrf("/status")
        codes = [c.post("/status", {"csrf": token, "number": "26-000001-0", "email": "a@b.ru"}).status
                 for _ in range(5)]
        self.assertNotIn(429, codes[:3])
        self.assertEqual(codes[3:], [429, 429])
        r = c.post("/status", {"csrf": token, "number": "26-000001-0", "email": "a@b.ru"})
        self.assertEqual(r.status, 429)
        self.assertSecure(r)
        self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
        self.assertIn("Слишком много запросов", r.text)
        self.assertEqual(c.get("/status").status, 200)  # pages are still served

    def test_status_check_is_limited_per_client_not_per_number(self):
        self.start({"forms_per_hour": "100000"})
        path = os.path.join(self.okno.dir, "in.eml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(MAIL)
        r = self.okno.run("submit", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        number = r.stdout.strip()
        # a wrong e-mail: the answer a guesser gets (404), counted all the same
        body = json.dumps({"number": number, "email": "guess@example.ru"}).encode()
        req = (b"POST /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (len(body), body))

        def status(source):
            with socket.create_connection(("127.0.0.1", self.okno.http_port), timeout=20,
                                          source_address=(source, 0)) as s:
                s.sendall(req)
                out = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return int(out.split(b" ", 2)[1])
                    out += chunk

        codes = [status("127.0.0.1") for _ in range(21)]
        self.assertEqual(codes[:20], [404] * 20, codes)
        self.assertEqual(codes[20], 429)
        # another client may still check the same number: guessers cannot lock its owner out
        self.assertEqual(status("127.0.0.2"), 404)

    def test_429_requests_per_minute(self):
        c = self.start({"requests_per_minute": "5"})
        codes = [c.get("/").status for _ in range(7)]
        self.assertEqual(codes[:5], [200] * 5)
        self.assertEqual(codes[5:], [429, 429])
        r = c.get("/api/v1/nothing")
        self.assertEqual(r.status, 429)
        self.assertIn("Слишком много запросов", r.json()["error"])

    def test_status_check(self):
        c = self.start()
        path = os.path.join(self.okno.dir, "in.eml")
        with open(path, "wb") as f:
            f.write(MAIL.encode("utf-8"))
        r = self.okno.run("submit", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        number = r.stdout.strip()
        token = c.csrf("/status")
        ok = c.post("/status", {"csrf": token, "number": number, "email": "IVAN@example.ru"})
        self.assertEqual(ok.status, 200)
        self.assertIn(number, ok.text)
        self.assertIn("Зарегистрировано", ok.text)
        self.assertNotIn("код подтверждения", ok.text)  # status only, no content
        wrong_mail = c.post("/status", {"csrf": token, "number": number, "email": "petr@example.ru"})
        # a valid number that does not exist: same check digit rules
        missing = c.post("/status", {"csrf": token, "number": "26-999999-" + damm_next(number),
                                     "email": "ivan@example.ru"})
        self.assertEqual(wrong_mail.status, 200)
        self.assertIn("не найдено", wrong_mail.text)
        self.assertNotIn("Зарегистрировано", wrong_mail.text)
        # no enumeration: the two answers are the same page apart from the echoed input
        self.assertEqual(strip_input(wrong_mail.text), strip_input(missing.text))
        bad = c.post("/status", {"csrf": token, "number": "12345", "email": "ivan@example.ru"})
        self.assertEqual(bad.status, 422)
        self.assertIn('aria-describedby="number-error"', bad.text)
        self.assertIn("Номер обращения указан неверно", bad.text)
        self.assertIn('value="ivan@example.ru"', bad.text)  # the input is kept
        xss = c.post("/status", {"csrf": token, "number": "<script>alert(1)</script>",
                                 "email": "\"><script>x</script>"})
        self.assertNotIn("<script>", xss.text)
        self.assertIn("&lt;script&gt;", xss.text)


def damm(digits):
    table = [[0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
             [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
             [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
             [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
             [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]]
    i = 0
    for d in digits:
        i = table[i][int(d)]
    return i


def damm_next(number):
    """The check digit of YY-999999 for the year of `number`."""
    return str(damm(number[:2] + "999999"))


def strip_input(text):
    import re
    text = re.sub(r'value="[^"]*"', 'value=""', text)
    return re.sub(r'name="csrf" value="[^"]*"', "", text)


if __name__ == "__main__":
    unittest.main()
