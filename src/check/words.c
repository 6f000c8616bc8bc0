/* words.c: the word signals of the phishing check (see signals.h): what the letter
 * asks for and how it pushes.
 *
 * How it works: the subject and the text are case-folded with ё read as е and white
 * space runs as one space, then matched against short lists of Russian (and a few
 * English) stems: requests for passwords, SMS codes, card data and account
 * confirmation, urgency, threats and lures. A request for a secret counts only with a
 * request verb near the object, not negated («никому не сообщайте код» is advice, not
 * a request). At most STEM_HITS_MAX occurrences of one stem are examined; a reason
 * quotes the words found as the text has them. */
#include <string.h>

#include "check/signals.h"

#define STEM_HITS_MAX 64              /* occurrences of one stem examined */

static const char *const request_verbs[] = {
  "введите", "укажите", "сообщите", "отправьте", "пришлите", "назовите", "продиктуйте",
  "подтвердите", "заполните", "ввести", "указать", "сообщить", "отправить", "прислать",
  "назвать", "продиктовать", "подтвердить", "заполнить", "enter", "confirm",
};
static const char *const password_stems[] = {"парол", "password"};
static const char *const code_stems[] = {
  "код из смс", "код из sms", "смс-код", "sms-код", "код подтверждения", "одноразов",
  "код из сообщения", "проверочный код", "кодовое слово",
};
static const char *const card_stems[] = {
  "номер карты", "номер вашей карты", "номер банковской карты", "данные карты",
  "данные банковской карты", "реквизиты карты", "cvv", "cvc", "срок действия карты",
  "пин-код", "pin-код", "трехзначный код",
};
static const char *const confirm_phrases[] = {
  "подтвердите учетную запись", "подтвердите свою учетную запись", "подтвердить учетную запись",
  "подтверждения учетной записи", "подтвердите аккаунт", "подтвердите свой аккаунт",
  "подтвердите личность", "подтвердите свою личность", "подтвердите свои данные",
  "подтвердите данные", "обновите данные", "обновите свои данные", "актуализируйте данные",
  "пройдите верификацию", "пройти верификацию",
};
static const char *const urgency_phrases[] = {
  "в течение часа", "в течение суток", "срочно", "немедленно", "незамедлительно",
  "последнее предупреждение", "сегодня до", "осталось менее",
};
static const char *const threat_phrases[] = {
  "будет заблокир", "будут заблокир", "заблокирован", "блокировк", "будет удален",
  "будут удален", "приостановлен", "штраф", "арест", "уголовн", "судебн", "взыскан",
  "ограничение доступа", "аннулир",
};
static const char *const lure_phrases[] = {
  "компенсац", "вам положена", "вам начислен", "выигр", "возврат налог", "единовременн",
};

/* The text as the word lists read it: case-folded, ё as е, white space runs as one
 * space. */
static char *fold_text(const char *text, gsize len)
{
  g_autofree char *valid = g_utf8_make_valid(text, (gssize)len);
  g_autofree char *folded = g_utf8_casefold(valid, -1);
  GString *out = g_string_sized_new(strlen(folded));
  gboolean space = FALSE;
  for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
    gunichar ch = g_utf8_get_char(p);
    if (g_unichar_isspace(ch)) {
      space = TRUE;
      continue;
    }
    if (space && out->len > 0)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_unichar(out, ch == 0x0451 ? 0x0435 : ch);
  }
  return g_string_free(out, FALSE);
}

/* A request verb in the window around `hit` (120 bytes before, 60 after) that is not
 * negated ("не сообщайте"). */
static gboolean requested(const char *text, const char *hit)
{
  const char *b = hit - MIN((gsize)(hit - text), (gsize)120);
  gsize after = strnlen(hit, 60);
  g_autofree char *window = g_strndup(b, (gsize)(hit - b) + after);
  for (gsize i = 0; i < G_N_ELEMENTS(request_verbs); i++) {
    const char *v = window;
    while ((v = strstr(v, request_verbs[i]))) {
      gsize off = (gsize)(v - window);
      if (!(off >= 5 && memcmp(v - 5, "не ", 5) == 0))
        return TRUE;
      v += strlen(request_verbs[i]);
    }
  }
  return FALSE;
}

/* Where the first stem of `stems` is found (with a request verb near it when
 * `need_verb`), its length in *stem_len; NULL if none. */
static const char *find_stem(const char *text, const char *const *stems, gsize n, gboolean need_verb,
                             gsize *stem_len)
{
  for (gsize i = 0; i < n; i++) {
    const char *p = text;
    for (guint hits = 0; hits < STEM_HITS_MAX && (p = strstr(p, stems[i])); hits++) {
      *stem_len = strlen(stems[i]);
      if (!need_verb || requested(text, p))
        return p;
      p += strlen(stems[i]);
    }
  }
  return NULL;
}

/* "в течение 24 часов", "в течение 2 ч": a deadline counted in hours; where it
 * starts (and in *match_len its length up to the unit), NULL if none. */
static const char *hours_deadline(const char *text, gsize *match_len)
{
  const char *p = text;
  for (guint hits = 0; hits < STEM_HITS_MAX && (p = strstr(p, "в течение ")); hits++) {
    const char *q = p + strlen("в течение ");
    gboolean digits = FALSE;
    while (g_ascii_isdigit(*q) || *q == ' ' || *q == '-') {
      digits = digits || g_ascii_isdigit(*q);
      q++;
    }
    if (digits && (g_str_has_prefix(q, "час") || g_str_has_prefix(q, "ч ") || g_str_has_prefix(q, "ч."))) {
      *match_len = (gsize)(q - p) + strlen("ч");
      return p;
    }
    p = q;
  }
  return NULL;
}

/* The words at `hit` as the text has them, up to the end of the word where the
 * stem ends ("будет заблокир" gives "будет заблокирован"). Caller frees. */
static char *quote(const char *hit, const char *stem_end)
{
  const char *e = stem_end;
  while (*e && (gsize)(e - hit) < 80) {
    gunichar ch = g_utf8_get_char(e);
    if (!g_unichar_isalnum(ch) && ch != '-')
      break;
    e = g_utf8_next_char(e);
  }
  return g_strndup(hit, (gsize)(e - hit));
}

void check_words(Check *c, const char *subject, const char *text, gsize len)
{
  g_autofree char *joined = g_strconcat(subject, "\n", NULL);
  g_autofree char *all = NULL;
  const char *hit;
  gsize n = 0;
  {
    GString *s = g_string_new(joined);
    g_string_append_len(s, text, (gssize)len);
    all = fold_text(s->str, s->len);
    g_string_free(s, TRUE);
  }
  if (find_stem(all, password_stems, G_N_ELEMENTS(password_stems), TRUE, &n)) {
    c->asks_credentials = TRUE;
    add_reason(c, "asks_password", 4,
               "В письме просят ввести или сообщить пароль. Портал никогда не запрашивает "
               "пароль в письмах.");
  }
  if (find_stem(all, code_stems, G_N_ELEMENTS(code_stems), TRUE, &n)) {
    c->asks_credentials = TRUE;
    add_reason(c, "asks_code", 3,
               "В письме просят ввести или сообщить код из СМС. Никому не сообщайте такие коды.");
  }
  if (find_stem(all, card_stems, G_N_ELEMENTS(card_stems), TRUE, &n)) {
    c->asks_credentials = TRUE;
    add_reason(c, "asks_card", 4,
               "В письме просят данные банковской карты. Никому не сообщайте номер карты, "
               "срок её действия и код CVV/CVC.");
  }
  if ((hit = find_stem(all, confirm_phrases, G_N_ELEMENTS(confirm_phrases), FALSE, &n))) {
    g_autofree char *q = quote(hit, hit + n);
    c->asks_credentials = TRUE;
    add_reason(c, "asks_confirm_account", 3,
               "В письме просят подтвердить учётную запись или личные данные («%s»).", q);
  }
  if ((hit = find_stem(all, urgency_phrases, G_N_ELEMENTS(urgency_phrases), FALSE, &n)) ||
      (hit = hours_deadline(all, &n))) {
    g_autofree char *q = quote(hit, hit + n);
    add_reason(c, "urgency", 2, "Письмо торопит («%s»): так мошенники не дают времени подумать.", q);
  }
  if ((hit = find_stem(all, threat_phrases, G_N_ELEMENTS(threat_phrases), FALSE, &n))) {
    g_autofree char *q = quote(hit, hit + n);
    add_reason(c, "threat", 3, "Письмо пугает последствиями («%s»).", q);
  }
  if ((hit = find_stem(all, lure_phrases, G_N_ELEMENTS(lure_phrases), FALSE, &n))) {
    g_autofree char *q = quote(hit, hit + n);
    add_reason(c, "lure", 2, "Письмо обещает деньги или выплату («%s»).", q);
  }
}
