/* retention.c: holds, the pass's candidates, the purge of an appeal's personal data,
 * destruction acts and the daily guard in the store (retention.h).
 *
 * The purge writes plain UPDATEs in the caller's transaction; the search index
 * follows through its triggers (migration 2) and is then emptied explicitly for the
 * appeal. Event details are emptied for every kind not in okno_store_fact_event_kinds[] (those hold
 * only facts: statuses, deadlines, departments, staff logins, numbers), each with a
 * purge leaf, as are the messages; the appeal's emptied row gets a new appeal leaf.
 * The blind indexes of addresses (store/keys.h) are emptied with the addresses: a
 * keyed hash of an address still links a person to the appeal, and in a store without
 * a key file they hold the address itself.
 * Nothing is deleted: ids and the journal's leaves
 * stay, so history keeps its shape and still verifies. */
#include "store/retention.h"
#include "store/events.h"

#include <string.h>

#include "core/error.h"
#include "store/db.h"
#include "store/journal.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* What the purge records as emptied (docs/journal.md, "Purges"). */
#define EMPTIED_MESSAGE "sender+recipient+subject+text+meta+content_hash+raw+attachments"
#define EMPTIED_EVENT "detail"
#define PURGED_DETAIL "{\"purged\":true}"

/* The event kinds whose detail holds facts only (events.h okno_store_fact_event_kinds:
 * stored clear, kept by a purge), as an SQL list "('registered', ...)"; every other
 * kind's detail is emptied (status_changed carries an operator's reason, forwarded a
 * letter's body, invalid_identifier the value typed...). */
static const char *kept_detail_sql(void)
{
  static gsize once;
  static char *sql;
  if (g_once_init_enter(&once)) {
    GString *s = g_string_new("(");
    for (const char *const *k = okno_store_fact_event_kinds; *k; k++)
      g_string_append_printf(s, "%s'%s'", k == okno_store_fact_event_kinds ? "" : ", ", *k);
    g_string_append_c(s, ')');
    sql = g_string_free(s, FALSE);
    g_once_init_leave(&once, 1);
  }
  return sql;
}

/* ---- holds ---- */

void okno_retention_hold_free(OknoRetentionHold *h)
{
  if (!h)
    return;
  g_free(h->reason);
  g_free(h->held_by);
  g_free(h);
}

OknoRetentionHold *okno_store_retention_hold_get(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT reason, held_by, held_since, held_total FROM retention_holds WHERE appeal_id = $1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  OknoRetentionHold *h;
  if (!r || !okno_rows_count(r))
    return NULL;
  h = g_new0(OknoRetentionHold, 1);
  h->reason = g_strdup(okno_rows_text(r, 0, 0));
  h->held_by = g_strdup(okno_rows_text(r, 0, 1));
  h->held_since = okno_rows_int(r, 0, 2);
  h->held_total = okno_rows_int(r, 0, 3);
  h->held = h->held_since > 0;
  return h;
}

gboolean okno_store_retention_hold(OknoStore *st, gint64 appeal_id, const char *reason,
                                   const char *by, gint64 now, gboolean *was_held,
                                   GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(OknoRetentionHold) h = okno_store_retention_hold_get(st, appeal_id, &local);
  if (local) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  *was_held = h && h->held;
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO retention_holds(appeal_id, reason, held_by, held_since, held_total) "
      "VALUES($1, $2, $3, $4, 0) ON CONFLICT(appeal_id) DO UPDATE SET reason = excluded.reason, "
      "held_by = excluded.held_by, held_since = CASE WHEN retention_holds.held_since > 0 "
      "THEN retention_holds.held_since ELSE excluded.held_since END",
      OKNO_PARAMS(OKNO_INT(appeal_id), T(reason), T(by), OKNO_INT(MAX(now, 1))), error);
}

gboolean okno_store_retention_unhold(OknoStore *st, gint64 appeal_id, gint64 now,
                                     gboolean *was_held, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE retention_holds SET held_total = held_total + "
      "CASE WHEN $2 > held_since THEN $2 - held_since ELSE 0 END, held_since = 0 "
      "WHERE appeal_id = $1 AND held_since > 0 RETURNING appeal_id",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *was_held = okno_rows_count(r) > 0;
  return TRUE;
}

/* ---- candidates ---- */

void okno_retention_candidate_free(OknoRetentionCandidate *c)
{
  if (!c)
    return;
  g_free(c->number);
  g_free(c->category);
  g_free(c->from_email);
  g_free(c);
}

GPtrArray *okno_store_retention_candidates(OknoStore *st, gint64 closed_before, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT * FROM (SELECT a.id, a.number, a.kind, a.category, a.from_email, "
      "  coalesce((SELECT max(e.at) FROM events e WHERE e.appeal_id = a.id "
      "            AND e.kind = 'status_changed'), a.updated_at) AS closed_at, "
      "  coalesce(h.held_total, 0), coalesce(h.held_since, 0), coalesce(d.requested_at, 0) AS req "
      "  FROM appeals a LEFT JOIN retention_holds h ON h.appeal_id = a.id "
      "  LEFT JOIN deletion_requests d ON d.appeal_id = a.id "
      "  WHERE a.status NOT IN ('new', 'in_progress', 'needs_clarification') "
      "  AND NOT EXISTS (SELECT 1 FROM retention_purges p WHERE p.appeal_id = a.id)) AS c "
      "WHERE closed_at <= $1 OR req > 0 ORDER BY id",
      OKNO_PARAMS(OKNO_INT(closed_before)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_retention_candidate_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoRetentionCandidate *c = g_new0(OknoRetentionCandidate, 1);
    OknoKind kind;
    if (!okno_kind_parse(okno_rows_text(r, i, 2), &kind)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "appeal %s has an unknown kind '%s'",
                  okno_rows_text(r, i, 1), okno_rows_text(r, i, 2));
      okno_retention_candidate_free(c);
      g_ptr_array_unref(out);
      return NULL;
    }
    c->appeal_id = okno_rows_int(r, i, 0);
    c->number = g_strdup(okno_rows_text(r, i, 1));
    c->kind = kind;
    c->category = g_strdup(okno_rows_text(r, i, 3));
    c->from_email = g_strdup(okno_rows_text(r, i, 4));
    c->closed_at = okno_rows_int(r, i, 5);
    c->held_total = okno_rows_int(r, i, 6);
    c->held = okno_rows_int(r, i, 7) > 0;
    c->deletion_requested_at = okno_rows_int(r, i, 8);
    g_ptr_array_add(out, c);
  }
  return out;
}

/* ---- the purge ---- */

void okno_purge_counts_clear(OknoPurgeCounts *c)
{
  if (c->outbound_ids)
    g_array_unref(c->outbound_ids);
  memset(c, 0, sizeof *c);
}

/* Runs `sql` (with $1 the appeal id) and returns how many rows its RETURNING gave. */
static gboolean count_rows(OknoDb *db, const char *sql, gint64 appeal_id, gint64 *n,
                           GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(db, sql, OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  if (n)
    *n = okno_rows_count(r);
  return TRUE;
}

gboolean okno_store_retention_purge(OknoStore *st, gint64 appeal_id, gint64 at,
                                    const char *grounds, OknoPurgeCounts *out, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  g_autoptr(OknoRows) ob = NULL, ev = NULL;
  memset(out, 0, sizeof *out);
  out->outbound_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  ob = okno_db_query(db, "SELECT id FROM outbound WHERE appeal_id = $1 ORDER BY id",
                     OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!ob)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(ob); i++) {
    gint64 id = okno_rows_int(ob, i, 0);
    g_array_append_val(out->outbound_ids, id);
  }
  /* Attachments first: the message's update below rebuilds the search row with the
   * emptied file names. */
  if (!count_rows(db,
                  "UPDATE attachments SET filename = '', filename_terms = '', data = NULL "
                  "WHERE message_ref IN "
                  "(SELECT id FROM messages WHERE appeal_id = $1) RETURNING id",
                  appeal_id, &out->attachments, error) ||
      !okno_db_exec(db,
                    "UPDATE messages SET sender = '', sender_bidx = '', recipient = '', subject = '', "
                    "text = '', text_terms = '', meta = '{}', content_hash = '', raw = $2 WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_BLOB("", 0)), error) ||
      !count_rows(db, "SELECT id FROM messages WHERE appeal_id = $1", appeal_id,
                  &out->messages, error) ||
      !okno_db_exec(db,
                    "UPDATE outbound SET env_to = '', to_bidx = '', last_error = '', mail_raw = CASE WHEN "
                    "message_ref IS NULL THEN $2 ELSE NULL END WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_BLOB("", 0)), error) ||
      !okno_db_exec(db,
                    "UPDATE appeals SET subject = '', subject_terms = '', from_name = '', from_email = '', from_bidx = '', "
                    "phone = '' WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id)), error) ||
      !okno_db_exec(db, "UPDATE ratings SET comment = '', email = '' WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id)), error) ||
      !okno_db_exec(db,
                    sqlite ? "DELETE FROM appeal_fts WHERE rowid = $1"
                           : "UPDATE appeal_search SET doc = ''::tsvector WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id)), error) ||
      (sqlite && !okno_db_exec(db,
                               "INSERT INTO appeal_fts(rowid, subject, texts, files) "
                               "VALUES($1, '', '', '')",
                               OKNO_PARAMS(OKNO_INT(appeal_id)), error)))
    return FALSE;
  {
    g_autofree char *purge_events = g_strdup_printf(
        "UPDATE events SET detail = '" PURGED_DETAIL "' WHERE appeal_id = $1 "
        "AND kind NOT IN %s AND detail <> '" PURGED_DETAIL "' RETURNING id",
        kept_detail_sql());
    ev = okno_db_query(db, purge_events, OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  }
  /* the appeal's own leaf (version 2) covers subject and contact: its emptied state is
   * a change of the appeal like any other, journaled as its new latest leaf */
  if (!ev || !okno_store_journal_purge_messages(st, appeal_id, at, EMPTIED_MESSAGE, error) ||
      !okno_store_journal_appeal_id(st, appeal_id, error))
    return FALSE;
  out->events = okno_rows_count(ev);
  for (guint i = 0; i < okno_rows_count(ev); i++)
    if (!okno_store_journal_purge_event(st, okno_rows_int(ev, i, 0), appeal_id, at,
                                        EMPTIED_EVENT, error))
      return FALSE;
  return okno_db_exec(db, "INSERT INTO retention_purges(appeal_id, at, grounds) VALUES($1, $2, $3)",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(at), T(grounds)), error);
}

gint64 okno_store_retention_purged_at(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT at FROM retention_purges WHERE appeal_id = $1",
                                        OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

gboolean okno_store_retention_secure(OknoStore *st, GError **error)
{
  OknoDb *db = okno_store_db(st);
  return !okno_db_is_sqlite(db) || okno_db_script(db, "PRAGMA secure_delete = ON", error);
}

gboolean okno_store_retention_compact(OknoStore *st, GError **error)
{
  OknoDb *db = okno_store_db(st);
  if (!okno_db_is_sqlite(db))
    return okno_db_script(db, "VACUUM appeals, messages, attachments, events, outbound, ratings, "
                              "appeal_search", error);
  return okno_db_script(db, "PRAGMA secure_delete = ON", error) &&
         okno_db_script(db, "INSERT INTO appeal_fts(appeal_fts) VALUES('optimize')", error) &&
         okno_db_script(db, "PRAGMA wal_checkpoint(TRUNCATE)", error);
}

gboolean okno_store_retention_claim(OknoStore *st, gint64 now, gint64 interval, gboolean *won,
                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE retention_runs SET last_at = $1 WHERE one = 1 AND last_at <= $2 RETURNING one",
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now - interval)), error);
  if (!r)
    return FALSE;
  *won = okno_rows_count(r) > 0;
  return TRUE;
}

/* ---- deletion requests ---- */

gboolean okno_store_deletion_request(OknoStore *st, gint64 appeal_id, const char *by,
                                     gint64 now, gboolean *already, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO deletion_requests(appeal_id, requested_at, requested_by) VALUES($1, $2, $3) "
      "ON CONFLICT(appeal_id) DO NOTHING RETURNING appeal_id",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(now), T(by)), error);
  if (!r)
    return FALSE;
  *already = okno_rows_count(r) == 0;
  return TRUE;
}

gint64 okno_store_retention_closed_at(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT coalesce((SELECT max(e.at) FROM events e WHERE e.appeal_id = a.id "
      "AND e.kind = 'status_changed'), a.updated_at) FROM appeals a WHERE a.id = $1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

gint64 okno_store_deletion_requested_at(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT requested_at FROM deletion_requests WHERE appeal_id = $1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

/* ---- acts ---- */

void okno_destruction_act_free(OknoDestructionAct *a)
{
  if (!a)
    return;
  g_free(a->done_by);
  if (a->csv)
    g_bytes_unref(a->csv);
  if (a->pdf)
    g_bytes_unref(a->pdf);
  g_free(a);
}

gboolean okno_store_act_add(OknoStore *st, OknoDestructionAct *a, const GArray *appeal_ids,
                            GError **error)
{
  OknoDb *db = okno_store_db(st);
  gsize clen = 0, plen = 0;
  const void *csv = a->csv ? g_bytes_get_data(a->csv, &clen) : NULL;
  const void *pdf = a->pdf ? g_bytes_get_data(a->pdf, &plen) : NULL;
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "INSERT INTO destruction_acts(at, done_by, appeals, subjects, csv, pdf, keep_until) "
      "VALUES($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      OKNO_PARAMS(OKNO_INT(a->at), T(a->done_by), OKNO_INT(a->appeals), OKNO_INT(a->subjects),
                  OKNO_BLOB(csv ? csv : "", clen), pdf ? OKNO_BLOB(pdf, plen) : OKNO_NULL,
                  OKNO_INT(a->keep_until)),
      error);
  if (!r || okno_rows_count(r) != 1)
    return r ? (g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "act not stored"), FALSE)
             : FALSE;
  a->id = okno_rows_int(r, 0, 0);
  for (guint i = 0; appeal_ids && i < appeal_ids->len; i++)
    if (!okno_db_exec(db, "UPDATE retention_purges SET act_id = $1 WHERE appeal_id = $2",
                      OKNO_PARAMS(OKNO_INT(a->id), OKNO_INT(g_array_index(appeal_ids, gint64, i))),
                      error))
      return FALSE;
  return TRUE;
}

gboolean okno_store_act_set_bytes(OknoStore *st, gint64 id, GBytes *csv, GBytes *pdf,
                                  GError **error)
{
  gsize clen = 0, plen = 0;
  const void *c = csv ? g_bytes_get_data(csv, &clen) : NULL;
  const void *p = pdf ? g_bytes_get_data(pdf, &plen) : NULL;
  return okno_db_exec(okno_store_db(st), "UPDATE destruction_acts SET csv = $2, pdf = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_BLOB(c ? c : "", clen),
                                  p ? OKNO_BLOB(p, plen) : OKNO_NULL),
                      error);
}

static OknoDestructionAct *act_of_row(const OknoRows *r, guint i, gboolean bytes)
{
  OknoDestructionAct *a = g_new0(OknoDestructionAct, 1);
  a->id = okno_rows_int(r, i, 0);
  a->at = okno_rows_int(r, i, 1);
  a->done_by = g_strdup(okno_rows_text(r, i, 2));
  a->appeals = okno_rows_int(r, i, 3);
  a->subjects = okno_rows_int(r, i, 4);
  a->keep_until = okno_rows_int(r, i, 5);
  if (bytes) {
    a->csv = okno_rows_blob(r, i, 6);
    a->pdf = okno_rows_is_null(r, i, 7) ? NULL : okno_rows_blob(r, i, 7);
    if (!a->csv)
      a->csv = g_bytes_new(NULL, 0);
  }
  return a;
}

GPtrArray *okno_store_acts_list(OknoStore *st, guint limit, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, at, done_by, appeals, subjects, keep_until FROM destruction_acts "
      "ORDER BY id DESC LIMIT $1",
      OKNO_PARAMS(OKNO_INT(limit)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_destruction_act_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, act_of_row(r, i, FALSE));
  return out;
}

OknoDestructionAct *okno_store_act_get(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, at, done_by, appeals, subjects, keep_until, csv, pdf FROM destruction_acts "
      "WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? act_of_row(r, 0, TRUE) : NULL;
}

gboolean okno_store_acts_expire(OknoStore *st, gint64 now, gint64 *deleted, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "DELETE FROM destruction_acts WHERE keep_until < $1 RETURNING id",
      OKNO_PARAMS(OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *deleted = okno_rows_count(r);
  return TRUE;
}

GPtrArray *okno_store_retention_purge_leaves(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT seq, ref, ref_id, leaf FROM journal WHERE kind = 'purge' AND appeal_id = $1 "
      "ORDER BY seq",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_leaf_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoJournalLeaf *l = g_new0(OknoJournalLeaf, 1);
    l->seq = okno_rows_int(r, i, 0);
    l->ref = g_strdup(okno_rows_text(r, i, 1));
    l->ref_id = okno_rows_int(r, i, 2);
    l->leaf = okno_rows_blob(r, i, 3);
    l->appeal_id = appeal_id;
    if (!l->leaf)
      l->leaf = g_bytes_new(NULL, 0);
    g_ptr_array_add(out, l);
  }
  return out;
}
