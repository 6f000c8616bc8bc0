/* phish.h: phishing reports and the block list in the store (docs/phishing.md):
 * entries (a domain or a URL) with their reports, blocked or not, and the block list
 * that check-mail and intake match against (check/blocklist.h).
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "check/blocklist.h"
#include "store/store.h"

typedef struct {
  gint64 id;
  char *kind;        /* "domain" or "url" */
  char *value;       /* normalised (check/blocklist.h) */
  gboolean blocked;  /* used by check-mail and intake */
  gint64 reports;    /* reports received */
  char *reported_by; /* who reported (or blocked) it first */
  char *source;      /* how that first report came: "cli", "check-address", "operator" */
  gint64 created_at;
  gint64 updated_at;
} OknoPhishEntry;
void okno_phish_entry_free(OknoPhishEntry *e);

/* Records one report of `value` (normalised by the caller) by `reporter` through
 * `source`, creating the entry if needed; `block` also puts it on the block list
 * (never takes it off). `action` ("report", "block") goes into the report history. */
gboolean okno_store_phish_report(OknoStore *st, const char *kind, const char *value,
                                 const char *reporter, const char *source, gboolean block,
                                 GError **error);
/* Takes an entry off the block list (it stays as reported); *found FALSE if unknown. */
gboolean okno_store_phish_unblock(OknoStore *st, const char *kind, const char *value,
                                  const char *by, gboolean *found, GError **error);
/* Entries (OknoPhishEntry*), blocked ones only when `blocked_only`, newest first. */
GPtrArray *okno_store_phish_list(OknoStore *st, gboolean blocked_only, GError **error);
/* The blocked entries as a block list to match against (caller frees). */
OknoBlocklist *okno_store_phish_blocklist(OknoStore *st, GError **error);
