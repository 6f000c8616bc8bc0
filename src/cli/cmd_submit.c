/* cmd_submit.c: `okno submit` - one message through intake, for an MTA pipe or a file.
 *
 *   okno submit --config FILE [--from SENDER] [--no-deliver] [--kind formal] MESSAGE.eml|-
 *
 * Runs the same pipeline as the SMTP listener (pipeline.h), synchronously, and prints
 * the appeal number. --from gives the envelope sender (Postfix pipe: from=${sender});
 * without it the message counts as not received over SMTP. Afterwards the outbound
 * queue is run once, so the receipt is delivered even when no `okno serve` runs
 * (--no-deliver leaves that to the daemon). --kind formal registers a formal appeal under
 * 59-FZ: only for a trusted caller that has confirmed the citizen's identity (the
 * cabinet will; operators entering a paper appeal), never for mail from the MTA.
 *
 * Exit codes: 0 registered (also when it was a duplicate); 1 the input is unusable
 * (empty, over [smtp] max_message_size, refused by a check as a citizen would hear
 * over SMTP); 75 (EX_TEMPFAIL) for everything else (the store unreachable or locked, a
 * disk full, an internal error): the MTA keeps the message and retries, so nothing it
 * handed over is lost or bounced for okno's fault. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "intake/pipeline.h"

#define EX_TEMPFAIL 75

static gboolean read_input(const char *path, gint64 max, GBytes **out, GError **error)
{
  g_autoptr(GString) buf = g_string_new(NULL);
  FILE *f = g_str_equal(path, "-") ? stdin : fopen(path, "rb");
  char chunk[65536];
  size_t n;
  if (!f) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot read %s: %s", path, g_strerror(errno));
    return FALSE;
  }
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if ((gint64)(buf->len + n) > max) {
      if (f != stdin)
        fclose(f);
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "%s is larger than [smtp] max_message_size (%" G_GINT64_FORMAT " bytes)", path, max);
      return FALSE;
    }
    g_string_append_len(buf, chunk, n);
  }
  if (f != stdin)
    fclose(f);
  if (buf->len == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s is empty", path);
    return FALSE;
  }
  *out = g_string_free_to_bytes(g_steal_pointer(&buf));
  return TRUE;
}

/* One line, and the exit code the MTA acts on (see the top of the file). */
static int submit_failed(const GError *err)
{
  fprintf(stderr, "okno: %s\n", err->message);
  return okno_error_exit_code(err) == 1 ? 1 : EX_TEMPFAIL; /* USER, PERM: the MTA bounces */
}

int okno_cmd_submit(int argc, char **argv)
{
  g_autofree char *from = NULL;
  gboolean no_deliver = FALSE;
  g_autofree char *kind = NULL;
  const GOptionEntry extra[] = {
    {"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "support (default) or formal (59-FZ)", "KIND"},
    {"from", 'f', 0, G_OPTION_ARG_STRING, &from, "envelope sender (MAIL FROM)", "ADDRESS"},
    {"no-deliver", 0, 0, G_OPTION_ARG_NONE, &no_deliver, "leave the receipt to okno serve", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "MESSAGE.eml|-", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(GBytes) raw = NULL;
  OknoIntake *in;
  OknoIntakeResult res = {0};
  const char *const rcpt[] = {cfg ? cfg->smtp_addresses[0] : NULL, NULL};
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = from, .rcpt_to = rcpt,
                      .session_id = "submit"};
  gboolean ok;

  if (!cfg)
    return code;
  if (kind && !okno_kind_parse(kind, &env.kind)) {
    fprintf(stderr, "okno: --kind must be support or formal\n");
    return 1;
  }
  if (argc != 2) {
    fprintf(stderr, "okno: submit takes one message file (or - for standard input)\n");
    return 1;
  }
  if (!read_input(argv[1], cfg->max_message_size, &raw, &err))
    return okno_cli_fail(err);
  in = okno_intake_new(cfg, &err);
  if (!in)
    return submit_failed(err);
  ok = okno_intake_submit_sync(in, raw, &env, &res, &err);
  okno_intake_free(in);
  if (!ok)
    return submit_failed(err);
  printf("%s\n", res.number ? res.number : "checked");
  fflush(stdout);
  okno_intake_result_clear(&res);
  if (!no_deliver)
    okno_cli_deliver_once(cfg, "registered", "the receipt");
  return 0;
}
