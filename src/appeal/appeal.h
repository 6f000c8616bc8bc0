/* appeal.h: the appeal, as the domain knows it: its record, the values of its fields,
 * and its status machine.
 *
 * OknoAppeal is the registry's row (store/appeals.h reads and writes it) and the one
 * shape every rule of src/appeal/ takes; nothing here reads or writes it anywhere: the
 * operations that load, decide, write and notify are src/ops/ops.h.
 *
 * Every closed set of values an appeal has (status, kind, channel, hold queue, priority,
 * SLA class) is an enum here, with one table of names: the name is what the store, the
 * JSON contract, the command line and the web forms use, and the only place a name is
 * turned into a value is okno_*_parse() (the store's row mapper reads the same names,
 * so a value okno does not know never becomes an appeal). What people read of a status
 * is in its row of okno_statuses (the citizen's, the operator's and a notice's words).
 *
 * Status machine (docs/sla.md), the `moves` of okno_statuses:
 *   new                 -> in_progress, needs_clarification, answered, closed, rejected,
 *                          withdrawn
 *   in_progress         -> needs_clarification, answered, closed, rejected, withdrawn
 *   needs_clarification -> in_progress, closed, rejected, withdrawn
 *   answered            -> closed, in_progress (reopened)
 *   closed              -> in_progress (reopened)
 *   rejected            -> nothing
 *   withdrawn           -> nothing (the citizen withdrew it from the cabinet, having
 *                          found the answer: ops.h okno_ops_withdraw; docs/kb.md)
 * rejected and needs_clarification need a reason; answered needs the answer's text.
 * What a move does to the clock (needs_clarification stops it, leaving it or reopening
 * starts it again) is ops.h's. */
#pragma once
#include <glib.h>

typedef enum {
  OKNO_STATUS_NEW,
  OKNO_STATUS_IN_PROGRESS,
  OKNO_STATUS_NEEDS_CLARIFICATION,
  OKNO_STATUS_ANSWERED,
  OKNO_STATUS_CLOSED,
  OKNO_STATUS_REJECTED,
  OKNO_STATUS_WITHDRAWN,
  OKNO_N_STATUSES,
} OknoStatus;

/* A formal appeal falls under 59-FZ (its periods are the law's); a support request
 * under the portal's SLA. */
typedef enum { OKNO_KIND_SUPPORT, OKNO_KIND_FORMAL, OKNO_N_KINDS } OknoKind;

/* Where the appeal came from: okno_channels[] below is the one table of channels (the
 * console's queue and filters, the statistics, the history and the cabinet read their
 * words there). phone, paper and social are logged by an operator on the citizen's
 * behalf (web/console_intake.c); an IMAP mailbox brings e-mail (channel email). */
typedef enum {
  OKNO_CHANNEL_EMAIL,
  OKNO_CHANNEL_WEB,
  OKNO_CHANNEL_CHAT,
  OKNO_CHANNEL_MESSENGER,
  OKNO_CHANNEL_PHONE,
  OKNO_CHANNEL_PAPER,
  OKNO_CHANNEL_SOCIAL,
  OKNO_CHANNEL_TELEGRAM, /* the Telegram bot (web/telegram_routes.c, appeal/tg_contact.h) */
  OKNO_N_CHANNELS,
} OknoChannel;

/* One channel: its name (okno_channel_names) and what people read of it. */
typedef struct {
  const char *name;   /* "paper": the store's, the JSON's, the command line's */
  const char *title;  /* «Письмо на бумаге»: statistics, filters, the cabinet */
  const char *short_; /* «бумага»: the console's queue column */
  const char *phrase; /* «письмо на бумаге»: inside a sentence (the history) */
  gboolean operator_logged; /* an operator registers it on the citizen's behalf */
} OknoChannelInfo;

/* The channel table, indexed by OknoChannel. */
extern const OknoChannelInfo okno_channels[OKNO_N_CHANNELS];

/* The queue an appeal is held in before anyone works on it: none (the regular queues),
 * quarantine (a virus or an unreadable message: seen only by administrators, in no
 * queue), suspicious (phishing signals: queued, marked) or spam (judged spam by rspamd,
 * docs/spam.md: in no regular queue, no receipt and no deadline until an operator
 * releases it). Names "", "quarantine", "suspicious", "spam". */
typedef enum {
  OKNO_HOLD_NONE,
  OKNO_HOLD_QUARANTINE,
  OKNO_HOLD_SUSPICIOUS,
  OKNO_HOLD_SPAM,
  OKNO_N_HOLDS
} OknoHold;

typedef enum { OKNO_PRIORITY_NORMAL, OKNO_PRIORITY_URGENT, OKNO_N_PRIORITIES } OknoPriority;

/* SLA classes (appeal/sla.h has their periods); OKNO_SLA_NONE (name "") for an appeal
 * not classified (quarantined at registration). */
typedef enum {
  OKNO_SLA_NONE = -1,
  OKNO_SLA_SIMPLE,
  OKNO_SLA_COMPLEX,
  OKNO_SLA_URGENT,
  OKNO_SLA_COMPLAINT,
  OKNO_SLA_ACCELERATED,
  OKNO_SLA_FORMAL,
  OKNO_SLA_N_CLASSES,
} OknoSlaClass;

/* The names, indexed by value and NULL-terminated (the store's row mapper reads them). */
extern const char *const okno_status_names[OKNO_N_STATUSES + 1];
extern const char *const okno_kind_names[OKNO_N_KINDS + 1];
extern const char *const okno_channel_names[OKNO_N_CHANNELS + 1];
extern const char *const okno_hold_names[OKNO_N_HOLDS + 1];
extern const char *const okno_priority_names[OKNO_N_PRIORITIES + 1];
extern const char *const okno_sla_class_names[OKNO_SLA_N_CLASSES + 1];

/* The name of a value ("in_progress"); a value out of range is a broken invariant:
 * it aborts. okno_sla_class_name(OKNO_SLA_NONE) is "". Static strings. */
const char *okno_status_name(OknoStatus s);
const char *okno_kind_name(OknoKind k);
const char *okno_channel_name(OknoChannel c);
const char *okno_hold_name(OknoHold h);
const char *okno_priority_name(OknoPriority p);
const char *okno_sla_class_name(OknoSlaClass c);

/* The value of a name; FALSE (and *out untouched) for NULL or a name not in the table.
 * okno_sla_class_parse does not take "" (no class is not a class anyone chooses). */
gboolean okno_status_parse(const char *name, OknoStatus *out);
gboolean okno_kind_parse(const char *name, OknoKind *out);
gboolean okno_channel_parse(const char *name, OknoChannel *out);
gboolean okno_hold_parse(const char *name, OknoHold *out);
gboolean okno_priority_parse(const char *name, OknoPriority *out);
gboolean okno_sla_class_parse(const char *name, OknoSlaClass *out);

/* One status: what it is called and where it may go. */
typedef struct {
  const char *name;    /* "needs_clarification": the store's, the JSON's */
  const char *citizen; /* «Нужно уточнение от вас»: the status page and the cabinet */
  const char *staff;   /* «Нужно уточнение»: the console */
  const char *notice;  /* «требуется уточнение»: a notice's subject, after «Обращение № N: » */
  guint moves;         /* bit 1 << to for every status it may become */
  gboolean open;       /* still to be answered (new, in_progress, needs_clarification) */
  gboolean reason;     /* becoming it needs a reason (rejected, needs_clarification) */
} OknoStatusInfo;

/* The status table, indexed by OknoStatus. */
extern const OknoStatusInfo okno_statuses[OKNO_N_STATUSES];

typedef struct {
  gint64 id;
  char *number;
  OknoStatus status;
  OknoChannel channel;
  OknoHold queue;
  char *subject;
  char *from_name;
  char *from_email;  /* the appeal's contact: lowercase */
  char *phone;       /* +7..., "" if none */
  char *category;    /* "" until classified */
  char *related;     /* number of a linked appeal, "" if none */
  gint64 received_at;
  gint64 deadline;   /* 0: none */
  gint64 updated_at;
  char *department;  /* department code; "" = the default triage queue */
  gint64 assignee;   /* user id, 0: nobody (SLA reminders go to the user's e-mail) */
  gint64 version;    /* optimistic locking: every update bumps it (1 when inserted) */
  /* SLA (appeal/sla.h, ops/ops.h; docs/sla.md) */
  OknoKind kind;
  OknoPriority priority;
  gboolean priority_confirmed; /* a supervisor confirmed urgent / accelerated */
  OknoSlaClass sla_class;
  gboolean overdue;        /* the deadline passed before an answer */
  gint64 forward_deadline; /* formal appeals: forwarding due (0: none) */
  gint64 extensions;       /* times the deadline was extended */
  gboolean answered;       /* an answer was given (a repeated appeal reopens only if not) */
  gint64 deadline_gen;     /* bumped on every deadline change; names the jobs' generation */
} OknoAppeal;

/* Frees every string of `a` and `a` itself (NULL is fine). */
void okno_appeal_free(OknoAppeal *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAppeal, okno_appeal_free)

/* Whether the machine above allows `from` -> `to`. */
gboolean okno_appeal_status_allowed(OknoStatus from, OknoStatus to);

/* Whether `a` may become `to` with `reason` and `answer` (NULL or "": none): the
 * machine allows it and what the move needs is there. FALSE and OKNO_ERROR_USER with
 * one Russian sentence, the same for the console, the API and the command line
 * («Обращение № N закрыто; перевести его в статус «Отклонено» нельзя.», «Укажите
 * причину.», «Напишите текст ответа.»), when not. */
gboolean okno_appeal_status_check(const OknoAppeal *a, OknoStatus to, const char *reason,
                                  const char *answer, GError **error);

/* Whether `answer` (NULL or "": none) is an answer's text: FALSE and OKNO_ERROR_USER
 * («Напишите текст ответа.») when not. The check above makes it for a move to answered;
 * a further answer to an answered appeal (ops.h) makes it alone. */
gboolean okno_appeal_answer_check(const char *answer, GError **error);
