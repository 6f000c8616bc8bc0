/* dkim.h: DKIM signatures (RFC 6376) on the mail okno sends.
 *
 * Every automatic message (receipts, clarification requests) is signed when it is
 * built and stored, so the stored bytes, the evidence of what was sent, are exactly
 * the bytes that go out, and a retry re-sends the same signature. The signature is
 * RSA-SHA256 with relaxed/relaxed canonicalisation over the whole body and these
 * header fields when present: From, To, Subject, Date, Message-ID, In-Reply-To,
 * References, MIME-Version, Content-Type, Content-Transfer-Encoding, Auto-Submitted.
 *
 * Config ([dkim] in config.h): selector (empty: no signing), domain (d=; empty: the
 * domain of [outbound] from), key (a PEM RSA private key file, 1024 bits or more).
 * Rotation is a new selector with a new key, both records published for a while.
 *
 * An OknoDkim is read-only once made: sign from any thread. */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct OknoDkim OknoDkim;

/* Loads and checks the key once. Returns NULL with *error unset when signing is off
 * (cfg->dkim_selector empty). Returns NULL and OKNO_ERROR_USER naming the file when
 * the key cannot be read or is not an RSA private key of >= 1024 bits, or when the
 * selector or domain is not a plain DNS label sequence. Free with okno_dkim_free(). */
OknoDkim *okno_dkim_new(const OknoConfig *cfg, GError **error);
void okno_dkim_free(OknoDkim *dkim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoDkim, okno_dkim_free)

/* Returns new bytes: "DKIM-Signature: ..." (folded, CRLF line ends) followed by `msg`
 * unchanged. `msg` is a complete message with CRLF line ends (a header, an empty line,
 * the body). `dkim` NULL (signing off): a new reference to `msg`. NULL and
 * OKNO_ERROR_INTERNAL with the reason when signing fails (no empty line after the
 * header, none of the fields to sign, an OpenSSL error); the caller then sends `msg`
 * unsigned. Caller unrefs. */
GBytes *okno_dkim_sign(OknoDkim *dkim, GBytes *msg, GError **error);
/* What every sender of okno's own mail does: okno_dkim_sign, and when signing fails a
 * new reference to `msg` (sent unsigned rather than not at all) with *failure (may be
 * NULL) set to why, for the caller to log and record. Never NULL. Caller unrefs. */
GBytes *okno_dkim_sign_or_plain(OknoDkim *dkim, GBytes *msg, GError **failure);

/* The DNS record to publish, one line without a newline:
 *   SELECTOR._domainkey.DOMAIN. IN TXT "v=DKIM1; k=rsa; p=BASE64..." "..."
 * The value is split into quoted strings of at most 255 characters (RFC 1035 limit);
 * resolvers hand them to verifiers joined. Caller frees. */
char *okno_dkim_dns_record(const OknoDkim *dkim);
