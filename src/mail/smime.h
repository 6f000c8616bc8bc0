/* smime.h: S/MIME signatures (RFC 8551, CMS RFC 5652) on the mail okno sends.
 *
 * Receipts, answers and notices are signed with the portal's certificate, so an ordinary
 * mail client shows them as signed by the portal, and anyone holding the CA certificate
 * can check them years later with `openssl cms -verify`. The message becomes
 *
 *   <its header fields other than Content-* and MIME-Version, in their order>
 *   MIME-Version: 1.0
 *   Content-Type: multipart/signed; protocol="application/pkcs7-signature";
 *    micalg=sha-256; boundary="okno-s-<32 hex>"
 *
 *   --boundary
 *   <its Content-* fields> CRLF <its body>          (the signed part, as it was)
 *   --boundary
 *   Content-Type: application/pkcs7-signature; name="smime.p7s"  (base64 DER CMS,
 *   ...                                             detached, SHA-256, signed attributes)
 *   --boundary--
 *
 * The signed part is the message's own MIME entity byte for byte, with CRLF line ends
 * (a bare LF becomes CRLF first: RFC 8551 3.1.1 canonical form); okno's letters are
 * 7-bit (quoted-printable, base64), so no relay needs to re-encode it. DKIM signs after
 * S/MIME, over the whole result (dkim.h), so both hold.
 *
 * Config ([smime] in config.h): cert_file (PEM certificate), key_file (its PEM private
 * key, RSA or EC), chain_file (optional PEM intermediates, carried in the signature);
 * both of the first two empty: no S/MIME. docs/smime.md tells how to get them.
 *
 * An OknoSmime is read-only once made: sign from any thread. */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct OknoSmime OknoSmime;

/* Loads the certificate, the key (and the chain) once. Returns NULL with *error unset
 * when S/MIME is off (cfg->smime_cert_file empty). NULL and OKNO_ERROR_USER naming the
 * file when a file cannot be read, is not PEM of the right kind, or the key is not the
 * certificate's. Free with okno_smime_free(). */
OknoSmime *okno_smime_new(const OknoConfig *cfg, GError **error);
void okno_smime_free(OknoSmime *smime);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSmime, okno_smime_free)

/* Returns the multipart/signed message made of `msg` (a complete message: a header, an
 * empty line, the body). `smime` NULL (off): a new reference to `msg`. NULL and
 * OKNO_ERROR_INTERNAL with the reason when signing fails (no empty line after the
 * header, an OpenSSL error). Caller unrefs. */
GBytes *okno_smime_sign(OknoSmime *smime, GBytes *msg, GError **error);
/* okno_smime_sign, and when signing fails a new reference to `msg` (sent without the
 * S/MIME signature rather than not at all) with *failure (may be NULL) set to why, for
 * the caller to log and record. Never NULL. Caller unrefs. */
GBytes *okno_smime_sign_or_plain(OknoSmime *smime, GBytes *msg, GError **failure);

/* The certificate's subject (one line, RFC 2253) and its SHA-256 fingerprint (hex with
 * colons), for `okno smime` style diagnostics and the log at start. Caller frees. */
char *okno_smime_describe(const OknoSmime *smime);
