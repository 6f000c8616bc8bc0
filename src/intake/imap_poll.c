/* imap_poll.c: the IMAP mailbox job (see imap_poll.h).
 *
 * The thread owns a GMainContext: a batch of messages is submitted asynchronously
 * (okno_intake_submit_async), the context is iterated until every one is answered,
 * and only then are the messages moved, each by its own outcome. */
#include "intake/imap_poll.h"

#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "mail/imap_client.h"

#define BATCH 32

struct OknoImapPoll {
  const OknoConfig *cfg;
  OknoIntake *in;
  char *password;
  GCancellable *cancel;
  GThread *thread;
};

typedef struct {
  guint32 uid;
  gboolean answered;
  GError *error;          /* the pipeline's refusal or failure */
  gboolean quarantined;
  OknoIntakeOutcome outcome;
} Slot;

static void slot_done(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  Slot *s = data;
  s->answered = TRUE;
  s->error = err ? g_error_copy(err) : NULL;
  s->quarantined = res->quarantined;
  s->outcome = res->outcome;
}

static void wait_cancellable(OknoImapPoll *p, gint64 seconds)
{
  gint64 until = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < until && !g_cancellable_is_cancelled(p->cancel))
    g_usleep(100 * 1000);
}

/* One batch: the sizes, then fetch and register each (one context iteration until
 * all are answered), then two moves: to done and to quarantine. FALSE: reconnect. */
static gboolean batch(OknoImapPoll *p, OknoImapClient *c, guint32 validity, const guint32 *uids,
                      guint n, GMainContext *ctx, GError **error)
{
  Slot slots[BATCH] = {{0}};
  guint64 sizes[BATCH];
  guint32 done[BATCH], aside[BATCH];
  guint n_done = 0, n_aside = 0;
  gboolean ok = okno_imap_sizes(c, uids, n, sizes, error);
  if (!ok)
    return FALSE;
  for (guint i = 0; i < n; i++) {
    GError *e = NULL;
    g_autoptr(GBytes) raw = NULL;
    g_autofree char *key = NULL;
    g_autofree char *sid = NULL;
    slots[i].uid = sizes[i] ? uids[i] : 0; /* 0: gone meanwhile */
    slots[i].answered = TRUE;
    if (!sizes[i])
      continue;
    if (sizes[i] > (guint64)p->cfg->max_message_size) {
      okno_log_warn("imap", "event=too-large uid=%u size=%" G_GUINT64_FORMAT, uids[i], sizes[i]);
      slots[i].quarantined = TRUE;
      continue;
    }
    if (!(raw = okno_imap_fetch(c, uids[i], &e))) {
      if (e && g_error_matches(e, OKNO_ERROR, OKNO_ERROR_PERM)) {
        /* a response we cannot read: aside, unregistered */
        okno_log_warn("imap", "event=unreadable uid=%u error=\"%s\"", uids[i], e->message);
        g_error_free(e);
        slots[i].quarantined = TRUE;
        continue;
      }
      if (!e) {
        slots[i].uid = 0;
        continue;
      }
      g_propagate_error(error, e);
      ok = FALSE;
      n = i; /* the rest waits for the next connection */
      break;
    }
    key = g_strdup_printf("imap:%s@%s/%s/%u/%u", p->cfg->imap_user, p->cfg->imap_host,
                          p->cfg->imap_folder, validity, uids[i]);
    sid = g_strdup_printf("imap-%u-%u", validity, uids[i]);
    slots[i].answered = FALSE;
    okno_intake_submit_async(p->in, raw,
                             &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL, .session_id = sid,
                                             .source_key = key},
                             slot_done, &slots[i]);
  }
  /* Every submitted message is answered before anything is moved (and before the slots
   * go out of scope), even when the connection broke meanwhile. */
  for (guint i = 0; i < n; i++)
    while (!slots[i].answered)
      g_main_context_iteration(ctx, TRUE);
  for (guint i = 0; i < n; i++) {
    Slot *s = &slots[i];
    if (!s->uid)
      continue;
    if (s->error && g_error_matches(s->error, OKNO_ERROR, OKNO_ERROR_PERM)) {
      okno_log_warn("imap", "event=refused uid=%u error=\"%s\"", s->uid, s->error->message);
      aside[n_aside++] = s->uid;
    } else if (s->error) { /* temporary: stays in the folder, tried again */
      okno_log_warn("imap", "event=deferred uid=%u error=\"%s\"", s->uid, s->error->message);
    } else if (s->quarantined) {
      okno_log("imap", "event=quarantined uid=%u", s->uid);
      aside[n_aside++] = s->uid;
    } else {
      okno_log("imap", "event=registered uid=%u outcome=%s", s->uid,
               s->outcome == OKNO_INTAKE_DUPLICATE ? "duplicate" : "new");
      done[n_done++] = s->uid;
    }
    g_clear_error(&s->error);
  }
  if (ok && (!okno_imap_move(c, done, n_done, p->cfg->imap_done_folder, error) ||
             !okno_imap_move(c, aside, n_aside, p->cfg->imap_quarantine_folder, error)))
    ok = FALSE;
  if (ok && n_done + n_aside)
    okno_log("imap", "event=moved done=%u quarantine=%u", n_done, n_aside);
  return ok;
}

/* One connection: select, then take what is there and wait, until an error. */
static void session(OknoImapPoll *p, GMainContext *ctx, GError **error)
{
  const OknoConfig *cfg = p->cfg;
  OknoImapOptions o = {
    .host = cfg->imap_host, .port = (guint16)cfg->imap_port, .user = cfg->imap_user,
    .password = p->password, .timeout_seconds = 60,
    .max_message = (guint64)cfg->max_message_size,
    .tls = !strcmp(cfg->imap_tls, "tls")        ? OKNO_IMAP_TLS_TLS
           : !strcmp(cfg->imap_tls, "starttls") ? OKNO_IMAP_TLS_STARTTLS
                                                : OKNO_IMAP_TLS_NONE,
  };
  OknoImapClient *c = okno_imap_connect(&o, p->cancel, error);
  guint32 validity = 0;
  if (!c)
    return;
  if (!okno_imap_create(c, cfg->imap_done_folder, error) ||
      !okno_imap_create(c, cfg->imap_quarantine_folder, error) ||
      !okno_imap_select(c, cfg->imap_folder, &validity, error))
    goto out;
  okno_log("imap", "event=selected folder=%s uidvalidity=%u idle=%s", cfg->imap_folder, validity,
           okno_imap_has(c, "IDLE") ? "yes" : "no");
  while (!g_cancellable_is_cancelled(p->cancel)) {
    g_autoptr(GArray) uids = okno_imap_search(c, error);
    guint32 now_validity = 0;
    if (!uids)
      goto out;
    for (guint i = 0; i < uids->len && !g_cancellable_is_cancelled(p->cancel); i += BATCH)
      if (!batch(p, c, validity, &g_array_index(uids, guint32, i), MIN(BATCH, uids->len - i), ctx,
                 error))
        goto out;
    if (uids->len)
      continue; /* more may have come meanwhile */
    if (!okno_imap_idle(c, (guint)cfg->imap_poll_interval, error))
      goto out;
    /* A changed UIDVALIDITY shows on a fresh SELECT: the keys follow it. */
    if (!okno_imap_select(c, cfg->imap_folder, &now_validity, error))
      goto out;
    if (now_validity != validity) {
      okno_log("imap", "event=uidvalidity-changed old=%u new=%u", validity, now_validity);
      validity = now_validity;
    }
  }
out:
  okno_imap_close(c);
}

static gpointer run(gpointer data)
{
  OknoImapPoll *p = data;
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  while (!g_cancellable_is_cancelled(p->cancel)) {
    GError *e = NULL;
    session(p, ctx, &e);
    if (e && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      okno_log_warn("imap", "event=disconnected error=\"%s\" retry_in=%" G_GINT64_FORMAT, e->message,
                    p->cfg->imap_poll_interval);
    g_clear_error(&e);
    wait_cancellable(p, p->cfg->imap_poll_interval);
  }
  g_main_context_pop_thread_default(ctx);
  return NULL;
}

OknoImapPoll *okno_imap_poll_start(const OknoConfig *cfg, OknoIntake *in, GError **error)
{
  OknoImapPoll *p;
  char *password = NULL;
  if (!*cfg->imap_host)
    return NULL;
  if (*cfg->imap_password_file) {
    g_autofree char *text = NULL;
    if (!g_file_get_contents(cfg->imap_password_file, &text, NULL, error))
      return NULL;
    password = g_strndup(text, strcspn(text, "\r\n"));
  } else {
    password = g_strdup(cfg->imap_password);
  }
  p = g_new0(OknoImapPoll, 1);
  p->cfg = cfg;
  p->in = in;
  p->password = password;
  p->cancel = g_cancellable_new();
  p->thread = g_thread_new("okno-imap", run, p);
  return p;
}

void okno_imap_poll_stop(OknoImapPoll *p)
{
  if (!p)
    return;
  g_cancellable_cancel(p->cancel);
  g_thread_join(p->thread);
  g_object_unref(p->cancel);
  g_free(p->password);
  g_free(p);
}
