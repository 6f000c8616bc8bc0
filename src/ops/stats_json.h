/* stats_json.h: the period's figures as JSON, one builder for `okno report --json`
 * (cli/cmd_report.c) and its twin GET /api/v1/stats (web/console_stats.c), so both
 * print the same object for the same query (docs/metrics.md, "okno report").
 *
 * okno_stats_report_json adds to an open object the members {"from", "to",
 * "department" (null: all), "received", "answered", "on_time", "overdue", "open",
 * "by_channel", "by_category", "by_department"} of store/report.h.
 *
 * okno_stats_dashboard_json adds the member "dashboard": every other figure of
 * /console/stats (store/stats.h OknoStats): "series" [{"start" (µs), "received",
 * "answered", "overdue"}], "backlog" [5 counts, youngest first], "first_answer",
 * "closing", "clarification_wait" {"n", "median_h", "p90_h"}, "clarified",
 * "clarifications", "reopened", "repeated", "ratings" [count of 1..5], "rated",
 * "rating_avg", "comments" [{"number", "score", "at", "comment"}], "load" [{"login",
 * "assigned", "answered", "open"}], "formal" {"received", "forwarded",
 * "forwarded_in_time", "answered_30", "extended", "unanswered", "grounds" {},
 * "themes" {}}. Objects keyed by name are sorted by name. */
#pragma once
#include <json-glib/json-glib.h>

#include "store/stats.h"

void okno_stats_report_json(JsonBuilder *b, const OknoReport *r, const char *from,
                            const char *to, const char *department);
void okno_stats_dashboard_json(JsonBuilder *b, const OknoStats *s);
