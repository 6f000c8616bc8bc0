/* links.c: the link signals of the phishing check (see signals.h): where the links
 * of the text really lead.
 *
 * How it works: the text is scanned for URLs (http://, https://, www.) not glued to a
 * preceding word; html2text renders an HTML link as "text (href)", so when a URL
 * stands in parentheses after a word that reads as an address, that word is the shown
 * text. Each link is split into host, userinfo and query, its host judged through
 * lookalike.h (lookalikes, shorteners, numeric hosts, user@ tricks, open redirects
 * through the portal) and its shown host compared with the real one. At most
 * LINKS_MAX links of at most URL_MAX bytes are read. */
#include <string.h>

#include "check/lookalike.h"
#include "check/signals.h"

#define LINKS_MAX 256
#define URL_MAX 2048

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
  if (c->indicators_only) {
    add_indicator(c, "url", href);
    add_indicator(c, "domain", u.host);
    url_clear(&u);
    return;
  }
  okno_host_judge(u.host, c->portal, &j);
  idn_reasons(c, &j);
  if (j.kind == OKNO_HOST_PORTAL) {
    if (u.query && query_carries_url(u.query))
      add_reason(c, "link_open_redirect", 6,
                 "Ссылка начинается с адреса портала (%s), но перенаправляет на другой сайт. "
                 "Так мошенники прячут настоящий адрес.", j.display);
  } else {
    add_indicator(c, "url", href);
    add_indicator(c, "domain", u.host);
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

void check_links(Check *c, const char *text, gsize len)
{
  guint found = 0;
  for (gsize i = 0; i < len && found < LINKS_MAX; i++) {
    const char *p = text + i;
    gsize n;
    gboolean in_parens;
    g_autofree char *href = NULL;
    g_autofree char *shown = NULL;
    /* every link starts with h or w, in either case: the other bytes go by at once */
    if ((text[i] | 0x20) != 'h' && (text[i] | 0x20) != 'w')
      continue;
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
