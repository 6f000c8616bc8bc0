/* appeal.h: the appeal, as the domain knows it: its record and its status machine.
 *
 * OknoAppeal is the registry's row (store.h reads and writes it) and the one shape every
 * rule of src/appeal/ takes; nothing here reads or writes it anywhere: the operations
 * that load, decide, write and notify are src/ops/ops.h.
 *
 * Status machine (docs/sla.md):
 *   new                 -> in_progress, needs_clarification, answered, closed, rejected
 *   in_progress         -> needs_clarification, answered, closed, rejected
 *   needs_clarification -> in_progress, closed, rejected
 *   answered            -> closed, in_progress (reopened)
 *   closed              -> in_progress (reopened)
 *   rejected            -> nothing
 * rejected and needs_clarification need a reason; answered needs the answer's text.
 * What a move does to the clock (needs_clarification stops it, leaving it or reopening
 * starts it again) is ops.h's. */
#pragma once
#include <glib.h>

typedef struct {
  gint64 id;
  char *number;
  char *status;      /* new, needs_clarification, in_progress, answered, closed, rejected */
  char *channel;     /* email, web, chat, messenger, phone */
  char *queue;       /* "" (regular), "quarantine" or "suspicious" (OKNO_QUEUE_*, intake/pipeline.h) */
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
  char *kind;              /* "support" (a support request) or "formal" (59-FZ) */
  char *priority;          /* "normal" or "urgent" */
  gboolean priority_confirmed; /* a supervisor confirmed urgent / accelerated */
  char *sla_class;         /* okno_sla_class_name(), "" if none */
  gboolean overdue;        /* the deadline passed before an answer */
  gint64 forward_deadline; /* formal appeals: forwarding due (0: none) */
  gint64 extensions;       /* times the deadline was extended */
  gboolean answered;       /* an answer was given (a repeated appeal reopens only if not) */
  gint64 deadline_gen;     /* bumped on every deadline change; names the jobs' generation */
} OknoAppeal;

/* Frees every string of `a` and `a` itself (NULL is fine). */
void okno_appeal_free(OknoAppeal *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAppeal, okno_appeal_free)

/* Whether the machine above allows `from` -> `to` (unknown statuses: FALSE). */
gboolean okno_appeal_status_allowed(const char *from, const char *to);

/* Whether `a` may become `to` with `reason` and `answer` (NULL or "": none): the
 * machine allows it and what the move needs is there. FALSE and OKNO_ERROR_USER, one
 * English line for the CLI («appeal N is closed and cannot become answered», «rejected
 * needs --reason», «answered needs --answer TEXT»), when not. */
gboolean okno_appeal_status_check(const OknoAppeal *a, const char *to, const char *reason,
                                  const char *answer, GError **error);
