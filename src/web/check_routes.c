/* check_routes.c: «Проверить письмо» - the phishing check of `okno check-mail` on the web.
 *
 *   GET  /check              the form: upload an .eml file (field "message") or paste the
 *                            headers and text (field "text")
 *   POST /check              the verdict page: verdict, whether the letter claims to come
 *                            from the portal and whether that is proved, every reason, and
 *                            the button «Сообщить о фишинге»
 *   POST /check/report       records the report (as `okno phishing report`, reporter "web");
 *                            a letter the check found dangerous travels with the form
 *                            and teaches rspamd (Bayes and the fuzzy storage)
 *   POST /api/v1/check       the JSON of `okno check-mail --json`
 *   POST /api/v1/check/report {"blocked": [{kind, value}]} as `okno phishing report --json`
 * The API takes the letter as the multipart field "message" (file or text) or as a raw
 * message/rfc822 body. Bodies over CHECK_MAX_BODY get 413.
 *
 * Nothing of the letter is stored or logged: the page's report form carries the letter's
 * indicators (check/phishing.h) and, when the check found the letter dangerous, the
 * letter itself (base64), signed with the instance secret (over the indicators and the
 * letter's SHA-256) so that the report names exactly what the server found in a letter
 * it checked; the letter goes on to rspamd's controller and nowhere else. */
#include <sodium.h>
#include <string.h>

#include "check/blocklist.h"
#include "check/citizen.h"
#include "check/phishing.h"
#include "core/log.h"
#include "mail/mime.h"
#include "store/phish.h"
#include "web/routes.h"

#define CHECK_MAX_BODY (2 * 1024 * 1024)

static const char *const verdict_label[] = {
  [OKNO_VERDICT_CLEAN] = "Безопасно",
  [OKNO_VERDICT_SUSPICIOUS] = "Подозрительно",
  [OKNO_VERDICT_DANGEROUS] = "Опасно",
};
static const char *const sender_text[] = {
  [OKNO_PORTAL_SENDER_NO] = "Письмо не выдаёт себя за письмо портала.",
  [OKNO_PORTAL_SENDER_UNVERIFIED] = ("Письмо отправлено от имени портала, но подтвердить, что его "
                                     "отправил портал, не удалось."),
  [OKNO_PORTAL_SENDER_VERIFIED] = ("Письмо действительно отправлено порталом: это подтверждено "
                                   "подписью отправителя."),
};

/* The letter of the request: the uploaded file "message", else the text field "message"
 * (API) or "text" (page), else a raw message/rfc822 body. NULL when there is none. */
static GBytes *letter_of(OknoReq *req)
{
  const char *text, *ct;
  for (guint i = 0; i < req->form->files->len; i++) {
    const OknoUpload *u = g_ptr_array_index(req->form->files, i);
    if (strcmp(u->field, "message") == 0 && g_bytes_get_size(u->data) > 0)
      return g_bytes_ref(u->data);
  }
  text = okno_req_field(req, "message");
  if (!*text)
    text = okno_req_field(req, "text");
  {
    g_autofree char *t = g_strstrip(g_strdup(text));
    if (*t)
      return g_bytes_new(text, strlen(text));
  }
  ct = soup_message_headers_get_one(soup_server_message_get_request_headers(req->msg),
                                    "Content-Type");
  if (ct && g_ascii_strncasecmp(ct, "message/rfc822", 14) == 0 && g_bytes_get_size(req->body))
    return g_bytes_ref(req->body);
  return NULL;
}

/* Runs the check of `okno check-mail` (with the block list) on `letter`. */
static OknoPhishResult *run_check(OknoReq *req, GBytes *letter)
{
  OknoMimeLimits limits = {
    .max_depth = req->cfg->max_mime_depth,
    .max_parts = req->cfg->max_mime_parts,
    .memory_budget = req->cfg->parse_memory_budget,
    .time_budget_ms = req->cfg->parse_time_budget_ms,
  };
  gsize len = 0;
  const char *raw = g_bytes_get_data(letter, &len);
  g_autoptr(OknoMessage) msg = okno_mime_parse(raw, len, &limits);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoBlocklist) bl = NULL;
  OknoPhishResult *r;
  if (!msg)
    return NULL;
  r = okno_citizen_check(msg, raw, len, req->cfg);
  bl = okno_store_phish_blocklist(req->store, &err);
  if (bl)
    okno_blocklist_apply(bl, r);
  else
    okno_log_warn("web", "event=check-blocklist-failed error=\"%s\"", err->message);
  okno_log("web", "event=check verdict=%s score=%d partial=%d", okno_verdict_name(r->verdict),
           r->score, r->partial);
  return r;
}

/* The request's letter checked, or NULL after answering (413, 422). */
static OknoPhishResult *checked(OknoReq *req, void (*form_page)(OknoReq *, guint, const char *))
{
  g_autoptr(GBytes) letter = NULL;
  OknoPhishResult *r = NULL;
  const char *empty = "Выберите файл письма (.eml) или вставьте заголовки и текст письма.";
  if (g_bytes_get_size(req->body) > CHECK_MAX_BODY) {
    const char *big = "Письмо слишком большое: проверить можно письмо не больше 2 МБ.";
    if (form_page)
      form_page(req, 413, big);
    else
      okno_req_error(req, 413, big);
    return NULL;
  }
  letter = letter_of(req);
  if (letter)
    r = run_check(req, letter);
  if (!r) {
    if (form_page) {
      form_page(req, 422, empty);
    } else {
      JsonObject *e = json_object_new();
      json_object_set_string_member(e, "message", empty);
      okno_req_field_errors(req, e);
    }
  }
  return r;
}

/* ---- signed indicators for the page's report form ---- */

static char *sign(OknoReq *req, const char *text)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[sizeof mac * 2 + 1];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, okno_web_secret(req->web), 32);
  crypto_auth_hmacsha256_update(&st, (const guint8 *)"check-report:", 13);
  crypto_auth_hmacsha256_update(&st, (const guint8 *)text, strlen(text));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return g_strdup(hex);
}

/* What the letter's own signature (field letter_sig) covers: "letter SHA256HEX" of its
 * bytes, so that no other text can be taught through the form. */
static char *letter_text(GBytes *letter)
{
  g_autofree char *h = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, letter);
  return g_strdup_printf("letter %s", h);
}

/* TRUE when `given` is the signature of `text`. */
static gboolean signed_by_us(OknoReq *req, const char *text, const char *given)
{
  g_autofree char *sig = sign(req, text);
  return strlen(given) == strlen(sig) && sodium_memcmp(given, sig, strlen(sig)) == 0;
}

static char *indicators_text(const OknoPhishResult *r)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < r->indicators->len; i++) {
    const OknoPhishIndicator *x = g_ptr_array_index(r->indicators, i);
    g_string_append_printf(s, "%s %s\n", x->kind, x->value);
  }
  return g_string_free(s, FALSE);
}

/* Records every (kind, value) of `pairs` as reported and blocked by "web". */
static gboolean record(OknoReq *req, GPtrArray *pairs)
{
  g_autoptr(GError) err = NULL;
  char pii[OKNO_PII_BUF];
  gboolean ok = okno_store_begin(req->store, &err);
  for (guint i = 0; ok && i + 1 < pairs->len; i += 2)
    ok = okno_store_phish_report(req->store, pairs->pdata[i], pairs->pdata[i + 1], "web", "web",
                                 TRUE, &err);
  if (ok)
    ok = okno_store_commit(req->store, &err);
  if (!ok) {
    okno_store_rollback(req->store);
    okno_log_warn("web", "event=check-report-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, "Не удалось сохранить сообщение о фишинге. Попробуйте, пожалуйста, "
                             "через несколько минут.");
    return FALSE;
  }
  okno_log("web", "event=check-reported entries=%u ip=%s", pairs->len / 2,
           okno_pii(req->client_ip, pii));
  return TRUE;
}

/* ---- the page ---- */

static void form_page(OknoReq *req, guint status, const char *error)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "text", okno_req_field(req, "text"));
  if (error)
    json_object_set_string_member(o, "error_message", error);
  okno_req_page(req, status, "check", "Проверить письмо", o);
}

static void check_get(OknoReq *req)
{
  form_page(req, 200, NULL);
}

static void check_post(OknoReq *req)
{
  g_autoptr(OknoPhishResult) r = checked(req, form_page);
  g_autoptr(GBytes) letter = NULL;
  JsonObject *o;
  JsonArray *reasons;
  g_autofree char *ind = NULL, *sig = NULL;
  if (!r)
    return;
  o = json_object_new();
  reasons = json_array_new();
  json_object_set_string_member(o, "verdict", okno_verdict_name(r->verdict));
  json_object_set_string_member(o, "verdict_label", verdict_label[r->verdict]);
  json_object_set_string_member(o, "verdict_text", okno_verdict_text(r->verdict));
  json_object_set_boolean_member(o, "partial", r->partial);
  json_object_set_string_member(o, "partial_text", OKNO_CHECK_PARTIAL_TEXT);
  json_object_set_boolean_member(o, "claims_portal", r->portal_sender != OKNO_PORTAL_SENDER_NO);
  json_object_set_boolean_member(o, "portal_verified",
                                 r->portal_sender == OKNO_PORTAL_SENDER_VERIFIED);
  json_object_set_string_member(o, "sender_text", sender_text[r->portal_sender]);
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    JsonObject *ro = json_object_new();
    json_object_set_string_member(ro, "code", x->code);
    json_object_set_string_member(ro, "text", x->text);
    json_array_add_object_element(reasons, ro);
  }
  json_object_set_boolean_member(o, "has_reasons", r->reasons->len > 0);
  json_object_set_array_member(o, "reasons", reasons);
  ind = indicators_text(r);
  if (r->verdict == OKNO_VERDICT_DANGEROUS && (letter = letter_of(req))) {
    gsize n = 0;
    const guint8 *d = g_bytes_get_data(letter, &n);
    g_autofree char *b64 = g_base64_encode(d, n);
    g_autofree char *lt = letter_text(letter);
    g_autofree char *lsig = sign(req, lt);
    json_object_set_string_member(o, "letter", b64);
    json_object_set_string_member(o, "letter_sig", lsig);
  }
  sig = sign(req, ind);
  json_object_set_boolean_member(o, "can_report", r->indicators->len > 0);
  json_object_set_string_member(o, "indicators", ind);
  json_object_set_string_member(o, "sig", sig);
  okno_req_page(req, 200, "check_result", "Результат проверки письма", o);
}

static void teach_letter(OknoReq *req, GBytes *letter);

static void report_post(OknoReq *req)
{
  g_auto(GStrv) crlf = g_strsplit(okno_req_field(req, "indicators"), "\r", -1);
  g_autofree char *ind = g_strjoinv("", crlf); /* a browser may send line ends as CRLF */
  const char *b64 = okno_req_field(req, "letter");
  g_autoptr(GBytes) letter = NULL;
  const char *given = okno_req_field(req, "sig");
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
  const char *refused = "Сообщение о фишинге не принято: проверьте письмо ещё раз и нажмите "
                        "кнопку «Сообщить о фишинге» на странице результата.";
  if (!*ind || !signed_by_us(req, ind, given)) {
    okno_req_error(req, 400, refused);
    return;
  }
  if (*b64) {
    gsize n = 0;
    guchar *d = g_base64_decode(b64, &n);
    g_autofree char *lt = NULL;
    letter = g_bytes_new_take(d, n);
    lt = letter_text(letter);
    if (!n || !signed_by_us(req, lt, okno_req_field(req, "letter_sig"))) {
      okno_req_error(req, 400, refused);
      return;
    }
  }
  lines = g_strsplit(ind, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *sp = strchr(*l, ' ');
    g_autofree char *kind = NULL;
    char *value;
    if (!sp)
      continue;
    kind = g_strndup(*l, (gsize)(sp - *l));
    value = okno_blocklist_normalize(kind, sp + 1);
    if (!value)
      continue;
    g_ptr_array_add(pairs, g_strdup(kind));
    g_ptr_array_add(pairs, value);
  }
  if (!pairs->len) {
    okno_req_error(req, 400, refused);
    return;
  }
  if (!record(req, pairs))
    return;
  if (letter)
    teach_letter(req, letter);
  okno_req_page(req, 200, "check_done", "Спасибо за сообщение", NULL);
}

/* ---- the API ---- */

static void api_check(OknoReq *req)
{
  g_autoptr(OknoPhishResult) r = checked(req, NULL);
  JsonObject *o;
  JsonArray *reasons;
  JsonNode *n;
  if (!r)
    return;
  o = json_object_new();
  reasons = json_array_new();
  json_object_set_string_member(o, "verdict", okno_verdict_name(r->verdict));
  json_object_set_string_member(o, "portal_sender", okno_portal_sender_name(r->portal_sender));
  json_object_set_int_member(o, "score", r->score);
  json_object_set_boolean_member(o, "partial", r->partial);
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    JsonObject *ro = json_object_new();
    json_object_set_string_member(ro, "code", x->code);
    json_object_set_string_member(ro, "text", x->text);
    json_object_set_int_member(ro, "weight", x->weight);
    json_array_add_object_element(reasons, ro);
  }
  json_object_set_array_member(o, "reasons", reasons);
  n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  okno_req_json(req, 200, n);
}

/* A reported letter teaches rspamd (Bayes and the fuzzy storage, check/citizen.h); a
 * failure is a log line. */
static void teach_letter(OknoReq *req, GBytes *letter)
{
  g_autoptr(GError) e = NULL;
  gsize len = 0;
  const char *raw = g_bytes_get_data(letter, &len);
  if (okno_rspamd_teach(req->cfg, TRUE, raw, len, &e))
    return;
  okno_log_warn("web", "event=rspamd_learn_failed error=\"%s\"", e->message);
}

/* A reported letter the check found dangerous teaches rspamd; an undecided one does not
 * (a report alone is not proof). */
static void teach(OknoReq *req, const OknoPhishResult *r)
{
  g_autoptr(GBytes) letter = NULL;
  if (r->verdict == OKNO_VERDICT_DANGEROUS && (letter = letter_of(req)))
    teach_letter(req, letter);
}

static void api_report(OknoReq *req)
{
  g_autoptr(OknoPhishResult) r = checked(req, NULL);
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);
  JsonObject *o;
  JsonArray *blocked;
  JsonNode *n;
  if (!r)
    return;
  if (!r->indicators->len) {
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "message", "В письме нет ни адреса отправителя, ни ссылки "
                                                "вне доменов портала: блокировать нечего.");
    okno_req_field_errors(req, e);
    return;
  }
  blocked = json_array_new();
  for (guint i = 0; i < r->indicators->len; i++) {
    const OknoPhishIndicator *x = g_ptr_array_index(r->indicators, i);
    JsonObject *bo = json_object_new();
    g_ptr_array_add(pairs, g_strdup(x->kind));
    g_ptr_array_add(pairs, g_strdup(x->value));
    json_object_set_string_member(bo, "kind", x->kind);
    json_object_set_string_member(bo, "value", x->value);
    json_array_add_object_element(blocked, bo);
  }
  if (!record(req, pairs)) {
    json_array_unref(blocked);
    return;
  }
  teach(req, r);
  o = json_object_new();
  json_object_set_array_member(o, "blocked", blocked);
  n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  okno_req_json(req, 200, n);
}

static const OknoRoute routes[] = {
  {"GET", "/check", 0, check_get},
  {"POST", "/check", OKNO_ROUTE_STATE_CHANGING, check_post},
  {"POST", "/check/report", OKNO_ROUTE_STATE_CHANGING, report_post},
  {"POST", "/api/v1/check", OKNO_ROUTE_STATE_CHANGING | OKNO_ROUTE_MESSAGE_BODY, api_check},
  {"POST", "/api/v1/check/report", OKNO_ROUTE_STATE_CHANGING | OKNO_ROUTE_MESSAGE_BODY,
   api_report},
};

void okno_check_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
