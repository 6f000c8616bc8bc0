/* citizen.c: okno's portal rules combined with rspamd's judgement for the citizen's check
 * (see citizen.h). The symbol families are fixed lists of rspamd 3.x symbol names and
 * name prefixes; each family gives one reason (a code once, phishing.h), whose Russian
 * text names what rspamd saw, not rspamd's internal names. */
#include "check/citizen.h"

#include <string.h>

typedef struct {
  const char *code;
  int weight;
  gboolean generic; /* says nothing the taught classifier does not weigh better: left
                     * out when it has judged the letter (citizen.h) */
  const char *text;
  const char *const *names; /* exact names; a name ending in '*' is a prefix */
} Family;

static const char *const phishing_names[] = {
  "PHISHED_OPENPHISH", "PHISHED_PHISHTANK", "PHISHED_GENERIC_SERVICE",
  "OMOGRAPH_URL", "FUZZY_DENIED", "FUZZY_OKNO_PHISH", "OKNO_REPORTED*", NULL,
};
static const char *const link_names[] = {"PHISHING", NULL};
static const char *const bayes_names[] = {"BAYES_SPAM", NULL};
static const char *const attachment_names[] = {
  "MIME_BAD_EXTENSION", "MIME_DOUBLE_BAD_EXTENSION", "MIME_BAD_ATTACHMENT",
  "MIME_ARCHIVE_IN_ARCHIVE", "MIME_EXE_IN_GEN_SPLIT_RAR", "MIME_OBFUSCATED_ARCHIVE",
  "BOGUS_ENCRYPTED_AND_TEXT", NULL,
};
static const char *const url_names[] = {
  "R_SUSPICIOUS_URL", "URL_IN_SUBJECT", "REDIRECTOR_URL", "HAS_ONION_URI", "HAS_IPFS_GATEWAY_URL",
  "HAS_GUC_PROXY_URI", "HAS_GOOGLE_REDIR", "HAS_GOOGLE_FIREBASE_URL", "WP_COMPROMISED",
  "PHP_SCRIPT_ROOT", "HAS_ANON_DOMAIN", "URI_HIDDEN_PATH", "SUSPICIOUS_URL_IN_SUSPICIOUS_MESSAGE",
  "HTTP_TO_IP", "HAS_IPFS_GATEWAY_URL", "URIBL_*", "DBL_*", "SURBL_*", "SEM_URIBL*", NULL,
};
static const char *const html_names[] = {
  "HTML_SHORT_LINK_IMG_*", "HTML_META_REFRESH_URL", "R_EMPTY_IMAGE", "ZERO_FONT",
  "MANY_INVISIBLE_PARTS", "HAS_DATA_URI", "DATA_URI_OBFU", "R_WHITE_ON_WHITE",
  "R_SUSPICIOUS_IMAGES", "FORGED_OUTLOOK_HTML", "HTTP_TO_HTTPS", NULL,
};
static const char *const header_names[] = {
  "FORGED_SENDER", "FORGED_RECIPIENTS", "FORGED_MUA_*", "FORGED_X_MAILER", "FAKE_REPLY",
  "SPOOF_DISPLAY_NAME", "SPOOF_REPLYTO", "HEADER_FORGED_MDN", "INVALID_MSGID", "MID_RHS_NOT_FQDN",
  "MISSING_DATE", "MISSING_MID", "DATE_IN_FUTURE", "FREEMAIL_REPLYTO_NEQ_FROM_DOM",
  "FROM_NEQ_DISPLAY_NAME", NULL,
};

static const Family families[] = {
  {"rspamd_phishing", 10, FALSE,
   "Фильтр спама и фишинга нашёл в письме признаки мошенничества: адрес или текст, уже "
   "известные как мошеннические, или адрес, подделанный под известный сайт.",
   phishing_names},
  {"rspamd_link", 6, TRUE,
   "Фильтр спама и фишинга нашёл в письме ссылку, которая показывает один адрес, а ведёт "
   "на другой.",
   link_names},
  {"rspamd_attachment", 6, FALSE,
   "Фильтр спама и фишинга считает вложение опасным: по названию или типу файла это может быть "
   "программа, которая заразит компьютер.",
   attachment_names},
  {"rspamd_url", 4, TRUE,
   "Ссылки в письме подозрительны: они ведут через сервисы перенаправления, на IP-адрес, "
   "на анонимные или известные мошеннические сайты.",
   url_names},
  {"rspamd_html", 2, TRUE,
   "Оформление письма скрывает его настоящее содержание (невидимый текст, картинка вместо "
   "текста, ссылки на картинках).",
   html_names},
  {"rspamd_headers", 2, TRUE,
   "Служебные заголовки письма подделаны или заполнены не так, как у обычной почты "
   "(отправитель, адрес для ответа, идентификатор письма, дата).",
   header_names},
};

static gboolean name_in(const char *name, const char *const *names)
{
  for (const char *const *n = names; *n; n++) {
    gsize m = strlen(*n);
    if ((*n)[m - 1] == '*' ? strncmp(name, *n, m - 1) == 0 : strcmp(name, *n) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean has_family(const OknoRspamdResult *rs, const char *const *names)
{
  for (guint i = 0; rs->symbols && i < rs->symbols->len; i++)
    if (name_in(g_ptr_array_index(rs->symbols, i), names))
      return TRUE;
  return FALSE;
}

static OknoRspamdResult *copy_result(const OknoRspamdResult *rs)
{
  OknoRspamdResult *c = g_new0(OknoRspamdResult, 1);
  c->score = rs->score;
  c->required_score = rs->required_score;
  c->action = g_strdup(rs->action ? rs->action : "");
  c->bayes_opinion = rs->bayes_opinion;
  c->bayes = rs->bayes;
  c->symbols = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; rs->symbols && i < rs->symbols->len; i++)
    g_ptr_array_add(c->symbols, g_strdup(g_ptr_array_index(rs->symbols, i)));
  return c;
}

/* okno's own signals that ordinary mail shows too (newsletters track their links, lists
 * set Reply-To, notices speak of accounts and deadlines): for a letter that does not
 * present itself as the portal's, they weigh nothing once rspamd's classifier has
 * judged it. Signals about the portal, dangerous attachments and every strong signal
 * (weight OKNO_PHISH_STRONG) always count. */
static const char *const generic_codes[] = {
  "link_text_mismatch", "link_ip_literal", "link_shortener", "link_outside_portal",
  "link_userinfo", "reply_to_differs", "asks_card", "asks_code", "asks_confirm_account",
  "asks_password", "lure", "threat", "urgency", NULL,
};

gboolean okno_rspamd_flags(const OknoRspamdResult *rs)
{
  return rs->score >= OKNO_RSPAMD_SUSPICIOUS || has_family(rs, phishing_names) ||
         has_family(rs, link_names) || has_family(rs, bayes_names);
}

void okno_phish_add_rspamd(OknoPhishResult *r, const OknoRspamdResult *rs)
{
  gboolean verified = r->portal_sender == OKNO_PORTAL_SENDER_VERIFIED;
  gboolean judged = rs->bayes_opinion;
  for (guint i = 0; i < G_N_ELEMENTS(families); i++)
    if ((!judged || !families[i].generic) && has_family(rs, families[i].names))
      okno_phish_add_reason(r, families[i].code, families[i].weight, families[i].text);
  if (rs->bayes >= OKNO_RSPAMD_BAYES_SPAM)
    okno_phish_add_reason(r, "rspamd_bayes", 6,
                          "Письмо похоже на спам и мошеннические письма, о которых нам уже "
                          "сообщали.");
  if (judged && r->portal_sender == OKNO_PORTAL_SENDER_NO)
    for (const char *const *c = generic_codes; *c; c++) {
      const OknoPhishReason *x = okno_phish_find(r, *c);
      if (x && x->weight < OKNO_PHISH_STRONG)
        okno_phish_set_weight(r, *c, 0);
    }
  if (!verified && rs->score >= OKNO_RSPAMD_DANGEROUS)
    okno_phish_add_reason(r, "rspamd_score", 10,
                          "Фильтр спама и фишинга оценил письмо как почти наверняка "
                          "мошенническое или рекламную рассылку.");
  okno_rspamd_result_free(r->rspamd);
  r->rspamd = copy_result(rs);
}

void okno_citizen_rspamd(OknoPhishResult *r, const OknoConfig *cfg, const char *raw, gsize len)
{
  OknoRspamdEnvelope env = {0};
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoRspamdResult) rs = NULL;
  if (!cfg->rspamd_url || !*cfg->rspamd_url)
    return;
  rs = okno_rspamd_check(cfg->rspamd_url, cfg->rspamd_timeout_ms, &env, raw, len, &err);
  if (!rs) {
    r->partial = TRUE;
    return;
  }
  okno_phish_add_rspamd(r, rs);
}

OknoPhishResult *okno_citizen_check(const OknoMessage *msg, const char *raw, gsize len,
                                    const OknoConfig *cfg)
{
  OknoPhishResult *r = okno_phishing_check(msg, raw, len, cfg);
  okno_citizen_rspamd(r, cfg, raw, len);
  return r;
}

gboolean okno_rspamd_teach(const OknoConfig *cfg, gboolean spam, const void *data, gsize len,
                           GError **error)
{
  g_autoptr(GError) fuzzy_err = NULL;
  gboolean ok;
  if (!cfg->rspamd_controller_url || !*cfg->rspamd_controller_url)
    return TRUE;
  ok = okno_rspamd_learn(cfg->rspamd_controller_url, cfg->rspamd_password, cfg->rspamd_timeout_ms,
                         spam, data, len, error);
  if (spam && !okno_rspamd_fuzzy_add(cfg->rspamd_controller_url, cfg->rspamd_password,
                                     cfg->rspamd_timeout_ms, OKNO_RSPAMD_FUZZY_SPAM, data, len,
                                     &fuzzy_err)) {
    if (ok)
      g_propagate_error(error, g_steal_pointer(&fuzzy_err));
    ok = FALSE;
  }
  return ok;
}
