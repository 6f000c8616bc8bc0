/* check/reply.c: the check@ address's answer (reply.h).
 *
 * How it works: the Russian text is written from the verdict (three wordings each for
 * the verdict, its advice and the subject, indexed by OknoVerdict), the portal-sender
 * finding and every reason that weighs anything, each quoted reason cleaned to one
 * capped line; mail/receipt.h's okno_auto_reply_build() puts the greeting and the
 * signature around it and writes the message like every other automatic reply. */
#include "check/reply.h"

#include "check/citizen.h"

#include "mail/receipt.h"

#define SUBJECT_MAX_CHARS 200 /* the subject of the letter checked */
#define REASON_MAX_CHARS 600  /* one reason */

/* The letter's text between the greeting and the signature: what was checked, the
 * verdict, every reason, advice, and the closing paragraph. */
static void write_text(GString *b, const OknoConfig *cfg, const OknoCheckReplyInfo *info)
{
  static const char *const verdicts[] = {
    [OKNO_VERDICT_CLEAN] = "признаков мошенничества не найдено",
    [OKNO_VERDICT_SUSPICIOUS] = "письмо подозрительное",
    [OKNO_VERDICT_DANGEROUS] = "письмо опасно, оно похоже на мошенническое",
  };
  static const char *const advice[] = {
    [OKNO_VERDICT_CLEAN] = "Это не гарантия: если письмо просит данные, деньги или срочных "
                           "действий, лучше войдите на портал сами, набрав его адрес в "
                           "браузере, а не по ссылке из письма.",
    [OKNO_VERDICT_SUSPICIOUS] = "Будьте осторожны: не переходите по ссылкам и не сообщайте "
                                "своих данных, пока не убедитесь, что письмо настоящее. "
                                "Войдите на портал сами, набрав его адрес в браузере.",
    [OKNO_VERDICT_DANGEROUS] = "Не переходите по ссылкам, не открывайте вложения, не отвечайте "
                               "на письмо и не сообщайте никаких данных: ни паролей, ни кодов "
                               "из СМС, ни данных карты. Если вы уже что-то ввели, смените "
                               "пароль на портале и позвоните в свой банк.",
  };
  const OknoPhishResult *r = info->result;
  g_autofree char *subject = okno_receipt_clean_line(info->checked_subject, SUBJECT_MAX_CHARS);
  gboolean any = FALSE;

  g_string_append(b, info->forwarded ? "Мы проверили письмо, которое вы переслали во вложении"
                                     : "Мы проверили присланное вами письмо");
  if (*subject)
    g_string_append_printf(b, " (тема «%s»)", subject);
  else
    g_string_append(b, " (без темы)");
  g_string_append_printf(b, ".\n\nРезультат проверки: %s.\n", verdicts[r->verdict]);
  if (r->partial)
    g_string_append_printf(b, "%s\n", OKNO_CHECK_PARTIAL_TEXT);
  if (r->portal_sender == OKNO_PORTAL_SENDER_VERIFIED)
    g_string_append(b, "Письмо действительно отправлено порталом.\n");
  else if (r->portal_sender == OKNO_PORTAL_SENDER_UNVERIFIED)
    g_string_append(b, "Письмо отправлено от имени портала, но подтвердить, что его "
                       "отправил портал, не удалось.\n");
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    if (x->weight == 0)
      continue;
    if (!any)
      g_string_append(b, r->verdict == OKNO_VERDICT_CLEAN ? "\nОбратите внимание:\n"
                                                          : "\nЧто насторожило:\n");
    any = TRUE;
    {
      /* a reason quotes the letter (names, hosts): one line, capped */
      g_autofree char *line = okno_receipt_clean_line(x->text, REASON_MAX_CHARS);
      g_string_append_printf(b, "— %s\n", line);
    }
  }
  g_string_append_printf(b, "\n%s\n\n", advice[r->verdict]);
  if (!info->forwarded)
    g_string_append(b, "Мы проверили само ваше письмо, потому что не нашли в нём вложенного "
                       "письма. Чтобы проверить чужое письмо точнее, перешлите его как "
                       "вложение (в почтовой программе: «Переслать как вложение»): тогда "
                       "сохраняются его служебные заголовки.\n\n");
  g_string_append(b, "Это письмо отправлено автоматически, отвечать на него не нужно. "
                     "Если вам нужна помощь, напишите в службу поддержки");
  if (cfg->smtp_addresses && cfg->smtp_addresses[0])
    g_string_append_printf(b, " по адресу %s", cfg->smtp_addresses[0]);
  g_string_append(b, ".\n\n");
}

GBytes *okno_check_reply_build(const OknoConfig *cfg, const OknoCheckReplyInfo *info,
                               char **message_id, char **subject_out, char **text_out)
{
  static const char *const subjects[] = {
    [OKNO_VERDICT_CLEAN] = "Проверка письма: признаков мошенничества не найдено",
    [OKNO_VERDICT_SUSPICIOUS] = "Проверка письма: письмо подозрительное",
    [OKNO_VERDICT_DANGEROUS] = "Проверка письма: письмо опасно",
  };
  g_autoptr(GString) text = g_string_new(NULL);
  write_text(text, cfg, info);
  return okno_auto_reply_build(cfg, "check", info->to_email, info->to_name, info->orig_message_id,
                               info->orig_references, subjects[info->result->verdict], text->str,
                               message_id, subject_out, text_out);
}
