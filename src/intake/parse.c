/* parse.c: intake's first stage, a pure function of the bytes (see parse.h).
 *
 * DESIGN
 * One pass in okno_parse(): GMime decodes the message under the budgets (mime.c
 * checks them as it walks and stops with budget_exceeded); an empty or cut-short
 * message is not refused but marked for the quarantine queue, so that the rest of
 * intake treats every message alike. Everything after the decode reads only the
 * decoded record: the contact and the loop rules (RFC 3834) decide whether we may
 * answer; the description, identifiers and attachment policy what the receipt says;
 * the content hash and the subject's appeal number what registration looks for in the
 * store. Nothing here depends on the store, the DNS or clamd: those are verify.c's
 * and register.c's, so this file can be tested, fuzzed and one day sandboxed alone. */
#include "intake/parse.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/json.h"
#include "intake/extract.h"
#include "intake/validate.h"
#include "mail/loop.h"
#include "ops/kb.h"
#include "store/keys.h"
#include "store/messages.h"

void okno_envelope_copy(OknoEnvelope *dst, const OknoEnvelope *src)
{
  dst->channel = src->channel;
  dst->mail_from = g_strdup(src->mail_from);
  dst->rcpt_to = (const char *const *)g_strdupv((char **)src->rcpt_to);
  dst->client_addr = g_strdup(src->client_addr);
  dst->helo = g_strdup(src->helo);
  dst->session_id = g_strdup(src->session_id);
  dst->tls = src->tls;
  dst->category = g_strdup(src->category);
  dst->phone = g_strdup(src->phone);
  dst->kind = src->kind;
  dst->source_key = g_strdup(src->source_key);
  dst->operator_login = g_strdup(src->operator_login);
  dst->citizen_name = g_strdup(src->citizen_name);
}

void okno_envelope_clear(OknoEnvelope *env)
{
  g_free((char *)env->mail_from);
  g_strfreev((char **)env->rcpt_to);
  g_free((char *)env->client_addr);
  g_free((char *)env->helo);
  g_free((char *)env->session_id);
  g_free((char *)env->category);
  g_free((char *)env->phone);
  g_free((char *)env->source_key);
  g_free((char *)env->operator_login);
  g_free((char *)env->citizen_name);
  memset(env, 0, sizeof *env);
}

void okno_parsed_free(OknoParsed *p)
{
  if (!p)
    return;
  g_bytes_unref(p->raw);
  g_clear_pointer(&p->msg, okno_message_free);
  okno_envelope_clear(&p->env);
  g_free(p->env_from);
  g_free(p->phone);
  g_free(p->contact);
  g_free(p->description);
  g_clear_pointer(&p->ids, g_ptr_array_unref);
  g_clear_pointer(&p->refusals, g_ptr_array_unref);
  g_free(p->content_hash);
  g_free(p->subject_number);
  g_free(p->earlier_number);
  g_free(p->quarantine);
  g_clear_pointer(&p->auth, okno_auth_result_free);
  g_free(p->auth_json);
  g_clear_pointer(&p->infected, g_ptr_array_unref);
  g_clear_pointer(&p->phish, okno_phish_result_free);
  g_free(p->checked_subject);
  g_clear_pointer(&p->spam, okno_rspamd_result_free);
  g_free(p->spam_unscanned);
  g_free(p->meta_json);
  g_free(p->text_terms);
  g_clear_pointer(&p->kb_query, okno_kb_query_free);
  g_clear_pointer(&p->message_sealed, okno_message_sealed_free);
  g_clear_pointer(&p->key_ahead, okno_store_key_ahead_free);
  g_free(p);
}

void okno_parse_limits(const OknoConfig *cfg, OknoMimeLimits *lim)
{
  lim->max_depth = cfg->max_mime_depth;
  lim->max_parts = cfg->max_mime_parts;
  lim->memory_budget = cfg->parse_memory_budget;
  lim->time_budget_ms = cfg->parse_time_budget_ms;
}

/* An SMTP path without "<>" and white space, lowercase. */
static char *path_address(const char *path)
{
  g_autofree char *t = g_strstrip(g_strdup(path));
  gsize n = strlen(t);
  if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
    t[n - 1] = '\0';
    return g_ascii_strdown(t + 1, -1);
  }
  return g_ascii_strdown(t, -1);
}

static char *content_hash_of(const OknoMessage *m)
{
  g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(h, (const guchar *)m->subject, strlen(m->subject) + 1);
  g_checksum_update(h, (const guchar *)m->text, strlen(m->text) + 1);
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    g_checksum_update(h, (const guchar *)a->sha256, 65);
  }
  return g_strdup(g_checksum_get_string(h));
}

/* The first value of `kind` in `ids` that is valid, or NULL (borrowed). */
static const char *first_valid(const GPtrArray *ids, OknoIdKind kind)
{
  for (guint i = 0; i < ids->len; i++) {
    const OknoExtracted *x = ids->pdata[i];
    if (x->kind == kind && x->valid)
      return x->value;
  }
  return NULL;
}

/* An address a receipt can go to: local@domain with a dot in the domain, no spaces or
 * angle brackets, and not a null or bounce sender (MAILER-DAEMON, bounce+VERP). */
static gboolean usable_contact(const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  if (!at || at == addr || !strchr(at + 1, '.') || at[1] == '.' || g_str_has_suffix(at, "."))
    return FALSE;
  if (strpbrk(addr, " \t<>\"(),;:\\[]"))
    return FALSE;
  return g_ascii_strncasecmp(addr, "mailer-daemon@", 14) != 0 &&
         g_ascii_strncasecmp(addr, "bounce", 6) != 0;
}

/* TRUE when every recipient is the [check] address (a message also addressed to
 * support is an appeal). */
static gboolean for_check_only(const OknoConfig *cfg, const OknoEnvelope *env)
{
  if (!*cfg->check_address || !env->rcpt_to || !env->rcpt_to[0])
    return FALSE;
  for (const char *const *r = env->rcpt_to; *r; r++)
    if (!okno_config_is_check_address(cfg, *r))
      return FALSE;
  return TRUE;
}

OknoParsed *okno_parse(const OknoConfig *cfg, GBytes *raw, const OknoEnvelope *env,
                       gint64 received_at)
{
  OknoParsed *p = g_new0(OknoParsed, 1);
  OknoMimeLimits lim;
  gsize len = 0;
  const char *data = g_bytes_get_data(raw, &len);
  const OknoMessage *m;

  okno_parse_limits(cfg, &lim);
  p->raw = g_bytes_ref(raw);
  okno_envelope_copy(&p->env, env);
  p->env_from = env->mail_from ? path_address(env->mail_from) : NULL;
  p->received_at = received_at;
  p->session_id = p->env.session_id ? p->env.session_id : "-";
  p->category = p->env.category ? p->env.category : "";
  p->msg = len ? okno_mime_parse(data, len, &lim) : NULL;
  if (!p->msg) {
    /* An empty message still gets a record, so that the rest can treat it alike. */
    p->msg = okno_mime_parse("\r\n", 2, &lim);
    p->quarantine = g_strdup("empty message");
  } else if (p->msg->budget_exceeded) {
    p->quarantine = g_strdup("parse budget exceeded");
  }
  m = p->msg;
  /* We answer the author: the first usable address of From, Sender, Reply-To,
   * Return-Path, the envelope's sender. */
  {
    const struct {
      const char *address, *source;
    } candidates[] = {
      {g_str_equal(m->from_header, "From") ? m->from_email : "", "from"},
      {m->sender_email, "sender"},
      {m->reply_to_email, "reply-to"},
      {m->return_path_email, "return-path"},
      {p->env_from, "envelope"},
    };
    p->contact_source = "";
    for (gsize i = 0; i < G_N_ELEMENTS(candidates) && !p->contact; i++)
      if (usable_contact(candidates[i].address)) {
        p->contact = g_ascii_strdown(candidates[i].address, -1);
        p->contact_source = candidates[i].source;
      }
    if (!p->contact)
      p->contact = g_strdup("");
  }
  p->description = okno_description_text(m->text);
  p->ids = okno_extract(m->text);
  {
    const char *found = first_valid(p->ids, OKNO_ID_PHONE);
    p->phone = g_strdup(env->phone && *env->phone ? env->phone : found ? found : "");
  }
  p->refusals = g_ptr_array_new_with_free_func(g_free);
  p->infected = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < m->attachments->len; i++) {
    g_ptr_array_add(p->refusals, okno_attachment_refusal(m->attachments->pdata[i]));
    g_ptr_array_add(p->infected, NULL);
  }
  p->no_autoreply = okno_loop_no_autoreply_reason(cfg, m, p->env_from);
  if (!p->no_autoreply && !*p->contact)
    p->no_autoreply = "no address to answer";
  if (!p->no_autoreply && !len)
    p->no_autoreply = "empty message"; /* a probe or a broken client: nothing to ask */
  p->content_hash = content_hash_of(m);
  {
    /* An appeal number with a valid check digit in the subject marks a reply. */
    g_autoptr(GPtrArray) subj = okno_extract(m->subject);
    p->subject_number = g_strdup(first_valid(subj, OKNO_ID_APPEAL));
  }
  {
    /* «Повторное обращение» naming an earlier number (subject first, then text). */
    g_autofree char *subj = g_utf8_strdown(m->subject, -1);
    g_autofree char *text = g_utf8_strdown(m->text, -1);
    if (strstr(subj, "повторн") || strstr(text, "повторное обращение"))
      p->earlier_number = g_strdup(p->subject_number ? p->subject_number
                                                     : first_valid(p->ids, OKNO_ID_APPEAL));
    p->repeated = p->earlier_number != NULL;
  }
  p->is_check = for_check_only(cfg, env);
  return p;
}

char *okno_parsed_meta_json(const OknoParsed *p)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  const OknoMessage *m = p->msg;
  const OknoEnvelope *env = &p->env;
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "envelope");
  json_builder_begin_object(b);
  okno_json_str(b, "mail_from", env->mail_from);
  okno_json_strv(b, "rcpt_to", env->rcpt_to);
  okno_json_str(b, "client", env->client_addr);
  okno_json_str(b, "helo", env->helo);
  okno_json_str(b, "session", env->session_id);
  okno_json_bool(b, "tls", env->tls);
  json_builder_end_object(b);
  okno_json_str(b, "from_name", m->from_name);
  okno_json_str(b, "from_email", m->from_email);
  okno_json_str(b, "contact", p->contact);
  okno_json_str(b, "contact_source", p->contact_source);
  okno_json_str(b, "date", m->date);
  okno_json_str(b, "in_reply_to", m->in_reply_to);
  okno_json_strv(b, "references", (const char *const *)m->references);
  okno_json_bool(b, "text_from_html", m->text_from_html);
  okno_json_int(b, "size", (gint64)g_bytes_get_size(p->raw));
  json_builder_set_member_name(b, "extracted");
  json_builder_begin_array(b);
  for (guint i = 0; i < p->ids->len; i++) {
    const OknoExtracted *x = p->ids->pdata[i];
    json_builder_begin_object(b);
    okno_json_str(b, "kind", okno_id_kind_name(x->kind));
    okno_json_str(b, "value", x->value);
    okno_json_bool(b, "valid", x->valid);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  okno_json_ptrv(b, "defects", m->defects);
  if (p->no_autoreply)
    okno_json_str(b, "no_autoreply", p->no_autoreply);
  if (p->quarantine)
    okno_json_str(b, "quarantine", p->quarantine);
  if (p->auth) {
    json_builder_set_member_name(b, "authentication");
    okno_auth_to_json(b, p->auth);
  }
  if (p->spam) {
    json_builder_set_member_name(b, "rspamd");
    okno_rspamd_to_json(b, p->spam, okno_spam_verdict_name(p->spam_verdict));
  } else if (p->spam_unscanned) {
    okno_json_str(b, "spam_unscanned", p->spam_unscanned);
  }
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}
