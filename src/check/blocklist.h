/* blocklist.h: the phishing block list in memory: sender domains and URLs reported as
 * phishing (stored by the store, `okno phishing ...`), matched against what a letter
 * points at (OknoPhishResult.indicators).
 *
 * Values are kept normalised (okno_blocklist_normalize):
 *  - a domain: lowercase ASCII (IDN to punycode), no trailing dot, at least one dot,
 *    only letters, digits, '-' and '.'; it matches itself and every subdomain
 *    (evil.example matches login.evil.example);
 *  - a URL: http(s)://host[:port]/path?query with a lowercase scheme and host (IDN to
 *    punycode), the user@ part and the #fragment dropped, "www.x" read as http://www.x;
 *    it matches the same URL and every URL it is a prefix of at a '/', '?' or '#'
 *    boundary, whatever the scheme (http:// and https:// alike).
 * Pure and thread-safe once filled (matching only reads). */
#pragma once
#include <glib.h>

#include "check/phishing.h"

typedef struct OknoBlocklist OknoBlocklist;

OknoBlocklist *okno_blocklist_new(void);
void okno_blocklist_free(OknoBlocklist *bl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoBlocklist, okno_blocklist_free)

/* `value` normalised for `kind` ("domain" or "url"), or NULL when it is not one
 * (caller frees). */
char *okno_blocklist_normalize(const char *kind, const char *value);

/* Adds an entry; FALSE (nothing added) when the value does not normalise. */
gboolean okno_blocklist_add(OknoBlocklist *bl, const char *kind, const char *value);
guint okno_blocklist_size(const OknoBlocklist *bl);

/* The listed entry (borrowed, normalised) that `value` of `kind` matches, or NULL. */
const char *okno_blocklist_match(const OknoBlocklist *bl, const char *kind, const char *value);

/* Adds a reason to `r` for every indicator of `r` on the list (codes
 * "blocklisted_domain", "blocklisted_url"; weight OKNO_PHISH_STRONG, so the verdict
 * becomes dangerous) and returns how many matched. */
guint okno_blocklist_apply(const OknoBlocklist *bl, OknoPhishResult *r);
