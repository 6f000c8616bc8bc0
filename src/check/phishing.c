/* phishing.c: the phishing check behind `okno check-mail` (see phishing.h).
 *
 * How it works: one Check walks the message in five passes, each adding reasons
 * (code, weight, a Russian sentence) through add_reason(), which keeps one reason per
 * code (the heaviest example wins):
 *   1. raw headers: a hand-written scan of the header block (unfolded, capped) keeps
 *      Return-Path and the Authentication-Results headers; only the topmost one whose
 *      authserv-id is our [smtp] hostname is believed (RFC 8601 section 5);
 *   2. sender: From, Reply-To and Return-Path domains through lookalike.h, the display
 *      name against the portal's names, and the portal claim against the results;
 *   3. links: URLs in the text (http://, https://, www.), html2text's "text (href)"
 *      pairs for the shown text, each host judged;
 *   4. attachments: names, libmagic types, macro markers, ZIP member names; then a
 *      second GMime parse of the raw bytes, only for messages with attachments or
 *      with an HTML rendering the decoded record dropped (it prefers plain text), for
 *      the file names as sent (the record drops bidi controls) and the links of that
 *      HTML (what a mail client shows and a click follows);
 *   5. words: the text case-folded with ё read as е, matched against short lists of
 *      Russian stems; a request counts only with a request verb near the object, not
 *      negated («никому не сообщайте код» is advice, not a request).
 * The verdict comes from the weights (phishing.h). Every loop over untrusted data is
 * capped (header bytes, header values, links, stem occurrences, ZIP entries). */
#include "check/phishing.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <string.h>

#include "check/lookalike.h"
#include "mail/charset.h"
#include "mail/html2text.h"

#define HEADER_SCAN_MAX (1024 * 1024) /* bytes of header block read */
#define HEADER_VALUE_MAX 4096         /* bytes kept of one header value */
#define AUTH_RESULTS_MAX 16           /* Authentication-Results headers kept */
#define TEXT_SCAN_MAX (1024 * 1024)   /* bytes of body text read */
#define LINKS_MAX 256
#define URL_MAX 2048
#define STEM_HITS_MAX 64              /* occurrences of one stem examined */
#define ZIP_ENTRIES_MAX 1024
#define HTML_SCAN_MAX (1024 * 1024)   /* bytes of dropped HTML renderings read */
#define RAW_DEPTH_MAX 16              /* nesting walked in the raw parts */
#define RAW_PARTS_MAX 256

/* --- reasons ------------------------------------------------------------------- */

typedef struct {
  const OknoMessage *msg;
  const OknoConfig *cfg;
  OknoPortalSet *portal;
  OknoPhishResult *res;
  gboolean claims_portal;      /* From/display name present the letter as the portal's */
  gboolean asks_credentials;
  char *outside_host;          /* first link host that is not the portal's */
} Check;

static void reason_free(gpointer p)
{
  OknoPhishReason *r = p;
  g_free(r->text);
  g_free(r);
}

static void add_reason(Check *c, const char *code, int weight, const char *fmt, ...)
  G_GNUC_PRINTF(4, 5);

static void add_reason(Check *c, const char *code, int weight, const char *fmt, ...)
{
  va_list ap;
  OknoPhishReason *r = (OknoPhishReason *)okno_phish_find(c->res, code);
  if (r && r->weight >= weight)
    return;
  if (!r) {
    r = g_new0(OknoPhishReason, 1);
    r->code = code;
    g_ptr_array_add(c->res->reasons, r);
  }
  g_free(r->text);
  va_start(ap, fmt);
  r->text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  r->weight = weight;
}

/* --- raw headers --------------------------------------------------------------- */

/* TRUE when `needle` (lowercase ASCII) occurs in the `len` bytes at `hay`, ASCII case
 * ignored. */
static gboolean mem_find_ci(const char *hay, gsize len, const char *needle)
{
  gsize n = strlen(needle);
  for (gsize i = 0; i + n <= len; i++)
    if (g_ascii_tolower(hay[i]) == needle[0] && g_ascii_strncasecmp(hay + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  GPtrArray *auth_results; /* of char*, in header order (topmost first) */
  char *return_path;
} RawHeaders;

static void raw_headers_clear(RawHeaders *h)
{
  g_ptr_array_unref(h->auth_results);
  g_free(h->return_path);
}

/* Scans the header block (up to the first empty line) for the two headers we need,
 * unfolding continuation lines; values are capped at HEADER_VALUE_MAX. */
static void scan_headers(const char *raw, gsize len, RawHeaders *h)
{
  const char *p = raw, *end = raw + MIN(len, (gsize)HEADER_SCAN_MAX);
  GString *cur = NULL; /* value being collected, NULL when the header is not ours */
  gboolean cur_is_auth = FALSE;

  h->auth_results = g_ptr_array_new_with_free_func(g_free);
  h->return_path = NULL;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *eol = nl ? nl : end;
    gsize n = (gsize)(eol - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n == 0 || p[0] == ' ' || p[0] == '\t') {
      if (n == 0)
        break;
      if (cur && cur->len + n + 1 <= HEADER_VALUE_MAX) {
        g_string_append_c(cur, ' ');
        g_string_append_len(cur, p, (gssize)n);
      }
    } else {
      if (cur) {
        if (cur_is_auth)
          g_ptr_array_add(h->auth_results, g_string_free(cur, FALSE));
        else
          h->return_path = g_string_free(cur, FALSE);
        cur = NULL;
      }
      if (n > 23 && g_ascii_strncasecmp(p, "authentication-results:", 23) == 0 &&
          h->auth_results->len < AUTH_RESULTS_MAX) {
        cur_is_auth = TRUE;
        cur = g_string_new_len(p + 23, (gssize)MIN(n - 23, (gsize)HEADER_VALUE_MAX));
      } else if (n > 12 && g_ascii_strncasecmp(p, "return-path:", 12) == 0 && !h->return_path) {
        cur_is_auth = FALSE;
        cur = g_string_new_len(p + 12, (gssize)MIN(n - 12, (gsize)HEADER_VALUE_MAX));
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  if (cur) {
    if (cur_is_auth)
      g_ptr_array_add(h->auth_results, g_string_free(cur, FALSE));
    else
      h->return_path = g_string_free(cur, FALSE);
  }
}

/* What one trusted Authentication-Results header says. */
typedef struct {
  gboolean present;
  char *dmarc;          /* result ("pass", "fail", ...), NULL if not given */
  char *dmarc_from;     /* header.from, NULL if not given */
  GPtrArray *dkim_pass; /* of char*: header.d (or the domain of header.i) of passes */
} Auth;

static void auth_clear(Auth *a)
{
  g_free(a->dmarc);
  g_free(a->dmarc_from);
  g_ptr_array_unref(a->dkim_pass);
}

/* The value with RFC 5322 comments removed and quoted strings kept as they are. */
static char *strip_comments(const char *v)
{
  GString *out = g_string_new(NULL);
  int depth = 0;
  gboolean quoted = FALSE;
  for (const char *p = v; *p; p++) {
    if (*p == '\\' && p[1]) {
      if (depth == 0)
        g_string_append_len(out, p, 2);
      p++;
    } else if (quoted) {
      g_string_append_c(out, *p);
      quoted = *p != '"';
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')' && depth > 0) {
      depth--;
    } else if (depth == 0) {
      g_string_append_c(out, *p);
      quoted = *p == '"';
    }
  }
  return g_string_free(out, FALSE);
}

/* Reads the topmost header whose authserv-id is `authserv_id` into *a. */
static void parse_auth(const RawHeaders *h, const char *authserv_id, Auth *a)
{
  memset(a, 0, sizeof *a);
  a->dkim_pass = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < h->auth_results->len && !a->present; i++) {
    g_autofree char *clean = strip_comments(g_ptr_array_index(h->auth_results, i));
    g_auto(GStrv) parts = g_strsplit(clean, ";", 64);
    g_auto(GStrv) id = NULL;
    if (!parts[0])
      continue;
    id = g_strsplit_set(g_strstrip(parts[0]), " \t", 2);
    if (!id[0] || !authserv_id || g_ascii_strcasecmp(id[0], authserv_id) != 0)
      continue;
    a->present = TRUE;
    for (char **res = parts + 1; *res; res++) {
      g_auto(GStrv) tok = g_strsplit_set(g_strstrip(*res), " \t", 32);
      char *eq, *method, *result;
      const char *domain = NULL;
      if (!tok[0] || !(eq = strchr(tok[0], '=')))
        continue;
      *eq = '\0';
      method = g_ascii_strdown(tok[0], -1);
      result = g_ascii_strdown(eq + 1, -1);
      for (char **t = tok + 1; *t; t++) {
        if (g_ascii_strncasecmp(*t, "header.d=", 9) == 0 || g_ascii_strncasecmp(*t, "header.from=", 12) == 0)
          domain = strchr(*t, '=') + 1;
        else if (g_ascii_strncasecmp(*t, "header.i=", 9) == 0 && !domain)
          domain = strchr(*t, '@') ? strchr(*t, '@') + 1 : *t + 9;
      }
      if (strcmp(method, "dmarc") == 0 && !a->dmarc) {
        a->dmarc = g_strdup(result);
        a->dmarc_from = domain ? g_ascii_strdown(domain, -1) : NULL;
      } else if (strcmp(method, "dkim") == 0 && strcmp(result, "pass") == 0 && domain) {
        g_ptr_array_add(a->dkim_pass, g_ascii_strdown(domain, -1));
      }
      g_free(method);
      g_free(result);
    }
  }
}

/* --- sender -------------------------------------------------------------------- */

static const char *domain_of(const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  return at && at[1] ? at + 1 : NULL;
}

/* The address inside a Return-Path value ("<a@b>" or "a@b"); NULL for "<>". */
static char *return_path_domain(const char *value)
{
  g_autofree char *v = g_strstrip(g_strdup(value));
  char *lt = strchr(v, '<'), *gt;
  const char *d;
  if (lt) {
    gt = strchr(lt, '>');
    if (gt)
      *gt = '\0';
  }
  d = domain_of(lt ? lt + 1 : v);
  return d ? g_strdup(d) : NULL;
}

static gboolean same_registrable(const char *a, const char *b)
{
  g_autofree char *ra = okno_host_registrable(a);
  g_autofree char *rb = okno_host_registrable(b);
  return *ra && g_ascii_strcasecmp(ra, rb) == 0;
}

/* TRUE when two domain names are the same once brought to ASCII (punycode) form. */
static gboolean same_host(const char *a, const char *b)
{
  g_autofree char *aa = g_hostname_to_ascii(a);
  g_autofree char *ab = g_hostname_to_ascii(b);
  return aa && ab && g_ascii_strcasecmp(aa, ab) == 0;
}

/* Reasons every judged domain may give besides a lookalike: bad IDN, mixed scripts. */
static void idn_reasons(Check *c, const OknoHostJudgement *j)
{
  if (j->invalid_idn)
    add_reason(c, "domain_invalid_idn", 4,
               "В адресе %s есть искажённая международная запись домена (xn--). "
               "У настоящих сайтов и почтовых адресов такого не бывает.", j->display);
  if (j->mixed_script && j->kind == OKNO_HOST_OTHER)
    add_reason(c, "domain_mixed_script", 6,
               "В адресе %s смешаны буквы разных алфавитов (например, латинские и русские). "
               "Так подделывают известные адреса.", j->display);
}

/* TRUE when the display name names the portal: the configured portal name, or a
 * domain or domain label of it (lookalike.h compares skeletons, so a Latin «c» in
 * «Гоcуслуги» does not hide it). */
static gboolean name_claims_portal(const Check *c, const char *name)
{
  g_autofree char *skel = NULL;
  g_autofree char *pname = NULL;
  if (!name || !*name)
    return FALSE;
  skel = okno_skeleton(name);
  pname = okno_skeleton(c->cfg->portal_name ? c->cfg->portal_name : "");
  return (*pname && strstr(skel, pname)) || okno_portal_named_in(c->portal, name);
}

static void check_sender(Check *c, const RawHeaders *h)
{
  const char *from = domain_of(c->msg->from_email);
  const char *reply = domain_of(c->msg->reply_to_email);
  g_autofree char *rpath = h->return_path ? return_path_domain(h->return_path) : NULL;
  OknoHostJudgement jf = {0}, jr = {0}, jp = {0};
  gboolean from_portal = FALSE;

  if (from) {
    okno_host_judge(from, c->portal, &jf);
    idn_reasons(c, &jf);
    from_portal = jf.kind == OKNO_HOST_PORTAL;
    if (okno_host_kind_is_lookalike(jf.kind)) {
      c->claims_portal = TRUE;
      add_reason(c, "sender_lookalike", 10,
                 "Адрес отправителя (%s) похож на адрес портала (%s), но не совпадает с ним. "
                 "Так маскируются мошенники.", jf.display, jf.portal_domain);
    }
  }
  if (from_portal) {
    Auth a;
    gboolean verified = FALSE;
    parse_auth(h, c->cfg->hostname, &a);
    c->claims_portal = TRUE;
    if (a.dmarc && strcmp(a.dmarc, "pass") == 0 &&
        (!a.dmarc_from || same_host(a.dmarc_from, from)))
      verified = TRUE;
    for (guint i = 0; i < a.dkim_pass->len && !verified; i++)
      verified = same_registrable(g_ptr_array_index(a.dkim_pass, i), from);
    if (verified) {
      c->res->portal_sender = OKNO_PORTAL_SENDER_VERIFIED;
      add_reason(c, "portal_verified", 0,
                 "Подлинность подтверждена: письмо действительно отправлено с адреса портала (%s).",
                 from);
    } else if (a.dmarc && strcmp(a.dmarc, "fail") == 0) {
      add_reason(c, "auth_dmarc_fail", 10,
                 "Письмо подписано адресом портала (%s), но проверка подлинности (DMARC) "
                 "показала, что портал его не отправлял. Это подделка.", from);
    } else if (a.present) {
      add_reason(c, "auth_not_verified", 4,
                 "Письмо отправлено от имени портала (%s), но проверка подлинности "
                 "(DMARC, DKIM) этого не подтвердила.", from);
    } else {
      add_reason(c, "auth_missing", 2,
                 "Письмо отправлено от имени портала (%s), но проверить, что его отправил "
                 "именно портал, не удалось: в письме нет результатов проверки подлинности.", from);
    }
    auth_clear(&a);
  } else if (name_claims_portal(c, c->msg->from_name)) {
    c->claims_portal = TRUE;
    if (!okno_host_kind_is_lookalike(jf.kind))
      add_reason(c, "display_name_claims_portal", 6,
                 "Отправитель называет себя «%s», но письмо пришло с адреса %s, "
                 "который не принадлежит порталу.", c->msg->from_name,
                 *c->msg->from_email ? c->msg->from_email : "без обратного адреса");
  }
  if (c->claims_portal && c->res->portal_sender == OKNO_PORTAL_SENDER_NO)
    c->res->portal_sender = OKNO_PORTAL_SENDER_UNVERIFIED;

  if (reply && (!from || !same_registrable(reply, from))) {
    okno_host_judge(reply, c->portal, &jr);
    idn_reasons(c, &jr);
    if (okno_host_kind_is_lookalike(jr.kind))
      add_reason(c, "reply_to_lookalike", 10,
                 "Ответ на это письмо уйдёт на адрес %s: он похож на адрес портала (%s), но чужой.",
                 c->msg->reply_to_email, jr.portal_domain);
    else if (jr.kind != OKNO_HOST_PORTAL)
      add_reason(c, "reply_to_differs", c->claims_portal ? 6 : 3,
                 "Ответ на это письмо уйдёт не отправителю, а на другой адрес: %s.",
                 c->msg->reply_to_email);
  }
  if (rpath) {
    okno_host_judge(rpath, c->portal, &jp);
    idn_reasons(c, &jp);
    if (okno_host_kind_is_lookalike(jp.kind))
      add_reason(c, "return_path_lookalike", 10,
                 "Служебный адрес отправителя (Return-Path) %s похож на адрес портала (%s), "
                 "но не совпадает с ним.", jp.display, jp.portal_domain);
  }
  okno_host_judgement_clear(&jf);
  okno_host_judgement_clear(&jr);
  okno_host_judgement_clear(&jp);
}

/* --- links --------------------------------------------------------------------- */

static const char *const shorteners[] = {
  "bit.ly", "clck.ru", "tinyurl.com", "goo.su", "goo.gl", "t.co", "cutt.ly", "is.gd",
  "ow.ly", "vk.cc", "u.to", "rebrand.ly", "shorturl.at", "tiny.cc", "bitly.com", "v.gd",
  "qps.ru", "to.click", "s.id", "rb.gy",
};

/* A link's parts: host (lowercase, no port), userinfo, query. */
typedef struct {
  char *host;
  char *userinfo;   /* NULL if none */
  char *query;      /* NULL if none */
  gboolean ip;
} Url;

static void url_clear(Url *u)
{
  g_free(u->host);
  g_free(u->userinfo);
  g_free(u->query);
}

/* An IP literal: what g_hostname_is_ip_address() accepts, or what browsers read as
 * an IPv4 address: one to four dot-separated numbers, decimal or 0x-hex
 * (http://3405803821/, http://0xcb.0x0.0x71.0x2d/). */
static gboolean looks_numeric_host(const char *h)
{
  g_auto(GStrv) parts = NULL;
  guint n;
  if (g_hostname_is_ip_address(h))
    return TRUE;
  parts = g_strsplit(h, ".", 5);
  n = g_strv_length(parts);
  if (n == 0 || n > 4)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    const char *p = parts[i];
    gboolean hex = g_ascii_strncasecmp(p, "0x", 2) == 0;
    if (hex)
      p += 2;
    if (!*p)
      return FALSE;
    for (; *p; p++)
      if (!(hex ? g_ascii_isxdigit(*p) : g_ascii_isdigit(*p)))
        return FALSE;
  }
  return TRUE;
}

/* Splits `s` (a URL with or without scheme, or a bare domain) into parts; FALSE when
 * it has no plausible host. */
static gboolean url_parse(const char *s, Url *u)
{
  const char *p = strstr(s, "://");
  const char *auth = p ? p + 3 : s;
  gsize alen = strcspn(auth, "/?#\\");
  g_autofree char *authority = g_strndup(auth, alen);
  char *at = strrchr(authority, '@');
  char *host = at ? at + 1 : authority;
  const char *q = strchr(auth + alen, '?');

  memset(u, 0, sizeof *u);
  if (at) {
    *at = '\0';
    u->userinfo = g_strdup(authority);
  }
  if (host[0] == '[') {
    char *rb = strchr(host, ']');
    if (rb)
      *rb = '\0';
    host++;
    u->ip = TRUE;
  } else {
    char *colon = strchr(host, ':');
    if (colon)
      *colon = '\0';
  }
  u->host = g_utf8_strdown(host, -1);
  while (*u->host && u->host[strlen(u->host) - 1] == '.')
    u->host[strlen(u->host) - 1] = '\0';
  if (!u->ip)
    u->ip = looks_numeric_host(u->host);
  if (q)
    u->query = g_strndup(q + 1, strcspn(q + 1, "#"));
  if (!*u->host || (!u->ip && !strchr(u->host, '.'))) {
    url_clear(u);
    return FALSE;
  }
  return TRUE;
}

static gboolean is_shortener(const char *host)
{
  for (gsize i = 0; i < G_N_ELEMENTS(shorteners); i++) {
    gsize lh = strlen(host), ls = strlen(shorteners[i]);
    if (strcmp(host, shorteners[i]) == 0 ||
        (lh > ls && host[lh - ls - 1] == '.' && strcmp(host + lh - ls, shorteners[i]) == 0))
      return TRUE;
  }
  return FALSE;
}

/* TRUE when a query string carries another URL (an open redirect's target). */
static gboolean query_carries_url(const char *query)
{
  static const char *const marks[] = {"http:", "https:", "http%3a", "https%3a", "%2f%2f", "=//"};
  g_autofree char *q = g_ascii_strdown(query, -1);
  for (gsize i = 0; i < G_N_ELEMENTS(marks); i++)
    if (strstr(q, marks[i]))
      return TRUE;
  return FALSE;
}

/* Judges one link; `shown` is the text shown for it (html2text's "text (href)"), or
 * NULL. */
static void check_link(Check *c, const char *href, const char *shown)
{
  Url u;
  OknoHostJudgement j;
  if (!url_parse(href, &u))
    return;
  okno_host_judge(u.host, c->portal, &j);
  idn_reasons(c, &j);
  if (j.kind == OKNO_HOST_PORTAL) {
    if (u.query && query_carries_url(u.query))
      add_reason(c, "link_open_redirect", 6,
                 "Ссылка начинается с адреса портала (%s), но перенаправляет на другой сайт. "
                 "Так мошенники прячут настоящий адрес.", j.display);
  } else {
    if (!c->outside_host)
      c->outside_host = g_strdup(j.display);
    if (okno_host_kind_is_lookalike(j.kind))
      add_reason(c, "link_lookalike", 10,
                 "Ссылка ведёт на сайт %s, который похож на портал (%s), но им не является.",
                 j.display, j.portal_domain);
    if (is_shortener(u.host))
      add_reason(c, "link_shortener", 4,
                 "Ссылка сокращена сервисом %s, поэтому настоящий адрес скрыт.", j.display);
    if (u.ip)
      add_reason(c, "link_ip_literal", 6,
                 "Ссылка ведёт не на имя сайта, а на числовой адрес %s. "
                 "Официальные сайты так не делают.", u.host);
    if (c->claims_portal)
      add_reason(c, "link_outside_portal", 3,
                 "Письмо отправлено от имени портала, но ведёт на сторонний сайт %s.", j.display);
  }
  if (u.userinfo && *u.userinfo)
    add_reason(c, "link_userinfo", 6,
               "Ссылка оформлена обманчиво: написанное до знака «@» (%s) ничего не значит, "
               "на самом деле она ведёт на %s.", u.userinfo, j.display);
  if (shown) {
    Url s;
    if (url_parse(shown, &s)) {
      if (!same_registrable(s.host, u.host) && strcmp(s.host, u.host) != 0) {
        OknoHostJudgement js;
        okno_host_judge(s.host, c->portal, &js);
        add_reason(c, "link_text_mismatch",
                   js.kind == OKNO_HOST_PORTAL && j.kind != OKNO_HOST_PORTAL ? 10 : 6,
                   "Текст ссылки показывает адрес %s, а на самом деле она ведёт на %s.",
                   js.display, j.display);
        okno_host_judgement_clear(&js);
      }
      url_clear(&s);
    }
  }
  okno_host_judgement_clear(&j);
  url_clear(&u);
}

/* TRUE when `token` reads as a URL or a domain name (shown link text). */
static gboolean looks_like_address(const char *token)
{
  if (strstr(token, "://") || g_ascii_strncasecmp(token, "www.", 4) == 0)
    return TRUE;
  if (!strchr(token, '.'))
    return FALSE;
  /* a domain-like token ends in a label of letters: "gosuslugi.ru", "сайт.рф/путь" */
  {
    g_autofree char *host = g_strndup(token, strcspn(token, "/?#"));
    const char *last = strrchr(host, '.');
    glong n = last ? g_utf8_strlen(last + 1, -1) : 0;
    if (n < 2)
      return FALSE;
    for (const char *p = last + 1; *p; p = g_utf8_next_char(p))
      if (!g_unichar_isalpha(g_utf8_get_char(p)))
        return FALSE;
    return TRUE;
  }
}

static gboolean url_stop(const char *p, gboolean in_parens)
{
  guint8 ch = (guint8)*p;
  if (ch == '\0' || g_ascii_isspace(ch) || ch == '<' || ch == '>' || ch == '"' || ch == '\'' ||
      ch == '`' || (in_parens && ch == ')'))
    return TRUE;
  /* « and » (C2 AB, C2 BB) end a URL written in Russian text */
  return ch == 0xC2 && ((guint8)p[1] == 0xAB || (guint8)p[1] == 0xBB);
}

static void check_links(Check *c, const char *text, gsize len)
{
  guint found = 0;
  for (gsize i = 0; i < len && found < LINKS_MAX; i++) {
    const char *p = text + i;
    gsize n;
    gboolean in_parens;
    g_autofree char *href = NULL;
    g_autofree char *shown = NULL;
    if (i > 0 && (g_ascii_isalnum(text[i - 1]) || text[i - 1] == '/' || text[i - 1] == '.'))
      continue;
    if (g_ascii_strncasecmp(p, "http://", 7) != 0 && g_ascii_strncasecmp(p, "https://", 8) != 0 &&
        g_ascii_strncasecmp(p, "www.", 4) != 0)
      continue;
    in_parens = i > 0 && text[i - 1] == '(';
    for (n = 0; n < URL_MAX && i + n < len && !url_stop(p + n, in_parens); n++)
      ;
    while (n > 0 && strchr(".,;:!?", p[n - 1]))
      n--;
    href = g_strndup(p, n);
    if (in_parens && i >= 2 && text[i - 2] == ' ') {
      /* html2text's "text (href)": the shown text's last word, if it is an address */
      gsize e = i - 2, b = e;
      while (b > 0 && !g_ascii_isspace(text[b - 1]) && e - b < URL_MAX)
        b--;
      shown = g_strndup(text + b, e - b);
      if (!looks_like_address(shown))
        g_clear_pointer(&shown, g_free);
    }
    check_link(c, href, shown);
    found++;
    i += n > 0 ? n - 1 : 0;
  }
}

/* --- attachments --------------------------------------------------------------- */

static const char *const exec_exts[] = {
  "exe", "scr", "js", "jse", "vbs", "vbe", "bat", "cmd", "ps1", "jar", "lnk", "hta", "iso",
  "img", "com", "pif", "msi", "wsf", "cpl", "reg", "vhd",
};
static const char *const exec_types[] = {
  "application/x-dosexec", "application/x-msdownload", "application/x-executable",
  "application/x-sharedlib", "application/x-pie-executable", "application/x-mach-binary",
  "application/vnd.microsoft.portable-executable", "application/x-ms-shortcut",
  "application/x-iso9660-image", "application/java-archive", "application/x-java-archive",
  "text/x-shellscript", "application/x-shellscript", "text/javascript",
  "application/javascript", "text/x-msdos-batch", "application/x-bat", "application/hta",
  "application/x-ms-ne-executable", "text/vbscript",
};
static const char *const macro_exts[] = {"docm", "xlsm", "pptm", "dotm", "xltm", "xlam", "ppsm"};
static const char *const document_exts[] = {
  "pdf", "doc", "docx", "xls", "xlsx", "rtf", "odt", "txt", "jpg", "jpeg", "png", "zip", "rar",
};
static const char *const office_exts[] = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "docm", "xlsm", "pptm"};
static const char *const archive_exts[] = {"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "cab", "arj"};
static const char *const archive_types[] = {
  "application/zip", "application/x-rar", "application/vnd.rar", "application/x-rar-compressed",
  "application/x-7z-compressed", "application/gzip", "application/x-gzip", "application/x-tar",
  "application/x-bzip2", "application/x-xz", "application/vnd.ms-cab-compressed",
};

static gboolean in_list(const char *s, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp(s, list[i]) == 0)
      return TRUE;
  return FALSE;
}
#define IN(s, list) in_list((s), (list), G_N_ELEMENTS(list))

/* The extension of `name` (after the last dot, "" if none) and, through *prev, the one
 * before it (spaces before the last dot ignored: "справка.pdf   .exe"). */
static char *extensions(const char *name, char **prev)
{
  const char *last = strrchr(name, '.');
  *prev = NULL;
  if (!last)
    return g_strdup("");
  {
    g_autofree char *stem = g_strndup(name, (gsize)(last - name));
    const char *pd;
    g_strchomp(stem);
    pd = strrchr(stem, '.');
    if (pd && pd[1])
      *prev = g_strdup(pd + 1);
  }
  return g_strdup(last + 1);
}

static gboolean bytes_contain(GBytes *data, const void *needle, gsize n)
{
  gsize len = 0;
  const guint8 *d = g_bytes_get_data(data, &len);
  return d && len >= n && memmem(d, len, needle, n) != NULL;
}

/* Reads a ZIP archive's central directory records (names are stored in the clear):
 * the first member whose name has an executable extension (NULL if none), and
 * whether any member is encrypted (general purpose flag bit 0). */
static char *zip_look_inside(GBytes *data, gboolean *encrypted)
{
  gsize len = 0;
  const guint8 *d = g_bytes_get_data(data, &len);
  const guint8 *p = d, *end = d ? d + len : NULL;
  char *exec_member = NULL;
  guint seen = 0;
  *encrypted = FALSE;
  while (p && seen < ZIP_ENTRIES_MAX && (gsize)(end - p) >= 46 &&
         (p = memmem(p, (gsize)(end - p), "PK\x01\x02", 4)) && (gsize)(end - p) >= 46) {
    gsize nlen = (gsize)p[28] | ((gsize)p[29] << 8);
    seen++;
    *encrypted = *encrypted || (p[8] & 1);
    if (!exec_member && (gsize)(end - p) - 46 >= nlen && nlen > 0) {
      g_autofree char *raw = g_strndup((const char *)p + 46, nlen);
      g_autofree char *name = g_utf8_make_valid(raw, -1);
      g_autofree char *prev = NULL;
      g_autofree char *ext = extensions(name, &prev);
      if (IN(ext, exec_exts))
        exec_member = g_steal_pointer(&name);
    }
    p += 4;
  }
  return exec_member;
}

static void check_attachment(Check *c, const OknoAttachment *a)
{
  g_autofree char *prev = NULL;
  g_autofree char *ext = extensions(a->filename, &prev);
  gboolean exec = IN(ext, exec_exts) || IN(a->content_type, exec_types);
  /* OOXML and ODF documents are ZIP files: libmagic may call them application/zip */
  gboolean archive = IN(ext, archive_exts) || (IN(a->content_type, archive_types) && !IN(ext, office_exts));
  static const char vba_ole[] = "_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T";

  if (exec && prev && IN(prev, document_exts))
    add_reason(c, "attachment_double_extension", 10,
               "Имя вложения «%s» маскирует программу под документ: настоящее расширение — "
               "«.%s». Не открывайте его.", a->filename, ext);
  if (exec)
    add_reason(c, "attachment_executable", 10,
               "Вложение «%s» — это программа или сценарий. Не открывайте его: "
               "оно может заразить компьютер.", a->filename);
  if (IN(ext, macro_exts) || bytes_contain(a->data, "vbaProject.bin", 14) ||
      bytes_contain(a->data, vba_ole, sizeof vba_ole - 1))
    add_reason(c, "attachment_macro", 6,
               "Вложение «%s» — документ с макросами (встроенными программами). "
               "Не разрешайте запуск макросов.", a->filename);
  if (archive && !exec) {
    gboolean encrypted = FALSE;
    g_autofree char *member = zip_look_inside(a->data, &encrypted);
    add_reason(c, "attachment_archive", 3,
               "Вложение «%s» — архив. Содержимое архива не видно заранее; "
               "открывайте его, только если вы его ждали.", a->filename);
    if (member)
      add_reason(c, "attachment_executable", 10,
                 "В архиве «%s» лежит программа или сценарий «%s». Не открывайте его: "
                 "оно может заразить компьютер.", a->filename, member);
    if (encrypted)
      add_reason(c, "attachment_encrypted_archive", 6,
                 "Архив «%s» защищён паролем: так вредоносные программы прячут от антивируса.",
                 a->filename);
  }
}

/* Bidi controls that reverse how a name reads (U+202A..U+202E, U+2066..U+2069). */
static gboolean has_bidi_control(const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar ch = g_utf8_get_char(p);
    if ((ch >= 0x202A && ch <= 0x202E) || (ch >= 0x2066 && ch <= 0x2069))
      return TRUE;
  }
  return FALSE;
}

/* The raw parts walk: file names as sent (bidi controls) and, when the body text came
 * from a plain part, the hrefs of the HTML renderings the decoded record dropped. */
typedef struct {
  Check *c;
  gboolean want_html;
  gsize html_bytes;  /* decoded HTML read so far, capped at HTML_SCAN_MAX */
  guint parts;       /* parts visited, capped at RAW_PARTS_MAX */
} RawWalk;

static void raw_leaf(RawWalk *w, GMimePart *part)
{
  const char *fn = g_mime_part_get_filename(part);
  GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
  if (fn) {
    g_autofree char *valid = g_utf8_make_valid(fn, -1);
    if (has_bidi_control(valid)) {
      GString *shown = g_string_new(NULL);
      for (const char *p = valid; *p; p = g_utf8_next_char(p))
        if (g_unichar_type(g_utf8_get_char(p)) != G_UNICODE_FORMAT)
          g_string_append_unichar(shown, g_utf8_get_char(p));
      add_reason(w->c, "attachment_rlo", 10,
                 "В имени вложения «%s» спрятан символ, переворачивающий текст: настоящее "
                 "расширение файла не то, что видно. Не открывайте его.", shown->str);
      g_string_free(shown, TRUE);
    }
  } else if (w->want_html && ct && g_mime_content_type_is_type(ct, "text", "html") &&
             w->html_bytes < HTML_SCAN_MAX) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
    g_autofree char *utf8 = NULL;
    g_autofree char *text = NULL;
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    if (content)
      g_mime_data_wrapper_write_to_stream(content, mem);
    g_object_unref(mem);
    if (bytes->len > HTML_SCAN_MAX - w->html_bytes)
      g_byte_array_set_size(bytes, (guint)(HTML_SCAN_MAX - w->html_bytes));
    w->html_bytes += bytes->len;
    utf8 = okno_charset_to_utf8((const char *)bytes->data, bytes->len,
                                g_mime_content_type_get_parameter(ct, "charset"));
    text = okno_html_to_text(utf8, strlen(utf8));
    check_links(w->c, text, strlen(text));
  }
}

static void raw_walk(RawWalk *w, GMimeObject *obj, guint depth)
{
  if (!obj || depth > RAW_DEPTH_MAX || ++w->parts > RAW_PARTS_MAX)
    return;
  if (GMIME_IS_MULTIPART(obj)) {
    int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
    for (int i = 0; i < n; i++)
      raw_walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), depth + 1);
  } else if (GMIME_IS_PART(obj)) {
    raw_leaf(w, GMIME_PART(obj));
  }
}

/* Parses the raw message again with GMime (the decoded record keeps neither) when it
 * has attachments or may hold a dropped HTML rendering; skipped when the first parse
 * ran out of budget. */
static void check_raw_parts(Check *c, const char *raw, gsize len)
{
  RawWalk w = {.c = c};
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *message;
  w.want_html = !c->msg->text_from_html && *c->msg->text && mem_find_ci(raw, len, "text/html");
  if (c->msg->budget_exceeded || (c->msg->attachments->len == 0 && !w.want_html))
    return;
  okno_mime_init();
  stream = g_mime_stream_mem_new_with_buffer(raw, len);
  parser = g_mime_parser_new_with_stream(stream);
  message = g_mime_parser_construct_message(parser, NULL);
  if (message) {
    raw_walk(&w, g_mime_message_get_mime_part(message), 0);
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
}

/* --- words --------------------------------------------------------------------- */

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

static void check_words(Check *c, const char *subject, const char *text, gsize len)
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

/* --- the check ----------------------------------------------------------------- */

/* g_ptr_array_sort is stable: equal weights keep the order they were found in. */
static gint heavier_first(gconstpointer a, gconstpointer b)
{
  const OknoPhishReason *ra = *(const OknoPhishReason *const *)a;
  const OknoPhishReason *rb = *(const OknoPhishReason *const *)b;
  return rb->weight - ra->weight;
}

OknoPhishResult *okno_phishing_check(const OknoMessage *msg, const char *raw, gsize len,
                                     const OknoConfig *cfg)
{
  Check c = {.msg = msg, .cfg = cfg};
  RawHeaders h;
  gsize text_len = MIN(strlen(msg->text), (gsize)TEXT_SCAN_MAX);

  c.portal = okno_portal_set_new((const char *const *)cfg->portal_domains);
  c.res = g_new0(OknoPhishResult, 1);
  c.res->reasons = g_ptr_array_new_with_free_func(reason_free);
  scan_headers(raw ? raw : "", raw ? len : 0, &h);
  check_sender(&c, &h);
  check_links(&c, msg->text, text_len);
  for (guint i = 0; i < msg->attachments->len; i++)
    check_attachment(&c, g_ptr_array_index(msg->attachments, i));
  if (raw && len > 0)
    check_raw_parts(&c, raw, len);
  check_words(&c, msg->subject, msg->text, text_len);
  if (c.asks_credentials && c.outside_host)
    add_reason(&c, "credentials_and_external_link", 10,
               "Письмо просит ввести личные данные и ведёт на сторонний сайт %s. "
               "Это признак мошенничества.", c.outside_host);

  g_ptr_array_sort(c.res->reasons, heavier_first);
  for (guint i = 0; i < c.res->reasons->len; i++) {
    const OknoPhishReason *r = g_ptr_array_index(c.res->reasons, i);
    c.res->score += r->weight;
  }
  c.res->verdict = c.res->score >= OKNO_PHISH_STRONG       ? OKNO_VERDICT_DANGEROUS
                   : c.res->score >= OKNO_PHISH_SUSPICIOUS ? OKNO_VERDICT_SUSPICIOUS
                                                           : OKNO_VERDICT_CLEAN;
  g_free(c.outside_host);
  okno_portal_set_free(c.portal);
  raw_headers_clear(&h);
  return c.res;
}

void okno_phish_result_free(OknoPhishResult *r)
{
  if (!r)
    return;
  g_ptr_array_unref(r->reasons);
  g_free(r);
}

const OknoPhishReason *okno_phish_find(const OknoPhishResult *r, const char *code)
{
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    if (strcmp(x->code, code) == 0)
      return x;
  }
  return NULL;
}

const char *okno_verdict_name(OknoVerdict v)
{
  switch (v) {
  case OKNO_VERDICT_SUSPICIOUS:
    return "suspicious";
  case OKNO_VERDICT_DANGEROUS:
    return "dangerous";
  case OKNO_VERDICT_CLEAN:
  default:
    return "clean";
  }
}

const char *okno_portal_sender_name(OknoPortalSender s)
{
  switch (s) {
  case OKNO_PORTAL_SENDER_VERIFIED:
    return "verified";
  case OKNO_PORTAL_SENDER_UNVERIFIED:
    return "unverified";
  case OKNO_PORTAL_SENDER_NO:
  default:
    return "no";
  }
}
