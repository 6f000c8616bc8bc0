/* appeal/routing.c: the routing decision (routing.h).
 *
 * The rules are tried in order, each kind by its own comparison; keyword rules compare
 * sets of normalised terms (text/tokenizer.h), and the appeal's terms are made once,
 * when the first keyword rule needs them. */
#include "appeal/routing.h"

#include <string.h>

#include "text/tokenizer.h"

gboolean okno_department_code_valid(const char *code)
{
  gsize n = code ? strlen(code) : 0;
  if (n < 1 || n > 32)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower(code[i]) || g_ascii_isdigit(code[i]) || code[i] == '-' || code[i] == '_'))
      return FALSE;
  return TRUE;
}

gboolean okno_route_kind_valid(const char *kind)
{
  static const char *const kinds[] = {"category", "keyword", "sender_domain", "channel", NULL};
  return kind && g_strv_contains(kinds, kind);
}

static int add_term(const OknoTerm *t, void *user)
{
  g_hash_table_add(user, g_strndup(t->term, t->term_len));
  return 0;
}

static GHashTable *terms_of(OknoStemmer *s, const char *a, const char *b)
{
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (a)
    okno_text_scan(s, a, strlen(a), add_term, set);
  if (b)
    okno_text_scan(s, b, strlen(b), add_term, set);
  return set;
}

static gboolean domain_matches(const char *sender, const char *domain)
{
  const char *at = sender ? strrchr(sender, '@') : NULL;
  gsize n, d;
  if (!at || !domain || !*domain)
    return FALSE;
  at++;
  n = strlen(at);
  d = strlen(domain);
  if (n < d || g_ascii_strcasecmp(at + n - d, domain) != 0)
    return FALSE;
  return n == d || at[n - d - 1] == '.';
}

const OknoRouteRule *okno_route_match(const GPtrArray *rules, const OknoRouteInput *in)
{
  OknoStemmer *stemmer = NULL;
  g_autoptr(GHashTable) text = NULL; /* the appeal's terms, made when a keyword rule needs them */

  for (guint i = 0; rules && i < rules->len; i++) {
    const OknoRouteRule *r = rules->pdata[i];
    gboolean hit = FALSE;
    if (g_str_equal(r->kind, "category")) {
      if (in->category && *in->category) {
        g_autofree char *x = g_utf8_casefold(r->value, -1), *y = g_utf8_casefold(in->category, -1);
        hit = g_str_equal(x, y);
      }
    } else if (g_str_equal(r->kind, "channel")) {
      hit = g_strcmp0(r->value, in->channel) == 0;
    } else if (g_str_equal(r->kind, "sender_domain")) {
      hit = domain_matches(in->sender, r->value);
    } else if (g_str_equal(r->kind, "keyword")) {
      g_autoptr(GHashTable) want = NULL;
      GHashTableIter it;
      gpointer k;
      if (!stemmer)
        stemmer = okno_stemmer_thread();
      if (!text)
        text = terms_of(stemmer, in->subject, in->text);
      want = terms_of(stemmer, r->value, NULL);
      hit = g_hash_table_size(want) > 0;
      g_hash_table_iter_init(&it, want);
      while (hit && g_hash_table_iter_next(&it, &k, NULL))
        hit = g_hash_table_contains(text, k);
    }
    if (hit)
      return r;
  }
  return NULL;
}

void okno_route_rule_free(OknoRouteRule *r)
{
  if (!r)
    return;
  g_free(r->kind);
  g_free(r->value);
  g_free(r->department);
  g_free(r);
}
