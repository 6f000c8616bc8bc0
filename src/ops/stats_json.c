/* stats_json.c: the figures of a period as JSON for the command and the API
 * (stats_json.h). */
#include "ops/stats_json.h"

#include "core/json.h"

static void counts(JsonBuilder *b, const char *name, GHashTable *h)
{
  g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(h), (GCompareFunc)g_strcmp0);
  json_builder_set_member_name(b, name);
  json_builder_begin_object(b);
  for (GList *k = keys; k; k = k->next)
    okno_json_int(b, k->data, *(gint64 *)g_hash_table_lookup(h, k->data));
  json_builder_end_object(b);
}

static void times(JsonBuilder *b, const char *name, const OknoStatsTimes *t)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_object(b);
  okno_json_int(b, "n", t->n);
  okno_json_double(b, "median_h", t->median_h);
  okno_json_double(b, "p90_h", t->p90_h);
  json_builder_end_object(b);
}

void okno_stats_report_json(JsonBuilder *b, const OknoReport *r, const char *from,
                            const char *to, const char *department)
{
  okno_json_str(b, "from", from);
  okno_json_str(b, "to", to);
  json_builder_set_member_name(b, "department");
  if (department)
    json_builder_add_string_value(b, department);
  else
    json_builder_add_null_value(b);
  okno_json_int(b, "received", r->received);
  okno_json_int(b, "answered", r->answered);
  okno_json_int(b, "on_time", r->on_time);
  okno_json_int(b, "overdue", r->overdue);
  okno_json_int(b, "open", r->open);
  okno_json_int(b, "withdrawn", r->withdrawn);
  counts(b, "by_channel", r->by_channel);
  counts(b, "by_category", r->by_category);
  counts(b, "by_department", r->by_department);
}

static void formal(JsonBuilder *b, const OknoStatsFormal *f)
{
  json_builder_set_member_name(b, "formal");
  json_builder_begin_object(b);
  okno_json_int(b, "received", f->received);
  okno_json_int(b, "forwarded", f->forwarded);
  okno_json_int(b, "forwarded_in_time", f->forwarded_in_time);
  okno_json_int(b, "answered_30", f->answered_30);
  okno_json_int(b, "extended", f->extended);
  okno_json_int(b, "unanswered", f->unanswered);
  counts(b, "grounds", f->grounds);
  counts(b, "themes", f->themes);
  json_builder_end_object(b);
}

void okno_stats_dashboard_json(JsonBuilder *b, const OknoStats *s)
{
  json_builder_set_member_name(b, "dashboard");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "series");
  json_builder_begin_array(b);
  for (guint i = 0; i < s->series->len; i++) {
    const OknoStatsPoint *p = &g_array_index(s->series, OknoStatsPoint, i);
    json_builder_begin_object(b);
    okno_json_int(b, "start", p->start);
    okno_json_int(b, "received", p->received);
    okno_json_int(b, "answered", p->answered);
    okno_json_int(b, "overdue", p->overdue);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "backlog");
  json_builder_begin_array(b);
  for (int i = 0; i < OKNO_STATS_AGES; i++)
    json_builder_add_int_value(b, s->backlog[i]);
  json_builder_end_array(b);
  times(b, "first_answer", &s->first_answer);
  times(b, "closing", &s->closing);
  times(b, "clarification_wait", &s->clarification_wait);
  okno_json_int(b, "clarified", s->clarified);
  okno_json_int(b, "clarifications", s->clarifications);
  okno_json_int(b, "reopened", s->reopened);
  okno_json_int(b, "repeated", s->repeated);
  json_builder_set_member_name(b, "ratings");
  json_builder_begin_array(b);
  for (int i = 0; i < 5; i++)
    json_builder_add_int_value(b, s->ratings[i]);
  json_builder_end_array(b);
  okno_json_int(b, "rated", s->rated);
  okno_json_double(b, "rating_avg", s->rating_avg);
  json_builder_set_member_name(b, "comments");
  json_builder_begin_array(b);
  for (guint i = 0; i < s->comments->len; i++) {
    const OknoStatsComment *c = s->comments->pdata[i];
    json_builder_begin_object(b);
    okno_json_str(b, "number", c->number);
    okno_json_int(b, "score", c->score);
    okno_json_int(b, "at", c->at);
    okno_json_str(b, "comment", c->comment);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "load");
  json_builder_begin_array(b);
  for (guint i = 0; i < s->load->len; i++) {
    const OknoStatsLoad *l = s->load->pdata[i];
    json_builder_begin_object(b);
    okno_json_str(b, "login", l->login);
    okno_json_int(b, "assigned", l->assigned);
    okno_json_int(b, "answered", l->answered);
    okno_json_int(b, "open", l->open);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  formal(b, &s->formal);
  json_builder_end_object(b);
}
