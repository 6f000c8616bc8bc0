/* imap_client.c: the blocking IMAP client (see imap_client.h).
 *
 * Every command is "aN COMMAND\r\n"; run() writes it and reads responses until the
 * tagged one, keeping the untagged ones for the caller. Reads go through a buffer:
 * bytes are read until imap_parse.h says a whole response is there. */
#include "mail/imap_client.h"

#include <string.h>

#include "core/error.h"
#include "mail/imap_parse.h"

struct OknoImapClient {
  GSocketConnection *tcp;
  GIOStream *io;          /* tcp, or the TLS connection over it */
  GCancellable *cancel;
  GByteArray *buf;
  guint tag;
  char **caps;
  guint64 max_literal;
  guint timeout;
};

static void set_temp(GError **error, GError *e, const char *what)
{
  if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error(error, e);
    return;
  }
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "IMAP %s: %s", what, e->message);
  g_error_free(e);
}

/* The next response (NULL with an error). */
static OknoImapResponse *read_response(OknoImapClient *c, GError **error)
{
  for (;;) {
    GError *e = NULL;
    guint8 chunk[16384];
    gssize n = okno_imap_response_length(c->buf->data, c->buf->len, c->max_literal, error);
    if (n < 0)
      return NULL;
    if (n > 0) {
      OknoImapResponse *r = okno_imap_response_parse(c->buf->data, (gsize)n, error);
      g_byte_array_remove_range(c->buf, 0, (guint)n);
      return r;
    }
    n = g_input_stream_read(g_io_stream_get_input_stream(c->io), chunk, sizeof chunk, c->cancel, &e);
    if (n < 0) {
      set_temp(error, e, "read");
      return NULL;
    }
    if (n == 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "IMAP server closed the connection");
      return NULL;
    }
    g_byte_array_append(c->buf, chunk, (guint)n);
  }
}

static gboolean write_line(OknoImapClient *c, const char *line, GError **error)
{
  GError *e = NULL;
  GOutputStream *out = g_io_stream_get_output_stream(c->io);
  if (!g_output_stream_write_all(out, line, strlen(line), NULL, c->cancel, &e) ||
      !g_output_stream_write_all(out, "\r\n", 2, NULL, c->cancel, &e) ||
      !g_output_stream_flush(out, c->cancel, &e)) {
    set_temp(error, e, "write");
    return FALSE;
  }
  return TRUE;
}

static gboolean tagged_ok(const OknoImapResponse *r, const char *cmd, GError **error)
{
  if (r->status && !strcmp(r->status, "OK"))
    return TRUE;
  g_set_error(error, OKNO_ERROR,
              r->status && !strcmp(r->status, "BAD") ? OKNO_ERROR_PERM : OKNO_ERROR_TEMP,
              "IMAP %s: %s %s", cmd, r->status ? r->status : "?", r->text ? r->text : "");
  return FALSE;
}

static void keep_caps(OknoImapClient *c, const char *list)
{
  g_strfreev(c->caps);
  c->caps = g_strsplit(list ? list : "", " ", -1);
  for (char **p = c->caps; *p; p++) {
    char *up = g_ascii_strup(*p, -1);
    g_free(*p);
    *p = up;
  }
}

/* Runs `cmd`; the untagged responses go to *untagged when given. A BYE ends it. */
static gboolean run(OknoImapClient *c, const char *cmd, GPtrArray **untagged, GError **error)
{
  g_autofree char *tag = g_strdup_printf("a%u", ++c->tag);
  g_autofree char *line = g_strdup_printf("%s %s", tag, cmd);
  g_autofree char *verb = g_strndup(cmd, strcspn(cmd, " "));
  if (untagged)
    *untagged = g_ptr_array_new_with_free_func((GDestroyNotify)okno_imap_response_free);
  if (!write_line(c, line, error))
    return FALSE;
  for (;;) {
    g_autoptr(OknoImapResponse) r = read_response(c, error);
    if (!r)
      return FALSE;
    if (!strcmp(r->tag, tag))
      return tagged_ok(r, verb, error);
    if (r->status && !strcmp(r->status, "BYE")) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "IMAP server said BYE: %s",
                  r->text ? r->text : "");
      return FALSE;
    }
    if (r->code && g_str_has_prefix(r->code, "CAPABILITY "))
      keep_caps(c, r->code + 11);
    if (r->kind && !strcmp(r->kind, "CAPABILITY"))
      keep_caps(c, r->text);
    if (untagged)
      g_ptr_array_add(*untagged, g_steal_pointer(&r));
  }
}

gboolean okno_imap_has(OknoImapClient *c, const char *capability)
{
  for (char **p = c->caps; p && *p; p++)
    if (!g_ascii_strcasecmp(*p, capability))
      return TRUE;
  return FALSE;
}

static gboolean start_tls(OknoImapClient *c, const OknoImapOptions *o, GError **error)
{
  GError *e = NULL;
  g_autoptr(GSocketConnectable) id = g_network_address_new(o->host, o->port);
  GIOStream *tls = g_tls_client_connection_new(G_IO_STREAM(c->tcp), id, &e);
  if (!tls || !g_tls_connection_handshake(G_TLS_CONNECTION(tls), c->cancel, &e)) {
    g_clear_object(&tls);
    set_temp(error, e, "TLS");
    return FALSE;
  }
  c->io = tls;
  return TRUE;
}

OknoImapClient *okno_imap_connect(const OknoImapOptions *o, GCancellable *cancel, GError **error)
{
  OknoImapClient *c = g_new0(OknoImapClient, 1);
  g_autoptr(GSocketClient) sc = g_socket_client_new();
  g_autoptr(OknoImapResponse) greeting = NULL;
  g_autofree char *user = okno_imap_quote(o->user), *pass = okno_imap_quote(o->password);
  g_autofree char *login = NULL;
  GError *e = NULL;
  c->cancel = cancel ? g_object_ref(cancel) : NULL;
  c->buf = g_byte_array_new();
  c->max_literal = o->max_message ? o->max_message : 64 * 1024 * 1024;
  c->timeout = o->timeout_seconds ? o->timeout_seconds : 60;
  g_socket_client_set_timeout(sc, c->timeout);
  if (!(c->tcp = g_socket_client_connect_to_host(sc, o->host, o->port, cancel, &e))) {
    set_temp(error, e, "connect");
    goto fail;
  }
  g_socket_set_timeout(g_socket_connection_get_socket(c->tcp), c->timeout);
  if (o->tls == OKNO_IMAP_TLS_TLS && !start_tls(c, o, error))
    goto fail;
  if (!c->io)
    c->io = g_object_ref(G_IO_STREAM(c->tcp));
  if (!(greeting = read_response(c, error)))
    goto fail;
  if (!greeting->status || strcmp(greeting->status, "OK") != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "IMAP greeting: %s",
                greeting->status ? greeting->status : "none");
    goto fail;
  }
  if (o->tls == OKNO_IMAP_TLS_STARTTLS) {
    if (!run(c, "STARTTLS", NULL, error))
      goto fail;
    g_clear_object(&c->io);
    if (!start_tls(c, o, error))
      goto fail;
  }
  if (!user || !pass) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "IMAP user or password has a line break");
    goto fail;
  }
  login = g_strdup_printf("LOGIN %s %s", user, pass);
  if (!run(c, login, NULL, error) || (!c->caps && !run(c, "CAPABILITY", NULL, error)))
    goto fail;
  return c;
fail:
  okno_imap_close(c);
  return NULL;
}

void okno_imap_close(OknoImapClient *c)
{
  if (!c)
    return;
  if (c->io && !(c->cancel && g_cancellable_is_cancelled(c->cancel)))
    write_line(c, "z LOGOUT", NULL);
  if (c->io)
    g_io_stream_close(c->io, NULL, NULL);
  g_clear_object(&c->io);
  g_clear_object(&c->tcp);
  g_clear_object(&c->cancel);
  g_byte_array_unref(c->buf);
  g_strfreev(c->caps);
  g_free(c);
}

gboolean okno_imap_select(OknoImapClient *c, const char *folder, guint32 *uidvalidity,
                          GError **error)
{
  g_autofree char *q = okno_imap_quote(folder);
  g_autofree char *cmd = g_strdup_printf("SELECT %s", q ? q : "\"\"");
  g_autoptr(GPtrArray) un = NULL;
  if (!run(c, cmd, &un, error))
    return FALSE;
  *uidvalidity = 0;
  for (guint i = 0; i < un->len; i++) {
    const OknoImapResponse *r = un->pdata[i];
    if (r->code && g_str_has_prefix(r->code, "UIDVALIDITY "))
      *uidvalidity = (guint32)g_ascii_strtoull(r->code + 12, NULL, 10);
  }
  if (!*uidvalidity) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "IMAP SELECT %s gave no UIDVALIDITY", folder);
    return FALSE;
  }
  return TRUE;
}

gboolean okno_imap_create(OknoImapClient *c, const char *folder, GError **error)
{
  g_autofree char *q = okno_imap_quote(folder);
  g_autofree char *cmd = g_strdup_printf("CREATE %s", q ? q : "\"\"");
  GError *e = NULL;
  if (run(c, cmd, NULL, &e))
    return TRUE;
  /* NO [ALREADYEXISTS] (RFC 5530), or a server without the code: the next SELECT or
   * MOVE says whether the folder is really missing. */
  if (g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP) && strstr(e->message, ": NO")) {
    g_error_free(e);
    return TRUE;
  }
  g_propagate_error(error, e);
  return FALSE;
}

GArray *okno_imap_search(OknoImapClient *c, GError **error)
{
  g_autoptr(GPtrArray) un = NULL;
  GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
  if (!run(c, "UID SEARCH UNDELETED", &un, error)) {
    g_array_unref(uids);
    return NULL;
  }
  for (guint i = 0; i < un->len; i++) {
    const OknoImapResponse *r = un->pdata[i];
    if (r->search)
      g_array_append_vals(uids, r->search->data, r->search->len);
  }
  return uids;
}

/* The FETCH response for `uid` among the untagged ones, or NULL. */
static OknoImapResponse *fetched(GPtrArray *un, guint32 uid)
{
  for (guint i = 0; i < un->len; i++) {
    OknoImapResponse *r = un->pdata[i];
    if (r->kind && !strcmp(r->kind, "FETCH") && r->uid == uid)
      return r;
  }
  return NULL;
}

/* "1,5,7": a UID set for a command. */
static char *uid_set(const guint32 *uids, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, i ? ",%u" : "%u", uids[i]);
  return g_string_free(s, FALSE);
}

gboolean okno_imap_sizes(OknoImapClient *c, const guint32 *uids, guint n, guint64 *sizes,
                         GError **error)
{
  g_autofree char *set = uid_set(uids, n);
  g_autofree char *cmd = g_strdup_printf("UID FETCH %s (UID RFC822.SIZE)", set);
  g_autoptr(GPtrArray) un = NULL;
  if (!run(c, cmd, &un, error))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    const OknoImapResponse *r = fetched(un, uids[i]);
    sizes[i] = r ? MAX(r->size, 1) : 0;
  }
  return TRUE;
}

GBytes *okno_imap_fetch(OknoImapClient *c, guint32 uid, GError **error)
{
  g_autofree char *cmd = g_strdup_printf("UID FETCH %u (UID BODY.PEEK[])", uid);
  g_autoptr(GPtrArray) un = NULL;
  OknoImapResponse *r;
  if (!run(c, cmd, &un, error))
    return NULL;
  r = fetched(un, uid);
  if (r && !r->body) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "IMAP FETCH gave no BODY[] for UID %u", uid);
    return NULL;
  }
  return r ? g_bytes_ref(r->body) : NULL;
}

gboolean okno_imap_move(OknoImapClient *c, const guint32 *uids, guint n, const char *folder,
                        GError **error)
{
  g_autofree char *q = okno_imap_quote(folder);
  g_autofree char *set = uid_set(uids, n);
  g_autofree char *cmd = NULL;
  if (!n)
    return TRUE;
  if (!q) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "IMAP folder name has a line break");
    return FALSE;
  }
  if (okno_imap_has(c, "MOVE")) {
    cmd = g_strdup_printf("UID MOVE %s %s", set, q);
    return run(c, cmd, NULL, error);
  }
  cmd = g_strdup_printf("UID COPY %s %s", set, q);
  if (!run(c, cmd, NULL, error))
    return FALSE;
  g_free(cmd);
  cmd = g_strdup_printf("UID STORE %s +FLAGS.SILENT (\\Deleted)", set);
  if (!run(c, cmd, NULL, error))
    return FALSE;
  g_free(cmd);
  /* UID EXPUNGE (UIDPLUS) removes these messages only; plain EXPUNGE every \Deleted one. */
  cmd = okno_imap_has(c, "UIDPLUS") ? g_strdup_printf("UID EXPUNGE %s", set) : g_strdup("EXPUNGE");
  return run(c, cmd, NULL, error);
}

gboolean okno_imap_idle(OknoImapClient *c, guint seconds, GError **error)
{
  GSocket *sock = g_socket_connection_get_socket(c->tcp);
  g_autofree char *tag = NULL;
  g_autofree char *line = NULL;
  gint64 until = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
  gboolean changed = FALSE;
  if (!okno_imap_has(c, "IDLE")) {
    /* no IDLE: wait (cancellable), then a NOOP brings any news */
    while (g_get_monotonic_time() < until && !(c->cancel && g_cancellable_is_cancelled(c->cancel)))
      g_usleep(100 * 1000);
    return run(c, "NOOP", NULL, error);
  }
  tag = g_strdup_printf("a%u", ++c->tag);
  line = g_strdup_printf("%s IDLE", tag);
  if (!write_line(c, line, error))
    return FALSE;
  while (!changed) {
    GError *e = NULL;
    gint64 left = (until - g_get_monotonic_time()) / G_USEC_PER_SEC;
    g_autoptr(OknoImapResponse) r = NULL;
    if (left <= 0)
      break;
    g_socket_set_timeout(sock, (guint)left);
    r = read_response(c, &e);
    if (!r) {
      if (g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP) && strstr(e->message, "timed out")) {
        g_error_free(e);
        break;
      }
      g_socket_set_timeout(sock, c->timeout);
      g_propagate_error(error, e);
      return FALSE;
    }
    if (r->status && !strcmp(r->status, "BYE")) {
      g_socket_set_timeout(sock, c->timeout);
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "IMAP server said BYE in IDLE");
      return FALSE;
    }
    if (r->kind && (!strcmp(r->kind, "EXISTS") || !strcmp(r->kind, "RECENT")))
      changed = TRUE;
  }
  g_socket_set_timeout(sock, c->timeout);
  if (!write_line(c, "DONE", error))
    return FALSE;
  for (;;) {
    g_autoptr(OknoImapResponse) r = read_response(c, error);
    if (!r)
      return FALSE;
    if (!strcmp(r->tag, tag))
      return tagged_ok(r, "IDLE", error);
  }
}
