/* pipeline.h: one message through intake: parse -> check -> extract -> register.
 *
 * Every channel that brings mail (the SMTP/LMTP listener, `okno submit`, tests) calls
 * this module and nothing below it. The work is split in two:
 *  - parsing (mime.h, extract.h, validate.h, loop.h) is a pure function of the bytes,
 *    run on a worker thread under the parse budgets;
 *  - registering runs inside a store transaction: deduplication, threading onto an
 *    existing appeal, numbering, the receipt queued in the outbound queue, events.
 * In `serve`, registrations of many sessions share one transaction and one sync
 * (commit.h): the `done` callback fires only after the commit is durable, and only
 * then does the listener answer 250. A message whose parse breaks the budgets is still
 * registered (original bytes kept) in the quarantine queue and acknowledged. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "store/store.h"

typedef struct {
  const char *channel;        /* "email" */
  const char *mail_from;      /* SMTP MAIL FROM; "" for the null path; NULL if none */
  const char *const *rcpt_to; /* NULL-terminated, may be NULL */
  const char *client_addr;    /* peer address, NULL if none */
  const char *helo;           /* EHLO/HELO/LHLO argument, NULL if none */
  const char *session_id;     /* for log lines, NULL if none */
  gboolean tls;
  const char *kind;           /* "formal": a formal appeal under 59-FZ, only from a
                                 trusted caller that confirmed the citizen's identity
                                 (the cabinet; `okno submit --kind formal`); NULL or
                                 anything else: a support request */
} OknoEnvelope;

typedef enum {
  OKNO_INTAKE_CREATED,   /* a new appeal */
  OKNO_INTAKE_JOINED,    /* a reply added to an existing appeal */
  OKNO_INTAKE_DUPLICATE, /* the same message again: nothing new registered */
} OknoIntakeOutcome;

typedef struct {
  char *number;          /* the appeal this message belongs to */
  OknoIntakeOutcome outcome;
  gboolean quarantined;
  gboolean receipt_queued;
} OknoIntakeResult;

void okno_intake_result_clear(OknoIntakeResult *r);

typedef struct OknoIntake OknoIntake;

/* Opens its own store connection(s) from cfg->store_url. */
OknoIntake *okno_intake_new(const OknoConfig *cfg, GError **error);
/* Waits for everything in flight, then frees. */
void okno_intake_free(OknoIntake *in);

/* Called once on the main context that was thread-default when the message was
 * submitted. `err` NULL: the registration is durable (answer 250). Otherwise its code
 * is OKNO_ERROR_TEMP (answer 451 4.3.0, the client retries) or OKNO_ERROR_PERM
 * (answer 554 5.6.0 with err->message). `res` is valid during the call only. */
typedef void (*OknoIntakeDone)(const OknoIntakeResult *res, const GError *err,
                               gpointer user_data);

/* Takes a reference on `raw`; copies `env`. Never blocks. */
void okno_intake_submit_async(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                              OknoIntakeDone done, gpointer user_data);

/* The same, synchronously, with its own transaction (okno submit, tests). */
gboolean okno_intake_submit_sync(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                                 OknoIntakeResult *res, GError **error);

/* `msg` DKIM-signed as receipts are ([dkim] in the config; any thread), or a new
 * reference to `msg` itself when signing is off or fails (logged). For mail okno sends
 * outside intake: sign-in codes, address-change notices. Caller unrefs. */
GBytes *okno_intake_sign(OknoIntake *in, GBytes *msg);

/* Messages registered since start, and the number of commits (syncs) that made them
 * durable: their ratio is the group-commit factor. */
void okno_intake_stats(OknoIntake *in, guint64 *messages, guint64 *commits);
