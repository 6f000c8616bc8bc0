/* notify_settings.c: per-contact e-mail notification switches (see notify_settings.h). */
#include "store/notify_settings.h"

static const struct {
  OknoNotifyEvent event;
  const char *name, *label;
} types[OKNO_NOTIFY_COUNT] = {
  {OKNO_NOTIFY_REGISTERED, "registered", "Обращение зарегистрировано"},
  {OKNO_NOTIFY_STATUS, "status", "Изменился статус обращения"},
  {OKNO_NOTIFY_ANSWER, "answer", "Дан ответ"},
  {OKNO_NOTIFY_CLARIFICATION, "clarification", "Нужно уточнение от вас"},
  {OKNO_NOTIFY_DEADLINE, "deadline", "Напоминание о сроке"},
};

OknoNotifyEvent okno_notify_event_at(guint i, const char **name, const char **label)
{
  g_return_val_if_fail(i < OKNO_NOTIFY_COUNT, 0);
  if (name)
    *name = types[i].name;
  if (label)
    *label = types[i].label;
  return types[i].event;
}

static const char *event_name(OknoNotifyEvent event)
{
  for (guint i = 0; i < OKNO_NOTIFY_COUNT; i++)
    if (types[i].event == event)
      return types[i].name;
  return "";
}

gboolean okno_notify_settings_get(OknoStore *st, const char *contact, guint *mask,
                                  GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT event, email_on FROM notify_settings WHERE contact = $1",
      OKNO_PARAMS(OKNO_TEXT(contact ? contact : "")), error);
  *mask = OKNO_NOTIFY_ALL;
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++)
    for (guint k = 0; k < OKNO_NOTIFY_COUNT; k++)
      if (g_strcmp0(okno_rows_text(r, i, 0), types[k].name) == 0 && !okno_rows_int(r, i, 1))
        *mask &= ~(guint)types[k].event;
  return TRUE;
}

gboolean okno_notify_settings_set(OknoStore *st, const char *contact, OknoNotifyEvent event,
                                  gboolean on, gint64 now, GError **error)
{
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO notify_settings(contact, event, email_on, updated_at) VALUES($1, $2, $3, $4) "
      "ON CONFLICT(contact, event) DO UPDATE SET email_on = excluded.email_on, "
      "updated_at = excluded.updated_at",
      OKNO_PARAMS(OKNO_TEXT(contact ? contact : ""), OKNO_TEXT(event_name(event)),
                  OKNO_INT(on ? 1 : 0), OKNO_INT(now)),
      error);
}

gboolean okno_notify_enabled(OknoStore *st, const char *contact, OknoNotifyEvent event,
                             GError **error)
{
  guint mask = OKNO_NOTIFY_ALL;
  okno_notify_settings_get(st, contact, &mask, error);
  return (mask & event) != 0;
}
