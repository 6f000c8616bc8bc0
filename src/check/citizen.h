/* citizen.h: the citizen's «Проверить письмо» check (okno check-mail, /check, the check@
 * address): okno's portal rules (phishing.h) combined with rspamd's judgement (rspamd.h).
 *
 * okno's rules know the portal (its domains, signing, look-alikes); rspamd knows mail in
 * general (its phishing module, URL, HTML and header rules, Bayes and fuzzy hashes once
 * taught). The two are combined into the same three verdicts, each reason in Russian
 * (docs/phishing.md "rspamd"; weights and thresholds chosen on the development part of
 * tests/data/mailcorpus only, bench/phishing):
 *   - strong, always: a known phishing URL or fuzzy hash (operators' and citizens'
 *     reports), a homograph URL: weight 10; rspamd's total score at or above
 *     OKNO_RSPAMD_DANGEROUS: 10 (not for the portal's own letters proved by DMARC/DKIM,
 *     OKNO_PORTAL_SENDER_VERIFIED); dangerous attachments: 6;
 *   - rspamd's Bayes classifier (taught by operators' «Спам»/«Не спам» and citizens'
 *     reports) saying spam with a confidence of at least OKNO_RSPAMD_BAYES_SPAM: 6;
 *   - generic evidence that ordinary mail shows too: rspamd's link whose text shows
 *     another site (6), suspicious URLs (4), HTML tricks and header anomalies (2 each),
 *     and okno's own generic signals (link text, IP and shortened links, Reply-To
 *     elsewhere, words about passwords, codes, cards, urgency). While the classifier has
 *     not judged the letter (no BAYES_SPAM/BAYES_HAM: rspamd untaught), they count as
 *     before; once it has, they are left to it: rspamd's generic families are not
 *     added, and okno's generic reasons under OKNO_PHISH_STRONG stay listed with weight
 *     0 for a letter that does not present itself as the portal's. On public mail they
 *     only added false alarms next to a taught classifier (docs/phishing.md).
 * Signals about the portal (look-alikes, its name in the display name, its domain
 * without proof) always count as okno's rules weigh them.
 * rspamd not configured ([rspamd] url empty): okno's rules alone, not partial.
 * rspamd configured and unreachable: okno's rules alone and `partial` set (the page and
 * the JSON say the check was partial). */
#pragma once
#include "check/phishing.h"
#include "check/rspamd.h"

/* rspamd's total score at or above which a letter is dangerous; and its Bayes
 * confidence (OknoRspamdResult.bayes) at or above which a letter is suspicious. Chosen on
 * the development part of tests/data/mailcorpus (bench/phishing, OKNO_BENCH_PART=dev). */
#define OKNO_RSPAMD_DANGEROUS 15.0
#define OKNO_RSPAMD_BAYES_SPAM 0.50
/* rspamd's own "add header" level: what "rspamd alone" flags in bench/phishing. */
#define OKNO_RSPAMD_SUSPICIOUS 6.0

/* What the citizen is told when the check was partial. */
#define OKNO_CHECK_PARTIAL_TEXT                                                              \
  "Проверка неполная: фильтр спама и фишинга сейчас недоступен, письмо проверено только "    \
  "правилами портала. Если сомневаетесь, повторите проверку позже."

/* Folds rspamd's judgement `rs` (not NULL; copied) into `r`: reasons for the symbol
 * families, the Bayes confidence and the score, and okno's generic reasons weighed 0
 * when the classifier has judged, as above; r->rspamd keeps the copy. Pure. */
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
 * TRUE when the score is at least OKNO_RSPAMD_SUSPICIOUS, or a phishing symbol
 * (PHISHING included) or BAYES_SPAM fired. */
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
