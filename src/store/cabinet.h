/* cabinet.h: the store operations of the citizen cabinet «Мои обращения».
 *
 * One-time sign-in codes, address moves, the citizen's list of appeals, an appeal's
 * correspondence with its attachments, and ratings. Like store.h: one connection, one
 * thread; strings given are copied, rows returned are owned by the caller; times are
 * microseconds since the epoch; "not found" is NULL / FALSE with no error set; errors
 * are OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction.
 *
 * Ownership model: a cabinet is named by the verified e-mail it signed in with (the
 * session subject). An appeal belongs to the cabinet of its contact (appeals.from_email)
 * unless that address was moved to another one (contact_moves, written when a citizen
 * changes the cabinet's address): then it belongs to where the chain of moves ends.
 *
 * Addresses at rest (docs/crypto.md, migration 21): codes and moves are found by the
 * blind index of an address (okno_store_blind_email), never by the address; a code
 * keeps no address at all (okno_store_code_current gives back the ones it was asked
 * for), a move keeps the old address sealed. Addresses compare case-insensitively. */
#pragma once
#include <glib.h>

#include "store/queue.h"
#include "store/store.h"

/* ---- one-time codes ---- */
typedef struct {
  gint64 id;
  char *email;      /* where the code was sent (lowercase) */
  char *purpose;    /* "login" or "change" */
  char *owner;      /* for "change": the cabinet asking to move; "" for "login" */
  char *code_hash;  /* hex HMAC of the code (src/sec/login_code.h) */
  gint64 created_at;
  gint64 expires_at;
  gint64 attempts;  /* wrong guesses so far */
} OknoLoginCode;
void okno_login_code_free(OknoLoginCode *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoLoginCode, okno_login_code_free)

/* Stores a new code for (email, purpose, owner) and retires every earlier unused one,
 * so only the newest code sent works. */
gboolean okno_store_code_insert(OknoStore *st, const OknoLoginCode *c, GError **error);
/* The newest unused code of (email, purpose, owner), expired or not; NULL if none. */
OknoLoginCode *okno_store_code_current(OknoStore *st, const char *email, const char *purpose,
                                       const char *owner, GError **error);
/* Counts one wrong guess. */
gboolean okno_store_code_attempt(OknoStore *st, gint64 id, GError **error);
/* Marks the code used; *won is FALSE when another request used it first. */
gboolean okno_store_code_use(OknoStore *st, gint64 id, gint64 now, gboolean *won,
                             GError **error);
/* Codes sent to `email` (any purpose) created at or after `since`: the resend limit. */
gint64 okno_store_code_count(OknoStore *st, const char *email, gint64 since, GError **error);

/* ---- address moves ---- */
/* Records that the cabinet of `old_email` now lives at `new_email` (and that
 * `new_email` itself is nobody's old address any more). */
gboolean okno_store_contact_move(OknoStore *st, const char *old_email, const char *new_email,
                                 gint64 now, GError **error);
/* The contacts whose appeals belong to the cabinet `subject`: subject itself and every
 * address moved to it (transitively), or none when subject was itself moved away.
 * A NULL-terminated string vector (g_strfreev), NULL only on error. */
char **okno_store_contact_owned(OknoStore *st, const char *subject, GError **error);

/* ---- the list ---- */
typedef struct {
  const char *status;  /* "" or NULL: any */
  gint64 since;        /* received_at >= since (0: no bound) */
  gint64 until;        /* received_at < until (0: no bound) */
  const char *after;   /* a page token (queue.h okno_page_token): the rows after it */
  const char *before;  /* a page token: the rows before it (when after is NULL) */
  guint limit;         /* 1 to 500 */
} OknoCabinetFilter;
/* One keyset page of the appeals of the contacts `emails` matching `f` (never those held
 * as spam: docs/spam.md), newest first
 * (received_at, id descending), as store.h's queue pages are (a `before` page that
 * reaches the start is the first page, full; a token not of this order is
 * OKNO_ERROR_USER); *total is the number matching without paging. One contact reads
 * the index appeals_from_bidx (migration 13) in order; several (after address moves) sort the
 * citizen's own matching rows. */
OknoPage *okno_store_cabinet_list(OknoStore *st, const char *const *emails,
                                  const OknoCabinetFilter *f, gint64 *total, GError **error);
/* The same page of the cabinet `subject`: of the contacts okno_store_contact_owned
 * gives for it (none when it moved away: an empty page, *total 0). The page, its total
 * and whether any address move names `subject` come in one statement; only when one
 * does (or the page is empty) are the moves followed and the page read again (issue
 * 18 item 4: the list took four round trips). */
OknoPage *okno_store_cabinet_list_own(OknoStore *st, const char *subject,
                                      const OknoCabinetFilter *f, gint64 *total, GError **error);

/* ---- the card ---- */
typedef struct {
  gint64 id;
  char *filename;
  char *content_type;
  gint64 size;
  char *refused;     /* NULL: kept and downloadable; else the reason it was refused */
} OknoCabinetFile;

typedef struct {
  gint64 id;
  char *direction;   /* "in" or "out" */
  char *message_id;
  char *recipient;   /* of an "out" message: the citizen, or staff (SLA mail) */
  char *subject;
  char *text;
  gboolean automatic;
  gint64 created_at;
  GPtrArray *files;  /* OknoCabinetFile* */
} OknoCabinetMessage;

/* Every message of the appeal, both directions, oldest first, with its attachments:
 * a GPtrArray of OknoCabinetMessage*. Staff mail about the appeal (SLA reminders and
 * escalations, docs/sla.md) is among them: the card leaves it out by its recipient. */
GPtrArray *okno_store_cabinet_messages(OknoStore *st, gint64 appeal_id, GError **error);

typedef struct {
  gint64 at;
  char *kind;
  char *detail;      /* JSON object text */
} OknoCabinetEvent;
/* The appeal's events, oldest first: a GPtrArray of OknoCabinetEvent*. */
GPtrArray *okno_store_cabinet_events(OknoStore *st, gint64 appeal_id, GError **error);

/* The bytes of attachment `id` when it belongs to a message of appeal `appeal_id` and
 * was kept (not refused); NULL otherwise. *filename and *content_type (caller frees). */
GBytes *okno_store_cabinet_file(OknoStore *st, gint64 appeal_id, gint64 id, char **filename,
                                char **content_type, GError **error);

/* ---- ratings ---- */
/* Stores the rating of the appeal; *fresh is FALSE when it was already rated (nothing
 * changes then). */
gboolean okno_store_rating_insert(OknoStore *st, gint64 appeal_id, gint64 score,
                                  const char *comment, const char *email, gint64 now,
                                  gboolean *fresh, GError **error);
/* TRUE with the rating when the appeal has one (*comment: caller frees). */
gboolean okno_store_rating_get(OknoStore *st, gint64 appeal_id, gint64 *score, char **comment,
                               gint64 *at, GError **error);
