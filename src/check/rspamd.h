/* rspamd.h: an rspamd client: a message and its envelope in, rspamd's score, action and
 * symbols out; okno's spam policy over them; and the learning calls of the controller.
 *
 * Speaks rspamd's HTTP protocol (https://rspamd.com/doc/developers/protocol.html):
 *   POST {url}/checkv2 with the raw message as the body and the envelope as headers
 *   (IP, Helo, From = MAIL FROM, one Rcpt per recipient, Pass: all, so that every rule
 *   runs; the Authentication-Results header okno prepends after its own SPF, DKIM and
 *   DMARC checks travels inside the message). The answer is a JSON object:
 *     {"score": 8.0, "required_score": 15.0, "action": "add header",
 *      "symbols": {"NAME": {"score": 6.0, ...}, ...}, ...}
 *   POST {controller_url}/learnspam or /learnham with header Password: the message is
 *   learnt as spam or ham (rspamd answers {"success": true} or {"error": "..."});
 *   POST {controller_url}/fuzzyadd with Password, Flag and Weight: into the fuzzy storage.
 * One libsoup session per call, blocking: call it from a worker thread (the intake
 * parse pool, the console's action thread), never from a main loop. Each call is
 * bounded by `timeout_ms`, rounded up to whole seconds (libsoup's timeout). No
 * logging (the caller logs). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

/* rspamd's judgement of one message. */
typedef struct {
  double score;
  double required_score;
  char *action;     /* "no action", "greylist", "add header", "rewrite subject",
                     * "soft reject", "reject"; printable ASCII, at most 64 bytes */
  GPtrArray *symbols; /* char*: the names of the symbols that fired, sorted by name,
                       * printable ASCII, each at most 64 bytes, at most 64 of them */
  gboolean bayes_opinion; /* BAYES_SPAM or BAYES_HAM fired: the classifier is taught and
                           * judged this letter */
  double bayes;       /* the classifier's stated confidence (the symbol's first option,
                       * "NN.NN%", as 0..1): positive for BAYES_SPAM, negative for
                       * BAYES_HAM, 0 when neither fired or the option is unreadable */
} OknoRspamdResult;

void okno_rspamd_result_free(OknoRspamdResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRspamdResult, okno_rspamd_result_free)

/* Parses one /checkv2 answer of `len` bytes (untrusted: any bytes, any size). NULL
 * with OKNO_ERROR_TEMP when it is not a JSON object with a numeric "score" and a
 * string "action" (the message says which, in English). Symbols that are not objects
 * or whose names are empty are skipped. */
OknoRspamdResult *okno_rspamd_parse_reply(const char *reply, gsize len, GError **error);

/* The result as a JSON object {score, required_score, action, symbols[], verdict} into
 * `b` (the message meta and the `spam_checked` event); no verdict when it is NULL. */
void okno_rspamd_to_json(JsonBuilder *b, const OknoRspamdResult *r, const char *verdict);

/* The envelope sent with a message; every field may be NULL. Values with control
 * characters are not sent. */
typedef struct {
  const char *ip;
  const char *helo;
  const char *mail_from;
  const char *const *rcpt; /* NULL-terminated */
} OknoRspamdEnvelope;

/* Asks rspamd at `url` (http://host:port, no trailing path) about `len` bytes of
 * `data`. NULL with OKNO_ERROR_TEMP when rspamd cannot be reached, times out, answers
 * other than 200 or unreadably; OKNO_ERROR_USER for a malformed `url`. */
OknoRspamdResult *okno_rspamd_check(const char *url, gint64 timeout_ms,
                                    const OknoRspamdEnvelope *env, const void *data, gsize len,
                                    GError **error);

/* Teaches rspamd's controller at `controller_url` that the message is spam (`spam`
 * TRUE, /learnspam) or not (/learnham). TRUE when rspamd answered success; FALSE with
 * OKNO_ERROR_TEMP and rspamd's own reason (e.g. no statistics backend, or the message
 * was already learnt) otherwise. */
gboolean okno_rspamd_learn(const char *controller_url, const char *password, gint64 timeout_ms,
                           gboolean spam, const void *data, gsize len, GError **error);

/* The fuzzy storage's flag for letters judged spam or phishing (rspamd's fuzzy_check
 * rule maps it to FUZZY_DENIED: tests/it/rspamd_server.py, docs/spam.md). */
#define OKNO_RSPAMD_FUZZY_SPAM 1

/* Adds the message's fuzzy hashes to rspamd's fuzzy storage with `flag` (POST
 * {controller_url}/fuzzyadd, headers Password, Flag, Weight 10): a later letter with
 * the same or nearly the same text matches that flag's symbol. TRUE on success; FALSE
 * with OKNO_ERROR_TEMP and rspamd's reason (no fuzzy_check rule that may write,
 * storage unreachable) otherwise. */
gboolean okno_rspamd_fuzzy_add(const char *controller_url, const char *password,
                               gint64 timeout_ms, int flag, const void *data, gsize len,
                               GError **error);

/* okno's spam policy (docs/spam.md). */
typedef enum {
  OKNO_SPAM_ACCEPT, /* nothing to do */
  OKNO_SPAM_HOLD,   /* registered into the spam hold: no receipt, no clock */
  OKNO_SPAM_REJECT, /* 550 5.7.1 at SMTP time, nothing stored */
} OknoSpamVerdict;

/* Why a message held as spam got no receipt (the `autoreply_suppressed` event's reason;
 * releasing it sends the receipt only when this was the reason). */
#define OKNO_SPAM_NO_RECEIPT "judged spam: no receipt until an operator releases it"

/* "accept", "spam", "reject". */
const char *okno_spam_verdict_name(OknoSpamVerdict v);

/* The verdict on rspamd's `score` and `action` (pure): REJECT when reject_score > 0 and
 * score >= reject_score; else HOLD when spam_score > 0 and score >= spam_score, or
 * when rspamd's own action says spam ("add header", "rewrite subject", "reject":
 * rspamd's thresholds, local.d/actions.conf, count too); else ACCEPT. A threshold of
 * 0 or less is off. */
OknoSpamVerdict okno_spam_decide(double score, const char *action, double reject_score,
                                 double spam_score);
