/* captcha.c: proof-of-work and question challenges, signed and single use (captcha.h). */
#include "web/captcha.h"

#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "sec/session.h"
#include "store/sessions.h"

#define ID_BYTES 12
#define MAX_TOKEN 200
#define MAX_NONCE 20

static const char *const words[] = {
  "ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять",
  "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
  "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать", "двадцать",
};

void okno_captcha_clear(OknoCaptcha *c)
{
  g_clear_pointer(&c->pow_token, g_free);
  g_clear_pointer(&c->question, g_free);
  g_clear_pointer(&c->question_token, g_free);
}

/* hex HMAC-SHA256(key, text) */
static char *mac_hex(const guint8 *key, const char *text)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[sizeof mac * 2 + 1];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key, OKNO_CAPTCHA_KEY_BYTES);
  crypto_auth_hmacsha256_update(&st, (const guint8 *)text, strlen(text));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return g_strdup(hex);
}

void okno_captcha_issue(const guint8 *key, gint64 now, gint64 ttl_us, int bits,
                        OknoCaptcha *out)
{
  gint64 expires = (now + ttl_us) / G_USEC_PER_SEC;
  g_autofree char *pid = okno_random_hex(ID_BYTES), *qid = okno_random_hex(ID_BYTES);
  g_autofree char *pbody = g_strdup_printf("p.%" G_GINT64_FORMAT ".%s.%d", expires, pid, bits);
  g_autofree char *pmac = mac_hex(key, pbody);
  guint32 a = 1 + randombytes_uniform(20), b = 1 + randombytes_uniform(20);
  g_autofree char *qbody = g_strdup_printf("q.%" G_GINT64_FORMAT ".%s", expires, qid);
  g_autofree char *signed_q = g_strdup_printf("%s=%u", qbody, a + b);
  g_autofree char *qmac = mac_hex(key, signed_q);

  out->bits = bits;
  out->pow_token = g_strdup_printf("%s.%s", pbody, pmac);
  out->question = g_strdup_printf("Сколько будет %s плюс %s?", words[a], words[b]);
  out->question_token = g_strdup_printf("%s.%s", qbody, qmac);
}

gboolean okno_captcha_pow_ok(const char *token, const char *nonce, int bits)
{
  guint8 hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const guint8 *)token, strlen(token));
  crypto_hash_sha256_update(&st, (const guint8 *)nonce, strlen(nonce));
  crypto_hash_sha256_final(&st, hash);
  for (int i = 0; i < bits; i++)
    if (hash[i / 8] & (0x80 >> (i % 8)))
      return FALSE;
  return TRUE;
}

static gboolean fail(GError **error, const char *text)
{
  g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, text);
  return FALSE;
}

static gboolean digits_only(const char *s, gsize max)
{
  if (!*s || strlen(s) > max)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit(*s))
      return FALSE;
  return TRUE;
}

/* Splits "kind.expires.id[.bits].mac" and checks the MAC over everything before the
 * last dot, plus `extra` ("=answer" for questions). Fills *expires and *id. */
static gboolean token_ok(const guint8 *key, const char *token, char kind, const char *extra,
                         gint64 *expires, char **id, int *bits)
{
  g_auto(GStrv) parts = NULL;
  const char *last;
  g_autofree char *body = NULL, *want = NULL, *signed_text = NULL;
  guint want_parts = kind == 'p' ? 5 : 4;
  guint64 v = 0;

  if (strlen(token) > MAX_TOKEN || !(last = strrchr(token, '.')))
    return FALSE;
  parts = g_strsplit(token, ".", -1);
  if (g_strv_length(parts) != want_parts || parts[0][0] != kind || parts[0][1] ||
      !g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXINT64 / G_USEC_PER_SEC, &v, NULL) ||
      strlen(parts[2]) != ID_BYTES * 2)
    return FALSE;
  *expires = (gint64)v;
  if (kind == 'p') {
    guint64 b = 0;
    if (!g_ascii_string_to_unsigned(parts[3], 10, 0, 64, &b, NULL))
      return FALSE;
    *bits = (int)b;
  }
  body = g_strndup(token, last - token);
  signed_text = g_strconcat(body, extra ? extra : "", NULL);
  want = mac_hex(key, signed_text);
  if (strlen(last + 1) != strlen(want) || sodium_memcmp(last + 1, want, strlen(want)) != 0)
    return FALSE;
  *id = g_strconcat(parts[0], ".", parts[2], NULL);
  return TRUE;
}

gboolean okno_captcha_verify(const guint8 *key, OknoStore *st, gint64 now,
                             const char *pow_token, const char *nonce,
                             const char *question_token, const char *answer,
                             GError **error)
{
  g_autofree char *id = NULL;
  gint64 expires = 0;
  int bits = 0;
  gboolean fresh = FALSE;

  if (nonce && *nonce) {
    if (!digits_only(nonce, MAX_NONCE) || !pow_token ||
        !token_ok(key, pow_token, 'p', NULL, &expires, &id, &bits))
      return fail(error, "Проверка «я не робот» не пройдена. Обновите, пожалуйста, "
                         "страницу и отправьте форму ещё раз.");
    if (!okno_captcha_pow_ok(pow_token, nonce, bits))
      return fail(error, "Проверка «я не робот» не пройдена. Обновите, пожалуйста, "
                         "страницу и отправьте форму ещё раз.");
  } else {
    g_autofree char *trimmed = g_strstrip(g_strdup(answer ? answer : ""));
    g_autofree char *extra = NULL;
    guint64 n = 0;
    if (!*trimmed)
      return fail(error, "Ответьте, пожалуйста, на вопрос: это защита от автоматических "
                         "рассылок.");
    if (!g_ascii_string_to_unsigned(trimmed, 10, 0, 1000, &n, NULL))
      return fail(error, "Введите ответ цифрами, например 12.");
    extra = g_strdup_printf("=%" G_GUINT64_FORMAT, n);
    if (!question_token || !token_ok(key, question_token, 'q', extra, &expires, &id, &bits)) {
      /* one try per question: a wrong answer uses the question up too, so the 39
       * possible sums cannot be tried one after another */
      g_auto(GStrv) parts = question_token ? g_strsplit(question_token, ".", 4) : NULL;
      if (parts && g_strv_length(parts) == 4 && strlen(parts[2]) == ID_BYTES * 2 &&
          strlen(question_token) <= MAX_TOKEN) {
        g_autofree char *burn = g_strconcat("q.", parts[2], NULL);
        if (!okno_store_token_use(st, burn, now + G_GINT64_CONSTANT(25) * 3600 * G_USEC_PER_SEC, &fresh, error))
          return FALSE;
      }
      return fail(error, "Ответ на вопрос неверный. Посмотрите, пожалуйста, на новый вопрос "
                         "и ответьте ещё раз.");
    }
  }
  if (expires * G_USEC_PER_SEC < now)
    return fail(error, "Время на проверку «я не робот» истекло. Ответьте, пожалуйста, на "
                       "новый вопрос.");
  if (!okno_store_token_use(st, id, expires * G_USEC_PER_SEC, &fresh, error))
    return FALSE;
  if (!fresh)
    return fail(error, "Эта проверка «я не робот» уже была использована. Ответьте, "
                       "пожалуйста, на новый вопрос.");
  return TRUE;
}
