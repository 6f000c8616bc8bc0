/* envelope.h: what a channel hands intake with a message, and what intake answers.
 *
 * The SMTP/LMTP session (smtp_session.h) fills an OknoEnvelope for every message it
 * receives and later reports an OknoIntakeResult back to its client; the web form, the
 * cabinet and `okno submit` do the same through intake/pipeline.h, which takes and
 * gives these. They live here, below intake, so that the session, which knows nothing
 * of the store or the pipeline, can speak of them. Plain data: an envelope's strings
 * are borrowed from its caller (okno_envelope_copy, intake/parse.h, makes a copy that
 * owns them); a result's number is owned by the result (okno_intake_result_clear,
 * intake/register.h). */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"

typedef struct {
  OknoChannel channel;        /* 0: e-mail */
  const char *mail_from;      /* SMTP MAIL FROM; "" for the null path; NULL if none */
  const char *const *rcpt_to; /* NULL-terminated, may be NULL */
  const char *client_addr;    /* peer address, NULL if none */
  const char *helo;           /* EHLO/HELO/LHLO argument, NULL if none */
  const char *session_id;     /* for log lines, NULL if none */
  gboolean tls;
  /* Given by channels that ask for them (the web form); NULL or "" otherwise: */
  const char *category;       /* the appeal's category (web/feedback.h keys) */
  const char *phone;          /* +7..., taken instead of a phone found in the text */
  OknoKind kind;              /* OKNO_KIND_FORMAL: a formal appeal under 59-FZ, only
                                 from a trusted caller that confirmed the citizen's
                                 identity (the cabinet; `okno submit --kind formal`);
                                 0: a support request */
  const char *source_key;     /* a channel that may hand the same message again (the
                                 IMAP mailbox) names it here: a key already in the
                                 store (store/sources.h) is answered DUPLICATE without
                                 registering, a new one is recorded in the
                                 registration's transaction; NULL: none */
  const char *operator_login; /* an appeal an operator logged on the citizen's behalf
                                 (web/console_intake.c): the operator, recorded as
                                 "by" in the `received` event; NULL otherwise */
  const char *citizen_name;   /* the citizen's name when the message's From carries no
                                 address to hang it on (the operator's form without an
                                 e-mail): the appeal's from_name then; NULL: none */
} OknoEnvelope;

typedef enum {
  OKNO_INTAKE_CREATED,   /* a new appeal */
  OKNO_INTAKE_JOINED,    /* a reply added to an existing appeal */
  OKNO_INTAKE_DUPLICATE, /* the same message again: nothing new registered */
  OKNO_INTAKE_CHECKED,   /* sent to the [check] address: no appeal, a verdict queued */
} OknoIntakeOutcome;

typedef struct {
  char *number;          /* the appeal this message belongs to; NULL when CHECKED */
  OknoIntakeOutcome outcome;
  gboolean quarantined;
  gboolean suspicious;   /* put in the suspicious queue (intake/pipeline.h) */
  gboolean receipt_queued;
} OknoIntakeResult;
