/* fuzz_oidc.c: fuzz driver for the ID-token check of OIDC sign-in
 * (okno_oidc_verify_id_token, web/oidc.h: librhonabwy's JWS parsing and signature
 * check, then the claims parsed with json-glib).
 *
 * Input: the token, optionally followed by a newline and a JWKS document (so the key
 * import is fuzzed too). Invariants: no crash or leak; an accepted token names a
 * non-empty subject, carries the issuer asked for, and accepting is repeatable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "web/oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISS "http://127.0.0.1:1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  char *nl = strchr(text, '\n');
  const char *jwks = "{\"keys\":[]}";
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoOidcClaims) c = NULL;
  if (nl) {
    *nl = '\0';
    jwks = nl + 1;
  }
  c = okno_oidc_verify_id_token(text, jwks, ISS, "okno", "n0nce", "snils", 1700000000, &e);
  if (c) {
    g_autoptr(OknoOidcClaims) again =
        okno_oidc_verify_id_token(text, jwks, ISS, "okno", "n0nce", "snils", 1700000000, NULL);
    if (!c->subject || !*c->subject || strcmp(c->issuer, ISS) != 0 || !again)
      abort();
  } else if (!e || !e->message) {
    abort();
  }
  return 0;
}
