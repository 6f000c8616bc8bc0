/* captcha.h: a captcha that needs no third party: proof of work, and a question.
 *
 * Both are stateless until used: a challenge is a token signed with the instance
 * secret (HMAC-SHA256, server.h okno_web_secret), carrying its expiry and a random id.
 *  - Proof of work: token "p.<expires>.<id>.<bits>.<mac>". The browser (web/static/
 *    pow.js) finds a decimal nonce such that SHA-256(token || nonce) starts with
 *    <bits> zero bits ([http] captcha_bits); about 2^bits hashes, a second or two.
 *  - The accessible fallback, for a browser without JavaScript or a person who prefers
 *    it: a sum of two numbers from 1 to 20 written in Russian words («Сколько будет
 *    семь плюс двенадцать?»), token "q.<expires>.<id>.<mac>" where the MAC also covers
 *    the right answer, so the server keeps nothing until the answer comes back.
 * Verification checks the MAC, the expiry and the work or the answer, and then marks
 * the id used in the store (okno_store_token_use) until it expires: every challenge
 * is good for one submission, on any node sharing the store. Errors are
 * OKNO_ERROR_USER with a Russian sentence for the field "captcha"; a store failure is
 * passed on as is. */
#pragma once
#include <glib.h>

#include "store/store.h"

#define OKNO_CAPTCHA_KEY_BYTES 32

typedef struct {
  char *pow_token;     /* "p...." */
  int bits;
  char *question;      /* Russian, e.g. "Сколько будет семь плюс двенадцать?" */
  char *question_token;/* "q...." */
} OknoCaptcha;

void okno_captcha_clear(OknoCaptcha *c);

/* Issues both challenges, valid for ttl_us from now. */
void okno_captcha_issue(const guint8 *key, gint64 now, gint64 ttl_us, int bits,
                        OknoCaptcha *out);

/* Verifies a solved proof of work (`nonce` non-empty) or else the answer to the
 * question, and uses the token up. TRUE when it passes. */
gboolean okno_captcha_verify(const guint8 *key, OknoStore *st, gint64 now,
                             const char *pow_token, const char *nonce,
                             const char *question_token, const char *answer,
                             GError **error);

/* TRUE when SHA-256(token || nonce) has at least `bits` leading zero bits. */
gboolean okno_captcha_pow_ok(const char *token, const char *nonce, int bits);
