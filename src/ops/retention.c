/* retention.c: the retention pass and legal holds (retention.h).
 *
 * How a pass works: the store lists the closed, unpurged appeals that closed early
 * enough for the shortest period to have run out (or whose citizen asked for
 * deletion); the policy (appeal/retention.h) says when each falls due. Each due appeal
 * not under a hold is purged in its own transaction, the hold read again inside it (a
 * hold placed meanwhile wins). Its files go after the commit. Then one act for the pass
 * (ops/act.h), the expiry of old acts, and the store's compaction. */
#include "ops/retention.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "appeal/retention.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "ops/act.h"
#include "ops/outbound.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/journal.h"
#include "store/keys.h"
#include "store/retention.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

static void line_free(OknoRetentionLine *l)
{
  g_free(l->number);
  g_free(l->kind);
  g_free(l->category);
  g_free(l);
}

void okno_retention_report_free(OknoRetentionReport *r)
{
  if (!r)
    return;
  if (r->lines)
    g_ptr_array_unref(r->lines);
  g_free(r);
}

static OknoRetentionLine *add_line(OknoRetentionReport *rep, const OknoRetentionCandidate *c,
                                   gint64 due, const char *grounds, const char *action)
{
  OknoRetentionLine *l = g_new0(OknoRetentionLine, 1);
  l->number = g_strdup(c->number);
  l->kind = g_strdup(okno_kind_name(c->kind));
  l->category = g_strdup(c->category);
  l->closed_at = c->closed_at;
  l->due_at = due;
  l->grounds = grounds;
  l->action = action;
  g_ptr_array_add(rep->lines, l);
  return l;
}

/* Purges one appeal in its own transaction. *skipped: a hold came first. */
static gboolean purge_one(OknoStore *st, const OknoRetentionCandidate *c, gint64 now,
                          const char *grounds, OknoPurgeCounts *counts, gboolean *skipped,
                          GError **error)
{
  g_autoptr(OknoRetentionHold) h = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  *skipped = FALSE;
  if (!okno_store_begin(st, error))
    return FALSE;
  h = okno_store_retention_hold_get(st, c->appeal_id, error);
  if (error && *error)
    goto fail;
  if ((h && h->held) || okno_store_retention_purged_at(st, c->appeal_id, error)) {
    *skipped = TRUE;
    okno_store_rollback(st);
    return !(error && *error);
  }
  if (!okno_store_retention_purge(st, c->appeal_id, now, grounds, counts, error))
    goto fail;
  /* Crypto-shredding (store/keys.h): the appeal's data key goes in this transaction, so
   * what the emptying could not reach (old WAL frames, free pages, a backup taken
   * before) can no longer be opened once the pass has collected the retired epochs
   * (okno_retention_run). Without a key file nothing was sealed: nothing to shred. */
  if (okno_store_vault() && !okno_store_appeal_shred(st, c->appeal_id, error))
    goto fail;
  json_builder_begin_object(b);
  okno_json_str(b, "grounds", grounds);
  okno_json_int(b, "messages", counts->messages);
  okno_json_int(b, "attachments", counts->attachments);
  okno_json_int(b, "events", counts->events);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  if (!okno_store_event_add(st, c->appeal_id, "retention_purged", detail, error) ||
      !okno_store_commit(st, error))
    goto fail;
  return TRUE;
fail:
  okno_store_rollback(st);
  return FALSE;
}

/* The act's journal extract for the purged appeals. */
static gboolean act_leaves(OknoStore *st, const GPtrArray *purged_ids, const GPtrArray *numbers,
                           GArray *out, GError **error)
{
  for (guint i = 0; i < purged_ids->len; i++) {
    gint64 id = *(gint64 *)purged_ids->pdata[i];
    g_autoptr(GPtrArray) leaves = okno_store_retention_purge_leaves(st, id, error);
    if (!leaves)
      return FALSE;
    for (guint k = 0; k < leaves->len; k++) {
      OknoJournalLeaf *l = leaves->pdata[k];
      OknoActLeaf a = {.seq = l->seq, .number = g_strdup(numbers->pdata[i]),
                       .ref = g_strdup(l->ref), .ref_id = l->ref_id};
      gsize len = 0;
      const guint8 *h = g_bytes_get_data(l->leaf, &len);
      for (gsize j = 0; j < len && j < 32; j++)
        g_snprintf(a.hash + 2 * j, 3, "%02x", h[j]);
      g_array_append_val(out, a);
    }
  }
  return TRUE;
}

static void act_leaf_clear(gpointer p)
{
  OknoActLeaf *l = p;
  g_free(l->number);
  g_free(l->ref);
}

static gboolean write_act(const OknoConfig *cfg, OknoStore *st, OknoRetentionReport *rep,
                          const char *by, const GPtrArray *purged_ids, GError **error)
{
  g_autoptr(GPtrArray) appeals = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) numbers = g_ptr_array_new();
  g_autoptr(GArray) leaves = g_array_new(FALSE, TRUE, sizeof(OknoActLeaf));
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(OknoDestructionAct) row = g_new0(OknoDestructionAct, 1);
  g_autoptr(GBytes) csv = NULL, pdf = NULL;
  g_autoptr(GError) pdf_err = NULL;
  OknoAct act = {0};
  g_array_set_clear_func(leaves, act_leaf_clear);
  for (guint i = 0; i < rep->lines->len; i++) {
    OknoRetentionLine *l = rep->lines->pdata[i];
    OknoActAppeal *a;
    if (strcmp(l->action, "purged") != 0)
      continue;
    a = g_new0(OknoActAppeal, 1);
    a->number = l->number;
    a->kind = l->kind;
    a->category = l->category;
    a->closed_at = l->closed_at;
    a->grounds = l->grounds;
    a->messages = l->messages;
    a->attachments = l->attachments;
    a->events = l->events;
    g_ptr_array_add(appeals, a);
    g_ptr_array_add(numbers, l->number);
  }
  for (guint i = 0; i < purged_ids->len; i++)
    g_array_append_val(ids, *(gint64 *)purged_ids->pdata[i]);
  if (!act_leaves(st, purged_ids, numbers, leaves, error))
    return FALSE;
  row->at = rep->now;
  row->done_by = g_strdup(by);
  row->appeals = appeals->len;
  row->subjects = rep->subjects;
  row->keep_until = rep->now + cfg->retention_acts_days * DAY_US;
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!okno_store_act_add(st, row, ids, error))
    goto fail;
  act.id = row->id;
  act.at = rep->now;
  act.operator_name = *cfg->retention_operator ? cfg->retention_operator : cfg->portal_name;
  act.done_by = by;
  act.subjects = rep->subjects;
  act.appeals = appeals;
  act.leaves = leaves;
  csv = okno_act_csv(&act);
  pdf = okno_act_pdf(&act, cfg->retention_act_font, &pdf_err);
  if (!pdf)
    okno_log_warn("retention", "event=act_pdf_failed act=%" G_GINT64_FORMAT " error=\"%s\"",
                  act.id, pdf_err->message);
  if (!okno_store_act_set_bytes(st, row->id, csv, pdf, error) || !okno_store_commit(st, error))
    goto fail;
  rep->act_id = row->id;
  return TRUE;
fail:
  okno_store_rollback(st);
  return FALSE;
}

OknoRetentionReport *okno_retention_run(const OknoConfig *cfg, OknoStore *st, gint64 now,
                                        gboolean dry_run, const char *by, GError **error)
{
  g_autoptr(OknoRetentionPolicy) policy = okno_retention_policy_new(cfg, error);
  g_autoptr(OknoRetentionReport) rep = NULL;
  g_autoptr(GPtrArray) cands = NULL;
  g_autoptr(GPtrArray) purged_ids = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) subjects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *instance = NULL;
  if (!policy)
    return NULL;
  rep = g_new0(OknoRetentionReport, 1);
  rep->now = now;
  rep->dry_run = dry_run;
  rep->lines = g_ptr_array_new_with_free_func((GDestroyNotify)line_free);
  if (!dry_run && !okno_store_instance_id(st, &instance, error))
    return NULL;
  cands = okno_store_retention_candidates(
      st, now - okno_retention_min_days(policy) * DAY_US, error);
  if (!cands)
    return NULL;
  for (guint i = 0; i < cands->len; i++) {
    const OknoRetentionCandidate *c = cands->pdata[i];
    OknoRetentionFacts f = {.kind = c->kind, .category = c->category, .closed_at = c->closed_at,
                            .held_total = c->held_total, .held = FALSE,
                            .deletion_requested_at = c->deletion_requested_at};
    const char *grounds = NULL;
    gint64 due = okno_retention_due_at(policy, &f, &grounds);
    OknoPurgeCounts counts = {0};
    gboolean skipped = FALSE;
    OknoRetentionLine *l;
    if (due > now)
      continue;
    if (c->held) {
      add_line(rep, c, due, grounds, "held");
      rep->held++;
      continue;
    }
    if (dry_run) {
      add_line(rep, c, due, grounds, "would purge");
      rep->purged++;
      g_hash_table_add(subjects, g_utf8_strdown(c->from_email, -1));
      continue;
    }
    /* freed pages zeroed from the first purge on (SQLite; outside a transaction) */
    if (!rep->purged && !okno_store_retention_secure(st, error))
      return NULL;
    if (!purge_one(st, c, now, grounds, &counts, &skipped, error)) {
      okno_purge_counts_clear(&counts);
      return NULL;
    }
    if (skipped) {
      add_line(rep, c, due, grounds, "held");
      rep->held++;
      okno_purge_counts_clear(&counts);
      continue;
    }
    l = add_line(rep, c, due, grounds, "purged");
    l->messages = counts.messages;
    l->attachments = counts.attachments;
    l->events = counts.events;
    for (guint k = 0; k < counts.outbound_ids->len; k++)
      l->files += okno_outbound_maildir_remove(cfg, instance,
                                               g_array_index(counts.outbound_ids, gint64, k));
    okno_purge_counts_clear(&counts);
    rep->purged++;
    g_hash_table_add(subjects, g_utf8_strdown(c->from_email, -1));
    g_ptr_array_add(purged_ids, g_memdup2(&c->appeal_id, sizeof c->appeal_id));
    okno_log("retention", "event=purged appeal=%s grounds=%s", c->number, grounds);
  }
  rep->subjects = g_hash_table_size(subjects);
  if (dry_run)
    return g_steal_pointer(&rep);
  /* the shredded keys' epochs: the other keys re-wrapped, the old KEKs destroyed */
  if (purged_ids->len && okno_store_vault() && !okno_store_keys_collect(st, NULL, error))
    return NULL;
  if (purged_ids->len && !write_act(cfg, st, rep, by, purged_ids, error))
    return NULL;
  if (!okno_store_begin(st, error))
    return NULL;
  if (!okno_store_acts_expire(st, now, &rep->acts_expired, error) || !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return NULL;
  }
  /* Only after a purge: the compaction rewrites the search index and the WAL. */
  if ((rep->purged || rep->acts_expired) && !okno_store_retention_compact(st, error))
    return NULL;
  return g_steal_pointer(&rep);
}

char *okno_retention_report_json(const OknoRetentionReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *now = okno_time_format_msk(r->now);
  json_builder_begin_object(b);
  okno_json_str(b, "now", now);
  okno_json_bool(b, "dry_run", r->dry_run);
  okno_json_int(b, "purged", r->purged);
  okno_json_int(b, "held", r->held);
  okno_json_int(b, "subjects", r->subjects);
  json_builder_set_member_name(b, "act");
  if (r->act_id)
    json_builder_add_int_value(b, r->act_id);
  else
    json_builder_add_null_value(b);
  okno_json_int(b, "acts_expired", r->acts_expired);
  json_builder_set_member_name(b, "appeals");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->lines->len; i++) {
    const OknoRetentionLine *l = r->lines->pdata[i];
    g_autofree char *closed = okno_time_format_msk(l->closed_at);
    g_autofree char *due = okno_time_format_msk(l->due_at);
    json_builder_begin_object(b);
    okno_json_str(b, "number", l->number);
    okno_json_str(b, "kind", l->kind);
    okno_json_str(b, "category", l->category);
    okno_json_str(b, "closed_at", closed);
    okno_json_str(b, "due_at", due);
    okno_json_str(b, "grounds", l->grounds);
    okno_json_str(b, "action", l->action);
    okno_json_int(b, "messages", l->messages);
    okno_json_int(b, "attachments", l->attachments);
    okno_json_int(b, "events", l->events);
    okno_json_int(b, "files", l->files);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

char *okno_retention_report_text(const OknoRetentionReport *r)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < r->lines->len; i++) {
    const OknoRetentionLine *l = r->lines->pdata[i];
    g_autofree char *closed = okno_time_format_msk(l->closed_at);
    g_string_append_printf(s, "%s %s kind=%s category=%s closed=%s grounds=%s", l->number,
                           l->action, l->kind, *l->category ? l->category : "-", closed,
                           l->grounds);
    if (!strcmp(l->action, "purged"))
      g_string_append_printf(s, " messages=%" G_GINT64_FORMAT " attachments=%" G_GINT64_FORMAT
                             " events=%" G_GINT64_FORMAT " files=%u",
                             l->messages, l->attachments, l->events, l->files);
    g_string_append_c(s, '\n');
  }
  g_string_append_printf(s, "total: %s %" G_GINT64_FORMAT ", held %" G_GINT64_FORMAT
                         ", subjects %" G_GINT64_FORMAT,
                         r->dry_run ? "would purge" : "purged", r->purged, r->held, r->subjects);
  if (r->act_id)
    g_string_append_printf(s, ", act %" G_GINT64_FORMAT, r->act_id);
  g_string_append_c(s, '\n');
  return g_string_free(s, FALSE);
}

/* ---- holds ---- */

static OknoAppeal *appeal_of(OknoStore *st, const char *number, GError **error)
{
  OknoAppeal *a = okno_store_appeal_get(st, number, error);
  if (!a && !(error && *error))
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение № %s не найдено.", number);
  return a;
}

gboolean okno_retention_hold(OknoStore *st, const char *number, const char *reason,
                             const char *by, gint64 now, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL, *why = g_strstrip(g_strdup(reason ? reason : ""));
  gboolean was = FALSE;
  if (!*why) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Укажите основание удержания.");
    return FALSE;
  }
  a = appeal_of(st, number, error);
  if (!a)
    return FALSE;
  if (okno_store_retention_purged_at(st, a->id, error)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Персональные данные обращения № %s уже уничтожены: удерживать нечего.", number);
    return FALSE;
  }
  if (error && *error)
    return FALSE;
  if (!okno_store_retention_hold(st, a->id, why, by, now, &was, error))
    return FALSE;
  json_builder_begin_object(b);
  okno_json_str(b, "reason", why);
  okno_json_str(b, "by", by);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  return okno_store_event_add(st, a->id, "retention_hold", detail, error);
}

gboolean okno_retention_unhold(OknoStore *st, const char *number, const char *by, gint64 now,
                               GError **error)
{
  g_autoptr(OknoAppeal) a = appeal_of(st, number, error);
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL;
  gboolean was = FALSE;
  if (!a)
    return FALSE;
  if (!okno_store_retention_unhold(st, a->id, now, &was, error))
    return FALSE;
  if (!was) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение № %s не удерживается.", number);
    return FALSE;
  }
  json_builder_begin_object(b);
  okno_json_str(b, "by", by);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  return okno_store_event_add(st, a->id, "retention_unhold", detail, error);
}

/* ---- deletion requests ---- */

const char *okno_retention_deletion_refusal(const OknoConfig *cfg, const OknoAppeal *a)
{
  g_autoptr(OknoRetentionPolicy) p = okno_retention_policy_new(cfg, NULL);
  if (a->kind == OKNO_KIND_FORMAL)
    return "Официальные обращения хранятся пять лет, как требует закон: удалить такое "
           "обращение досрочно нельзя.";
  if (okno_statuses[a->status].open)
    return "Удалить можно только закрытое обращение: дождитесь ответа.";
  if (!p || okno_retention_days(p, a->kind, a->category) != cfg->retention_support_days)
    return "Обращения этой категории хранятся дольше по закону: удалить его досрочно нельзя.";
  return NULL;
}

gboolean okno_retention_request_deletion(const OknoSlaEnv *env, OknoStore *st,
                                         const OknoAppeal *a, const char *by, gint64 now,
                                         gint64 *due, GError **error)
{
  const char *refusal = okno_retention_deletion_refusal(env->cfg, a);
  gboolean already = FALSE;
  gint64 closed, asked;
  g_autofree char *when = NULL, *subject = NULL, *text = NULL;
  if (refusal) {
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, refusal);
    return FALSE;
  }
  if (!okno_store_deletion_request(st, a->id, by, now, &already, error))
    return FALSE;
  closed = okno_store_retention_closed_at(st, a->id, error);
  asked = already ? okno_store_deletion_requested_at(st, a->id, error) : now;
  if (error && *error)
    return FALSE;
  *due = MAX(closed + env->cfg->retention_deletion_days * DAY_US, asked);
  if (already)
    return TRUE;
  when = okno_receipt_time(*due);
  subject = g_strdup_printf("Запрос на удаление обращения № %s принят", a->number);
  text = g_strdup_printf(
      "Мы получили ваш запрос на удаление обращения № %s.\n\n"
      "Персональные данные по этому обращению (ваши имя, адрес, телефон, тексты писем и "
      "вложения) будут уничтожены не позднее %s. Сведения о самом факте обращения (номер, "
      "даты и статусы) сохранятся в журнале учёта, как требует закон.\n\n"
      "Если вы передумали, напишите нам до этой даты: ответьте на это письмо.",
      a->number, when);
  return okno_store_event_add(st, a->id, "deletion_requested", "{}", error) &&
         okno_ops_notify(env, st, a, "deletion_requested", subject, text, error);
}
