/* citizen.h: the citizen's «Проверить письмо» check (okno check-mail, /check, the check@
 * address): okno's portal rules (phishing.h) combined with rspamd's judgement (rspamd.h).
 *
 * okno's rules know the portal (its domains, signing, look-alikes); rspamd knows mail in
 * general (its phishing module, URL, HTML and header rules, Bayes and fuzzy hashes once
 * taught). The two are combined into the same three verdicts, each reason in Russian:
 *   - rspamd's symbols of four families become reasons (docs/phishing.md "rspamd"):
 *     phishing (a link that shows one site and leads to another, a known phishing
 *     URL or fuzzy hash) weight 10; rspamd's Bayes classifier saying spam (once taught
 *     by operators and citizens' reports) 6; dangerous attachments 6; suspicious URLs 4; HTML
 *     tricks and header anomalies 2 each (they also fire on ordinary mail);
 *   - rspamd's total score: at or above OKNO_RSPAMD_DANGEROUS, weight 10; at or above
 *     OKNO_RSPAMD_SUSPICIOUS, weight 6 (so a letter rspamd doubts is never «Безопасно»,
 *     whether or not it imitates the portal); the portal's own letters, proved by
 *     DMARC/DKIM (OKNO_PORTAL_SENDER_VERIFIED), are not marked down for the score alone.
 * rspamd not configured ([rspamd] url empty): okno's rules alone, not partial.
 * rspamd configured and unreachable: okno's rules alone and `partial` set (the page and
 * the JSON say the check was partial). */
#pragma once
#include "check/phishing.h"
#include "check/rspamd.h"

/* rspamd's total score at or above which a letter is at least suspicious / dangerous.
 * Chosen on the development part of tests/data/mailcorpus (bench/phishing). */
#define OKNO_RSPAMD_SUSPICIOUS 6.0
#define OKNO_RSPAMD_DANGEROUS 15.0

/* What the citizen is told when the check was partial. */
#define OKNO_CHECK_PARTIAL_TEXT                                                              \
  "Проверка неполная: фильтр спама и фишинга сейчас недоступен, письмо проверено только "    \
  "правилами портала. Если сомневаетесь, повторите проверку позже."

/* Folds rspamd's judgement `rs` (not NULL; copied) into `r`: reasons for the symbol
 * families and the score, as above; r->rspamd keeps the copy. Pure. */
void okno_phish_add_rspamd(OknoPhishResult *r, const OknoRspamdResult *rs);

/* Asks rspamd at cfg->rspamd_url about `raw` (blocking, bounded by [rspamd] timeout_ms:
 * call it from a worker thread) and folds the answer into `r`; when rspamd cannot be
 * asked, sets r->partial. Nothing when no rspamd is configured. */
void okno_citizen_rspamd(OknoPhishResult *r, const OknoConfig *cfg, const char *raw, gsize len);

/* The whole check: okno_phishing_check() then okno_citizen_rspamd(). The block list is
 * the caller's (it is in the store). Never NULL. */
OknoPhishResult *okno_citizen_check(const OknoMessage *msg, const char *raw, gsize len,
                                    const OknoConfig *cfg);

/* rspamd's verdict alone on `rs`, as the check counts it (bench/phishing compares):
 * TRUE when the score is at least OKNO_RSPAMD_SUSPICIOUS, or a phishing symbol or
 * BAYES_SPAM fired. */
gboolean okno_rspamd_flags(const OknoRspamdResult *rs);

/* Teaches rspamd's controller (cfg->rspamd_controller_url) a letter: judged spam or
 * phishing (`spam` TRUE: /learnspam, then /fuzzyadd with OKNO_RSPAMD_FUZZY_SPAM, so the
 * same letter sent again matches FUZZY_DENIED) or legitimate (/learnham). Blocking
 * (worker threads only). TRUE when nothing is configured or every call succeeded;
 * FALSE with the first failure's reason otherwise (the others are still tried). Used by
 * the console's «Спам» / «Не спам» and by citizens' reports (check@, the report API)
 * whose letter the check found dangerous. */
gboolean okno_rspamd_teach(const OknoConfig *cfg, gboolean spam, const void *data, gsize len,
                           GError **error);
