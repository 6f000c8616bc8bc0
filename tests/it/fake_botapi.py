"""fake_botapi.py: a fake Telegram Bot API for the integration tests (python http.server).

FakeBotApi(token) listens on a free 127.0.0.1 port (`url` is what [telegram] api_url
takes) and answers POST /bot<token>/sendMessage like Telegram: {"ok": true, "result":
{...}}. Every request is recorded in `requests` as (monotonic time, path, JSON body or
None). `fail_next(n, status, retry_after=None)` makes the next n sendMessage calls fail
with that status (429 with parameters.retry_after, like Telegram's flood control). A
wrong token in the path is 404 {"ok": false}, as Telegram answers. `files` maps a
file_id to (file_path, bytes) for getFile and the download under /file/bot<token>/."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeBotApi:
    def __init__(self, token):
        self.token = token
        self.requests = []
        self.failures = []
        self.files = {}  # file_id -> (file_path, bytes): getFile and the download
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802: getFile?file_id=..., /file/bot<token>/<path>
                with outer.lock:
                    outer.requests.append((time.monotonic(), self.path, None))
                    files = dict(outer.files)
                prefix = "/bot%s/getFile?file_id=" % outer.token
                if self.path.startswith(prefix):
                    fid = self.path[len(prefix):]
                    if fid in files:
                        return self.answer(200, {"ok": True, "result": {
                            "file_id": fid, "file_size": len(files[fid][1]),
                            "file_path": files[fid][0]}})
                    return self.answer(400, {"ok": False, "description": "Bad Request: invalid file_id"})
                for fid, (path, data) in files.items():
                    if self.path == "/file/bot%s/%s" % (outer.token, path):
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return
                self.answer(404, {"ok": False, "description": "Not Found"})

            def do_POST(self):  # noqa: N802 (http.server's name)
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with outer.lock:
                    outer.requests.append((time.monotonic(), self.path, body))
                    failure = outer.failures.pop(0) if outer.failures else None
                if self.path != "/bot%s/sendMessage" % outer.token:
                    return self.answer(404, {"ok": False, "error_code": 404,
                                             "description": "Not Found"})
                if failure:
                    status, retry_after = failure
                    ans = {"ok": False, "error_code": status, "description": "Too Many Requests"
                           if status == 429 else "Error"}
                    if retry_after is not None:
                        ans["parameters"] = {"retry_after": retry_after}
                    return self.answer(status, ans)
                return self.answer(200, {"ok": True, "result": {
                    "message_id": len(outer.requests), "date": int(time.time()),
                    "chat": {"id": body.get("chat_id") if body else 0},
                    "text": body.get("text") if body else ""}})

            def answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail_next(self, n, status, retry_after=None):
        with self.lock:
            self.failures += [(status, retry_after)] * n

    def sent(self, chat_id=None):
        """The bodies of sendMessage calls (to `chat_id` if given), in order."""
        with self.lock:
            return [b for (_, p, b) in self.requests
                    if b and p.endswith("/sendMessage") and (chat_id is None or b.get("chat_id") == chat_id)]

    def wait_for(self, pred, timeout=20):
        """The first recorded body for which pred(body) holds, waiting up to `timeout` s."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for (_, _, b) in self.requests:
                    if b and pred(b):
                        return b
            time.sleep(0.1)
        raise AssertionError("the fake Bot API received no such message; it has: %r" % self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
