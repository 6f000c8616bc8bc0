/* test_intake_register.c: intake's third stage (intake/register.h): what happens to a
 * message given what the registry already holds.
 *
 * Two layers. The decision alone (okno_register_decide), over parsed messages and
 * facts written here by hand: no store. Then the whole stage, parse -> verify ->
 * register in one transaction, as the pipeline runs it but without its threads, on a
 * fresh SQLite store and again (pg_...) on PostgreSQL when OKNO_TEST_PG_URL names a
 * server. The clock is frozen at Wednesday 2026-11-18 14:06:40 Moscow time
 * (store_backends.h); the shipped production calendar and the default SLA policy
 * (an e-mail appeal is `complex`: 3 working days, due at the end of the third working
 * day after it starts) give the deadlines written out here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/number.h"
#include "core/clock.h"
#include "core/error.h"
#include "intake/register.h"
#include "intake/verify.h"
#include "core/paths.h"
#include "ops/journal.h"
#include "store/appeals.h"
#include "store/commit.h"
#include "store/db.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define HOUR (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)

static OknoConfig *cfg;
static OknoSlaEnv *sla;

static const char DESCRIPTION[] =
  "Третий день не могу войти в личный кабинет: SMS с кодом подтверждения не приходит. "
  "Телефон 8 (912) 345-67-89.";

typedef struct {
  const char *from;        /* default ivan@example.ru */
  const char *subject;     /* default «Не приходит код» */
  const char *message_id;  /* default m1@example.ru */
  const char *in_reply_to; /* NULL: none */
  const char *body;        /* default DESCRIPTION */
} Mail;

static char *raw_of(const Mail *m)
{
  g_autofree char *irt = m->in_reply_to ? g_strdup_printf("In-Reply-To: <%s>\r\n", m->in_reply_to)
                                        : g_strdup("");
  return g_strdup_printf("From: %s\r\nTo: support@portal.example\r\nSubject: %s\r\n"
                         "Message-ID: <%s>\r\n%sMIME-Version: 1.0\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
                         m->from ? m->from : "Иван Петров <ivan@example.ru>",
                         m->subject ? m->subject : "Не приходит код",
                         m->message_id ? m->message_id : "m1@example.ru", irt,
                         m->body ? m->body : DESCRIPTION);
}

/* Stages 1 and 2, as the pipeline's parse thread runs them (no client address: no DNS;
 * no clamd configured). */
static OknoParsed *parsed_at(const Mail *m, gint64 at, const char *const *rcpt_to)
{
  g_autofree char *raw = raw_of(m);
  g_autoptr(GBytes) b = g_bytes_new(raw, strlen(raw));
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .rcpt_to = rcpt_to};
  OknoParsed *p = okno_parse(cfg, b, &env, at);
  assert_true(okno_verify(cfg, p, NULL));
  return p;
}

/* The sender authentication verify gives a DMARC p=quarantine failure: unproved. */
static void unprove(OknoParsed *p)
{
  OknoAuthResult *r = g_new0(OknoAuthResult, 1);
  r->spf = g_strdup("pass");
  r->spf_identity = g_strdup("mailfrom");
  r->spf_domain = g_strdup("example.ru");
  r->dkim = g_ptr_array_new();
  r->from_domain = g_strdup("example.ru");
  r->dmarc = g_strdup("fail");
  r->dmarc_policy = g_strdup("quarantine");
  okno_auth_decide(cfg, r);
  p->auth = r;
}

/* Stage 3 in its own transaction, as the store writer runs it. */
static OknoIntakeResult register_with(Fx *fx, OknoParsed *p, const OknoBlocklist *bl)
{
  OknoIntakeResult res = {0};
  g_autoptr(GError) err = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  if (!okno_register(sla, bl, fx->st, p, &res, &err))
    fail_msg("register: %s", err->message);
  assert_true(okno_store_commit(fx->st, NULL));
  return res;
}

static OknoIntakeResult submit_at(Fx *fx, const Mail *m, gint64 at)
{
  g_autoptr(OknoParsed) p = parsed_at(m, at, NULL);
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  return register_with(fx, p, none);
}

static OknoIntakeResult submit(Fx *fx, const Mail *m) { return submit_at(fx, m, okno_now()); }

static gint64 count(Fx *fx, const char *sql)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

/* The values `sql` selects for appeal `number` ($1), in order, joined by ",". */
static char *column(Fx *fx, const char *sql, const char *number)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st), sql,
                                        OKNO_PARAMS(OKNO_TEXT(number)), NULL);
  GString *s = g_string_new(NULL);
  assert_non_null(r);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_string_append_printf(s, "%s%s", i ? "," : "", okno_rows_text(r, i, 0));
  return g_string_free(s, FALSE);
}

/* The kinds of the appeal's events, in order. */
static char *events(Fx *fx, const char *number)
{
  return column(fx, "SELECT e.kind FROM events e JOIN appeals a ON a.id = e.appeal_id "
                    "WHERE a.number = $1 ORDER BY e.id", number);
}

/* The Message-IDs of the messages okno wrote in the appeal's history. */
static char *our_message_ids(Fx *fx, const char *number)
{
  return column(fx, "SELECT m.message_id FROM messages m JOIN appeals a ON a.id = m.appeal_id "
                    "WHERE a.number = $1 AND m.direction = 'out' ORDER BY m.id", number);
}

static OknoAppeal *appeal(Fx *fx, const char *number)
{
  OknoAppeal *a = okno_store_appeal_get(fx->st, number, NULL);
  assert_non_null(a);
  return a;
}

static char *deadline_of(const OknoAppeal *a)
{
  return a->deadline ? okno_time_format_msk(a->deadline) : g_strdup("none");
}

/* ---- the decision alone ---- */

/* Ivan's appeal, in progress (its number is set by group_setup). */
static OknoAppeal ivans = {.id = 1, .status = OKNO_STATUS_IN_PROGRESS, .from_email = "ivan@example.ru"};

static OknoParsed *parse_only(const Mail *m)
{
  g_autofree char *raw = raw_of(m);
  g_autoptr(GBytes) b = g_bytes_new(raw, strlen(raw));
  return okno_parse(cfg, b, &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL}, okno_now());
}

static void test_decide_a_duplicate_wins_over_everything(void **state)
{
  g_autoptr(OknoParsed) p = parse_only(&(Mail){0});
  OknoAppeal other = ivans;
  OknoRegisterFacts f = {.duplicate = &other, .replied = &ivans};
  OknoRegisterDecision d = okno_register_decide(p, &f);
  (void)state;
  assert_int_equal(d.action, OKNO_REGISTER_DUPLICATE);
  assert_ptr_equal(d.target, &other);
  assert_null(d.status);
  assert_null(d.queue);
}

static void test_decide_only_the_contact_with_a_proved_sender_joins(void **state)
{
  g_autoptr(OknoParsed) mine = parse_only(&(Mail){.from = "IVAN@Example.RU"});
  g_autoptr(OknoParsed) stranger = parse_only(&(Mail){.from = "petr@example.ru"});
  g_autoptr(OknoParsed) forged = parse_only(&(Mail){0});
  g_autoptr(OknoParsed) nobody = parse_only(&(Mail){.from = "Без адреса"});
  OknoRegisterFacts by_number = {.numbered = &ivans}, by_thread = {.replied = &ivans};
  OknoRegisterDecision d;
  (void)state;
  unprove(forged);
  d = okno_register_decide(mine, &by_number);
  assert_int_equal(d.action, OKNO_REGISTER_JOIN);
  assert_ptr_equal(d.target, &ivans);
  assert_false(d.clock_resumes); /* the appeal was not waiting */
  d = okno_register_decide(mine, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_JOIN);
  d = okno_register_decide(stranger, &by_number);
  assert_int_equal(d.action, OKNO_REGISTER_LINK);
  assert_ptr_equal(d.target, &ivans);
  assert_int_equal(d.status, OKNO_STATUS_NEW);
  assert_int_equal(d.queue, OKNO_HOLD_NONE);
  d = okno_register_decide(forged, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_LINK);
  assert_int_equal(d.queue, OKNO_HOLD_SUSPICIOUS);
  d = okno_register_decide(nobody, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_LINK);
}

static void test_decide_a_repeated_appeal_is_new_unless_it_answers_our_message(void **state)
{
  g_autofree char *subject = g_strdup_printf("Повторное обращение № %s", ivans.number);
  g_autoptr(OknoParsed) p = parse_only(&(Mail){.subject = subject});
  OknoRegisterFacts by_number = {.numbered = &ivans}, by_thread = {.replied = &ivans};
  OknoRegisterDecision d;
  (void)state;
  assert_true(p->repeated);
  d = okno_register_decide(p, &by_number);
  assert_int_equal(d.action, OKNO_REGISTER_CREATE); /* linked by ops.h, not as a quote */
  assert_null(d.target);
  d = okno_register_decide(p, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_JOIN);
}

static void test_decide_the_status_and_queue_of_a_new_appeal(void **state)
{
  g_autoptr(OknoParsed) plain = parse_only(&(Mail){0});
  g_autoptr(OknoParsed) empty = parse_only(&(Mail){.body = "Здравствуйте!"});
  g_autoptr(OknoParsed) broken = parse_only(&(Mail){.body = "Здравствуйте!"});
  OknoBlockHit hit = {"domain", "login.evil.example", "evil.example"};
  g_autoptr(GPtrArray) hits = g_ptr_array_new();
  OknoRegisterFacts none = {0}, blocked = {.blocklisted = hits};
  OknoRegisterDecision d;
  (void)state;
  g_ptr_array_add(hits, &hit);
  broken->quarantine = g_strdup("parse budget exceeded");
  d = okno_register_decide(plain, &none);
  assert_int_equal(d.action, OKNO_REGISTER_CREATE);
  assert_int_equal(d.status, OKNO_STATUS_NEW);
  assert_int_equal(d.queue, OKNO_HOLD_NONE);
  d = okno_register_decide(empty, &none);
  assert_int_equal(d.status, OKNO_STATUS_NEEDS_CLARIFICATION);
  d = okno_register_decide(broken, &none); /* an operator reads it: nothing is asked */
  assert_int_equal(d.status, OKNO_STATUS_NEW);
  assert_int_equal(d.queue, OKNO_HOLD_QUARANTINE);
  d = okno_register_decide(plain, &blocked);
  assert_int_equal(d.queue, OKNO_HOLD_SUSPICIOUS);
  d = okno_register_decide(broken, &blocked); /* quarantine first */
  assert_int_equal(d.queue, OKNO_HOLD_QUARANTINE);
}

/* Judged spam (verify.h): the spam hold, after quarantine, before suspicious; and never
 * a join onto the contact's own appeal (it would reach an operator's queue). */
static void test_decide_spam_is_held_and_never_joins(void **state)
{
  g_autoptr(OknoParsed) spam = parse_only(&(Mail){.from = "ivan@example.ru"});
  g_autoptr(OknoParsed) broken = parse_only(&(Mail){.body = "Здравствуйте!"});
  OknoBlockHit hit = {"domain", "login.evil.example", "evil.example"};
  g_autoptr(GPtrArray) hits = g_ptr_array_new();
  OknoRegisterFacts none = {0}, by_thread = {.replied = &ivans}, blocked = {.blocklisted = hits};
  OknoRegisterDecision d;
  (void)state;
  g_ptr_array_add(hits, &hit);
  spam->spam_verdict = OKNO_SPAM_HOLD;
  broken->spam_verdict = OKNO_SPAM_HOLD;
  broken->quarantine = g_strdup("parse budget exceeded");
  d = okno_register_decide(spam, &none);
  assert_int_equal(d.action, OKNO_REGISTER_CREATE);
  assert_int_equal(d.queue, OKNO_HOLD_SPAM);
  d = okno_register_decide(spam, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_LINK);
  assert_int_equal(d.queue, OKNO_HOLD_SPAM);
  d = okno_register_decide(spam, &blocked);
  assert_int_equal(d.queue, OKNO_HOLD_SPAM);
  d = okno_register_decide(broken, &none);
  assert_int_equal(d.queue, OKNO_HOLD_QUARANTINE);
  spam->spam_verdict = OKNO_SPAM_ACCEPT;
  d = okno_register_decide(spam, &by_thread);
  assert_int_equal(d.action, OKNO_REGISTER_JOIN);
}

static void test_decide_a_clarification_resumes_the_clock_only_with_a_description(void **state)
{
  OknoAppeal waiting = ivans;
  g_autoptr(OknoParsed) answer = parse_only(&(Mail){0});
  g_autoptr(OknoParsed) thanks = parse_only(&(Mail){.body = "Здравствуйте!"});
  OknoRegisterFacts f = {.numbered = &waiting};
  (void)state;
  waiting.status = OKNO_STATUS_NEEDS_CLARIFICATION;
  assert_true(okno_register_decide(answer, &f).clock_resumes);
  assert_false(okno_register_decide(thanks, &f).clock_resumes);
}

/* ---- the whole stage on a store ---- */

static void test_a_new_appeal_is_numbered_routed_and_acknowledged(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r = submit(fx, &(Mail){0});
  g_autofree char *first = okno_number_format(2026, 1);
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *ev = NULL, *due = NULL;
  assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  assert_string_equal(r.number, first);
  assert_true(r.receipt_queued);
  assert_false(r.quarantined);
  assert_false(r.suspicious);
  a = appeal(fx, r.number);
  assert_int_equal(a->status, OKNO_STATUS_NEW);
  assert_int_equal(a->queue, OKNO_HOLD_NONE);
  assert_string_equal(a->from_email, "ivan@example.ru");
  assert_string_equal(a->from_name, "Иван Петров");
  assert_string_equal(a->phone, "+79123456789");
  assert_string_equal(a->related, "");
  assert_int_equal(a->sla_class, OKNO_SLA_COMPLEX);
  due = deadline_of(a);
  assert_string_equal(due, "2026-11-23T18:00:00+03:00"); /* Thursday, Friday, Monday */
  ev = events(fx, r.number);
  assert_string_equal(ev, "received,registered,routed,acknowledged");
  assert_int_equal(count(fx, "SELECT count(*) FROM outbound"), 1);
}

/* The new appeal's row is inserted with its deadline (one write: no UPDATE follows it
 * in the registration), and the clock's three jobs are of that deadline's generation. */
static void test_a_new_appeal_row_is_written_once_with_its_deadline(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r = submit(fx, &(Mail){0});
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *jobs = NULL, *due = NULL;
  assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  a = appeal(fx, r.number);
  assert_string_equal(a->department, ""); /* not routed to a department: no assignment */
  assert_int_equal(a->version, 1);
  assert_int_equal(a->updated_at, a->received_at);
  assert_int_equal(a->deadline_gen, 1);
  due = deadline_of(a);
  assert_string_equal(due, "2026-11-23T18:00:00+03:00");
  jobs = column(fx, "SELECT j.kind || ':' || j.generation || ':' || j.state FROM sla_jobs j "
                    "JOIN appeals a ON a.id = j.appeal_id WHERE a.number = $1 ORDER BY j.id",
                r.number);
  assert_string_equal(jobs, "reminder:1:pending,overdue:1:pending,escalate:1:pending");
}

static void test_the_same_message_id_twice_is_a_duplicate(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = submit(fx, &(Mail){0});
  g_auto(OknoIntakeResult) r2 = submit_at(fx, &(Mail){.body = "Другой текст, тот же Message-ID."},
                                  okno_now() + 30 * 24 * HOUR);
  g_autofree char *ev = events(fx, r1.number);
  assert_int_equal(r2.outcome, OKNO_INTAKE_DUPLICATE);
  assert_string_equal(r2.number, r1.number);
  assert_false(r2.receipt_queued);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
  assert_true(g_str_has_suffix(ev, ",acknowledged,duplicate_received"));
}

static void test_the_same_content_from_the_same_sender_within_a_day_is_a_duplicate(void **state)
{
  Fx *fx = fixture(state);
  gint64 t0 = okno_now();
  g_auto(OknoIntakeResult) r1 = submit_at(fx, &(Mail){0}, t0);
  g_auto(OknoIntakeResult) again = submit_at(fx, &(Mail){.message_id = "m2@example.ru"}, t0 + 23 * HOUR);
  g_auto(OknoIntakeResult) other = submit_at(fx, &(Mail){.from = "petr@example.ru", .message_id = "m3@example.ru"},
                                     t0 + HOUR);
  g_auto(OknoIntakeResult) later = submit_at(fx, &(Mail){.message_id = "m4@example.ru"}, t0 + 25 * HOUR);
  assert_int_equal(again.outcome, OKNO_INTAKE_DUPLICATE);
  assert_string_equal(again.number, r1.number);
  assert_int_equal(other.outcome, OKNO_INTAKE_CREATED); /* another sender's words */
  assert_int_equal(later.outcome, OKNO_INTAKE_CREATED); /* a day later: asked again */
  assert_string_not_equal(later.number, r1.number);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 3);
}

static void test_a_reply_with_the_number_from_the_contact_joins(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = submit(fx, &(Mail){0});
  g_autofree char *subject = g_strdup_printf("Re: Обращение № %s зарегистрировано", r1.number);
  g_auto(OknoIntakeResult) r2 = submit_at(fx, &(Mail){.subject = subject, .message_id = "m2@example.ru",
                                              .body = "Дополняю: код не приходит и на почту."},
                                  okno_now() + HOUR);
  g_autofree char *ev = events(fx, r1.number);
  assert_int_equal(r2.outcome, OKNO_INTAKE_JOINED);
  assert_string_equal(r2.number, r1.number);
  assert_true(r2.receipt_queued); /* «Ваше сообщение добавлено к обращению» */
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE direction = 'in'"), 2);
  assert_string_equal(ev, "received,registered,routed,acknowledged,reply_joined,acknowledged");
}

static void test_a_stranger_quoting_the_number_gets_a_new_linked_appeal(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = submit(fx, &(Mail){0});
  g_autofree char *subject = g_strdup_printf("Re: Обращение № %s", r1.number);
  g_auto(OknoIntakeResult) r2 = submit(fx, &(Mail){.from = "Пётр <petr@example.ru>", .subject = subject,
                                           .message_id = "p1@example.ru",
                                           .body = "У меня такая же беда со входом по SMS."});
  g_autoptr(OknoAppeal) quoted = NULL;
  g_autoptr(OknoAppeal) mine = NULL;
  g_autofree char *ev1 = events(fx, r1.number), *ev2 = NULL;
  assert_int_equal(r2.outcome, OKNO_INTAKE_CREATED);
  assert_string_not_equal(r2.number, r1.number);
  mine = appeal(fx, r2.number);
  assert_string_equal(mine->related, r1.number);
  assert_string_equal(mine->from_email, "petr@example.ru");
  quoted = appeal(fx, r1.number);
  assert_string_equal(quoted->from_email, "ivan@example.ru"); /* untouched */
  assert_true(g_str_has_suffix(ev1, ",acknowledged,linked"));
  ev2 = events(fx, r2.number);
  assert_string_equal(ev2, "received,registered,linked,routed,acknowledged");
}

static void test_in_reply_to_our_receipt_joins(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = submit(fx, &(Mail){0});
  g_autofree char *receipt = our_message_ids(fx, r1.number); /* the receipt alone */
  g_auto(OknoIntakeResult) r2 = submit(fx, &(Mail){.subject = "Re: ваше письмо", .in_reply_to = receipt,
                                           .message_id = "m2@example.ru",
                                           .body = "Прикладываю снимок экрана с ошибкой."});
  g_auto(OknoIntakeResult) r3 = submit(fx, &(Mail){.from = "petr@example.ru", .subject = "Re: ваше письмо",
                                           .in_reply_to = receipt, .message_id = "p2@example.ru",
                                           .body = "Это письмо пришло мне, а не брату."});
  g_autoptr(OknoAppeal) linked = NULL;
  assert_true(g_str_has_prefix(receipt, "okno."));
  assert_null(strchr(receipt, ','));
  assert_int_equal(r2.outcome, OKNO_INTAKE_JOINED);
  assert_string_equal(r2.number, r1.number);
  assert_int_equal(r3.outcome, OKNO_INTAKE_CREATED); /* threaded, but not the contact */
  linked = appeal(fx, r3.number);
  assert_string_equal(linked->related, r1.number);
}

static void test_a_suspicious_sender_never_joins(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = submit(fx, &(Mail){0});
  g_autofree char *subject = g_strdup_printf("Re: Обращение № %s", r1.number);
  g_autoptr(OknoParsed) p = parsed_at(&(Mail){.subject = subject, .message_id = "m2@example.ru",
                                              .body = "Смените, пожалуйста, мой телефон."},
                                      okno_now(), NULL);
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  g_auto(OknoIntakeResult) r2 = {0};
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *ev = NULL;
  unprove(p);
  r2 = register_with(fx, p, none);
  assert_int_equal(r2.outcome, OKNO_INTAKE_CREATED);
  assert_string_not_equal(r2.number, r1.number);
  assert_true(r2.suspicious);
  a = appeal(fx, r2.number);
  assert_int_equal(a->queue, OKNO_HOLD_SUSPICIOUS);
  assert_string_equal(a->related, r1.number);
  ev = events(fx, r2.number);
  assert_non_null(strstr(ev, "registered,suspicious,linked"));
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE direction = 'in'"), 2);
}

static void test_a_clarification_answer_restarts_the_deadline_clock(void **state)
{
  Fx *fx = fixture(state);
  gint64 t0 = okno_now();
  g_auto(OknoIntakeResult) r1 = submit_at(fx, &(Mail){.body = "Здравствуйте!"}, t0);
  g_autoptr(OknoAppeal) waiting = appeal(fx, r1.number);
  g_autofree char *subject = g_strdup_printf("Re: Обращение № %s: требуется уточнение", r1.number);
  g_auto(OknoIntakeResult) r2 = {0};
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *ev1 = events(fx, r1.number), *ev = NULL, *due = NULL;
  assert_int_equal(waiting->status, OKNO_STATUS_NEEDS_CLARIFICATION);
  assert_int_equal(waiting->deadline, 0);
  assert_string_equal(ev1, "received,registered,clock_paused,routed,clarification_requested");
  /* the answer comes a day later, Thursday 14:06:40 */
  r2 = submit_at(fx, &(Mail){.subject = subject, .message_id = "m2@example.ru"}, t0 + 24 * HOUR);
  assert_int_equal(r2.outcome, OKNO_INTAKE_JOINED);
  a = appeal(fx, r1.number);
  assert_int_equal(a->status, OKNO_STATUS_NEW);
  due = deadline_of(a);
  assert_string_equal(due, "2026-11-24T18:00:00+03:00"); /* Friday, Monday, Tuesday */
  ev = events(fx, r1.number);
  assert_string_equal(ev, "received,registered,clock_paused,routed,clarification_requested,"
                          "reply_joined,deadline_set,clarification_received,clock_resumed,"
                          "acknowledged");
}

static void test_a_letter_pointing_at_a_blocked_domain_waits_in_the_suspicious_queue(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoParsed) p = parsed_at(
    &(Mail){.body = "Мне пришло письмо со ссылкой https://login.evil.example/gosuslugi — это вы?"},
    okno_now(), NULL);
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  g_auto(OknoIntakeResult) r = {0};
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *ev = NULL;
  assert_true(okno_blocklist_add(bl, "domain", "evil.example"));
  r = register_with(fx, p, bl);
  assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  assert_true(r.suspicious);
  a = appeal(fx, r.number);
  assert_int_equal(a->queue, OKNO_HOLD_SUSPICIOUS);
  ev = events(fx, r.number);
  assert_non_null(strstr(ev, ",phishing_blocklisted,"));
}

static void test_an_empty_message_is_quarantined_without_asking_anything(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);
  g_autoptr(OknoParsed) p = okno_parse(cfg, nothing, &(OknoEnvelope){.mail_from = "<ivan@example.ru>"},
                                       okno_now());
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  g_auto(OknoIntakeResult) r = {0};
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *ev = NULL;
  assert_true(okno_verify(cfg, p, NULL));
  r = register_with(fx, p, none);
  assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  assert_true(r.quarantined);
  assert_false(r.suspicious);
  a = appeal(fx, r.number);
  assert_int_equal(a->status, OKNO_STATUS_NEW);
  assert_int_equal(a->queue, OKNO_HOLD_QUARANTINE);
  ev = events(fx, r.number);
  /* an empty message asks nothing, not even the envelope sender (intake/parse.c) */
  assert_string_equal(ev, "received,registered,quarantined,routed,autoreply_suppressed");
}

static void test_mail_to_the_check_address_registers_no_appeal(void **state)
{
  Fx *fx = fixture(state);
  const char *rcpt[] = {"check@portal.example", NULL};
  g_autoptr(OknoParsed) p = parsed_at(&(Mail){.subject = "Это от вас?",
                                              .body = "Пришло письмо: https://login.evil.example/x"},
                                      okno_now(), rcpt);
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  g_auto(OknoIntakeResult) r = {0};
  assert_true(okno_blocklist_add(bl, "domain", "evil.example"));
  r = register_with(fx, p, bl);
  assert_int_equal(r.outcome, OKNO_INTAKE_CHECKED);
  assert_null(r.number);
  assert_true(r.receipt_queued);
  assert_int_equal(p->phish->verdict, OKNO_VERDICT_DANGEROUS); /* the block list applied */
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 0);
  assert_int_equal(count(fx, "SELECT count(*) FROM outbound"), 1);
}

/* ---- the PostgreSQL fast path (issue 18): numbers per year, search rows ---- */

static gint64 at_msk(const char *iso)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);
  assert_non_null(t);
  return g_date_time_to_unix(t) * G_USEC_PER_SEC;
}

/* Numbers count from 1 again in each year of registration (Moscow time); on PostgreSQL
 * each year is its own sequence, one made when a year first needs it. */
static void test_numbers_run_per_year_across_the_new_year(void **state)
{
  Fx *fx = fixture(state);
  g_auto(OknoIntakeResult) r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0}, r5 = {0};
  g_autofree char *n26a = okno_number_format(2026, 1), *n26b = okno_number_format(2026, 2);
  g_autofree char *n27a = okno_number_format(2027, 1), *n27b = okno_number_format(2027, 2);
  g_autofree char *n29 = okno_number_format(2029, 1);
  okno_clock_set(at_msk("2026-12-31T23:59:30+03:00"));
  r1 = submit(fx, &(Mail){0});
  okno_clock_set(at_msk("2027-01-01T00:00:30+03:00"));
  r2 = submit(fx, &(Mail){.from = "petr@example.ru", .message_id = "p1@example.ru"});
  r3 = submit(fx, &(Mail){.from = "anna@example.ru", .message_id = "a1@example.ru"});
  okno_clock_set(at_msk("2029-01-01T00:00:30+03:00"));
  r4 = submit(fx, &(Mail){.from = "oleg@example.ru", .message_id = "o1@example.ru"});
  /* a message received in 2026, registered late: still 2026's count */
  r5 = submit_at(fx, &(Mail){.from = "olga@example.ru", .message_id = "g1@example.ru"},
                 at_msk("2026-12-31T23:59:50+03:00"));
  assert_string_equal(r1.number, n26a);
  assert_string_equal(r2.number, n27a);
  assert_string_equal(r3.number, n27b);
  assert_string_equal(r4.number, n29);
  assert_string_equal(r5.number, n26b);
  if (!okno_db_is_sqlite(okno_store_db(fx->st)))
    assert_int_equal(count(fx, "SELECT count(*) FROM pg_class WHERE relname = "
                               "'okno_seq_appeal_2029' AND relkind = 'S'"), 1);
}

/* A message with two files attached, as parse sees one. */
static char *raw_with_files(const char *from, const char *message_id, const char *subject,
                            const char *text, const char *file1, const char *file2)
{
  GString *s = g_string_new(NULL);
  const char *files[] = {file1, file2};
  g_string_append_printf(s, "From: %s\r\nTo: support@portal.example\r\nSubject: %s\r\n"
                            "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
                         from, subject, message_id, text);
  for (guint i = 0; i < G_N_ELEMENTS(files); i++)
    if (files[i])
      g_string_append_printf(s, "--b\r\nContent-Type: application/pdf\r\n"
                                "Content-Disposition: attachment; filename*=UTF-8''%s\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n",
                             files[i]);
  g_string_append(s, "--b--\r\n");
  return g_string_free(s, FALSE);
}

static OknoParsed *parsed_raw(const char *raw, gint64 at)
{
  g_autoptr(GBytes) b = g_bytes_new(raw, strlen(raw));
  OknoParsed *p = okno_parse(cfg, b, &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL}, at);
  assert_true(okno_verify(cfg, p, NULL));
  return p;
}

/* The appeal's search row as the INSERT triggers before migration 30 built it: the
 * subject (A), then for each message in order its text (D; not okno's own letters)
 * and each of its files (B), appended one by one. Compared as text, so a failure
 * shows both. */
static void assert_search_row_is_the_triggers(Fx *fx, const char *number)
{
  OknoDb *db = okno_store_db(fx->st);
  g_autoptr(OknoRows) ms = okno_db_query(
      db, "SELECT m.id, m.automatic FROM messages m JOIN appeals a ON a.id = m.appeal_id "
          "WHERE a.number = $1 ORDER BY m.id", OKNO_PARAMS(OKNO_TEXT(number)), NULL);
  g_autoptr(GString) expr = g_string_new(
      "okno_search_doc((SELECT subject_terms FROM appeals WHERE number = $1), 'A')");
  g_autoptr(OknoRows) both = NULL;
  g_autofree char *sql = NULL;
  assert_non_null(ms);
  for (guint i = 0; i < okno_rows_count(ms); i++) {
    g_autoptr(OknoRows) files = okno_db_query(
        db, "SELECT id FROM attachments WHERE message_ref = $1 ORDER BY id",
        OKNO_PARAMS(OKNO_INT(okno_rows_int(ms, i, 0))), NULL);
    if (!okno_rows_int(ms, i, 1))
      g_string_append_printf(expr, " || okno_search_doc((SELECT text_terms FROM messages "
                                   "WHERE id = %" G_GINT64_FORMAT "), 'D')",
                             okno_rows_int(ms, i, 0));
    for (guint k = 0; k < okno_rows_count(files); k++)
      g_string_append_printf(expr, " || okno_search_doc((SELECT filename_terms FROM "
                                   "attachments WHERE id = %" G_GINT64_FORMAT "), 'B')",
                             okno_rows_int(files, k, 0));
  }
  sql = g_strdup_printf("SELECT (%s)::text, (SELECT s.doc::text FROM appeal_search s JOIN "
                        "appeals a ON a.id = s.appeal_id WHERE a.number = $1)", expr->str);
  both = okno_db_query(db, sql, OKNO_PARAMS(OKNO_TEXT(number)), NULL);
  assert_non_null(both);
  /* the row holds the subject, the texts and the files */
  assert_non_null(strstr(okno_rows_text(both, 0, 0), ":1A"));
  assert_non_null(strstr(okno_rows_text(both, 0, 0), "B"));
  assert_non_null(okno_rows_text(both, 0, 1));
  assert_string_equal(okno_rows_text(both, 0, 1), okno_rows_text(both, 0, 0));
}

/* PostgreSQL: okno writes each appeal's search row before the group's COMMIT (store/
 * search_queue.h), equal to what the triggers wrote: a new appeal with files, a reply
 * with a file joining it, and both kinds in one group as the writer runs them. */
static void test_pg_the_search_row_is_the_triggers(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  g_autofree char *raw1 = raw_with_files("Иван <ivan@example.ru>", "m1@example.ru",
                                         "Не приходит код подтверждения", DESCRIPTION,
                                         "скриншот-ошибки.pdf", "заявление.pdf");
  g_autofree char *raw3 = raw_with_files("Пётр <petr@example.ru>", "p1@example.ru",
                                         "Справка о доходах", "Прошу выдать справку 2-НДФЛ.",
                                         "паспорт.pdf", NULL);
  g_autofree char *raw2 = NULL, *raw4 = NULL, *subject = NULL;
  g_autoptr(OknoParsed) p1 = parsed_raw(raw1, okno_now());
  g_autoptr(OknoParsed) p2 = NULL, p3 = NULL, p4 = NULL;
  g_auto(OknoIntakeResult) r1 = register_with(fx, p1, none), r2 = {0}, r3 = {0}, r4 = {0};
  assert_search_row_is_the_triggers(fx, r1.number);

  subject = g_strdup_printf("Re: Обращение № %s", r1.number);
  raw2 = raw_with_files("Иван <ivan@example.ru>", "m2@example.ru", subject,
                        "Прикладываю ещё один снимок экрана.", "снимок-2.pdf", NULL);
  p2 = parsed_raw(raw2, okno_now() + HOUR);
  r2 = register_with(fx, p2, none);
  assert_int_equal(r2.outcome, OKNO_INTAKE_JOINED);
  assert_search_row_is_the_triggers(fx, r1.number);

  /* one group: a new appeal and a second reply to the first, each in its savepoint */
  raw4 = raw_with_files("Иван <ivan@example.ru>", "m3@example.ru", subject,
                        "И третий снимок, с другого телефона.", "снимок-3.pdf", "снимок-4.pdf");
  p3 = parsed_raw(raw3, okno_now() + 2 * HOUR);
  p4 = parsed_raw(raw4, okno_now() + 2 * HOUR);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_register(sla, none, fx->st, p3, &r3, NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_register(sla, none, fx->st, p4, &r4, NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_int_equal(r3.outcome, OKNO_INTAKE_CREATED);
  assert_int_equal(r4.outcome, OKNO_INTAKE_JOINED);
  assert_search_row_is_the_triggers(fx, r1.number);
  assert_search_row_is_the_triggers(fx, r3.number);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeal_search"), 2);
}

/* ---- registrations through the group-commit writer (store/commit.h) ---- */

/* One registration as the writer runs it (intake/pipeline.c register_work): a cleared
 * result first, since the writer may run it twice; `fail` fails it after all its
 * writes. */
typedef struct {
  OknoParsed *p;
  OknoIntakeResult res;
  gboolean fail;
  int runs;
  gboolean had_error;
} Reg;

static GMutex regs_lock;
static GCond regs_cond;
static int regs_remaining;

static gboolean reg_work(OknoStore *st, gpointer data, GError **error)
{
  Reg *r = data;
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  r->runs++;
  okno_intake_result_clear(&r->res);
  memset(&r->res, 0, sizeof r->res);
  if (!okno_register(sla, none, st, r->p, &r->res, error))
    return FALSE;
  if (r->fail) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "refused on purpose");
    return FALSE;
  }
  return TRUE;
}

static void reg_done(gpointer data, const GError *err)
{
  Reg *r = data;
  g_mutex_lock(&regs_lock);
  r->had_error = err != NULL;
  regs_remaining--;
  g_cond_signal(&regs_cond);
  g_mutex_unlock(&regs_lock);
}

/* New appeals from n senders, registered by a writer of its own on fx's database as
 * ONE group (the writer held while they are submitted); registration `fail` (1-based;
 * 0: none) fails after its writes. The writer's counts. */
static OknoCommitCounts register_group(Fx *fx, Reg *regs, int n, int fail, const char *tag)
{
  OknoCommitCounts counts = {0};
  OknoCommitter *c = okno_committer_new(fx->db->url, 64, NULL);
  assert_non_null(c);
  okno_committer_hold(c, TRUE);
  regs_remaining = n;
  for (int i = 0; i < n; i++) {
    g_autofree char *from = g_strdup_printf("citizen-%s-%d@example.ru", tag, i);
    g_autofree char *mid = g_strdup_printf("%s.%d@example.ru", tag, i);
    regs[i] = (Reg){.p = parsed_at(&(Mail){.from = from, .message_id = mid}, okno_now(), NULL),
                    .fail = i + 1 == fail};
    okno_committer_submit(c, reg_work, reg_done, &regs[i], NULL);
  }
  okno_committer_hold(c, FALSE);
  g_mutex_lock(&regs_lock);
  while (regs_remaining > 0)
    g_cond_wait(&regs_cond, &regs_lock);
  g_mutex_unlock(&regs_lock);
  okno_committer_counts(c, &counts);
  okno_committer_free(c);
  return counts;
}

static void regs_free(Reg *regs, int n)
{
  for (int i = 0; i < n; i++) {
    okno_intake_result_clear(&regs[i].res);
    okno_parsed_free(regs[i].p);
  }
}

/* A group of 12 new appeals whose fifth fails after all its writes: the group's run
 * without savepoints is rolled back (jobs 1 to 5 ran), the group runs again with a
 * savepoint each, and the 11 others are committed once: one appeal, one incoming
 * message, one receipt and one journal leaf (the registration's batch) each, and the
 * journal verifies. The failed one leaves nothing. SQLite rolls its number counter
 * back with the rest (numbers 1 to 11); PostgreSQL's sequence does not go back: the
 * five numbers of the first run and the failed one's are gaps (1 to 5 and 10). */
static void test_a_failing_registration_in_a_group_is_undone_alone(void **state)
{
  Fx *fx = fixture(state);
  enum { N = 12, FAIL = 5 };
  Reg regs[N];
  OknoCommitCounts c = register_group(fx, regs, N, FAIL, "g");
  gboolean pg = !okno_db_is_sqlite(okno_store_db(fx->st));
  g_autoptr(OknoRows) numbers = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;

  assert_int_equal(c.commits, 1);
  assert_int_equal(c.retried, 1);
  assert_int_equal(c.savepoints, N);
  assert_int_equal(c.jobs, N - 1);
  for (int i = 0; i < N; i++) {
    assert_int_equal(regs[i].runs, i + 1 <= FAIL ? 2 : 1);
    assert_int_equal(regs[i].had_error, i + 1 == FAIL);
    if (i + 1 != FAIL) {
      g_autoptr(OknoAppeal) a = okno_store_appeal_get(fx->st, regs[i].res.number, NULL);
      assert_int_equal(regs[i].res.outcome, OKNO_INTAKE_CREATED);
      assert_true(regs[i].res.receipt_queued);
      assert_non_null(a);
      assert_string_equal(a->from_email, regs[i].p->contact);
    }
  }
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), N - 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE direction = 'in'"), N - 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE direction = 'out'"), N - 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM messages WHERE message_id = 'g.4@example.ru'"), 0);
  assert_int_equal(count(fx, "SELECT count(*) FROM outbound"), N - 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), N - 1);
  assert_int_equal(count(fx, "SELECT count(DISTINCT appeal_id) FROM journal"), N - 1);
  rep = okno_journal_verify(fx->st, NULL, NULL);
  assert_non_null(rep);
  assert_int_equal(rep->problems->len, 0);
  assert_int_equal(rep->size, N - 1);
  numbers = okno_db_query(okno_store_db(fx->st), "SELECT number FROM appeals ORDER BY id",
                          OKNO_NO_PARAMS, NULL);
  assert_non_null(numbers);
  for (guint i = 0; i < okno_rows_count(numbers); i++) {
    /* YY-NNNNNN-C: the i-th appeal kept, of the fallback run's numbers */
    gint64 seq = g_ascii_strtoll(okno_rows_text(numbers, i, 0) + 3, NULL, 10);
    gint64 want = pg ? FAIL + 1 + i + (i + 1 >= FAIL) : (gint64)i + 1;
    assert_int_equal(seq, want);
  }
  regs_free(regs, N);
}

/* PostgreSQL: the round trips to the server per new appeal in a group of 8: as the
 * group-commit writer ran them until 2026-12-07 (BEGIN, a savepoint each, COMMIT), one
 * statement at a time and then pipelined (db.h okno_db_set_pipelining, as the writer
 * does); and as the writer runs them now, counted on its own connection: no savepoint,
 * one wait for the answers in flight before COMMIT. Each figure is a connection's first
 * pipelined group (its statements prepared on the way). Printed (issue 18 counts
 * them); the counts do not depend on timing. */
static double round_trips_per_appeal(Fx *fx, int group)
{
  g_autoptr(OknoBlocklist) none = okno_blocklist_new();
  guint64 before = okno_db_round_trips(okno_store_db(fx->st));
  const int n = 8;
  assert_true(okno_store_begin(fx->st, NULL));
  for (int i = 0; i < n; i++) {
    g_autofree char *from = g_strdup_printf("citizen%d.%d@example.ru", group, i);
    g_autofree char *mid = g_strdup_printf("r%d.%d@example.ru", group, i);
    g_autoptr(OknoParsed) p = parsed_at(&(Mail){.from = from, .message_id = mid}, okno_now(), NULL);
    g_auto(OknoIntakeResult) r = {0};
    assert_true(okno_store_savepoint(fx->st, NULL));
    assert_true(okno_register(sla, none, fx->st, p, &r, NULL));
    assert_true(okno_store_release(fx->st, NULL));
    assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  }
  assert_true(okno_store_commit(fx->st, NULL));
  return (double)(okno_db_round_trips(okno_store_db(fx->st)) - before) / n;
}

static void test_pg_round_trips_per_appeal(void **state)
{
  Fx *fx = fixture(state);
  double one_by_one, pipelined, writer;
  Reg regs[8];
  OknoCommitCounts c;
  one_by_one = round_trips_per_appeal(fx, 1);
  okno_db_set_pipelining(okno_store_db(fx->st), TRUE);
  pipelined = round_trips_per_appeal(fx, 2);
  okno_db_set_pipelining(okno_store_db(fx->st), FALSE);
  /* the ids the pipelined group gave (reserved from the sequences) leave the
   * sequences ahead of them: rows whose INSERT gives the id do not collide */
  (void)round_trips_per_appeal(fx, 3);
  c = register_group(fx, regs, 8, 0, "w");
  writer = (double)c.round_trips / 8;
  print_message("round trips per new appeal (group of 8): %.2f one by one, %.2f pipelined "
                "with a savepoint each, %.2f by the writer (no savepoint)\n",
                one_by_one, pipelined, writer);
  assert_true(pipelined < one_by_one);
  assert_int_equal(c.savepoints, 0);
  assert_int_equal(c.commits, 1);
  assert_true(writer < pipelined);
  /* 17.00 pipelined before ids were reserved ahead (store/ids.h), the duplicate lookups
   * made one statement and the notification settings read once: 7.00 since, and 6.25 by
   * the writer, which makes no savepoint (2026-12-07, fourth session; 0.25 of it is the
   * group's own: a second block of event ids and the wait before COMMIT). What is left per
   * appeal: the duplicate lookup, the number, the hourly receipt limit and the
   * notification settings (and the savepoint's release, pipelined). */
  assert_true(pipelined <= 7.0);
  assert_true(writer <= 6.25);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 32);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeal_search"), 32);
  /* every appeal, whichever way its ids came, has the same rows under it */
  assert_int_equal(count(fx, "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM events "
                             "GROUP BY appeal_id) AS x"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM (SELECT appeal_id FROM messages GROUP "
                             "BY appeal_id HAVING count(*) <> 2) AS x"), 0);
  assert_int_equal(count(fx, "SELECT count(DISTINCT appeal_id) FROM events"), 32);
  regs_free(regs, 8);
}

/* PostgreSQL: a new appeal's three SLA jobs go in with one INSERT and no UPDATE looks
 * for older jobs to cancel (a new appeal has none). That UPDATE, planned while
 * sla_jobs had no statistics, scanned every pending job through sla_jobs_due: the
 * intake's costliest statement outside search (docs/postgresql.md). Statement-level
 * triggers count the statements, which fire even when no row changes. */
static void test_pg_a_new_appeal_writes_its_jobs_in_one_statement(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  OknoIntakeResult r;
  assert_true(okno_db_script(
      db,
      "CREATE TABLE t_statements(op TEXT NOT NULL);"
      "CREATE FUNCTION t_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      "  INSERT INTO t_statements(op) VALUES(TG_OP); RETURN NULL; END $$;"
      "CREATE TRIGGER t_sla_jobs AFTER INSERT OR UPDATE ON sla_jobs FOR EACH STATEMENT"
      "  EXECUTE FUNCTION t_count();",
      NULL));
  r = submit(fx, &(Mail){0});
  assert_int_equal(r.outcome, OKNO_INTAKE_CREATED);
  assert_int_equal(count(fx, "SELECT count(*) FROM sla_jobs WHERE state = 'pending'"), 3);
  assert_int_equal(count(fx, "SELECT count(*) FROM t_statements WHERE op = 'INSERT'"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM t_statements WHERE op = 'UPDATE'"), 0);
  okno_intake_result_clear(&r);
}

/* PostgreSQL, pipelined: a job whose statement sent without waiting fails is undone
 * alone when its savepoint is released; the group's other jobs commit. */
static void test_pg_a_pipelined_failure_undoes_its_job_only(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  g_autoptr(GError) err = NULL;
  okno_db_set_pipelining(db, TRUE);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_db_exec(db, "INSERT INTO meta(key, value) VALUES('a', '1')", OKNO_NO_PARAMS, NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_db_exec(db, "INSERT INTO meta(key, value) VALUES('b', '1')", OKNO_NO_PARAMS, NULL));
  /* sent without waiting: the duplicate key shows at the release */
  assert_true(okno_db_exec(db, "INSERT INTO meta(key, value) VALUES('a', '2')", OKNO_NO_PARAMS, NULL));
  assert_false(okno_store_release(fx->st, &err));
  assert_non_null(strstr(err->message, "23505"));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_db_exec(db, "INSERT INTO meta(key, value) VALUES('c', '1')", OKNO_NO_PARAMS, NULL));
  assert_int_equal(count(fx, "SELECT count(*) FROM meta WHERE key IN ('a', 'b', 'c')"), 2);
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  okno_db_set_pipelining(db, FALSE);
  assert_int_equal(count(fx, "SELECT count(*) FROM meta WHERE key IN ('a', 'b', 'c')"), 2);
  assert_int_equal(count(fx, "SELECT count(*) FROM meta WHERE key = 'b'"), 0);
}

static int group_setup(void **state)
{
  (void)state;
  cfg = okno_config_new_default();
  g_free(cfg->calendar_file);
  cfg->calendar_file = okno_data_file("calendar/ru.txt");
  g_free(cfg->check_address);
  cfg->check_address = g_strdup("check@portal.example");
  ivans.number = okno_number_format(2026, 1);
  sla = okno_sla_env_new(cfg, NULL);
  assert_non_null(sla);
  assert_non_null(sla->cal);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  okno_sla_env_free(sla);
  okno_config_free(cfg);
  g_free(ivans.number);
  return 0;
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_decide_a_duplicate_wins_over_everything),
    cmocka_unit_test(test_decide_only_the_contact_with_a_proved_sender_joins),
    cmocka_unit_test(test_decide_a_repeated_appeal_is_new_unless_it_answers_our_message),
    cmocka_unit_test(test_decide_the_status_and_queue_of_a_new_appeal),
    cmocka_unit_test(test_decide_spam_is_held_and_never_joins),
    cmocka_unit_test(test_decide_a_clarification_resumes_the_clock_only_with_a_description),
    ON_BOTH(test_a_new_appeal_is_numbered_routed_and_acknowledged),
    ON_BOTH(test_a_new_appeal_row_is_written_once_with_its_deadline),
    ON_BOTH(test_the_same_message_id_twice_is_a_duplicate),
    ON_BOTH(test_the_same_content_from_the_same_sender_within_a_day_is_a_duplicate),
    ON_BOTH(test_a_reply_with_the_number_from_the_contact_joins),
    ON_BOTH(test_a_stranger_quoting_the_number_gets_a_new_linked_appeal),
    ON_BOTH(test_in_reply_to_our_receipt_joins),
    ON_BOTH(test_a_suspicious_sender_never_joins),
    ON_BOTH(test_a_clarification_answer_restarts_the_deadline_clock),
    ON_BOTH(test_a_letter_pointing_at_a_blocked_domain_waits_in_the_suspicious_queue),
    ON_BOTH(test_an_empty_message_is_quarantined_without_asking_anything),
    ON_BOTH(test_mail_to_the_check_address_registers_no_appeal),
    ON_BOTH(test_numbers_run_per_year_across_the_new_year),
    ON_BOTH(test_a_failing_registration_in_a_group_is_undone_alone),
    ON_PG_AS("test_pg_the_search_row_is_the_triggers", test_pg_the_search_row_is_the_triggers),
    ON_PG_AS("test_pg_round_trips_per_appeal", test_pg_round_trips_per_appeal),
    ON_PG_AS("test_pg_a_new_appeal_writes_its_jobs_in_one_statement",
             test_pg_a_new_appeal_writes_its_jobs_in_one_statement),
    ON_PG_AS("test_pg_a_pipelined_failure_undoes_its_job_only",
             test_pg_a_pipelined_failure_undoes_its_job_only),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
