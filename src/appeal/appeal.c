/* appeal/appeal.c: the appeal record, the names of its values and its status machine
 * (appeal.h).
 *
 * The machine is the `moves` column of the status table; a move is checked against
 * the table first, then for what the target status needs, and the first thing wrong
 * is the one reported. */
#include "appeal/appeal.h"

#include <string.h>

#include "core/error.h"

const char *const okno_status_names[OKNO_N_STATUSES + 1] = {
  "new", "in_progress", "needs_clarification", "answered", "closed", "rejected",
  "withdrawn", NULL};
const char *const okno_kind_names[OKNO_N_KINDS + 1] = {"support", "formal", NULL};
const char *const okno_channel_names[OKNO_N_CHANNELS + 1] = {
  "email", "web", "chat", "messenger", "phone", "paper", "social", "telegram", NULL};

const OknoChannelInfo okno_channels[OKNO_N_CHANNELS] = {
  [OKNO_CHANNEL_EMAIL] = {"email", "Электронная почта", "почта", "электронная почта", FALSE},
  [OKNO_CHANNEL_WEB] = {"web", "Форма на сайте", "портал", "форма на портале", FALSE},
  [OKNO_CHANNEL_CHAT] = {"chat", "Чат", "чат", "чат", FALSE},
  [OKNO_CHANNEL_MESSENGER] = {"messenger", "Мессенджер", "мессенджер", "мессенджер", FALSE},
  [OKNO_CHANNEL_PHONE] = {"phone", "Телефонный звонок", "телефон", "телефонный звонок", TRUE},
  [OKNO_CHANNEL_PAPER] = {"paper", "Письмо на бумаге", "бумага", "письмо на бумаге", TRUE},
  [OKNO_CHANNEL_SOCIAL] = {"social", "Социальная сеть", "соцсеть", "публикация в социальной сети",
                           TRUE},
  [OKNO_CHANNEL_TELEGRAM] = {"telegram", "Telegram", "Telegram", "Telegram", FALSE},
};
const char *const okno_hold_names[OKNO_N_HOLDS + 1] = {"", "quarantine", "suspicious", "spam", NULL};
const char *const okno_priority_names[OKNO_N_PRIORITIES + 1] = {"normal", "urgent", NULL};
const char *const okno_sla_class_names[OKNO_SLA_N_CLASSES + 1] = {
  "simple", "complex", "urgent", "complaint", "accelerated", "formal", NULL};

#define TO(s) (1u << OKNO_STATUS_##s)

const OknoStatusInfo okno_statuses[OKNO_N_STATUSES] = {
  [OKNO_STATUS_NEW] = {"new", "Зарегистрировано", "Новое", "зарегистрировано",
                       TO(IN_PROGRESS) | TO(NEEDS_CLARIFICATION) | TO(ANSWERED) | TO(CLOSED) |
                           TO(REJECTED) | TO(WITHDRAWN),
                       TRUE, FALSE},
  [OKNO_STATUS_IN_PROGRESS] = {"in_progress", "В работе", "В работе", "в работе",
                               TO(NEEDS_CLARIFICATION) | TO(ANSWERED) | TO(CLOSED) |
                                   TO(REJECTED) | TO(WITHDRAWN),
                               TRUE, FALSE},
  [OKNO_STATUS_NEEDS_CLARIFICATION] = {"needs_clarification", "Нужно уточнение от вас",
                                       "Нужно уточнение", "требуется уточнение",
                                       TO(IN_PROGRESS) | TO(CLOSED) | TO(REJECTED) | TO(WITHDRAWN),
                                       TRUE, TRUE},
  [OKNO_STATUS_ANSWERED] = {"answered", "Дан ответ", "Дан ответ", "дан ответ",
                            TO(CLOSED) | TO(IN_PROGRESS), FALSE, FALSE},
  [OKNO_STATUS_CLOSED] = {"closed", "Закрыто", "Закрыто", "закрыто", TO(IN_PROGRESS), FALSE,
                          FALSE},
  [OKNO_STATUS_REJECTED] = {"rejected", "Отклонено", "Отклонено", "отклонено", 0, FALSE, TRUE},
  [OKNO_STATUS_WITHDRAWN] = {"withdrawn", "Отозвано вами", "Отозвано заявителем", "отозвано",
                             0, FALSE, FALSE},
};

/* The index of `name` in the NULL-terminated `names`, or -1. */
static int name_index(const char *const *names, const char *name)
{
  for (int i = 0; name && names[i]; i++)
    if (!strcmp(names[i], name))
      return i;
  return -1;
}

static const char *name_of(const char *const *names, int n, int value)
{
  g_assert(value >= 0 && value < n); /* an enum out of range: memory is corrupt */
  return names[value];
}

const char *okno_status_name(OknoStatus s) { return name_of(okno_status_names, OKNO_N_STATUSES, s); }
const char *okno_kind_name(OknoKind k) { return name_of(okno_kind_names, OKNO_N_KINDS, k); }
const char *okno_channel_name(OknoChannel c)
{
  return name_of(okno_channel_names, OKNO_N_CHANNELS, c);
}
const char *okno_hold_name(OknoHold h) { return name_of(okno_hold_names, OKNO_N_HOLDS, h); }
const char *okno_priority_name(OknoPriority p)
{
  return name_of(okno_priority_names, OKNO_N_PRIORITIES, p);
}
const char *okno_sla_class_name(OknoSlaClass c)
{
  return c == OKNO_SLA_NONE ? "" : name_of(okno_sla_class_names, OKNO_SLA_N_CLASSES, c);
}

/* One parse for every enum: the enums are int-sized, so the value is written as int. */
#define PARSE(fn, type, names)                      \
  gboolean fn(const char *name, type *out)          \
  {                                                 \
    int i = name_index(names, name);                \
    if (i < 0)                                      \
      return FALSE;                                 \
    *out = (type)i;                                 \
    return TRUE;                                    \
  }
PARSE(okno_status_parse, OknoStatus, okno_status_names)
PARSE(okno_kind_parse, OknoKind, okno_kind_names)
PARSE(okno_channel_parse, OknoChannel, okno_channel_names)
PARSE(okno_hold_parse, OknoHold, okno_hold_names)
PARSE(okno_priority_parse, OknoPriority, okno_priority_names)
PARSE(okno_sla_class_parse, OknoSlaClass, okno_sla_class_names)

gboolean okno_appeal_status_allowed(OknoStatus from, OknoStatus to)
{
  return from >= 0 && from < OKNO_N_STATUSES && to >= 0 && to < OKNO_N_STATUSES &&
         (okno_statuses[from].moves & (1u << to));
}

gboolean okno_appeal_status_check(const OknoAppeal *a, OknoStatus to, const char *reason,
                                  const char *answer, GError **error)
{
  if (!okno_appeal_status_allowed(a->status, to)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Обращение № %s в статусе «%s»; перевести его в статус «%s» нельзя.",
                a->number, okno_statuses[a->status].staff,
                to >= 0 && to < OKNO_N_STATUSES ? okno_statuses[to].staff : "?");
    return FALSE;
  }
  if (okno_statuses[to].reason && !(reason && *reason)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s",
                to == OKNO_STATUS_REJECTED ? "Укажите причину отклонения."
                                           : "Напишите, что нужно уточнить заявителю.");
    return FALSE;
  }
  return to != OKNO_STATUS_ANSWERED || okno_appeal_answer_check(answer, error);
}

gboolean okno_appeal_answer_check(const char *answer, GError **error)
{
  if (answer && *answer)
    return TRUE;
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Напишите текст ответа.");
  return FALSE;
}

void okno_appeal_free(OknoAppeal *a)
{
  /* every string of the record, so that a new one is freed by adding it here */
  static const gsize strings[] = {
    G_STRUCT_OFFSET(OknoAppeal, number),     G_STRUCT_OFFSET(OknoAppeal, subject),
    G_STRUCT_OFFSET(OknoAppeal, from_name),  G_STRUCT_OFFSET(OknoAppeal, from_email),
    G_STRUCT_OFFSET(OknoAppeal, phone),      G_STRUCT_OFFSET(OknoAppeal, category),
    G_STRUCT_OFFSET(OknoAppeal, related),    G_STRUCT_OFFSET(OknoAppeal, department),
  };
  for (gsize i = 0; a && i < G_N_ELEMENTS(strings); i++)
    g_free(G_STRUCT_MEMBER(char *, a, strings[i]));
  g_free(a);
}
