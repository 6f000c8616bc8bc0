"""Cabinet sign-in over OpenID Connect against the real daemon and a local provider
(tests/it/oidc_provider.py: a test stand-in that signs real RS256 ID tokens; it is not
a third-party provider, see README "OIDC"). Cases: the happy path (PKCE verifier and
client authentication checked by the provider, identity confirmed with name and SNILS,
the cabinet usable, no e-mail in clear in the log), e-mail only from userinfo,
client_secret_post, the button hidden without an issuer, and every refusal signing
nobody in: wrong audience, wrong nonce, expired token, tampered signature, a replayed
callback, a state from another browser, a provider that is down. The formal appeal
under 59-FZ: offered to the confirmed identity (registered through intake with its name
and SNILS), refused (403) to a cabinet signed in by e-mail code. GlewlwydTest runs the flow against
Debian's glewlwyd, a real provider (tests/it/glewlwyd.py): sign-in with both client
authentication methods, a replayed callback, a wrong client secret; the refusals that
need a misbehaving provider stay with oidc_provider.py.
"""
import email
import email.policy
import glob
import os
import re
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import HttpClient, Okno  # noqa: E402
from oidc_provider import Provider  # noqa: E402
import glewlwyd  # noqa: E402


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def provider_authorize(url):
    """The browser at the provider: returns the Location it redirects back to."""
    opener = urllib.request.build_opener(NoRedirect())
    try:
        opener.open(url, timeout=30)
    except urllib.error.HTTPError as e:
        if e.code == 302:
            return e.headers["Location"]
        raise AssertionError("provider answered %d: %s" % (e.code, e.read()[:300]))
    raise AssertionError("provider did not redirect")


class OidcTest(unittest.TestCase):
    def setUp(self):
        self.okno = Okno(self)
        self.prov = Provider(redirect_uri=self.okno.base_url + "/cabinet/oidc/callback")
        self.addCleanup(self.prov.stop)

    def start(self, **oidc):
        cfg = {"issuer": self.prov.issuer, "client_id": "okno", "client_secret": "s3cret"}
        cfg.update(oidc)
        self.okno.write_config({"oidc": cfg})
        self.okno.start()

    def sign_in(self, c=None):
        """Runs the flow up to okno's callback; returns (client, callback path, answer)."""
        c = c or HttpClient(self.okno.base_url)
        r = c.get("/cabinet/oidc/start")
        self.assertEqual(r.status, 303, r.text)
        loc = r.headers["Location"]
        self.assertTrue(loc.startswith(self.prov.issuer + "/authorize?"), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual(q["code_challenge_method"], "S256")
        self.assertTrue(q["nonce"] and q["state"])
        back = provider_authorize(loc)
        self.assertTrue(back.startswith(self.okno.base_url + "/cabinet/oidc/callback?"), back)
        path = back[len(self.okno.base_url):]
        return c, path, c.get(path)

    def assert_signed_out(self, c):
        self.assertEqual(c.get("/api/v1/cabinet/identity").status, 401)

    def test_happy_path(self):
        self.start()
        page = HttpClient(self.okno.base_url).get("/cabinet/login")
        self.assertIn("/cabinet/oidc/start", page.text)
        c, _, r = self.sign_in()
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.headers["Location"], "/cabinet")
        ident = c.get("/api/v1/cabinet/identity").json()
        self.assertEqual(ident, {"confirmed": True, "email": "ivanov@example.org",
                                 "name": "Иванов Иван Иванович", "snils": "112-233-445 95",
                                 "issuer": self.prov.issuer})
        self.assertEqual(c.get("/cabinet").status, 200)
        page = c.get("/cabinet/identity")
        self.assertIn("Личность подтверждена", page.text)
        tr = self.prov.token_requests[-1]
        self.assertTrue(tr["_auth"].startswith("Basic "))
        self.assertNotIn("client_secret", tr)
        self.assertEqual(len(tr["code_verifier"]), 64)
        log = self.okno.log()
        self.assertIn("event=signed-in", log)
        self.assertNotIn("ivanov@example.org", log.lower())
        self.assertNotIn("112-233-445", log)

    def code_sign_in(self, addr):
        """Signs in by e-mail code (the code read from the outbound maildir)."""
        c = HttpClient(self.okno.base_url)
        token = c.csrf("/cabinet/login")
        self.assertEqual(c.post("/cabinet/login", {"csrf": token, "email": addr}).status, 200)
        code = None
        for _ in range(200):
            for path in glob.glob(os.path.join(self.okno.dir, "outbox", "new", "*")):
                with open(path, "rb") as f:
                    m = email.message_from_binary_file(f, policy=email.policy.default)
                if addr in str(m["To"]):
                    code = re.search(r":\s*(\d{6})\s", m.get_content()).group(1)
            if code:
                break
            time.sleep(0.05)
        self.assertTrue(code, "no code mail")
        r = c.post("/cabinet/login/code", {"csrf": token, "email": addr, "code": code})
        self.assertEqual(r.status, 303, r.text)
        return c

    def test_formal_appeal(self):
        self.start()
        c, _, r = self.sign_in()
        self.assertEqual(r.status, 303, r.text)
        page = c.get("/cabinet/formal")
        self.assertEqual(page.status, 200, page.text)
        self.assertIn("Иванов Иван Иванович", page.text)
        token = c.csrf("/cabinet/formal")
        r = c.post("/cabinet/formal", {"csrf": token, "subject": "Жалоба", "text": "коротко"})
        self.assertEqual(r.status, 422)
        self.assertIn("не меньше 20 знаков", r.text)
        r = c.post("/cabinet/formal", {"csrf": token, "subject": "Жалоба на отказ в услуге",
                                       "text": "Прошу рассмотреть отказ в приёме заявления от 20.11.2026."})
        self.assertEqual(r.status, 303, r.text)
        number = re.match(r"/cabinet/appeals/([0-9-]+)\?sent=1", r.headers["Location"]).group(1)
        a = self.okno.show_json(number)
        self.assertEqual(a["channel"], "web")
        self.assertEqual(a["from"]["email"], "ivanov@example.org")
        self.assertIn("СНИЛС: 112-233-445 95", a["messages"][0]["text"])
        self.assertIn("59-ФЗ", a["messages"][0]["text"])
        self.assertEqual(c.get("/cabinet/appeals/" + number).status, 200)
        self.assertNotIn("112-233-445", self.okno.log())
        # a cabinet signed in by e-mail code has no confirmed identity
        other = self.code_sign_in("petrov@example.org")
        ident = other.get("/api/v1/cabinet/identity").json()
        self.assertEqual(ident, {"confirmed": False, "email": "petrov@example.org"})
        r = other.get("/cabinet/formal")
        self.assertEqual(r.status, 403)
        self.assertIn("после входа через портал", r.text)
        r = other.post("/cabinet/formal", {"csrf": other.csrf("/cabinet"), "subject": "Тема",
                                           "text": "Текст обращения длиной больше двадцати знаков."})
        self.assertEqual(r.status, 403)

    def test_email_from_userinfo_and_secret_post(self):
        self.prov.include_email = False
        self.start(token_auth="client_secret_post")
        c, _, r = self.sign_in()
        self.assertEqual(r.status, 303, r.text)
        ident = c.get("/api/v1/cabinet/identity").json()
        self.assertTrue(ident["confirmed"])
        self.assertEqual(ident["email"], "ivanov@example.org")
        self.assertEqual(self.prov.token_requests[-1]["client_secret"], "s3cret")

    def test_code_sign_in_is_not_confirmed_and_button_hidden_without_issuer(self):
        self.okno.write_config()
        self.okno.start()
        c = HttpClient(self.okno.base_url)
        self.assertNotIn("/cabinet/oidc/start", c.get("/cabinet/login").text)
        self.assertEqual(c.get("/cabinet/oidc/start").status, 404)

    def refused(self, reason):
        c, _, r = self.sign_in()
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("Не удалось подтвердить вход", r.text)
        self.assert_signed_out(c)
        self.assertIn("event=oidc-failed reason=%s" % reason, self.okno.log())

    def test_wrong_audience(self):
        self.prov.aud = "someone-else"
        self.start()
        self.refused("aud")

    def test_wrong_nonce(self):
        self.prov.nonce_override = "not-the-nonce"
        self.start()
        self.refused("nonce")

    def test_expired_token(self):
        self.prov.exp_offset = -3600
        self.start()
        self.refused("expired")

    def test_tampered_signature(self):
        self.prov.tamper = True
        self.start()
        self.refused("signature")

    def test_replayed_callback(self):
        self.start()
        c, path, r = self.sign_in()
        self.assertEqual(r.status, 303, r.text)
        r = c.get(path)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("event=oidc-failed reason=state-replayed", self.okno.log())

    def test_state_of_another_browser(self):
        self.start()
        c = HttpClient(self.okno.base_url)
        r = c.get("/cabinet/oidc/start")
        back = provider_authorize(r.headers["Location"])
        other = HttpClient(self.okno.base_url)
        other.get("/cabinet/login")  # has its own pre-session
        r = other.get(back[len(self.okno.base_url):])
        self.assertEqual(r.status, 400, r.text)
        self.assert_signed_out(other)
        self.assertIn("event=oidc-failed reason=state", self.okno.log())

    def test_provider_down(self):
        self.prov.stop()
        self.start()
        c = HttpClient(self.okno.base_url)
        r = c.get("/cabinet/oidc/start")
        self.assertEqual(r.status, 502, r.text)
        self.assertIn("недоступен", r.text)
        self.assert_signed_out(c)


@unittest.skipUnless(glewlwyd.available(), "glewlwyd is not installed (scripts/deps --test)")
class GlewlwydTest(unittest.TestCase):
    """The same flow against Debian's glewlwyd, a real OIDC provider (tests/it/glewlwyd.py)."""

    def setUp(self):
        self.okno = Okno(self)
        self.idp = glewlwyd.Glewlwyd(self, self.okno.base_url + "/cabinet/oidc/callback")

    def start(self, **oidc):
        cfg = {"issuer": self.idp.issuer, "client_id": "okno", "client_secret": "s3cret",
               "scopes": "openid"}
        cfg.update(oidc)
        self.okno.write_config({"oidc": cfg})
        self.okno.start()

    def flow(self, c):
        r = c.get("/cabinet/oidc/start")
        self.assertEqual(r.status, 303, r.text)
        self.assertTrue(r.headers["Location"].startswith(self.idp.issuer + "/auth?"), r.headers["Location"])
        back = self.idp.authorize(r.headers["Location"])
        self.assertTrue(back.startswith(self.okno.base_url + "/cabinet/oidc/callback?"), back)
        path = back[len(self.okno.base_url):]
        return path, c.get(path)

    def check_signed_in(self, c):
        ident = c.get("/api/v1/cabinet/identity").json()
        self.assertEqual(ident["confirmed"], True, ident)
        self.assertEqual(ident["email"], glewlwyd.Glewlwyd.EMAIL)
        self.assertEqual(ident["name"], glewlwyd.Glewlwyd.NAME)
        self.assertEqual(ident["snils"], glewlwyd.Glewlwyd.SNILS)
        self.assertEqual(ident["issuer"], self.idp.issuer)
        self.assertEqual(c.get("/cabinet/formal").status, 200)

    def test_sign_in_basic_and_replay(self):
        self.start()
        c = HttpClient(self.okno.base_url)
        path, r = self.flow(c)
        self.assertEqual(r.status, 303, r.text + self.okno.log())
        self.assertEqual(r.headers["Location"], "/cabinet")
        self.check_signed_in(c)
        r = c.get(path)  # the same callback again
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("event=oidc-failed reason=state-replayed", self.okno.log())

    def test_sign_in_secret_post(self):
        self.start(token_auth="client_secret_post")
        c = HttpClient(self.okno.base_url)
        _, r = self.flow(c)
        self.assertEqual(r.status, 303, r.text + self.okno.log())
        self.check_signed_in(c)

    def test_wrong_client_secret(self):
        self.start(client_secret="not-the-secret")
        c = HttpClient(self.okno.base_url)
        _, r = self.flow(c)
        self.assertEqual(r.status, 502, r.text)
        self.assertEqual(c.get("/api/v1/cabinet/identity").status, 401)


if __name__ == "__main__":
    unittest.main()
