/* blocklist.c: the phishing block list in memory (see blocklist.h).
 *
 * How it works: domains sit in a hash set and a host is looked up with each of its
 * parent domains in turn (a.b.evil.example, b.evil.example, evil.example, example);
 * URLs sit in a hash set keyed without their scheme, and a URL is looked up whole,
 * then cut at each '/', '?' or '#' (with and without it), longest first: one lookup
 * per label or path step, not one comparison per entry. */
#include "check/blocklist.h"

#include <string.h>

#define VALUE_MAX 2048

struct OknoBlocklist {
  GHashTable *domains; /* normalised domain -> itself */
  GHashTable *urls;    /* URL without "scheme://" -> the normalised URL */
};

OknoBlocklist *okno_blocklist_new(void)
{
  OknoBlocklist *bl = g_new0(OknoBlocklist, 1);
  bl->domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  bl->urls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  return bl;
}

void okno_blocklist_free(OknoBlocklist *bl)
{
  if (!bl)
    return;
  g_hash_table_unref(bl->domains);
  g_hash_table_unref(bl->urls);
  g_free(bl);
}

static char *normalize_domain(const char *value)
{
  g_autofree char *t = g_strstrip(g_strdup(value));
  g_autofree char *ascii = NULL;
  gsize n = strlen(t);
  while (n > 0 && t[n - 1] == '.')
    t[--n] = '\0';
  if (n == 0 || n > 253 || !g_utf8_validate(t, -1, NULL))
    return NULL;
  ascii = g_hostname_to_ascii(t);
  if (!ascii || !strchr(ascii, '.') || strstr(ascii, "..") || ascii[0] == '.' ||
      ascii[0] == '-')
    return NULL;
  for (char *p = ascii; *p; p++) {
    *p = g_ascii_tolower(*p);
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
      return NULL;
  }
  return g_steal_pointer(&ascii);
}

static char *normalize_url(const char *value)
{
  g_autofree char *t = g_strstrip(g_strdup(value));
  const char *rest, *sep;
  g_autofree char *scheme = NULL, *authority = NULL, *host = NULL, *port = NULL;
  g_autofree char *dom = NULL;
  gsize alen;
  char *at, *colon, *hash;

  if (strlen(t) > VALUE_MAX || !g_utf8_validate(t, -1, NULL))
    return NULL;
  if (g_ascii_strncasecmp(t, "http://", 7) == 0) {
    scheme = g_strdup("http");
    rest = t + 7;
  } else if (g_ascii_strncasecmp(t, "https://", 8) == 0) {
    scheme = g_strdup("https");
    rest = t + 8;
  } else if (g_ascii_strncasecmp(t, "www.", 4) == 0) {
    scheme = g_strdup("http");
    rest = t;
  } else {
    return NULL;
  }
  for (const char *p = rest; *p; p++)
    if ((guchar)*p <= ' ' || *p == 0x7f)
      return NULL;
  alen = strcspn(rest, "/?#\\");
  authority = g_strndup(rest, alen);
  at = strrchr(authority, '@');
  host = g_strdup(at ? at + 1 : authority);
  colon = strrchr(host, ':');
  if (colon && !strchr(host, ']')) {
    port = g_strdup(colon);
    *colon = '\0';
  }
  dom = normalize_domain(host);
  if (!dom)
    return NULL;
  sep = rest + alen;
  {
    g_autofree char *path = g_strdup(sep);
    hash = strchr(path, '#');
    if (hash)
      *hash = '\0';
    if (strcmp(path, "/") == 0)
      path[0] = '\0';
    return g_strdup_printf("%s://%s%s%s", scheme, dom, port ? port : "", path);
  }
}

char *okno_blocklist_normalize(const char *kind, const char *value)
{
  if (!value)
    return NULL;
  if (g_strcmp0(kind, "domain") == 0)
    return normalize_domain(value);
  if (g_strcmp0(kind, "url") == 0)
    return normalize_url(value);
  return NULL;
}

gboolean okno_blocklist_add(OknoBlocklist *bl, const char *kind, const char *value)
{
  char *v = okno_blocklist_normalize(kind, value);
  if (!v)
    return FALSE;
  if (strcmp(kind, "domain") == 0)
    g_hash_table_add(bl->domains, v);
  else
    g_hash_table_replace(bl->urls, strstr(v, "://") + 3, v);
  return TRUE;
}

guint okno_blocklist_size(const OknoBlocklist *bl)
{
  return g_hash_table_size(bl->domains) + g_hash_table_size(bl->urls);
}

static const char *match_domain(const OknoBlocklist *bl, const char *dom)
{
  for (const char *p = dom; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
    const char *hit = g_hash_table_lookup(bl->domains, p);
    if (hit)
      return hit;
  }
  return NULL;
}

static const char *match_url(const OknoBlocklist *bl, const char *url)
{
  g_autofree char *key = g_strdup(strstr(url, "://") + 3);
  const char *hit = g_hash_table_lookup(bl->urls, key);
  /* then every prefix ending before or at a '/', '?' or '#', longest first */
  for (gsize i = strlen(key); !hit && i-- > 0;) {
    if (!strchr("/?#", key[i]))
      continue;
    key[i + 1] = '\0';
    hit = g_hash_table_lookup(bl->urls, key);
    key[i] = '\0';
    if (!hit)
      hit = g_hash_table_lookup(bl->urls, key);
  }
  return hit;
}

const char *okno_blocklist_match(const OknoBlocklist *bl, const char *kind, const char *value)
{
  g_autofree char *v = okno_blocklist_normalize(kind, value);
  if (!v)
    return NULL;
  return strcmp(kind, "domain") == 0 ? match_domain(bl, v) : match_url(bl, v);
}

guint okno_blocklist_apply(const OknoBlocklist *bl, OknoPhishResult *r)
{
  guint hits = 0;
  if (!bl || okno_blocklist_size(bl) == 0)
    return 0;
  for (guint i = 0; i < r->indicators->len; i++) {
    const OknoPhishIndicator *x = g_ptr_array_index(r->indicators, i);
    const char *hit = okno_blocklist_match(bl, x->kind, x->value);
    g_autofree char *text = NULL;
    if (!hit)
      continue;
    hits++;
    if (strcmp(x->kind, "domain") == 0)
      text = g_strdup_printf("Домен %s внесён в список мошеннических: с него уже приходили "
                             "поддельные письма, о которых нам сообщили.", x->value);
    else
      text = g_strdup_printf("Ссылка %s ведёт на адрес из списка мошеннических сайтов, "
                             "о которых нам сообщили.", x->value);
    okno_phish_add_reason(r, strcmp(x->kind, "domain") == 0 ? "blocklisted_domain" : "blocklisted_url",
                          OKNO_PHISH_STRONG, text);
  }
  return hits;
}
