/* stats.h: the dashboard's tables (/console/stats, web/console_stats.c): the figures of
 * store/stats.h laid out as ops/table.h tables, so the page's HTML tables, the charts
 * drawn from them and their CSV and XLSX downloads are the same cells.
 *
 * okno_stats_tables gives the tables in the page's order, each with a stable id
 * (OknoStatsTable.id, ASCII: the download links' table= value) and a Russian title:
 *   summary     «Итоги»: Показатель, Значение (received, answered, on time, overdue,
 *               open, SLA compliance %, reopened, repeated, clarifications, ratings)
 *   series      «По дням» / «По неделям»: Начало, Поступило, Отвечено, Просрочено
 *   channels    «По каналам»: Канал, Поступило (every channel, zeros too)
 *   categories  «По категориям», departments «По отделам»: name, Поступило
 *   times       «Сроки в рабочих часах»: Что, Обращений, Медиана, 90-й перцентиль
 *   backlog     «Открытые по возрасту»: Возраст, Открыто
 *   ratings     «Оценки»: Оценка, Число
 *   comments    «Комментарии к оценкам»: Обращение, Оценка, Дата, Комментарий
 *   formal      «Обращения по 59-ФЗ»: Показатель, Значение (store/stats.h
 *               OknoStatsFormal; one row per art. 11 ground, zeros too)
 *   formal_sections, formal_themes  «По разделам классификатора», «По темам
 *               классификатора»: Код, Название, Поступило (the formal appeals by the
 *               code set on them, its section; names from `cfg` [formal] themes and
 *               the five sections of the typical classifier; «Не указан» for none)
 *   load        «Нагрузка операторов»: Оператор, Назначено, Отвечено, В работе
 * The summary's compliance is on time / (on time + overdue) × 100 (0 when both are 0).
 * `chart` tells whether the page draws the table as a chart (first column labels, the
 * others series of non-negative numbers). */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "ops/table.h"
#include "store/stats.h"

typedef struct {
  const char *id;       /* static */
  gboolean chart;
  OknoTable *table;
} OknoStatsTable;

/* A GPtrArray of OknoStatsTable* (freed with the array). */
GPtrArray *okno_stats_tables(const OknoStats *s, gboolean weekly, const OknoConfig *cfg);
/* The table of `id` in `tables`, or NULL. Borrowed. */
const OknoStatsTable *okno_stats_table_find(const GPtrArray *tables, const char *id);

/* Russian words for people: a channel, a kind, an SLA class ("" as «без класса»);
 * an unknown name as given. Static. */
const char *okno_stats_channel_words(const char *channel);
const char *okno_stats_kind_words(const char *kind);
const char *okno_stats_sla_words(const char *sla_class);
/* An art. 11 ground (ops.h okno_ops_art11_grounds) in Russian. */
const char *okno_stats_ground_words(const char *ground);

/* Sets the typical thematic classifier's code `code` on formal appeal `number` (an
 * operator's act: the event `theme_set` {code, by}). The code must be one of [formal]
 * themes; a support request, an unknown appeal or code: OKNO_ERROR_USER with one
 * Russian line. Runs inside the caller's transaction, as the operations of ops.h do. */
gboolean okno_stats_set_theme(const OknoConfig *cfg, OknoStore *st, const char *number,
                              const char *code, const char *actor, GError **error);

/* The weekly report mail ([stats] weekly_day = monday ... sunday; "" sends none). When
 * `now` falls on that day (Moscow time) and no node has sent this week's yet
 * (okno_store_stats_mail_claim), queues to every enabled supervisor with an address of
 * each department (okno_store_department_supervisors) one letter through the outbound
 * queue (mail/receipt.h okno_notice_build, Auto-Submitted): the department's figures
 * for the 7 whole days before that day (the dashboard's «Итоги», «По каналам»,
 * «Сроки в рабочих часах» and «Открытые по возрасту» as text) and the dashboard's
 * address with the same period. The claim and the letters are one transaction.
 * *sent: letters queued. An unknown day name: OKNO_ERROR_USER, nothing sent. */
gboolean okno_stats_weekly_mail(const OknoConfig *cfg, OknoStore *st, const OknoCalendar *cal,
                                gint64 now, guint *sent, GError **error);
