/* lookalike.h: is a host name the portal's, an imitation of it, or something else?
 *
 * The one place where a domain (from an address, a link, a Return-Path) is compared
 * with the portal's genuine domains ([portal] domains). A host is judged in its
 * decoded Unicode form: punycode (xn--) labels are decoded with GLib's IDN functions,
 * then NFKC-normalised, case-folded, and mapped through a small Latin/Cyrillic
 * confusables table to a "skeleton" (Cyrillic о, а, е, р, с, х, у ... and digits 0/1
 * read as the Latin letters they look like), so gоsuslugi.ru with a Cyrillic о and
 * gosuslugi.ru share one skeleton.
 *
 * The registrable label is the label left of the public suffix (the last label, or
 * the last two for a short built-in list of second-level suffixes such as com.ru,
 * gov.ru, co.uk; libpsl would be exact but is not a project dependency yet).
 *
 * Rules, in order (the first that holds names the kind):
 *   PORTAL     the host equals a portal domain or is a subdomain of one (compared in
 *              ASCII/punycode form, so госуслуги.рф and xn--c1aapkosapc.xn--p1ai agree);
 *   HOMOGLYPH  not the portal, but its skeleton is a portal domain's skeleton (or a
 *              subdomain of it): confusable letters from another script, digits for
 *              letters, or fullwidth forms;
 *   OTHER_TLD  the registrable label is the portal's, under another suffix
 *              (gosuslugi.com, gosuslugi.net, gosuslugi.gov.ru for gosuslugi.ru);
 *   TYPO       the registrable label is within edit distance 2 (labels of 8+
 *              characters), 1 (5-7 characters) or 0 (shorter) of the portal's
 *              (gosuslugl.ru, gosusiugi.ru);
 *   EMBEDDED   the portal's label (4+ characters), or a near miss of it as above,
 *              appears elsewhere in the name: a left-hand label (gosuslugi.ru.evil.example,
 *              gosuslugi.secure-login.example), a hyphen-separated part or a part of the
 *              registrable label (gosuslugi-ru.example, login-gosuslugi.example,
 *              mygosuslugi24.example);
 *   OTHER      none of these.
 * Independently of the kind, `mixed_script` says that one label mixes letters of two
 * scripts (e.g. Latin and Cyrillic), `punycode` that some label was xn--, and
 * `invalid_idn` that an xn-- label does not decode to a valid label (garbage, empty,
 * plain ASCII, or not re-encoding to itself).
 *
 * Pure and thread-safe; no network. */
#pragma once
#include <glib.h>

typedef enum {
  OKNO_HOST_OTHER,
  OKNO_HOST_PORTAL,
  OKNO_HOST_HOMOGLYPH,
  OKNO_HOST_OTHER_TLD,
  OKNO_HOST_TYPO,
  OKNO_HOST_EMBEDDED,
} OknoHostKind;

typedef struct {
  OknoHostKind kind;
  char *portal_domain;   /* the portal domain matched or imitated (as configured);
                            NULL for OTHER */
  char *display;         /* the host as a person would read it: decoded Unicode,
                            lowercase, no trailing dot (the input itself when it
                            cannot be decoded) */
  gboolean punycode;     /* some label was xn-- */
  gboolean invalid_idn;  /* an xn-- label is not valid punycode for a real label */
  gboolean mixed_script; /* one label mixes letters of two scripts */
} OknoHostJudgement;

/* The portal's domains brought once to the forms the rules compare. Immutable once
 * made, so one set may be shared by threads. */
typedef struct OknoPortalSet OknoPortalSet;

/* `portal_domains` is NULL-terminated, as in the config (may be NULL: nothing is the
 * portal). The set copies what it needs. */
OknoPortalSet *okno_portal_set_new(const char *const *portal_domains);
void okno_portal_set_free(OknoPortalSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoPortalSet, okno_portal_set_free)

/* Judges `host` (a domain name, any case, ASCII or UTF-8, an optional trailing dot;
 * at most 253 bytes are read) against the portal's domains. Fills *out, whose strings
 * the caller frees with okno_host_judgement_clear(). Never fails: an empty or
 * unparsable host is OTHER. */
void okno_host_judge(const char *host, const OknoPortalSet *portal, OknoHostJudgement *out);

/* TRUE when `text` (a display name, any UTF-8) names the portal: its skeleton contains
 * a portal domain's skeleton or a portal registrable label of 4+ characters
 * ("Госуслуги", "Гоcуслуги" with a Latin c, "gosuslugi.ru support"). */
gboolean okno_portal_named_in(const OknoPortalSet *portal, const char *text);
void okno_host_judgement_clear(OknoHostJudgement *j);

/* TRUE for kinds that imitate the portal (HOMOGLYPH, OTHER_TLD, TYPO, EMBEDDED). */
gboolean okno_host_kind_is_lookalike(OknoHostKind kind);

/* The skeleton of any UTF-8 text: NFKC, case-folded, confusables mapped to the Latin
 * letters they look like (the comparison form of the rules above). Caller frees. */
char *okno_skeleton(const char *text);

/* The registrable domain of `host` (lowercase ASCII/punycode, e.g. "gosuslugi.ru" for
 * "esia.gosuslugi.ru", "evil.com.ru" for "a.evil.com.ru"); "" when it has none.
 * Caller frees. Used for DKIM/DMARC relaxed alignment. */
char *okno_host_registrable(const char *host);
