/* parse.h: intake's first stage: the message's bytes and envelope in, a parsed record
 * out. Pure: no network, no store, no clock (the caller says when it was received).
 *
 * okno_parse() decodes the message (mail/mime.h, under the [intake] parse budgets),
 * then decides everything the bytes alone decide:
 *  - the contact we answer to (lowercase), the first usable address of From, Sender,
 *    Reply-To, Return-Path and the envelope's MAIL FROM (usable: local@domain.tld,
 *    not a null or bounce sender), and which one it was (meta "contact_source");
 *  - the description, the meaningful text (validate.h; "" means none: the citizen
 *    is asked to clarify);
 *  - the identifiers in the text (extract.h) and the phone taken for the appeal (the
 *    envelope's, from the web form, else the first phone in the text);
 *  - each attachment's refusal reason (validate.h: by the bytes, not the name);
 *  - whether okno may answer automatically (loop.h, RFC 3834), and why not;
 *  - the content hash deduplication compares (subject, text, attachments' SHA-256);
 *  - a valid appeal number in the subject (a reply to that appeal), and «Повторное»
 *    naming an earlier appeal (a repeated appeal, linked to it);
 *  - whether the mail went to the [check] address only (no appeal: a verdict).
 * It never fails: an empty message, or one that broke a parse budget, comes back
 * with `quarantine` set, and is registered in the quarantine queue for an operator.
 * This is the narrow interface DESIGN.md asks of untrusted bytes: nothing here holds
 * a store, a socket or a key, so it could run in a sandboxed process.
 *
 * The record has a second group of fields that the next stage, verify.h, fills
 * (sender authentication, clamd's findings, the phishing indicators); parse leaves
 * them empty. Ownership: the record owns every field (free with okno_parsed_free);
 * strings typed `const char *` point into the record's own envelope copy or are
 * static. */
#pragma once
#include <glib.h>

#include "appeal/sla.h"
#include "check/phishing.h"
#include "check/rspamd.h"
#include "core/config.h"
#include "mail/auth.h"
#include "mail/envelope.h"
#include "mail/mime.h"

/* OknoEnvelope is mail/envelope.h's (the SMTP session fills one too). */

/* A deep copy of `src` into `dst` (every string duplicated); okno_envelope_clear()
 * frees what a copy holds. */
void okno_envelope_copy(OknoEnvelope *dst, const OknoEnvelope *src);
void okno_envelope_clear(OknoEnvelope *env);

typedef struct {
  /* ---- parse ---- */
  GBytes *raw;            /* the bytes to store; verify prepends Authentication-Results */
  OknoMessage *msg;       /* decoded (an empty message gets a record of "\r\n") */
  OknoEnvelope env;       /* a copy of the envelope */
  char *env_from;         /* MAIL FROM without <>, lowercase; NULL when none given */
  gint64 received_at;
  const char *session_id; /* env.session_id, "-" when not given (log lines) */
  const char *category;   /* env.category, "" when not given */
  char *phone;            /* env.phone, else the first phone in the text, else "" */
  char *contact;          /* lowercase e-mail we answer to, "" if none */
  const char *contact_source; /* which gave it: "from", "sender", "reply-to", "return-path",
                               * "envelope", or "" (static) */
  char *description;      /* meaningful text, "" if none */
  GPtrArray *ids;         /* OknoExtracted* found in the text */
  GPtrArray *refusals;    /* per attachment: the Russian reason it is refused, or NULL */
  const char *no_autoreply; /* why no automatic answer (static English), NULL: allowed */
  char *content_hash;     /* hex SHA-256 of subject, text and attachment hashes */
  guint8 raw_sha256[32];  /* SHA-256 of raw as stored: set by okno_register_prepare (the
                           * journal's entry and the receipt share it) */
  char *subject_number;   /* a valid appeal number in the subject, or NULL */
  gboolean repeated;      /* «Повторное» naming an earlier appeal ... */
  char *earlier_number;   /* ... this one; NULL when not repeated */
  char *quarantine;       /* why the parse could not be trusted, or NULL */
  gboolean is_check;      /* sent to the [check] address only: answer, do not register */
  /* ---- verify (verify.h); empty after parse ---- */
  OknoAuthResult *auth;   /* sender authentication, NULL when not checked */
  char *auth_json;        /* its JSON object (the `authentication` event), or NULL */
  GPtrArray *infected;    /* per attachment: the virus clamd found in it, or NULL */
  OknoPhishResult *phish; /* what the letter points at; for is_check the verdict (of
                           * the forwarded letter when there is one); NULL before verify */
  gboolean forwarded;     /* is_check: the letter checked was an attached message/rfc822 */
  char *checked_subject;  /* is_check: its subject */
  OknoRspamdResult *spam; /* rspamd's judgement (check/rspamd.h), NULL when not asked
                           * or unreachable */
  OknoSpamVerdict spam_verdict; /* okno's policy over it ([rspamd]) */
  char *spam_unscanned;   /* rspamd failed and [rspamd] on_failure = accept: why */
  /* ---- prepared (register.h okno_register_prepare): what registration needs that
   * the message alone decides, worked out before the store writer; empty before ---- */
  gboolean prepared;
  /* raw_sha256 (above) */
  char *meta_json;        /* okno_parsed_meta_json(p), the message row's meta */
  OknoSlaClass sla_class; /* appeal/sla.h okno_sla_classify of kind, category, subject, text */
  char *text_terms;       /* store/terms.h okno_store_terms(msg->text) */
  struct OknoKbQuery *kb_query; /* ops/kb.h: subject and description, for the receipt's
                                 * articles; NULL when quarantined or no description */
  struct OknoKeyAhead *key_ahead; /* store/keys.h: a new appeal's data key, made ahead;
                                   * NULL without a vault */
  struct OknoMessageSealed *message_sealed; /* store/messages.h: the message row's
                                             * values sealed under key_ahead */
} OknoParsed;

/* Parses `raw` (a reference is taken) that arrived with `env` (copied) at
 * `received_at` (microseconds, okno_now()). Never NULL. */
OknoParsed *okno_parse(const OknoConfig *cfg, GBytes *raw, const OknoEnvelope *env,
                       gint64 received_at);
void okno_parsed_free(OknoParsed *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoParsed, okno_parsed_free)

/* The MIME budgets of cfg's [intake] keys. */
void okno_parse_limits(const OknoConfig *cfg, OknoMimeLimits *lim);

/* The meta stored with the message (a JSON object, caller frees): the envelope,
 * From, Date, threading headers, the identifiers found, MIME defects, the loop
 * verdict, the quarantine reason and, once verified, the authentication results and
 * rspamd's judgement ("rspamd": score, action, symbols, verdict). */
char *okno_parsed_meta_json(const OknoParsed *p);
