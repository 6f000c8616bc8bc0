/* sla.h: the SLA policy: which class an appeal falls into and when its answer is due.
 *
 * Classes (docs/sla.md), with their default periods from [sla] in the config:
 *   simple       information, status questions         24 working hours
 *   complex      document checks, other departments     3 working days
 *   urgent       access blocked, service failure        12 hours around the clock;
 *                                                       4 hours once a supervisor confirms
 *   complaint    complaints and suggestions             5 working days
 *   accelerated  «Ускоренное рассмотрение» requested    checked within 1 working day;
 *                                                       24 hours once confirmed
 *   formal       a formal appeal under 59-FZ            30 calendar days (art. 193 rule)
 *
 * A period is written in the config as "N UNIT", UNIT one of `working hours`,
 * `working days`, `calendar days`, `hours` (singular forms accepted), e.g.
 * `simple = 24 working hours`. Web form categories map to classes through
 * `[sla] categories` ("technical:simple; documents:complex; ..."); an e-mail appeal has
 * no category and is classified by words in its subject and text (`[sla] urgent_words`,
 * `complaint_words`, `accelerated_words`: lowercase substrings, ё read as е), falling
 * back to `[sla] default_class`. A formal appeal is always `formal`.
 *
 * The policy is built once from the config (okno_sla_policy_new, which is also where a
 * bad [sla] value is rejected: the CLI builds it when it loads the config) and is
 * immutable afterwards: any thread may read it. Everything here is pure: a function of
 * the policy, the appeal's facts and the calendar (okno_sla_deadline), or of an
 * appeal in memory (the operators' rules and the scheduler's, at the end); the
 * operations that read and write appeals by these rules are ops/ops.h and
 * ops/scheduler.h. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "core/config.h"

typedef struct {
  OknoPeriodUnit unit;
  gint64 amount;
} OknoSlaPeriod;

typedef struct OknoSlaPolicy OknoSlaPolicy;

/* Builds the policy from cfg's [sla] keys. NULL and OKNO_ERROR_USER naming the key
 * ("[sla] urgent = '12 parsecs': ...") when a value is malformed. Caller frees. */
OknoSlaPolicy *okno_sla_policy_new(const OknoConfig *cfg, GError **error);
void okno_sla_policy_free(OknoSlaPolicy *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSlaPolicy, okno_sla_policy_free)

/* "24 working hours" -> {WORKING_HOURS, 24}. FALSE (no error set) when malformed or the
 * amount is outside 1..OKNO_DEADLINE_MAX_AMOUNT. */
gboolean okno_sla_period_parse(const char *text, OknoSlaPeriod *out);
/* "24 working hours" (English, for events and logs). Caller frees. */
char *okno_sla_period_format(const OknoSlaPeriod *p);
/* A period as an operator writes it in Russian: «10 календарных дней», «8 рабочих
 * часов», «3 рабочих дня», «1 рабочий час», «24 часа» (any case, ё = е, spaces
 * collapsed; the abbreviations «раб. ч», «раб. дн.», «кал. дн.», «ч» too), or in the
 * English of okno_sla_period_parse. FALSE when neither, or the amount is outside
 * 1..OKNO_DEADLINE_MAX_AMOUNT. */
gboolean okno_sla_period_parse_ru(const char *text, OknoSlaPeriod *out);
/* «10 календарных дней», «1 рабочий час», «2 рабочих дня» (the number agreeing with
 * the noun). Caller frees. */
char *okno_sla_period_format_ru(const OknoSlaPeriod *p);
/* Time left to a deadline as the console's queue shows it. */
typedef enum {
  OKNO_LEFT_NONE,    /* no deadline running */
  OKNO_LEFT_PLENTY,  /* 24 working hours or more */
  OKNO_LEFT_SOON,    /* less than 24 working hours */
  OKNO_LEFT_OVERDUE, /* the deadline has passed */
} OknoLeft;
/* The text of the time from `now` to `deadline` (0: none, ""): «осталось 5 раб. ч»
 * (whole working hours left, counted by okno_deadline_working_time on `cal`, the same
 * arithmetic as `okno deadline`: N is the largest number of working hours whose
 * deadline from `now` is not after `deadline`), «осталось менее 1 раб. ч», or, past it,
 * «просрочено на 2 ч» (whole clock hours; «менее 1 ч»). Without a calendar, or outside
 * its years, clock hours («осталось 30 ч»). *hours gets the whole hours (negative when
 * overdue), *cls the colour class. Caller frees. */
char *okno_sla_left(const OknoCalendar *cal, gint64 now, gint64 deadline, gint64 *hours,
                    OknoLeft *cls);
/* The Russian plural form of `n`: `one` (1, 21), `few` (2-4, 22-24) or `many`. */
const char *okno_ru_plural(gint64 n, const char *one, const char *few, const char *many);

/* The class of an appeal: `formal` for a formal appeal; else the mapped class of a known
 * `category` (may be NULL or ""); else the word classifier on `subject` and `text`
 * (accelerated words first, then urgent, then complaint); else the default class. */
OknoSlaClass okno_sla_classify(const OknoSlaPolicy *p, OknoKind kind, const char *category,
                               const char *subject, const char *text);

/* The facts the deadline depends on. */
typedef struct {
  OknoSlaClass sla_class;
  gboolean confirmed; /* urgent or accelerated priority confirmed by a supervisor */
  gint64 start;       /* when the clock starts (registration, or the clarification) */
  const char *department; /* the appeal's department (NULL or "": triage): its override */
} OknoSlaFacts;

/* One item of [sla] department_overrides, "DEPT:CLASS=PERIOD" (spaces around the parts
 * ignored), e.g. "passports:complex=5 working days": DEPT a department code (1 to 32 of
 * a-z, 0-9, '-', '_'; not checked against the store, since the config loads first),
 * CLASS any but formal (its period is the law's), PERIOD as okno_sla_period_parse.
 * *department is newly allocated. FALSE (nothing set) when malformed. Pure. */
gboolean okno_sla_override_parse(const char *item, char **department, OknoSlaClass *cls,
                                 OknoSlaPeriod *period);
/* The period `department` sets for class `c`, or NULL (no override, or no department).
 * Owned by the policy. */
const OknoSlaPeriod *okno_sla_override(const OknoSlaPolicy *p, const char *department,
                                       OknoSlaClass c);

/* One item of [sla] department_hours, "DEPT:HH-HH" (spaces around the parts ignored),
 * e.g. "passports:08-17": DEPT as in department_overrides, HH whole hours in the
 * calendar's timezone, 0 <= start < end <= 24 with at least two hours between them (a
 * shortened day keeps one). *department is newly allocated. FALSE (nothing set) when
 * malformed. Pure. */
gboolean okno_sla_hours_parse(const char *item, char **department, int *start_hour,
                              int *end_hour);
/* The calendar to count `department`'s working time on: `cal` with the department's
 * hours ([sla] department_hours; okno_calendar_with_hours, cached in `cal`), or `cal`
 * itself when the department has none or is NULL/"". Owned by `cal`. Never NULL: the
 * hours were validated at load. Thread-safe. */
const OknoCalendar *okno_sla_calendar(const OknoSlaPolicy *p, const OknoCalendar *cal,
                                      const char *department);

/* The deadline of an appeal with `facts`: *deadline (microseconds) and, when `reason`
 * is not NULL, *reason, a short English text for the event ("urgent confirmed: 4 hours
 * around the clock"; caller frees). A confirmed urgent or accelerated appeal counts its
 * confirmed period from `start`. FALSE and OKNO_ERROR_USER when the calendar has no data
 * for the period. A department override (facts->department) replaces the class's
 * period, but not a confirmed urgent/accelerated period; the reason then names the
 * department ("complex in passports: 5 working days"). Working-hour and working-day
 * periods count on the department's own hours when it has them (okno_sla_calendar);
 * "N hours" and "N calendar days" do not depend on hours. */
gboolean okno_sla_deadline(const OknoSlaPolicy *p, const OknoSlaFacts *facts,
                           const OknoCalendar *cal, gint64 *deadline, char **reason,
                           GError **error);

/* Reminder and escalation instants of a deadline that runs from `start`:
 *  *reminder: [sla] reminder_before working hours before `deadline`; when that falls at
 *             or before `start` (short, round-the-clock periods), halfway between them;
 *  *escalate_again: [sla] escalate_again_after working hours after `deadline`.
 * FALSE and OKNO_ERROR_USER outside the calendar's years. */
gboolean okno_sla_checkpoints(const OknoSlaPolicy *p, const OknoCalendar *cal, gint64 start,
                              gint64 deadline, gint64 *reminder, gint64 *escalate_again,
                              GError **error);

/* The instant `amount_us` of working time before `to` (the inverse of adding working
 * hours). FALSE and OKNO_ERROR_USER when it leaves the calendar's years. */
gboolean okno_sla_working_before(const OknoCalendar *cal, gint64 to, gint64 amount_us,
                                 gint64 *out, GError **error);

/* The formal appeal's other periods (59-FZ): forwarding to the competent body is due
 * 7 calendar days after registration (art. 8 part 3), and an extension is at most 30
 * days (art. 12 part 2). */
#define OKNO_SLA_FORMAL_FORWARD_DAYS 7
#define OKNO_SLA_FORMAL_MAX_EXTENSION_DAYS 30

/* ---- rules of the operations on an appeal's deadline (ops/ops.h does them) ---- */

/* Whether `a`'s deadline may be extended by `by` with `reason`: a reason (required)
 * and a running deadline; a formal appeal only once, by at most
 * OKNO_SLA_FORMAL_MAX_EXTENSION_DAYS calendar days (59-FZ art. 12 part 2). FALSE and
 * OKNO_ERROR_USER (one English line for the CLI) when not. */
gboolean okno_sla_extension_check(const OknoAppeal *a, const OknoSlaPeriod *by,
                                  const char *reason, GError **error);

/* A supervisor confirms the priority of `a` at `now`, in memory: refused
 * (OKNO_ERROR_USER) for a formal appeal (its periods are the law's) and for an
 * answered, closed or rejected one; an appeal of a class other than urgent and
 * accelerated becomes urgent; priority "urgent", confirmed. *deadline gets the
 * confirmed period (urgent: [sla] urgent_confirmed, accelerated:
 * accelerated_confirmed) counted from `now` on the department's hours, or `a`'s
 * current deadline when that is sooner (confirming never gives more time); *reason the
 * rule (caller frees). FALSE and OKNO_ERROR_USER when `cal` is NULL ("no production
 * calendar is loaded") or has no data; `a` is then changed all the same (the caller
 * writes nothing). */
gboolean okno_sla_confirm(const OknoSlaPolicy *p, const OknoCalendar *cal, OknoAppeal *a,
                          gint64 now, gint64 *deadline, char **reason, GError **error);

/* ---- rules of the scheduler's jobs (ops/scheduler.h does them) ---- */

/* Whether a job of deadline generation `generation` (reminder, overdue, escalate) is
 * still to be done on `a`: the appeal exists (not NULL), its deadline is running and is
 * still that generation's, and it is new or in_progress. FALSE: the appeal moved on
 * (an extension, a confirmation, an answer, a pause, closed) and the job is cancelled. */
gboolean okno_sla_job_current(gint64 generation, const OknoAppeal *a);

/* Whom a job of `kind` tells (a NULL-terminated array owned by cfg or `one`): a
 * reminder goes to `assignee_email`, the e-mail of the appeal's assignee (NULL or ""
 * when the appeal is unassigned or its assignee is disabled or has no address), else
 * to [sla] operators; "overdue" to supervisors; "escalate" to supervisors_level2
 * (supervisors when that is empty). `one` is scratch space for the assignee case. For
 * escalations this is only the fallback: the department's supervisors go first
 * (ops/scheduler.c). */
const char *const *okno_sla_job_recipients(const OknoConfig *cfg, const char *kind,
                                           const char *assignee_email, const char *one[2]);
