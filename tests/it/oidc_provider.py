"""oidc_provider: a small OpenID Connect provider for okno's integration tests.

NOT a production provider and NOT glewlwyd: a stand-in written for the tests (see README,
"OIDC"), run in a thread of the test process on 127.0.0.1. It does sign real RS256 JWTs
with an RSA key it generates at start (python3-cryptography), publishes the key as a
JWKS, and checks what a real provider checks of the client: the registered redirect_uri,
client_secret_basic (or _post) authentication, single-use codes and the PKCE S256
verifier. There is no login screen: /authorize signs in `user` at once (the test plays
a user who approved) and redirects back with a code.

Knobs for negative tests (attributes of Provider): `aud` (audience written into the
ID token), `exp_offset` (seconds from now), `nonce_override`, `tamper` (flip the
signature), `include_email` (False: e-mail only from /userinfo).
"""
import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Provider:
    def __init__(self, client_id="okno", client_secret="s3cret", redirect_uri=""):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "k-" + secrets.token_hex(4)
        self.user = {"sub": "esia-100500", "email": "Ivanov@Example.org", "email_verified": True,
                     "family_name": "Иванов", "given_name": "Иван", "middle_name": "Иванович",
                     "snils": "112-233-445 95"}
        self.codes = {}
        self.tokens = {}
        self.aud = None
        self.exp_offset = 300
        self.nonce_override = None
        self.tamper = False
        self.include_email = True
        self.token_requests = []
        prov = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, status, obj=None, headers=None):
                body = json.dumps(obj).encode() if obj is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/.well-known/openid-configuration":
                    return self.send(200, prov.discovery())
                if u.path == "/jwks":
                    return self.send(200, prov.jwks())
                if u.path == "/authorize":
                    return prov.authorize(self, q)
                if u.path == "/userinfo":
                    tok = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    if tok not in prov.tokens:
                        return self.send(401, {"error": "invalid_token"})
                    return self.send(200, prov.tokens[tok])
                self.send(404, {"error": "not found"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                if self.path != "/token":
                    return self.send(404, {"error": "not found"})
                status, obj = prov.token(form, self.headers.get("Authorization"))
                self.send(status, obj)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def discovery(self):
        return {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                "userinfo_endpoint": self.issuer + "/userinfo",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def jwks(self):
        pub = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "n": b64url_int(pub.n), "e": b64url_int(pub.e)}]}

    def authorize(self, h, q):
        if (q.get("client_id") != self.client_id or q.get("redirect_uri") != self.redirect_uri
                or q.get("response_type") != "code" or "openid" not in q.get("scope", "").split()
                or q.get("code_challenge_method") != "S256" or not q.get("code_challenge")):
            return h.send(400, {"error": "invalid_request", "q": q})
        code = secrets.token_urlsafe(16)
        self.codes[code] = q
        loc = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
        h.send(302, None, {"Location": loc})

    def sign(self, claims):
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = self.key.sign((head + "." + body).encode(), padding.PKCS1v15(), hashes.SHA256())
        if self.tamper:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return head + "." + body + "." + b64url(sig)

    def token(self, form, auth):
        self.token_requests.append(dict(form, _auth=auth or ""))
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (self.client_id, self.client_secret)).encode()).decode()
        if auth != want and form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client"}
        q = self.codes.pop(form.get("code", ""), None)  # single use
        if not q or form.get("redirect_uri") != q["redirect_uri"] \
                or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge != q["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.user["sub"], "aud": self.aud or self.client_id,
                  "iat": now, "exp": now + self.exp_offset,
                  "nonce": self.nonce_override or q.get("nonce")}
        if self.include_email:
            claims.update(self.user)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = self.user
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.sign(claims)}
