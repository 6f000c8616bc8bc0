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
#include "intake/register.h"
#include "intake/verify.h"
#include "core/paths.h"
#include "store/appeals.h"
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
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
