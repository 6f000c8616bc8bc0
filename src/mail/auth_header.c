/* auth_header.c: the sender-authentication verdict (auth.h OknoAuthResult) as the
 * world sees it: the RFC 8601 Authentication-Results header, the JSON kept in a
 * message's meta, and the error whose text an SMTP reject quotes. Pure functions over a
 * finished result; the checks themselves are auth.c. */
#include "mail/auth.h"

#include <string.h>

#include "core/error.h"
#include "core/json.h"

const char *okno_auth_action_name(OknoAuthAction a)
{
  return a == OKNO_AUTH_REJECT ? "reject" : a == OKNO_AUTH_SUSPICIOUS ? "suspicious" : "accept";
}

/* An RFC 8601 value: a token as is, anything else as a quoted-string of printable ASCII
 * (other bytes become '?'). */
static void put_value(GString *s, const char *v)
{
  static const char tspecials[] = "()<>@,;:\\\"/[]?=";
  gboolean token = *v != '\0';
  for (const char *p = v; *p && token; p++)
    if ((guchar)*p <= ' ' || (guchar)*p >= 0x7f || strchr(tspecials, *p))
      token = FALSE;
  /* local-part@domain and domain names are allowed as they are (RFC 8601 2.3). */
  if (!token && *v && strchr(v, '@') && !strpbrk(v, " \t\"\\()<>,;[]") ) {
    token = TRUE;
    for (const char *p = v; *p && token; p++)
      if ((guchar)*p <= ' ' || (guchar)*p >= 0x7f)
        token = FALSE;
  }
  if (token) {
    g_string_append(s, v);
    return;
  }
  g_string_append_c(s, '"');
  for (const char *p = v; *p; p++) {
    guchar c = (guchar)*p;
    if (c == '"' || c == '\\')
      g_string_append_c(s, '\\');
    g_string_append_c(s, c >= ' ' && c < 0x7f ? (char)c : '?');
  }
  g_string_append_c(s, '"');
}

/* A comment: printable ASCII, parentheses and backslashes dropped. */
static void put_comment(GString *s, const char *v)
{
  if (!v || !*v)
    return;
  g_string_append(s, " (");
  for (const char *p = v; *p && p - v < 200; p++) {
    guchar c = (guchar)*p;
    if (c >= ' ' && c < 0x7f && c != '(' && c != ')' && c != '\\')
      g_string_append_c(s, (char)c);
  }
  g_string_append_c(s, ')');
}

char *okno_auth_header(const char *authserv_id, const OknoAuthResult *r)
{
  GString *s = g_string_new("Authentication-Results: ");
  put_value(s, authserv_id);
  g_string_append(s, ";\r\n\tspf=");
  g_string_append(s, r->spf);
  put_comment(s, r->spf_reason);
  if (*r->spf_address) {
    g_string_append(s, g_str_equal(r->spf_identity, "helo") ? " smtp.helo=" : " smtp.mailfrom=");
    put_value(s, r->spf_address);
  }
  if (r->dkim->len == 0)
    g_string_append(s, ";\r\n\tdkim=none");
  for (guint i = 0; i < r->dkim->len; i++) {
    const OknoDkimResult *x = r->dkim->pdata[i];
    g_string_append(s, ";\r\n\tdkim=");
    g_string_append(s, x->result);
    put_comment(s, x->reason);
    if (*x->domain) {
      g_string_append(s, " header.d=");
      put_value(s, x->domain);
    }
    if (*x->selector) {
      g_string_append(s, " header.s=");
      put_value(s, x->selector);
    }
  }
  g_string_append(s, ";\r\n\tdmarc=");
  g_string_append(s, r->dmarc);
  if (*r->dmarc_policy) {
    g_autofree char *c = g_strdup_printf("p=%s", r->dmarc_policy);
    put_comment(s, c);
  } else {
    put_comment(s, r->dmarc_reason);
  }
  if (*r->from_domain) {
    g_string_append(s, " header.from=");
    put_value(s, r->from_domain);
  }
  g_string_append(s, "\r\n");
  return g_string_free(s, FALSE);
}

void okno_auth_to_json(JsonBuilder *b, const OknoAuthResult *r)
{
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "spf");
  json_builder_begin_object(b);
  okno_json_str(b, "result", r->spf);
  okno_json_str(b, "identity", r->spf_identity);
  okno_json_str(b, "domain", r->spf_domain);
  okno_json_str(b, "reason", r->spf_reason);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "dkim");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->dkim->len; i++) {
    const OknoDkimResult *x = r->dkim->pdata[i];
    json_builder_begin_object(b);
    okno_json_str(b, "domain", x->domain);
    okno_json_str(b, "selector", x->selector);
    okno_json_str(b, "result", x->result);
    okno_json_str(b, "reason", x->reason);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "dmarc");
  json_builder_begin_object(b);
  okno_json_str(b, "result", r->dmarc);
  okno_json_str(b, "from_domain", r->from_domain);
  okno_json_str(b, "policy", r->dmarc_policy);
  okno_json_str(b, "reason", r->dmarc_reason);
  json_builder_end_object(b);
  okno_json_bool(b, "portal", r->portal);
  okno_json_str(b, "action", okno_auth_action_name(r->action));
  okno_json_str(b, "action_reason", r->action_reason);
  json_builder_end_object(b);
}

void okno_auth_reject_error(const OknoAuthResult *r, GError **error)
{
  GString *d = g_string_new(NULL);
  for (const char *p = r->from_domain; *p; p++)
    g_string_append_c(d, (guchar)*p > ' ' && (guchar)*p < 0x7f ? *p : '?');
  okno_set_smtp_error(error, 550, "5.7.1",
                      "Message rejected: the DMARC policy of %s is reject and the message "
                      "failed DMARC authentication (no aligned SPF or DKIM pass)", d->str);
  g_string_free(d, TRUE);
}
