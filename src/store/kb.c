/* kb.c (store): knowledge-base articles, their versions, and answered appeals as
 * similar cases (see kb.h; docs/kb.md). Portable SQL over db.h. */
#include "store/kb.h"

#include <string.h>

#include "core/clock.h"
#include "store/db.h"

void okno_kb_article_free(OknoKbArticle *a)
{
  if (!a)
    return;
  g_free(a->title);
  g_free(a->body);
  g_free(a->category);
  g_free(a->tags);
  g_free(a->author);
  g_free(a);
}

void okno_kb_case_free(OknoKbCase *c)
{
  if (!c)
    return;
  g_free(c->number);
  g_free(c->department);
  g_free(c->subject);
  g_free(c->question);
  g_free(c->answer);
  g_free(c);
}

static gboolean blank(const char *s)
{
  for (; s && *s; s++)
    if (!g_ascii_isspace(*s))
      return FALSE;
  return TRUE;
}

gboolean okno_kb_check(const char *title, const char *body, const char *category,
                       const char *tags, const char **field, const char **message)
{
  const char *f[4] = {"title", "body", "category", "tags"};
  const char *v[4] = {title ? title : "", body ? body : "", category ? category : "",
                      tags ? tags : ""};
  const glong max[4] = {OKNO_KB_TITLE_MAX, OKNO_KB_BODY_MAX, OKNO_KB_TAGS_MAX, OKNO_KB_TAGS_MAX};
  const char *too_long[4] = {"Заголовок слишком длинный: не больше 200 знаков.",
                             "Текст статьи слишком длинный: не больше 100 000 знаков.",
                             "Категория слишком длинная: не больше 500 знаков.",
                             "Метки слишком длинные: не больше 500 знаков."};
  for (int i = 0; i < 4; i++) {
    *field = f[i];
    if (!g_utf8_validate(v[i], -1, NULL)) {
      *message = "Текст содержит недопустимые символы.";
      return FALSE;
    }
    if (i < 2 && blank(v[i])) {
      *message = i == 0 ? "Укажите заголовок статьи." : "Напишите текст статьи.";
      return FALSE;
    }
    if (g_utf8_strlen(v[i], -1) > max[i]) {
      *message = too_long[i];
      return FALSE;
    }
  }
  *field = *message = NULL;
  return TRUE;
}

#define COLUMNS                                                                         \
  "id, title, body, category, tags, author, published, version, created_at, updated_at," \
  " published_at"

static OknoKbArticle *article_at(OknoRows *r, guint i)
{
  OknoKbArticle *a = g_new0(OknoKbArticle, 1);
  a->id = okno_rows_int(r, i, 0);
  a->title = g_strdup(okno_rows_text(r, i, 1));
  a->body = g_strdup(okno_rows_text(r, i, 2));
  a->category = g_strdup(okno_rows_text(r, i, 3));
  a->tags = g_strdup(okno_rows_text(r, i, 4));
  a->author = g_strdup(okno_rows_text(r, i, 5));
  a->published = okno_rows_int(r, i, 6) != 0;
  a->version = okno_rows_int(r, i, 7);
  a->created_at = okno_rows_int(r, i, 8);
  a->updated_at = okno_rows_int(r, i, 9);
  a->published_at = okno_rows_int(r, i, 10);
  return a;
}

static GPtrArray *articles_of(OknoRows *r)
{
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_kb_article_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, article_at(r, i));
  return out;
}

/* Counts a change of the knowledge base (migration 33's kb_state row); the generation
 * remembered in the transaction is forgotten. */
static gboolean bump(OknoStore *st, GError **error)
{
  okno_store_memo_forget(st);
  return okno_db_exec(okno_store_db(st),
                      "UPDATE kb_state SET generation = generation + 1 WHERE id = 1",
                      OKNO_NO_PARAMS, error);
}

static gboolean keep_version(OknoStore *st, gint64 id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  return bump(st, error) &&
         okno_db_exec(db,
                      "INSERT INTO kb_versions(article_id, version, title, body, category, "
                      "tags, author, at) SELECT id, version, title, body, category, tags, "
                      "author, updated_at FROM kb_articles WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id)), error);
}

gint64 okno_store_kb_add(OknoStore *st, const char *title, const char *body,
                         const char *category, const char *tags, const char *author,
                         GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now(), id;
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "INSERT INTO kb_articles(title, body, category, tags, published, version, author, "
      "created_at, updated_at) VALUES($1, $2, $3, $4, 0, 1, $5, $6, $6) RETURNING id",
      OKNO_PARAMS(OKNO_TEXT(title), OKNO_TEXT(body), OKNO_TEXT(category ? category : ""),
                  OKNO_TEXT(tags ? tags : ""), OKNO_TEXT(author), OKNO_INT(now)),
      error);
  if (!r || !okno_rows_count(r))
    return 0;
  id = okno_rows_int(r, 0, 0);
  return keep_version(st, id, error) ? id : 0;
}

gboolean okno_store_kb_edit(OknoStore *st, gint64 id, const char *title, const char *body,
                            const char *category, const char *tags, const char *author,
                            gint64 *version, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoKbArticle) a = okno_store_kb_get(st, id, error);
  if (!a)
    return FALSE;
  if (!okno_db_exec(db,
                    "UPDATE kb_articles SET title = $2, body = $3, category = $4, tags = $5, "
                    "author = $6, version = version + 1, updated_at = $7 WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(id), OKNO_TEXT(title ? title : a->title),
                                OKNO_TEXT(body ? body : a->body),
                                OKNO_TEXT(category ? category : a->category),
                                OKNO_TEXT(tags ? tags : a->tags), OKNO_TEXT(author),
                                OKNO_INT(MAX(okno_now(), a->updated_at + 1))),
                    error) ||
      !keep_version(st, id, error))
    return FALSE;
  if (version)
    *version = a->version + 1;
  return TRUE;
}

gboolean okno_store_kb_publish(OknoStore *st, gint64 id, gboolean published, GError **error)
{
  g_autoptr(OknoKbArticle) a = okno_store_kb_get(st, id, error);
  if (!a)
    return FALSE;
  return bump(st, error) &&
         okno_db_exec(okno_store_db(st),
                      "UPDATE kb_articles SET published = $2, published_at = CASE WHEN $2 = 1 "
                      "THEN $3 ELSE published_at END WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(published ? 1 : 0),
                                  OKNO_INT(okno_now())),
                      error);
}

OknoKbArticle *okno_store_kb_get(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT " COLUMNS " FROM kb_articles WHERE id = $1",
                                        OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? article_at(r, 0) : NULL;
}

GPtrArray *okno_store_kb_list(OknoStore *st, gboolean published_only, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      published_only ? "SELECT " COLUMNS " FROM kb_articles WHERE published = 1 "
                       "ORDER BY updated_at DESC, id DESC"
                     : "SELECT " COLUMNS " FROM kb_articles ORDER BY updated_at DESC, id DESC",
      OKNO_NO_PARAMS, error);
  return articles_of(r);
}

GPtrArray *okno_store_kb_versions(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT article_id, title, body, category, tags, author, 0, version, at, at, 0 "
      "FROM kb_versions WHERE article_id = $1 ORDER BY version DESC",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return articles_of(r);
}

GPtrArray *okno_store_kb_cases(OknoStore *st, gint64 except_id, gint64 limit, GError **error)
{
  /* Sealed values open only whole, so each text is its own column. */
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT a.id, a.number, a.subject,"
      " COALESCE((SELECT m.text FROM messages m WHERE m.appeal_id = a.id"
      "   AND m.direction = 'in' ORDER BY m.id LIMIT 1), ''),"
      " COALESCE((SELECT m.text FROM messages m WHERE m.appeal_id = a.id"
      "   AND m.direction = 'out' AND m.automatic = 0 ORDER BY m.id DESC LIMIT 1), ''),"
      " a.department FROM appeals a WHERE a.answered = 1 AND a.id <> $1"
      " ORDER BY a.received_at DESC, a.id DESC LIMIT $2",
      OKNO_PARAMS(OKNO_INT(except_id), OKNO_INT(limit)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_kb_case_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoKbCase *c;
    if (!*okno_rows_text(r, i, 4))
      continue;
    c = g_new0(OknoKbCase, 1);
    c->id = okno_rows_int(r, i, 0);
    c->number = g_strdup(okno_rows_text(r, i, 1));
    c->subject = g_strdup(okno_rows_text(r, i, 2));
    c->question = g_strdup(okno_rows_text(r, i, 3));
    c->answer = g_strdup(okno_rows_text(r, i, 4));
    c->department = g_strdup(okno_rows_text(r, i, 5));
    g_ptr_array_add(out, c);
  }
  return out;
}

char *okno_store_kb_appeal_text(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT a.subject, COALESCE((SELECT m.text FROM messages m WHERE m.appeal_id = a.id"
      " AND m.direction = 'in' ORDER BY m.id LIMIT 1), '') FROM appeals a WHERE a.id = $1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return NULL;
  if (!okno_rows_count(r))
    return g_strdup("");
  return g_strconcat(okno_rows_text(r, 0, 0), "\n", okno_rows_text(r, 0, 1), NULL);
}

/* "instance:a:b" from a one-row result of the instance id and two numbers. */
static char *mark_of(OknoRows *r)
{
  if (!r)
    return NULL;
  if (okno_rows_count(r) != 1)
    return g_strdup("");
  return g_strdup_printf("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, okno_rows_text(r, 0, 0),
                         okno_rows_int(r, 0, 1), okno_rows_int(r, 0, 2));
}

char *okno_store_kb_generation(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  char *mark;
  const char *memo = okno_store_memo_get(st, "kb_generation"); /* once per transaction */
  if (memo)
    return g_strdup(memo);
  r = okno_db_query(okno_store_db(st),
                    "SELECT COALESCE((SELECT value FROM meta WHERE key = 'instance'), ''), "
                    "generation, 0 FROM kb_state WHERE id = 1",
                    OKNO_NO_PARAMS, error);
  mark = mark_of(r);
  if (mark)
    okno_store_memo_set(st, "kb_generation", mark);
  return mark;
}

char *okno_store_kb_cases_mark(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT COALESCE((SELECT value FROM meta WHERE key = 'instance'), ''),"
      " COALESCE((SELECT MAX(id) FROM messages), 0), COALESCE((SELECT MAX(id) FROM events), 0),"
      " (SELECT shreds FROM kb_state WHERE id = 1)",
      OKNO_NO_PARAMS, error);
  if (!r)
    return NULL;
  if (okno_rows_count(r) != 1)
    return g_strdup("");
  return g_strdup_printf("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                         okno_rows_text(r, 0, 0), okno_rows_int(r, 0, 1),
                         okno_rows_int(r, 0, 2), okno_rows_int(r, 0, 3));
}
