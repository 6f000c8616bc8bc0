"""glewlwyd: runs Debian's glewlwyd (a real OpenID Connect provider written in C) for
okno's integration tests, on 127.0.0.1 with a SQLite database in a temporary directory.

Setup, all through glewlwyd's own files and admin API:
  - the database from /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz (its default
    administrator admin/password);
  - the config: Debian's /etc/glewlwyd/glewlwyd.conf with the port, external URL, log
    file and database replaced;
  - the database user module is given two more user properties, `snils` and
    `email_verified`;
  - an OIDC plugin instance "oidc" signing RS256 with an RSA key generated here
    (python3-cryptography), PKCE allowed, name and e-mail claims mandatory, plus the
    claims `snils` and `email_verified` (boolean) from those properties;
  - a confidential client (client_secret_basic / _post) with okno's redirect URI;
  - a user with a password and the openid scope.
The browser's part of a sign-in (authorize(url)): log in at /api/auth/ with the
password, grant the openid scope to the client (PUT /api/auth/grant/CLIENT), then open
the authorization URL with `g_continue` as glewlwyd's login page does; the answer is the
302 back to okno.

available() is False when /usr/bin/glewlwyd is missing (tests then skip).
"""
import gzip
import http.cookiejar
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_provider import b64url_int

BIN = "/usr/bin/glewlwyd"
INIT_SQL = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"
CONF = "/etc/glewlwyd/glewlwyd.conf"


def available():
    return all(os.path.exists(p) for p in (BIN, INIT_SQL, CONF))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Glewlwyd:
    USER, PASSWORD = "ivanov", "Pw-Ivanov-2026"
    NAME, EMAIL, SNILS = "Иванов Иван Иванович", "ivanov@example.org", "112-233-445 95"

    def __init__(self, test, redirect_uri, client_id="okno", client_secret="s3cret"):
        self.dir = tempfile.mkdtemp(prefix="okno-glewlwyd-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.port = _free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.issuer = self.base + "/api/oidc"
        self.client_id, self.client_secret = client_id, client_secret
        db = os.path.join(self.dir, "glewlwyd.db")
        with gzip.open(INIT_SQL, "rt", encoding="utf-8") as f:
            con = sqlite3.connect(db)
            con.executescript(f.read())
            con.close()
        with open(CONF, encoding="utf-8") as f:
            conf = f.read()
        conf = re.sub(r"(?m)^port=.*$", "port=%d" % self.port, conf)
        conf = re.sub(r"(?m)^external_url=.*$", 'external_url="%s"' % self.base, conf)
        conf = re.sub(r"(?m)^log_mode=.*$", 'log_mode="file"', conf)
        conf = re.sub(r"(?m)^log_file=.*$", 'log_file="%s"' % os.path.join(self.dir, "glewlwyd.log"), conf)
        conf = conf.replace('@include "/etc/glewlwyd/glewlwyd-db.conf"',
                            'database =\n{\n  type = "sqlite3"\n  path = "%s"\n};' % db)
        self.conf = os.path.join(self.dir, "glewlwyd.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(conf)
        self.out = open(os.path.join(self.dir, "stdout.log"), "wb")
        self.proc = subprocess.Popen([BIN, "-c", self.conf], stdout=self.out, stderr=subprocess.STDOUT)
        test.addCleanup(self.stop)
        self._wait()
        self._admin = self._opener()
        self._setup(redirect_uri)

    def _wait(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("glewlwyd exited: " + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("glewlwyd did not start: " + self.log())

    def log(self):
        out = []
        for name in ("stdout.log", "glewlwyd.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out.append(f.read()[-3000:])
        return "\n".join(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    @staticmethod
    def _opener():
        return urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def call(self, opener, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with opener.open(req, timeout=30) as r:
                return r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def _ok(self, method, path, body=None, opener=None):
        status, text, _ = self.call(opener or self._admin, method, path, body)
        if status != 200:
            raise AssertionError("glewlwyd %s %s: %d %s\n%s" % (method, path, status, text, self.log()))
        return text

    def _setup(self, redirect_uri):
        self._ok("POST", "/api/auth/", {"username": "admin", "password": "password"})
        # two more user properties in the database user module
        mod = json.loads(self._ok("GET", "/api/mod/user/database"))
        fmt = mod["parameters"].setdefault("data-format", {})
        for prop in ("snils", "email_verified"):
            fmt[prop] = {"multiple": False, "read": True, "write": True,
                         "profile-read": True, "profile-write": False}
        self._ok("PUT", "/api/mod/user/database",
                 {k: mod[k] for k in ("module", "name", "display_name", "order", "parameters", "readonly")
                  if k in mod})
        self._ok("PUT", "/api/mod/user/database/reset")  # reload it with the new format
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pn = key.private_numbers()
        pub = pn.public_numbers
        jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "okno-test",
               "n": b64url_int(pub.n), "e": b64url_int(pub.e), "d": b64url_int(pn.d),
               "p": b64url_int(pn.p), "q": b64url_int(pn.q), "dp": b64url_int(pn.dmp1),
               "dq": b64url_int(pn.dmq1), "qi": b64url_int(pn.iqmp)}
        params = {
            "iss": self.issuer, "jwt-type": "rsa", "jwt-key-size": "256",
            "jwks-private": json.dumps({"keys": [jwk]}), "default-kid": "okno-test",
            "access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
            "refresh-token-rolling": True, "allow-non-oidc": False,
            "auth-type-code-enabled": True, "auth-type-token-enabled": False,
            "auth-type-id-token-enabled": False, "auth-type-none-enabled": False,
            "auth-type-password-enabled": False, "auth-type-client-enabled": False,
            "auth-type-device-enabled": False, "auth-type-refresh-enabled": True,
            "scope": [], "jwks-show": True, "subject-type": "public",
            "name-claim": "mandatory", "email-claim": "mandatory", "scope-claim": "no",
            "address-claim": {"type": "no"}, "allowed-scope": ["openid"],
            "pkce-allowed": True, "pkce-method-plain-allowed": False,
            "request-parameter-allow": False, "session-management-allowed": False,
            "claims": [
                {"name": "snils", "user-property": "snils", "type": "string",
                 "mandatory": True, "on-demand": False, "scope": []},
                {"name": "email_verified", "user-property": "email_verified", "type": "boolean",
                 "boolean-value-true": "1", "boolean-value-false": "0",
                 "mandatory": True, "on-demand": False, "scope": []},
            ],
        }
        self._ok("POST", "/api/mod/plugin/", {"module": "oidc", "name": "oidc", "display_name": "OIDC",
                                              "parameters": params, "enabled": True})
        self._ok("POST", "/api/client/", {
            "client_id": self.client_id, "name": "okno", "confidential": True,
            "password": self.client_secret, "redirect_uri": [redirect_uri],
            "authorization_type": ["code"], "scope": [], "enabled": True,
            "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"]})
        self._ok("POST", "/api/user/", {
            "username": self.USER, "name": self.NAME, "email": self.EMAIL,
            "password": self.PASSWORD, "scope": ["openid"], "enabled": True,
            "snils": self.SNILS, "email_verified": "1"})

    def authorize(self, url):
        """The user's browser at glewlwyd: signs in, grants, returns where it sends back."""
        user = self._opener()
        self._ok("POST", "/api/auth/", {"username": self.USER, "password": self.PASSWORD}, opener=user)
        self._ok("PUT", "/api/auth/grant/" + self.client_id, {"scope": "openid"}, opener=user)
        status, text, headers = self.call(user, "GET", url[len(self.base):] + "&g_continue")
        if status != 302 or not headers.get("Location"):
            raise AssertionError("glewlwyd authorize: %d %s %s\n%s" % (status, headers.get("Location"), text, self.log()))
        return headers["Location"]
