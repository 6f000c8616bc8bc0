/* incidents.c: the mass incidents' detection pass, alert and operations (incidents.h). */
#include "ops/incidents.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/outbound.h"
#include "store/staff.h"
#include "text/cluster.h"

#define WINDOW_MAX 5000    /* appeals of one window read at most (the oldest first) */
#define BASELINE_MAX 50000 /* appeals of the baseline read at most (then the span shrinks) */
#define OPEN_MAX 200       /* open incidents matched against */
#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

static gboolean event(OknoStore *st, gint64 appeal, const char *kind, gint64 incident,
                      const char *by, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, incident);
  g_autofree char *text = NULL;
  json_builder_begin_object(b);
  okno_json_str(b, "incident", id);
  if (by && *by)
    okno_json_str(b, "by", by);
  json_builder_end_object(b);
  text = okno_json_text(b, FALSE);
  return okno_store_event_add(st, appeal, kind, text, error);
}

gboolean okno_incident_add(OknoStore *st, gint64 id, const OknoAppeal *a, const char *by,
                           GError **error)
{
  gboolean added = FALSE;
  if (!okno_store_incident_add(st, id, a->id, by, okno_now(), &added, error))
    return FALSE;
  if (!added) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение № %s уже входит в этот инцидент.",
                a->number);
    return FALSE;
  }
  return event(st, a->id, "incident_joined", id, by, error);
}

gboolean okno_incident_remove(OknoStore *st, gint64 id, const OknoAppeal *a, const char *by,
                              GError **error)
{
  gboolean removed = FALSE;
  if (!okno_store_incident_remove(st, id, a->id, okno_now(), &removed, error))
    return FALSE;
  if (!removed) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение № %s не входит в этот инцидент.",
                a->number);
    return FALSE;
  }
  return event(st, a->id, "incident_left", id, by, error);
}

gboolean okno_incident_answer_one(const OknoSlaEnv *env, OknoStore *st, gint64 id,
                                  const OknoAppeal *a, const char *text, const char *by,
                                  GError **error)
{
  if (a->answered || a->status == OKNO_STATUS_ANSWERED) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "У обращения уже есть ответ.");
    return FALSE;
  }
  if (!*a->from_email) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "У обращения нет пригодного адреса электронной почты.");
    return FALSE;
  }
  return okno_ops_answer(env, st, a->number, a->version, text, by, error) &&
         event(st, a->id, "incident_answered", id, by, error);
}

/* ---- detection ---- */

typedef struct {
  OknoIncidentItem *item;
  OknoSketch sketch;
} Entry;

/* How many appeals of [from, to) are at least `threshold` similar to `c`, scaled to a
 * window of `window` microseconds: the usual count. */
static gboolean usual_count(OknoStore *st, const OknoCentroid *c, gint64 from, gint64 to,
                            gint64 window, double threshold, double *usual, GError **error)
{
  g_autoptr(GPtrArray) base = okno_store_incident_items(st, from, to, BASELINE_MAX, error);
  g_autofree OknoSketch *s = g_new(OknoSketch, 1);
  guint similar = 0;
  gint64 span = to - from;
  if (!base)
    return FALSE;
  for (guint i = 0; i < base->len; i++) {
    okno_sketch_from_terms(s, ((OknoIncidentItem *)base->pdata[i])->terms);
    similar += okno_centroid_similarity(c, s) >= threshold;
  }
  if (base->len == BASELINE_MAX) /* read only the first part: count over its span */
    span = MAX(1, ((OknoIncidentItem *)base->pdata[base->len - 1])->received_at - from);
  *usual = span > 0 ? (double)similar * window / span : 0;
  return TRUE;
}

/* The department most of `members` are in ("" for triage). */
static const char *main_department(GPtrArray *members)
{
  g_autoptr(GHashTable) n = g_hash_table_new(g_str_hash, g_str_equal);
  const char *best = "";
  guint most = 0;
  for (guint i = 0; i < members->len; i++) {
    const char *d = ((Entry *)members->pdata[i])->item->department;
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(n, d)) + 1;
    g_hash_table_insert(n, (gpointer)d, GUINT_TO_POINTER(c));
    if (c > most) {
      most = c;
      best = d;
    }
  }
  return best;
}

static char *minutes_words(gint64 m)
{
  gint64 t = m % 100, o = m % 10;
  const char *w = (t >= 11 && t <= 14) || o == 0 || o >= 5 ? "минут" : o == 1 ? "минуту" : "минуты";
  return g_strdup_printf("%" G_GINT64_FORMAT " %s", m, w);
}

/* The alert to the supervisors of the incident's department ([sla] supervisors when
 * it has none with an address). */
static gboolean alert(const OknoSlaEnv *env, OknoStore *st, gint64 id, const char *department,
                      const OknoAppeal *first, guint count, double usual, guint *letters,
                      GError **error)
{
  const OknoConfig *cfg = env->cfg;
  g_auto(GStrv) emails = *department ? okno_store_department_supervisors(st, department, error)
                                     : g_new0(char *, 1);
  const char *const *to;
  g_autofree char *subject = NULL, *mins = minutes_words(cfg->incidents_window_minutes);
  g_autoptr(GString) text = g_string_new(NULL);
  g_autofree char *usual_text = g_strdup_printf("%.1f", usual);
  if (!emails)
    return FALSE;
  g_strdelimit(usual_text, ".", ','); /* «около 0,4»: the Russian decimal comma */
  to = emails[0] ? (const char *const *)emails : (const char *const *)cfg->sla_supervisors;
  subject = g_strdup_printf("Массовый инцидент № %" G_GINT64_FORMAT ": %u похожих обращений",
                            id, count);
  g_string_append_printf(text,
                         "Уважаемые коллеги!\n\nЗа последние %s поступило %u похожих обращений, "
                         "тогда как обычно за такое время их бывает около %s. Обращения "
                         "объединены в массовый инцидент № %" G_GINT64_FORMAT
                         "; первое из них — № %s%s%s%s.\n\n",
                         mins, count, usual_text, id, first ? first->number : "",
                         first && *first->subject ? " («" : "",
                         first && *first->subject ? first->subject : "",
                         first && *first->subject ? "»" : "");
  g_string_append(text, "Просим проверить, нет ли сбоя, и при необходимости подготовить общий "
                        "ответ: его можно отправить сразу всем заявителям, каждому — в ответ на "
                        "его собственное письмо.");
  if (cfg->public_url && *cfg->public_url)
    g_string_append_printf(text, "\n\nСтраница инцидента: %s/console/incidents/%" G_GINT64_FORMAT,
                           cfg->public_url, id);
  for (; to && *to; to++) {
    g_autofree char *mid = NULL, *tag = g_strdup_printf("incident-%" G_GINT64_FORMAT, id);
    g_autoptr(GBytes) msg = okno_notice_build(cfg, tag, *to, "", subject, text->str, &mid);
    g_autoptr(GBytes) signed_msg = NULL;
    if (!msg) {
      okno_log_warn("incidents", "event=alert_skipped incident=%" G_GINT64_FORMAT
                    " reason=bad_address", id);
      continue;
    }
    signed_msg = okno_dkim_sign_or_plain(env->dkim, msg, NULL);
    if (!okno_store_outbound_enqueue_mail(st, cfg->outbound_from, *to, mid,
                                          signed_msg ? signed_msg : msg, error))
      return FALSE;
    (*letters)++;
  }
  return TRUE;
}

/* A new incident of `members` (in one transaction). */
static gboolean raise_incident(const OknoSlaEnv *env, OknoStore *st, GPtrArray *members,
                               double usual, gint64 now, OknoIncidentPass *out, GError **error)
{
  const char *department = main_department(members);
  OknoIncidentItem *first = ((Entry *)members->pdata[0])->item;
  g_autoptr(OknoAppeal) a = NULL;
  gint64 id;
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!(id = okno_store_incident_create(st, department, first->appeal_id, members->len, usual,
                                        now, error)))
    goto fail;
  for (guint i = 0; i < members->len; i++) {
    gboolean added = FALSE;
    gint64 appeal = ((Entry *)members->pdata[i])->item->appeal_id;
    if (!okno_store_incident_add(st, id, appeal, "okno", now, &added, error) ||
        (added && !event(st, appeal, "incident_joined", id, NULL, error)))
      goto fail;
  }
  a = okno_store_appeal_get_by_id(st, first->appeal_id, error);
  if ((error && *error) ||
      !alert(env, st, id, department, a, members->len, usual, &out->letters, error) ||
      !okno_store_commit(st, error))
    goto fail;
  out->raised++;
  okno_log("incidents", "event=raised incident=%" G_GINT64_FORMAT " appeals=%u usual=%.2f"
           " department=%s", id, members->len, usual, department);
  return TRUE;
fail:
  okno_store_rollback(st);
  return FALSE;
}

typedef struct {
  gint64 id;
  OknoCentroid *c;
} Open;

static void open_clear(gpointer p)
{
  okno_centroid_free(((Open *)p)->c);
}

gboolean okno_incidents_pass(const OknoSlaEnv *env, OknoStore *st, gint64 now,
                             OknoIncidentPass *out, GError **error)
{
  const OknoConfig *cfg = env->cfg;
  gint64 window = cfg->incidents_window_minutes * 60 * G_USEC_PER_SEC;
  double thr = cfg->incidents_similarity;
  g_autoptr(GPtrArray) items = NULL, incidents = NULL;
  g_autoptr(GArray) open = g_array_new(FALSE, TRUE, sizeof(Open));
  g_autofree Entry *entries = NULL;
  g_autofree OknoSketch *free_sk = NULL;
  g_autofree guint *group = NULL, *free_at = NULL, *sizes = NULL;
  guint n_free = 0, n_groups;
  memset(out, 0, sizeof *out);
  g_array_set_clear_func(open, open_clear);
  if (!(items = okno_store_incident_items(st, now - window, now + 1, WINDOW_MAX, error)) ||
      !(incidents = okno_store_incident_list(st, TRUE, OPEN_MAX, error)))
    return FALSE;
  out->items = items->len;
  /* the open incidents' centroids, from their appeals */
  for (guint i = 0; i < incidents->len; i++) {
    Open o = {((OknoIncident *)incidents->pdata[i])->id, okno_centroid_new()};
    g_autoptr(GPtrArray) m = okno_store_incident_members(st, o.id, error);
    g_autofree OknoSketch *s = g_new(OknoSketch, 1);
    g_array_append_val(open, o);
    if (!m)
      return FALSE;
    for (guint j = 0; j < m->len; j++) {
      okno_sketch_from_terms(s, ((OknoIncidentItem *)m->pdata[j])->terms);
      okno_centroid_add(o.c, s);
    }
  }
  entries = g_new0(Entry, items->len + 1);
  free_at = g_new0(guint, items->len + 1);
  /* 1. appeals similar to an open incident join it */
  for (guint i = 0; i < items->len; i++) {
    Entry *e = &entries[i];
    double best = 0;
    gint at = -1;
    e->item = items->pdata[i];
    if (e->item->incident)
      continue; /* in one, or taken out of one by staff */
    okno_sketch_from_terms(&e->sketch, e->item->terms);
    for (guint j = 0; j < open->len; j++) {
      double v = okno_centroid_similarity(g_array_index(open, Open, j).c, &e->sketch);
      if (v > best) {
        best = v;
        at = (gint)j;
      }
    }
    if (at >= 0 && best >= thr) {
      Open *o = &g_array_index(open, Open, at);
      gboolean added = FALSE;
      if (!okno_store_begin(st, error))
        return FALSE;
      if (!okno_store_incident_add(st, o->id, e->item->appeal_id, "okno", now, &added, error) ||
          (added && !event(st, e->item->appeal_id, "incident_joined", o->id, NULL, error)) ||
          !okno_store_commit(st, error)) {
        okno_store_rollback(st);
        return FALSE;
      }
      okno_centroid_add(o->c, &e->sketch);
      out->joined += added;
      continue;
    }
    free_at[n_free++] = i;
  }
  /* 2. the rest, grouped; a large group far above its usual rate is a new incident */
  free_sk = g_new0(OknoSketch, n_free + 1);
  group = g_new0(guint, n_free + 1);
  for (guint k = 0; k < n_free; k++)
    free_sk[k] = entries[free_at[k]].sketch;
  n_groups = okno_cluster_leader(free_sk, n_free, thr, group);
  sizes = g_new0(guint, n_groups + 1);
  for (guint k = 0; k < n_free; k++)
    sizes[group[k]]++;
  for (guint g = 0; g < n_groups; g++) {
    g_autoptr(GPtrArray) members = NULL;
    g_autoptr(OknoCentroid) c = NULL;
    double usual = 0;
    if (sizes[g] < (guint)MIN(cfg->incidents_min_count, G_MAXUINT))
      continue; /* most groups are one appeal: skip them without a scan */
    members = g_ptr_array_new();
    c = okno_centroid_new();
    for (guint k = 0; k < n_free; k++)
      if (group[k] == g) {
        g_ptr_array_add(members, &entries[free_at[k]]);
        okno_centroid_add(c, &free_sk[k]);
      }
    if (members->len < (guint)MIN(cfg->incidents_min_count, G_MAXUINT))
      continue;
    if (!usual_count(st, c, now - window - cfg->incidents_baseline_days * DAY_US, now - window,
                     window, thr, &usual, error))
      return FALSE;
    if (members->len < cfg->incidents_factor * usual) {
      okno_log("incidents", "event=usual_rate appeals=%u usual=%.2f", members->len, usual);
      continue;
    }
    if (!raise_incident(env, st, members, usual, now, out, error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_incidents_due(const OknoSlaEnv *env, OknoStore *st, gint64 now, gboolean *ran,
                            OknoIncidentPass *out, GError **error)
{
  gboolean won = FALSE;
  *ran = FALSE;
  memset(out, 0, sizeof *out);
  if (!env->cfg->incidents_enabled)
    return TRUE;
  if (!okno_store_incident_claim(st, now, env->cfg->incidents_interval * G_USEC_PER_SEC, &won,
                                 error))
    return FALSE;
  if (!won)
    return TRUE;
  *ran = TRUE;
  return okno_incidents_pass(env, st, now, out, error);
}
