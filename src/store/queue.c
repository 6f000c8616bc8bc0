/* queue.c: the console's queues as keyset pages and cheap counts (queue.h).
 *
 * A queue page is one statement: per visible department one branch (or one branch for
 * everything when the user sees every department, or for "mine", where the assignee's
 * index leads and visibility is a filter), each branch reading the index that gives
 * its rows in the queue's order (SQLite: named with INDEXED BY, so the plan cannot
 * drift to a scan and a sort; PostgreSQL picks the same index by itself), the branches
 * merged in order by UNION ALL with the ORDER BY outside (SQLite's MERGE; PostgreSQL,
 * which does not merge them, gets each branch limited in order and sorts at most
 * branches x (limit + 1) rows), and LIMIT limit + 1 (the extra row says whether a
 * next page exists). The cursor is the last row's sort key
 * and id: (received_at, id) < cursor, or (due, id) > cursor; a `before` page reads the
 * other way and is turned round here. Tokens are base64url of "r.KEY.ID" or "d.KEY.ID".
 *
 * Index per queue (migration step 10; K = recv or due by the sort order):
 *   mine           appeals_assignee_K            assignee = user
 *   department     appeals_dept_K                department = each of the user's
 *   unassigned     appeals_free[_dept]_K         open, assignee IS NULL (partial)
 *   clarification  appeals[_dept]_status_K       status = needs_clarification
 *   overdue        appeals_open[_dept]_K         open (partial), due < now
 *   all            appeals[_dept]_K, or appeals[_dept]_status_K with a status filter
 * A full-text search is a filter on the matching ids; the planner then starts from the
 * matches (no INDEXED BY), as many rows as the words match.
 *
 * Counts: appeal_counts (kept by triggers) summed over the queue's keys, except the
 * overdue queue (time-dependent: queue_due's days before now's day, kept by triggers,
 * plus today's appeals due before now counted in appeals_open[_dept]_due; migration
 * 36, store/queue_due_sql.h) and a search (counted over the matches). */
#include "store/queue.h"

#include <string.h>

#include "core/error.h"
#include "store/appeal_row.h"

#define OKNO_QUEUE_DAY_US G_GINT64_CONSTANT(86400000000) /* R36_DAY_US */
#define MAX_BRANCHES 64 /* more visible departments than this: one branch and a sort */
#define STALE_TOKEN_TEXT "Ссылка на страницу устарела: откройте список сначала."

/* ---- tokens ---- */

static char *base64url(const char *plain)
{
  char *t = g_base64_encode((const guchar *)plain, strlen(plain));
  for (char *c = t; *c; c++) {
    if (*c == '+')
      *c = '-';
    else if (*c == '/')
      *c = '_';
    else if (*c == '=')
      *c = '\0';
  }
  return t;
}

static gboolean base64url_decode(const char *token, gsize max, char **plain)
{
  g_autoptr(GString) b64 = g_string_new(NULL);
  g_autofree guchar *raw = NULL;
  gsize len = 0;
  if (!token || !*token || strlen(token) > max)
    return FALSE;
  for (const char *c = token; *c; c++) {
    if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
      return FALSE;
    g_string_append_c(b64, *c == '-' ? '+' : *c == '_' ? '/' : *c);
  }
  while (b64->len % 4)
    g_string_append_c(b64, '=');
  raw = g_base64_decode(b64->str, &len);
  *plain = g_strndup((const char *)raw, len);
  return TRUE;
}

char *okno_page_token(OknoSort sort, gint64 key, gint64 id)
{
  g_autofree char *plain = g_strdup_printf("%c.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                           sort == OKNO_SORT_DEADLINE ? 'd' : 'r', key, id);
  return base64url(plain);
}

gboolean okno_page_token_parse(const char *token, OknoSort sort, gint64 *key, gint64 *id)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *plain = NULL;
  if (!base64url_decode(token, 64, &plain))
    return FALSE;
  parts = g_strsplit(plain, ".", 4);
  if (g_strv_length(parts) != 3 || strcmp(parts[0], sort == OKNO_SORT_DEADLINE ? "d" : "r") != 0)
    return FALSE;
  return g_ascii_string_to_signed(parts[1], 10, G_MININT64, G_MAXINT64, key, NULL) &&
         g_ascii_string_to_signed(parts[2], 10, 1, G_MAXINT64, id, NULL);
}

void okno_page_free(OknoPage *p)
{
  if (!p)
    return;
  if (p->appeals)
    g_ptr_array_unref(p->appeals);
  g_free(p->next);
  g_free(p->prev);
  g_free(p);
}

/* ---- building the statements ---- */

typedef struct {
  GString *sql;
  GArray *params;   /* OknoParam */
  GPtrArray *owned; /* strings the params point at */
  gboolean sqlite;
} Sql;

static void sql_init(Sql *b, OknoStore *st)
{
  b->sql = g_string_new(NULL);
  b->params = g_array_new(FALSE, TRUE, sizeof(OknoParam));
  b->owned = g_ptr_array_new_with_free_func(g_free);
  b->sqlite = okno_db_is_sqlite(okno_store_db(st));
}

static void sql_clear(Sql *b)
{
  g_string_free(b->sql, TRUE);
  g_array_unref(b->params);
  g_ptr_array_unref(b->owned);
}

static guint param(Sql *b, OknoParam p)
{
  g_array_append_val(b->params, p);
  return b->params->len;
}

/* Appends "$n" for a text parameter (copied). */
static void text(Sql *b, const char *s)
{
  char *copy = g_strdup(s ? s : "");
  g_ptr_array_add(b->owned, copy);
  g_string_append_printf(b->sql, "$%u", param(b, OKNO_TEXT(copy)));
}

static void integer(Sql *b, gint64 v)
{
  g_string_append_printf(b->sql, "$%u", param(b, OKNO_INT(v)));
}

static gboolean has_status(const OknoQueueQuery *q) { return q->status && *q->status; }
static gboolean has_search(const OknoQueueQuery *q) { return q->search && *q->search; }

/* The departments of the branches: NULL-terminated; a single NULL entry (an empty
 * vector with *all set) means one branch with no department condition. */
static GPtrArray *branches(const OknoQueueQuery *q, gboolean *all)
{
  GPtrArray *d = g_ptr_array_new();
  *all = FALSE;
  if (q->queue == OKNO_QUEUE_MINE || (q->every_department && q->queue != OKNO_QUEUE_DEPARTMENT)) {
    *all = TRUE;
    return d;
  }
  for (const char *const *p = q->departments; p && *p; p++)
    if (**p)
      g_ptr_array_add(d, (gpointer)*p);
  if (q->queue != OKNO_QUEUE_DEPARTMENT)
    g_ptr_array_add(d, (gpointer) "");
  return d;
}

/* " AND department IN (...)" for a statement of one branch (a count, "mine", or more
 * departments than MAX_BRANCHES): the same set branches() gives. */
static void department_in(Sql *b, const OknoQueueQuery *q)
{
  gboolean all;
  g_autoptr(GPtrArray) d = branches(q, &all);
  if (q->queue == OKNO_QUEUE_MINE && !q->every_department) {
    OknoQueueQuery visible = *q;
    visible.queue = OKNO_QUEUE_ALL;
    department_in(b, &visible);
    return;
  }
  if (all)
    return;
  if (d->len == 0) {
    g_string_append(b->sql, " AND 0 = 1");
    return;
  }
  g_string_append(b->sql, " AND department IN (");
  for (guint i = 0; i < d->len; i++) {
    if (i)
      g_string_append(b->sql, ", ");
    text(b, d->pdata[i]);
  }
  g_string_append(b->sql, ")");
}

static const char *index_name(const OknoQueueQuery *q, gboolean dept)
{
  gboolean due = q->sort == OKNO_SORT_DEADLINE;
  switch (q->queue) {
  case OKNO_QUEUE_MINE:
    return due ? "appeals_assignee_due" : "appeals_assignee_recv";
  case OKNO_QUEUE_UNASSIGNED:
    return dept ? (due ? "appeals_free_dept_due" : "appeals_free_dept_recv")
                : (due ? "appeals_free_due" : "appeals_free_recv");
  case OKNO_QUEUE_OVERDUE:
    return dept ? (due ? "appeals_open_dept_due" : "appeals_open_dept_recv")
                : (due ? "appeals_open_due" : "appeals_open_recv");
  case OKNO_QUEUE_CLARIFICATION:
    return dept ? (due ? "appeals_dept_status_due" : "appeals_dept_status_recv")
                : (due ? "appeals_status_due" : "appeals_status_recv");
  case OKNO_QUEUE_DEPARTMENT:
  case OKNO_QUEUE_ALL:
  case OKNO_QUEUE_COUNT:
    break;
  }
  if (has_status(q))
    return dept ? (due ? "appeals_dept_status_due" : "appeals_dept_status_recv")
                : (due ? "appeals_status_due" : "appeals_status_recv");
  return dept ? (due ? "appeals_dept_due" : "appeals_dept_recv")
              : (due ? "appeals_k_due" : "appeals_k_recv");
}

/* The queue's own conditions, status and search (each " AND ..."), on appeals or, with
 * `counters`, on appeal_counts (whose assignee is 0 for nobody; never for overdue). */
static void filters(Sql *b, const OknoQueueQuery *q, const char *words, gboolean counters)
{
  switch (q->queue) {
  case OKNO_QUEUE_MINE:
    g_string_append(b->sql, " AND assignee = ");
    integer(b, q->user);
    break;
  case OKNO_QUEUE_UNASSIGNED:
    g_string_append(b->sql, counters ? " AND " OKNO_OPEN_SQL " AND assignee = 0"
                                     : " AND " OKNO_OPEN_SQL " AND assignee IS NULL");
    break;
  case OKNO_QUEUE_CLARIFICATION:
    g_string_append(b->sql, " AND status = 'needs_clarification'");
    break;
  case OKNO_QUEUE_OVERDUE:
    g_string_append(b->sql, " AND " OKNO_OPEN_SQL " AND due < ");
    integer(b, q->now);
    break;
  case OKNO_QUEUE_DEPARTMENT:
  case OKNO_QUEUE_ALL:
  case OKNO_QUEUE_COUNT:
    break;
  }
  if (has_status(q)) {
    g_string_append(b->sql, " AND status = ");
    text(b, q->status);
  }
  if (words) {
    g_autofree char *match = NULL;
    g_ptr_array_add(b->owned, g_strdup(words));
    match = okno_search_match_sql(b->sqlite,
                                  param(b, OKNO_TEXT(b->owned->pdata[b->owned->len - 1])));
    g_string_append(b->sql, " AND ");
    g_string_append(b->sql, match);
  }
}

/* One branch of a page: department `dept` (NULL: none). `back` reads towards the start;
 * `cursor` says whether (key, id) bound it. */
static void branch(Sql *b, const OknoQueueQuery *q, const char *dept, gboolean one_of_many,
                   const char *words, gboolean cursor, gboolean back, gint64 key, gint64 id)
{
  gboolean due = q->sort == OKNO_SORT_DEADLINE;
  /* received order is descending: "after" is smaller; due order ascending: larger */
  gboolean smaller = due ? back : !back;
  g_string_append(b->sql, "SELECT " OKNO_APPEAL_COLUMNS ", due FROM appeals");
  if (b->sqlite && !words && !one_of_many)
    g_string_append_printf(b->sql, " INDEXED BY %s", index_name(q, dept != NULL));
  g_string_append(b->sql, " WHERE " OKNO_QUEUED_SQL);
  if (dept) {
    g_string_append(b->sql, " AND department = ");
    text(b, dept);
  } else if (one_of_many || q->queue == OKNO_QUEUE_MINE) {
    department_in(b, q);
  }
  filters(b, q, words, FALSE);
  if (cursor) {
    g_string_append_printf(b->sql, " AND (%s, id) %c (", due ? "due" : "received_at",
                           smaller ? '<' : '>');
    integer(b, key);
    g_string_append(b->sql, ", ");
    integer(b, id);
    g_string_append(b->sql, ")");
  }
}

static char *search_words(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  return okno_search_words(q->search, okno_db_is_sqlite(okno_store_db(st)), error);
}

static void order_limit(Sql *b, const OknoQueueQuery *q, gboolean desc)
{
  g_string_append_printf(b->sql, " ORDER BY %s %s, id %s LIMIT ",
                         q->sort == OKNO_SORT_DEADLINE ? "due" : "received_at",
                         desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
  integer(b, (gint64)q->limit + 1);
}

/* The page statement of `q` into `b`. */
static gboolean page_sql(Sql *b, const OknoQueueQuery *q, const char *words, gboolean cursor,
                         gboolean back, gint64 key, gint64 id)
{
  gboolean all, due = q->sort == OKNO_SORT_DEADLINE;
  g_autoptr(GPtrArray) d = branches(q, &all);
  gboolean desc = due ? back : !back;
  if (all) {
    branch(b, q, NULL, FALSE, words, cursor, back, key, id);
  } else if (d->len == 0) {
    return FALSE; /* a queue of no departments: empty */
  } else if (d->len > MAX_BRANCHES) {
    branch(b, q, NULL, TRUE, words, cursor, back, key, id);
  } else {
    /* PostgreSQL 15 merges no UNION ALL of one table in order (it appends and sorts):
     * there each branch is limited in its index's order and the outer ORDER BY sorts
     * at most branches x (limit + 1) rows. SQLite merges the branches (MERGE). */
    if (!b->sqlite)
      g_string_append(b->sql, "SELECT * FROM (");
    for (guint i = 0; i < d->len; i++) {
      if (i)
        g_string_append(b->sql, " UNION ALL ");
      if (!b->sqlite)
        g_string_append(b->sql, "(");
      branch(b, q, d->pdata[i], FALSE, words, cursor, back, key, id);
      if (!b->sqlite) {
        order_limit(b, q, desc);
        g_string_append(b->sql, ")");
      }
    }
    if (!b->sqlite)
      g_string_append(b->sql, ") AS branches");
  }
  order_limit(b, q, desc);
  return TRUE;
}

/* The count statement of `q` into `b`. */
static void count_sql(Sql *b, const OknoQueueQuery *q, const char *words)
{
  /* the overdue count: the whole days before now's from queue_due (migration 36),
   * today's from the rows (store/queue_due_sql.h); with a status filter (queue_due
   * has no status), or before a day from the epoch, all from the rows */
  gint64 today = q->now / OKNO_QUEUE_DAY_US;
  gboolean rollup = !words && !has_status(q) && q->queue == OKNO_QUEUE_OVERDUE && today > 0;
  if (words || q->queue == OKNO_QUEUE_OVERDUE) {
    gboolean all;
    G_GNUC_UNUSED g_autoptr(GPtrArray) d = branches(q, &all); /* only `all` is needed */
    if (rollup) {
      g_string_append(b->sql, "SELECT (SELECT coalesce(sum(n), 0) FROM queue_due WHERE day < ");
      integer(b, today);
      department_in(b, q);
      g_string_append(b->sql, ") + (");
    }
    g_string_append(b->sql, "SELECT count(*) FROM appeals");
    if (b->sqlite && !words)
      g_string_append_printf(b->sql, " INDEXED BY %s",
                             all ? "appeals_open_due" : "appeals_open_dept_due");
    g_string_append(b->sql, " WHERE " OKNO_QUEUED_SQL);
    department_in(b, q);
    filters(b, q, words, FALSE);
    if (rollup) {
      g_string_append(b->sql, " AND due >= ");
      integer(b, today * OKNO_QUEUE_DAY_US);
      g_string_append(b->sql, ")");
    }
    return;
  }
  g_string_append(b->sql, "SELECT coalesce(sum(n), 0) FROM appeal_counts WHERE quarantine = 0");
  department_in(b, q);
  filters(b, q, NULL, TRUE);
}

static gboolean check_query(const OknoQueueQuery *q, GError **error)
{
  if ((guint)q->queue >= OKNO_QUEUE_COUNT || q->limit < 1 || q->limit > 500) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "queue query out of range");
    return FALSE;
  }
  return TRUE;
}

/* ---- pages and counts ---- */

static OknoPage *page_run(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  g_autofree char *words = NULL;
  g_autoptr(OknoRows) r = NULL;
  gboolean back = FALSE, cursor = FALSE;
  gint64 key = 0, id = 0;
  Sql b;

  if (!check_query(q, error))
    return NULL;
  if (q->after || q->before) {
    back = !q->after;
    if (!okno_page_token_parse(back ? q->before : q->after, q->sort, &key, &id)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, STALE_TOKEN_TEXT);
      return NULL;
    }
    cursor = TRUE;
  }
  if (has_search(q) && !(words = search_words(st, q, error)))
    return NULL;
  sql_init(&b, st);
  if (page_sql(&b, q, words, cursor, back, key, id))
    r = okno_db_query(okno_store_db(st), b.sql->str, (const OknoParam *)b.params->data,
                      b.params->len, error);
  else
    r = okno_rows_new(1);
  sql_clear(&b);
  if (!r)
    return NULL;
  if (back && okno_rows_count(r) <= q->limit) {
    /* the start was reached: the first page, full */
    OknoQueueQuery first = *q;
    first.after = first.before = NULL;
    return page_run(st, &first, error);
  }
  return okno_page_from_rows(r, q->limit, q->sort, cursor, back, error);
}

GPtrArray *okno_store_spam_held(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  OknoQueueQuery visible = *q;
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  Sql b;
  visible.queue = OKNO_QUEUE_ALL;
  sql_init(&b, st);
  g_string_append(b.sql, "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE queue = 'spam'");
  department_in(&b, &visible);
  g_string_append(b.sql, " ORDER BY received_at DESC, id DESC LIMIT ");
  integer(&b, (gint64)CLAMP(q->limit, 1, 500));
  r = okno_db_query(okno_store_db(st), b.sql->str, (const OknoParam *)b.params->data,
                    b.params->len, error);
  sql_clear(&b);
  if (!r)
    return NULL;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoAppeal *a = okno_appeal_from_row(r, i, error);
    if (!a)
      return NULL;
    g_ptr_array_add(out, a);
  }
  return g_steal_pointer(&out);
}

OknoPage *okno_page_from_rows(const OknoRows *r, guint limit, OknoSort sort, gboolean cursor,
                              gboolean back, GError **error)
{
  OknoPage *page = g_new0(OknoPage, 1);
  guint n = okno_rows_count(r), shown = MIN(n, limit);
  gboolean due = sort == OKNO_SORT_DEADLINE;
  page->appeals = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < shown; i++) {
    OknoAppeal *a = okno_appeal_from_row(r, back ? shown - 1 - i : i, error);
    if (!a) {
      okno_page_free(page);
      return NULL;
    }
    g_ptr_array_add(page->appeals, a);
  }
  if (shown) {
    const OknoAppeal *first = page->appeals->pdata[0];
    const OknoAppeal *last = page->appeals->pdata[shown - 1];
#define KEY(a) (due ? ((a)->deadline ? (a)->deadline : G_MAXINT64) : (a)->received_at)
    if (n > limit || back)
      page->next = okno_page_token(sort, KEY(last), last->id);
    if (cursor)
      page->prev = okno_page_token(sort, KEY(first), first->id);
#undef KEY
  }
  return page;
}

/* ---- sorting by a column ----
 * One statement over the queue's rows the user sees (the branch of one department list),
 * ORDER BY column, id, read through the column's index (column, id) of migration 18:
 * the rows come in order and the queue's conditions filter them, so a page costs about
 * as many index entries as it takes to find limit + 1 rows of the queue; the cursor is
 * (column, id) > or < the token's. Tokens are
 * base64url of "c.COLUMN.a|d.HEX(key).ID". */

const char *const okno_column_names[OKNO_COLUMN_COUNT] = {
  "", "number", "channel", "status", "department", "assignee",
};

static const char *const column_index[OKNO_COLUMN_COUNT] = {
  NULL, NULL, "appeals_col_channel", "appeals_col_status",
  "appeals_col_department", "appeals_col_assignee",
};

static const char *const column_sql[OKNO_COLUMN_COUNT] = {
  "", "number", "channel", "status", "department", "coalesce(assignee, 0)",
};

OknoColumn okno_column_parse(const char *name)
{
  for (int i = 1; name && i < OKNO_COLUMN_COUNT; i++)
    if (strcmp(name, okno_column_names[i]) == 0)
      return (OknoColumn)i;
  return OKNO_COLUMN_NONE;
}

/* The column's value of `a` as the token keeps it (the assignee as a decimal). */
static char *column_key(OknoColumn c, const OknoAppeal *a)
{
  switch (c) {
  case OKNO_COLUMN_NUMBER:
    return g_strdup(a->number);
  case OKNO_COLUMN_CHANNEL:
    return g_strdup(okno_channel_name(a->channel));
  case OKNO_COLUMN_STATUS:
    return g_strdup(okno_status_name(a->status));
  case OKNO_COLUMN_DEPARTMENT:
    return g_strdup(a->department);
  case OKNO_COLUMN_ASSIGNEE:
    return g_strdup_printf("%" G_GINT64_FORMAT, a->assignee);
  case OKNO_COLUMN_NONE:
  case OKNO_COLUMN_COUNT:
    break;
  }
  return g_strdup("");
}

static char *column_token(const OknoQueueQuery *q, const OknoAppeal *a)
{
  g_autofree char *key = column_key(q->column, a);
  GString *plain = g_string_new(NULL);
  g_autofree char *p = NULL;
  g_string_append_printf(plain, "c.%s.%c.", okno_column_names[q->column], q->desc ? 'd' : 'a');
  for (const char *k = key; *k; k++)
    g_string_append_printf(plain, "%02x", (guchar)*k);
  g_string_append_printf(plain, ".%" G_GINT64_FORMAT, a->id);
  p = g_string_free(plain, FALSE);
  return base64url(p);
}

/* The key (text, caller frees) and id of a token of q's column and direction. */
static gboolean column_token_parse(const OknoQueueQuery *q, const char *token, char **key,
                                   gint64 *id)
{
  g_autofree char *plain = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *want = g_strdup_printf("%c", q->desc ? 'd' : 'a');
  GString *k;
  gsize n;
  if (!base64url_decode(token, 4096, &plain))
    return FALSE;
  parts = g_strsplit(plain, ".", 6);
  if (g_strv_length(parts) != 5 || strcmp(parts[0], "c") != 0 ||
      strcmp(parts[1], okno_column_names[q->column]) != 0 || strcmp(parts[2], want) != 0 ||
      !g_ascii_string_to_signed(parts[4], 10, 1, G_MAXINT64, id, NULL))
    return FALSE;
  n = strlen(parts[3]);
  if (n % 2)
    return FALSE;
  k = g_string_new(NULL);
  for (gsize i = 0; i < n; i += 2) {
    int hi = g_ascii_xdigit_value(parts[3][i]), lo = g_ascii_xdigit_value(parts[3][i + 1]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      g_string_free(k, TRUE);
      return FALSE;
    }
    g_string_append_c(k, (char)(hi * 16 + lo));
  }
  if (!g_utf8_validate(k->str, -1, NULL)) {
    g_string_free(k, TRUE);
    return FALSE;
  }
  *key = g_string_free(k, FALSE);
  return TRUE;
}

static void column_sql_of(Sql *b, const OknoQueueQuery *q, const char *words, gboolean cursor,
                          gboolean back, const char *key, gint64 id)
{
  /* ascending and forward, or descending and back: rows after the cursor */
  gboolean larger = q->desc ? back : !back;
  gboolean desc = q->desc ? !back : back;
  OknoQueueQuery visible = *q;
  /* the sort reads narrow rows (the key and id) and keeps the top limit + 1 only; the
   * page's whole rows are read for those ids alone */
  g_string_append(b->sql, "SELECT " OKNO_APPEAL_COLUMNS ", due FROM appeals WHERE id IN ("
                          "SELECT id FROM appeals");
  /* SQLite: the column's index (migration 18) read in order, the queue's conditions as
   * filters, stopped after a page; named so the plan cannot drift to a scan and a sort */
  if (b->sqlite && !words && column_index[q->column])
    g_string_append_printf(b->sql, " INDEXED BY %s", column_index[q->column]);
  g_string_append(b->sql, " WHERE " OKNO_QUEUED_SQL);
  if (q->queue == OKNO_QUEUE_DEPARTMENT || q->queue == OKNO_QUEUE_MINE)
    department_in(b, q);
  else {
    visible.queue = OKNO_QUEUE_ALL;
    department_in(b, &visible);
  }
  filters(b, q, words, FALSE);
  if (cursor) {
    g_string_append_printf(b->sql, " AND (%s, id) %c (", column_sql[q->column], larger ? '>' : '<');
    if (q->column == OKNO_COLUMN_ASSIGNEE)
      integer(b, g_ascii_strtoll(key, NULL, 10));
    else
      text(b, key);
    g_string_append(b->sql, ", ");
    integer(b, id);
    g_string_append(b->sql, ")");
  }
  g_string_append_printf(b->sql, " ORDER BY %s %s, id %s LIMIT ", column_sql[q->column],
                         desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
  integer(b, (gint64)q->limit + 1);
  g_string_append_printf(b->sql, ") ORDER BY %s %s, id %s", column_sql[q->column],
                         desc ? "DESC" : "ASC", desc ? "DESC" : "ASC");
}

static OknoPage *column_page_run(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  g_autofree char *words = NULL, *key = NULL;
  g_autoptr(OknoRows) r = NULL;
  gboolean back = FALSE, cursor = FALSE;
  gint64 id = 0;
  OknoPage *page;
  Sql b;
  if (!check_query(q, error))
    return NULL;
  if ((guint)q->column >= OKNO_COLUMN_COUNT) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "queue column out of range");
    return NULL;
  }
  if (q->after || q->before) {
    back = !q->after;
    if (!column_token_parse(q, back ? q->before : q->after, &key, &id)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, STALE_TOKEN_TEXT);
      return NULL;
    }
    cursor = TRUE;
  }
  if (has_search(q) && !(words = search_words(st, q, error)))
    return NULL;
  sql_init(&b, st);
  column_sql_of(&b, q, words, cursor, back, key, id);
  r = okno_db_query(okno_store_db(st), b.sql->str, (const OknoParam *)b.params->data,
                    b.params->len, error);
  sql_clear(&b);
  if (!r)
    return NULL;
  if (back && okno_rows_count(r) <= q->limit) {
    OknoQueueQuery first = *q;
    first.after = first.before = NULL;
    return column_page_run(st, &first, error);
  }
  page = okno_page_from_rows(r, q->limit, OKNO_SORT_RECEIVED, cursor, back, error);
  if (!page)
    return NULL;
  /* the tokens of this order, in place of the received-time ones */
  if (page->next) {
    g_free(page->next);
    page->next = column_token(q, page->appeals->pdata[page->appeals->len - 1]);
  }
  if (page->prev) {
    g_free(page->prev);
    page->prev = column_token(q, page->appeals->pdata[0]);
  }
  return page;
}

OknoPage *okno_store_queue_page(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  if (q->column != OKNO_COLUMN_NONE)
    return column_page_run(st, q, error);
  return page_run(st, q, error);
}

gint64 okno_store_queue_count(OknoStore *st, const OknoQueueQuery *q, GError **error)
{
  g_autofree char *words = NULL;
  g_autoptr(OknoRows) r = NULL;
  Sql b;
  if (!check_query(q, error))
    return -1;
  if (has_search(q) && !(words = search_words(st, q, error)))
    return -1;
  sql_init(&b, st);
  count_sql(&b, q, words);
  r = okno_db_query(okno_store_db(st), b.sql->str, (const OknoParam *)b.params->data,
                    b.params->len, error);
  sql_clear(&b);
  return r ? okno_rows_int(r, 0, 0) : -1;
}

char *okno_store_queue_plan(OknoStore *st, const OknoQueueQuery *q, gboolean count,
                            GError **error)
{
  g_autofree char *words = NULL;
  g_autoptr(OknoRows) r = NULL;
  GString *out;
  gint64 key = 0, id = 0;
  gboolean cursor = FALSE;
  Sql b;
  if (!check_query(q, error))
    return NULL;
  if (has_search(q) && !(words = search_words(st, q, error)))
    return NULL;
  if (q->after || q->before)
    cursor = okno_page_token_parse(q->after ? q->after : q->before, q->sort, &key, &id);
  sql_init(&b, st);
  g_string_append(b.sql, b.sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ");
  if (count)
    count_sql(&b, q, words);
  else if (!page_sql(&b, q, words, cursor, q->before && !q->after, key, id))
    g_string_append(b.sql, "SELECT 1");
  r = okno_db_query(okno_store_db(st), b.sql->str, (const OknoParam *)b.params->data,
                    b.params->len, error);
  sql_clear(&b);
  if (!r)
    return NULL;
  out = g_string_new(NULL);
  for (guint i = 0; i < okno_rows_count(r); i++) /* SQLite: id, parent, notused, detail */
    g_string_append_printf(out, "%s\n", okno_rows_text(r, i, b.sqlite ? 3 : 0));
  return g_string_free(out, FALSE);
}
