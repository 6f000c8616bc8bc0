/* cmd_appeal_log.c: `okno appeal log`, the console's «Со слов гражданина» form
 * (web/console_intake.c) on the command line: an appeal an operator logs from a phone
 * call, a paper letter or a social-network post.
 *
 *   okno appeal log --config F --channel phone|paper|social --name NAME
 *                   [--email ADDRESS] [--phone PHONE] [--category KEY] [--subject TEXT]
 *                   --text TEXT [--by LOGIN] [--no-deliver]
 *
 * The same checks as the form (each problem one line, in the form's Russian, and
 * nothing registered: exit 1), then intake like `okno submit`: prints the number; the
 * operator (--by, default "operator") is the `received` event's "by". Afterwards the
 * outbound queue runs once (the receipt, when an e-mail is given) unless --no-deliver. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/error.h"
#include "intake/pipeline.h"
#include "web/console.h"

int okno_cmd_appeal_log(int argc, char **argv)
{
  g_autofree char *channel = NULL, *name = NULL, *email = NULL, *phone = NULL, *category = NULL,
                  *subject = NULL, *text = NULL, *by = NULL;
  gboolean no_deliver = FALSE;
  const GOptionEntry extra[] = {
    {"channel", 0, 0, G_OPTION_ARG_STRING, &channel, "phone, paper or social", "CHANNEL"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "the citizen's name", "NAME"},
    {"email", 0, 0, G_OPTION_ARG_STRING, &email, "the citizen's e-mail (the receipt goes there)", "ADDRESS"},
    {"phone", 0, 0, G_OPTION_ARG_STRING, &phone, "the citizen's phone", "PHONE"},
    {"category", 0, 0, G_OPTION_ARG_STRING, &category, "a topic key of the feedback form", "KEY"},
    {"subject", 0, 0, G_OPTION_ARG_STRING, &subject, "a short subject", "TEXT"},
    {"text", 0, 0, G_OPTION_ARG_STRING, &text, "what the citizen asked", "TEXT"},
    {"by", 0, 0, G_OPTION_ARG_STRING, &by, "the operator who logs it", "LOGIN"},
    {"no-deliver", 0, 0, G_OPTION_ARG_NONE, &no_deliver, "leave the receipt to okno serve", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(JsonObject) errors = NULL;
  OknoFeedback fb = {0};
  OknoChannel ch = OKNO_CHANNEL_PHONE;
  OknoIntakeResult res = {0};
  OknoIntake *in;
  gboolean ok;

  if (!cfg)
    return code;
  if (argc != 1) {
    fprintf(stderr, "okno: appeal log takes options only (--channel, --name, --text, ...)\n");
    return 1;
  }
  errors = okno_console_intake_check(
      &(OknoConsoleIntakeInput){channel, name, email, phone, category, text}, &ch, &fb);
  if (errors) {
    g_autoptr(GList) fields = json_object_get_members(errors);
    for (GList *l = fields; l; l = l->next)
      fprintf(stderr, "okno: --%s: %s\n",
              g_str_equal(l->data, "description") ? "text" : (const char *)l->data,
              json_object_get_string_member(errors, l->data));
    okno_feedback_clear(&fb);
    return 1;
  }
  raw = okno_console_intake_message(&fb, ch, subject, cfg);
  in = okno_intake_new(cfg, &err);
  if (!in) {
    okno_feedback_clear(&fb);
    return okno_cli_fail(err);
  }
  {
    const char *const rcpt[] = {cfg->smtp_addresses[0], NULL};
    ok = okno_intake_submit_sync(
        in, raw,
        &(OknoEnvelope){.channel = ch, .rcpt_to = rcpt, .mail_from = *fb.email ? fb.email : NULL,
                        .session_id = "cli", .category = fb.category, .phone = fb.phone,
                        .operator_login = by ? by : "operator", .citizen_name = fb.name},
        &res, &err);
  }
  okno_intake_free(in);
  okno_feedback_clear(&fb);
  if (!ok)
    return okno_cli_fail(err);
  printf("%s\n", res.number ? res.number : "");
  fflush(stdout);
  okno_intake_result_clear(&res);
  if (!no_deliver)
    okno_cli_deliver_once(cfg, "registered", "the receipt");
  return 0;
}
