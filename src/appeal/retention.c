/* retention.c: the retention periods and when an appeal falls due (retention.h). The
 * categories list is parsed once into a small table; a day is 86400 s (periods are
 * counted in calendar days, not working ones). */
#include "appeal/retention.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

typedef struct {
  char *category;
  gint64 days;
} CategoryDays;

struct OknoRetentionPolicy {
  gint64 support_days;
  gint64 formal_days;
  gint64 deletion_days;
  GArray *categories; /* CategoryDays */
};

static void category_clear(gpointer p)
{
  g_free(((CategoryDays *)p)->category);
}

OknoRetentionPolicy *okno_retention_policy_new(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoRetentionPolicy) p = g_new0(OknoRetentionPolicy, 1);
  p->support_days = cfg->retention_support_days;
  p->formal_days = cfg->retention_formal_days;
  p->deletion_days = cfg->retention_deletion_days;
  p->categories = g_array_new(FALSE, TRUE, sizeof(CategoryDays));
  g_array_set_clear_func(p->categories, category_clear);
  for (char **e = cfg->retention_categories; e && *e; e++) {
    const char *colon = strchr(*e, ':');
    char *end = NULL;
    gint64 days = colon ? g_ascii_strtoll(colon + 1, &end, 10) : 0;
    CategoryDays c;
    if (!colon || colon == *e || !end || end == colon + 1 || *end || days < 1 || days > 36500) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[retention] categories: '%s' is not CATEGORY:DAYS (days 1 to 36500)", *e);
      return NULL;
    }
    c.category = g_strstrip(g_strndup(*e, (gsize)(colon - *e)));
    c.days = days;
    g_array_append_val(p->categories, c);
  }
  return g_steal_pointer(&p);
}

void okno_retention_policy_free(OknoRetentionPolicy *p)
{
  if (!p)
    return;
  if (p->categories)
    g_array_unref(p->categories);
  g_free(p);
}

gint64 okno_retention_days(const OknoRetentionPolicy *p, OknoKind kind, const char *category)
{
  gint64 days = kind == OKNO_KIND_FORMAL ? p->formal_days : p->support_days;
  for (guint i = 0; category && *category && i < p->categories->len; i++) {
    const CategoryDays *c = &g_array_index(p->categories, CategoryDays, i);
    if (strcmp(c->category, category) == 0)
      days = MAX(days, c->days);
  }
  return days;
}

gint64 okno_retention_min_days(const OknoRetentionPolicy *p)
{
  gint64 days = MIN(p->support_days, p->formal_days);
  return MIN(days, p->deletion_days);
}

gint64 okno_retention_due_at(const OknoRetentionPolicy *p, const OknoRetentionFacts *f,
                             const char **grounds)
{
  gint64 due = f->closed_at + okno_retention_days(p, f->kind, f->category) * DAY_US +
               f->held_total;
  if (grounds)
    *grounds = "period";
  if (f->held)
    return 0;
  /* A deletion request: only a support request's own period gives way to it (formal
   * appeals and categories with a period of their own are kept by law). */
  if (f->deletion_requested_at && f->kind == OKNO_KIND_SUPPORT &&
      okno_retention_days(p, f->kind, f->category) == p->support_days) {
    gint64 early = MAX(f->closed_at + p->deletion_days * DAY_US, f->deletion_requested_at) +
                   f->held_total;
    if (early < due) {
      due = early;
      if (grounds)
        *grounds = "request";
    }
  }
  return due;
}
