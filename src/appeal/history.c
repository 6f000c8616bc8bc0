/* history.c: an appeal's events as Russian sentences and readable details (history.h).
 *
 * Each kind has a pattern. `{key}` is the detail's member `key` as text; a letter and
 * a colon before the key say how to show it: `s:` a status (the operator's word),
 * `d:` a department (its name through the caller's OknoDeptName, in «»), `t:` an
 * instant (dd.mm.yyyy HH:MM, Moscow), `p:` a period (in Russian), `r:` a reason (the
 * English ones okno writes itself translated), `c:` a channel, `k:` an SLA class,
 * `n:` a notification's type, `%:` a confidence in [0, 1] as a percent,
 * `m:` masked. A part in [ ... ] is left out when a key inside it is missing or empty.
 * The details (every member) become «Метка: значение» lines the same way, nested
 * objects and arrays flattened («Проверка SPF: pass»), addresses masked. */
#include "appeal/history.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "appeal/appeal.h"
#include "appeal/sla.h"
#include "core/clock.h"

static const struct {
  const char *kind, *pattern;
} patterns[] = {
  {"received", "Обращение получено[ по каналу «{c:channel}»][ (зарегистрировал {by})]."},
  {"registered", "Обращение зарегистрировано[ под номером {number}][, срок ответа — {t:deadline}]."},
  {"acknowledged", "Заявителю отправлена квитанция о регистрации."},
  {"clarification_requested", "Заявителю отправлен запрос уточнения[: не хватает описания ({missing})]."},
  {"clarification_received", "Получено уточнение от заявителя."},
  {"reply_joined", "Новое письмо заявителя добавлено к обращению."},
  {"duplicate_received", "То же письмо получено повторно."},
  {"attachment_refused", "Вложение не принято[: «{filename}»][ ({content_type})]."},
  {"attachment_infected", "Во вложении найден вирус[: «{filename}»][ ({signature})]."},
  {"authentication", "Проверена подлинность отправителя (SPF, DKIM, DMARC)."},
  {"spam_checked", "Письмо проверено на спам[: {verdict}]."},
  {"spam_unscanned", "Письмо не проверено на спам[: {r:reason}]."},
  {"phishing_blocklisted", "Письмо совпало с записью чёрного списка[ «{entry}»]."},
  {"suspicious", "Отправитель не подтверждён[: {r:reason}][ (домен {from_domain})]."},
  {"invalid_identifier", "В обращении найден неверный реквизит[: {kind}]."},
  {"quarantined", "Письмо передано на ручную проверку[: {r:reason}]."},
  {"autoreply_suppressed", "Автоматический ответ не отправлялся[: {r:reason}]."},
  {"clock_paused", "Срок приостановлен[: {r:reason}]."},
  {"clock_resumed", "Срок возобновлён[, новый срок — {t:deadline}]."},
  {"linked", "Связано с обращением № {number}[: {r:reason}]."},
  {"reopened", "Рассмотрение возобновлено[: {r:reason}][ (обращение № {number})]."},
  {"outbound_sent", "Письмо заявителю отправлено[ (попытка {attempt})]."},
  {"outbound_deferred", "Отправка письма отложена[ до {t:next_attempt}][: {reason}]."},
  {"outbound_failed", "Письмо не удалось доставить[: {reason}]."},
  {"dkim_failed", "Письмо отправлено без подписи DKIM[: {reason}]."},
  {"smime_failed", "Письмо отправлено без подписи S/MIME[: {reason}]."},
  {"theme_set", "Задана тема типового тематического классификатора {code}[ ({by})]."},
  {"status_changed", "Статус изменён[ с «{s:from}»] на «{s:to}»[ ({by})][: {r:reason}]."},
  {"answered", "Дан ответ[ ({by})]."},
  {"answered_again", "Отправлен повторный ответ[ ({by})]."},
  {"rated", "Заявитель оценил ответ."},
  {"withdrawn", "Заявитель отозвал обращение[: {why}]."},
  {"deadline_set", "Установлен срок ответа[ {t:deadline}][: {r:rule}]."},
  {"deadline_extended", "Срок продлён[ на {p:by_period}][ до {t:to}][ ({by})][: {r:reason}]."},
  {"priority_confirmed", "Срочность подтверждена[, срок — {t:deadline}][ ({by})]."},
  {"notified", "Заявителю отправлено уведомление[ {n:type}]."},
  {"notification_suppressed", "Уведомление[ {n:type}] не отправлялось[: {r:reason}]."},
  {"routed", "Передано в отдел {d:department}[: правило «{value}»]."},
  {"transferred", "Передано[ из отдела {d:from}] в отдел {d:to}[ ({by})][: {r:reason}]."},
  {"escalated", "Передано в вышестоящий отдел {d:to}[ ({by})][: {r:reason}]."},
  {"assigned", "Назначен исполнитель[ {assignee}][ ({by})]."},
  {"reminder_sent", "Напоминание о сроке[ {t:deadline}] отправлено."},
  {"overdue", "Срок ответа истёк[ {t:deadline}]."},
  {"sla_escalated", "Просрочка передана руководителям[ (уровень {level})]."},
  {"forwarded", "Перенаправлено по компетенции[ в «{to}»][ ({by})]."},
  {"left_unanswered", "Оставлено без ответа[: {ground}][ ({by})]."},
  {"note", "Внутренняя заметка[ ({by})][: {text}]"},
  {"unmasked", "Персональные данные показаны в открытом виде[ ({by})]."},
  {"merged_into", "Объединено с обращением № {into}[ ({by})]."},
  {"merged_from", "Присоединено обращение № {from}[ ({by})]."},
  {"split_to", "Сообщения[ {messages}] выделены в обращение № {to}[ ({by})]."},
  {"split_from", "Выделено из обращения № {from}[ (сообщения {messages})]."},
  {"marked_spam", "Отмечено как спам[ ({by})]."},
  {"released_from_spam", "Освобождено из очереди спама[ ({by})]."},
  {"rspamd_learned", "Фильтр спама обучен на этом письме."},
  {"rspamd_learn_failed", "Фильтр спама не удалось обучить[: {error}]."},
  {"retention_hold", "Срок хранения остановлен (удержание)[ ({by})][: {reason}]."},
  {"retention_unhold", "Удержание снято[ ({by})]."},
  {"retention_purged", "Персональные данные уничтожены по истечении срока хранения."},
  {"deletion_requested", "Заявитель попросил удалить свои данные."},
  {"incident_joined", "Включено в массовый инцидент № {incident}[ ({by})]."},
  {"incident_left", "Исключено из массового инцидента № {incident}[ ({by})]."},
  {"incident_answered", "Отправлен общий ответ по массовому инциденту № {incident}[ ({by})]."},
  {"category_classified", "Категория «{value}» задана автоматически: модель «{model}» уверена "
                          "на {%:confidence}[ (слова: {why})]."},
  {"sla_class_classified", "Класс срока «{k:value}» задан автоматически: модель «{model}» "
                           "уверена на {%:confidence}[ (слова: {why})]."},
  {"category_suggested", "Категория оставлена сотруднику: модель «{model}» не уверена[ "
                         "({%:confidence})] и предлагает варианты."},
  {"sla_class_suggested", "Класс срока оставлен прежним: модель «{model}» не уверена[ "
                          "({%:confidence})] и предлагает варианты."},
  {"category_changed", "Категория изменена[ с «{from}»] на «{to}»[ ({by})]."},
  {"sla_class_changed", "Класс срока изменён[ с «{k:from}»] на «{k:to}»[ ({by})]."},
  {"category_confirmed", "Категория «{value}» подтверждена[ ({by})]."},
  {"sla_class_confirmed", "Класс срока «{k:value}» подтверждён[ ({by})]."},
};

const char *const okno_event_kinds[] = {
  "received", "registered", "acknowledged", "clarification_requested",
  "clarification_received", "reply_joined", "duplicate_received", "attachment_refused",
  "attachment_infected", "authentication", "spam_checked", "spam_unscanned",
  "phishing_blocklisted", "suspicious", "invalid_identifier", "quarantined",
  "autoreply_suppressed", "clock_paused", "clock_resumed", "linked", "reopened",
  "outbound_sent", "outbound_deferred", "outbound_failed", "dkim_failed", "smime_failed", "theme_set",
  "status_changed",
  "answered", "answered_again", "rated", "withdrawn", "deadline_set", "deadline_extended",
  "priority_confirmed", "notified", "notification_suppressed", "routed", "transferred",
  "escalated", "assigned", "reminder_sent", "overdue", "sla_escalated", "forwarded",
  "left_unanswered", "note", "unmasked", "merged_into", "merged_from", "split_to",
  "split_from", "marked_spam", "released_from_spam", "rspamd_learned",
  "rspamd_learn_failed", "retention_hold", "retention_unhold", "retention_purged",
  "deletion_requested", "incident_joined", "incident_left", "incident_answered",
  "category_classified", "sla_class_classified", "category_suggested",
  "sla_class_suggested", "category_changed", "sla_class_changed", "category_confirmed",
  "sla_class_confirmed", NULL,
};

/* The English reasons okno writes itself, in Russian. Others (an operator's) as given. */
static const struct {
  const char *en, *ru;
} reasons[] = {
  {"repeated appeal", "повторное обращение"},
  {"quoted by another sender", "его процитировал другой отправитель"},
  {"quotes this appeal", "цитирует это обращение"},
  {"waiting for the citizen's clarification", "ждём уточнения от заявителя"},
  {"held as spam until an operator releases it", "задержано как спам до решения оператора"},
  {"rspamd unavailable", "фильтр спама недоступен"},
  {"no address to write to", "нет адреса для ответа"},
  {"turned off by the citizen", "заявитель отключил такие уведомления"},
  {"the address cannot be written into a header safely", "адрес нельзя безопасно указать в письме"},
  {"the reply address cannot be written into a header safely", "адрес нельзя безопасно указать в письме"},
  {"no production calendar", "нет производственного календаря"},
  {"reopened by a repeated appeal", "возобновлено повторным обращением"},
  {"classified by the model", "класс срока определила модель"},
  {"SLA class changed by staff", "класс срока изменил сотрудник"},
};

static const struct {
  const char *key, *label;
} labels[] = {
  {"by", "Сотрудник"}, {"reason", "Причина"}, {"message_id", "Идентификатор письма"},
  {"session", "Сеанс приёма"}, {"channel", "Канал"}, {"number", "Номер"},
  {"status", "Статус"}, {"kind", "Вид"}, {"sla_class", "Класс срока"}, {"class", "Класс срока"},
  {"deadline", "Срок"}, {"from", "Откуда"}, {"to", "Куда"}, {"by_period", "На сколько"},
  {"rule", "Правило"}, {"why", "Основание"}, {"department", "Отдел"}, {"queue", "Очередь"},
  {"value", "Значение"}, {"assignee", "Исполнитель"}, {"user", "Код сотрудника"},
  {"type", "Тип"}, {"transport", "Способ доставки"}, {"attempt", "Попытка"},
  {"next_attempt", "Следующая попытка"}, {"filename", "Файл"}, {"content_type", "Тип файла"},
  {"signature", "Сигнатура"}, {"entry", "Запись списка"}, {"from_domain", "Домен отправителя"},
  {"text", "Текст"}, {"into", "В обращение"}, {"messages", "Сообщения"}, {"as", "Как"},
  {"error", "Ошибка"}, {"grounds", "Основание"}, {"events", "Событий"},
  {"attachments", "Вложений"}, {"level", "Уровень"}, {"sent", "Отправлено писем"},
  {"supervisors_of", "Руководители отдела"}, {"note", "Примечание"}, {"in_time", "В срок"},
  {"ground", "Основание"}, {"missing", "Не хватает"}, {"verdict", "Вердикт"},
  {"score", "Оценка"}, {"action", "Действие"}, {"spf", "Проверка SPF"}, {"dkim", "Проверка DKIM"},
  {"dmarc", "Проверка DMARC"}, {"id", "Код"}, {"model", "Модель"},
  {"confidence", "Уверенность"}, {"suggestions", "Предложения"},
};

static const struct {
  const char *name, *label;
} notices[] = {
  {"registered", "о регистрации"}, {"status_changed", "об изменении статуса"},
  {"answer", "с ответом"}, {"clarification", "с запросом уточнения"},
  {"deadline_reminder", "о скором сроке"}, {"deadline_extended", "о продлении срока"},
  {"deletion_requested", "о запросе на удаление данных"},
};

static const struct {
  const char *name, *label;
} classes[] = {
  {"simple", "простое"}, {"complex", "сложное"}, {"urgent", "срочное"},
  {"complaint", "жалоба"}, {"accelerated", "ускоренное"}, {"formal", "официальное (59-ФЗ)"},
};

void okno_history_line_free(OknoHistoryLine *l)
{
  if (!l)
    return;
  g_free(l->sentence);
  if (l->lines)
    g_ptr_array_unref(l->lines);
  g_free(l);
}

gboolean okno_history_known(const char *kind)
{
  for (gsize i = 0; kind && i < G_N_ELEMENTS(patterns); i++)
    if (strcmp(patterns[i].kind, kind) == 0)
      return TRUE;
  return FALSE;
}

const char *okno_history_channel(const char *name)
{
  OknoChannel c;
  return okno_channel_parse(name, &c) ? okno_channels[c].phrase : name;
}

char *okno_history_mask(const char *text)
{
  GString *out = g_string_new(NULL);
  const char *p = text ? text : "";
  /* every word with an @ in it: the first character, stars, the domain */
  while (*p) {
    const char *start = p, *end, *at;
    while (*p && !g_ascii_isspace(*p) && *p != ',' && *p != '<' && *p != '>' && *p != ';')
      p++;
    end = p;
    at = memchr(start, '@', (gsize)(end - start));
    if (at && at > start) {
      g_string_append_len(out, start, (gssize)(g_utf8_next_char(start) - start));
      g_string_append(out, "***");
      g_string_append_len(out, at, (gssize)(end - at));
    } else {
      g_string_append_len(out, start, (gssize)(end - start));
    }
    while (*p && (g_ascii_isspace(*p) || *p == ',' || *p == '<' || *p == '>' || *p == ';'))
      g_string_append_c(out, *p++);
  }
  return g_string_free(out, FALSE);
}

/* A member as plain text ("" when missing); arrays joined by ", ". */
static char *plain(JsonObject *o, const char *key)
{
  JsonNode *n = o && json_object_has_member(o, key) ? json_object_get_member(o, key) : NULL;
  if (!n || JSON_NODE_HOLDS_NULL(n))
    return g_strdup("");
  if (JSON_NODE_HOLDS_VALUE(n)) {
    GType t = json_node_get_value_type(n);
    /* json-glib reads "\222" as an octal escape, so a string of valid JSON text may
     * hold bytes that are not UTF-8: they become U+FFFD */
    if (t == G_TYPE_STRING)
      return g_utf8_make_valid(json_node_get_string(n), -1);
    if (t == G_TYPE_BOOLEAN)
      return g_strdup(json_node_get_boolean(n) ? "да" : "нет");
    if (t == G_TYPE_DOUBLE)
      return g_strdup_printf("%g", json_node_get_double(n));
    return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
  }
  if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING)
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", json_node_get_string(e));
    }
    return g_utf8_make_valid(s->str, (gssize)s->len);
  }
  return g_strdup("");
}

static char *readable_time(const char *text)
{
  gint64 us = 0;
  g_autoptr(GDateTime) utc = NULL, t = NULL;
  if (!okno_time_parse(text, &us))
    return g_strdup(text);
  utc = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  t = utc ? g_date_time_to_timezone(utc, okno_tz_moscow()) : NULL;
  return t ? g_date_time_format(t, "%d.%m.%Y %H:%M") : g_strdup(text);
}

/* The value of `key` shown as `how` says (see the top). */
static char *shown(JsonObject *o, char how, const char *key, OknoDeptName dept, gpointer data)
{
  g_autofree char *v = plain(o, key);
  OknoStatus st;
  if (!*v)
    return g_steal_pointer(&v);
  switch (how) {
  case 's':
    return g_strdup(okno_status_parse(v, &st) ? okno_statuses[st].staff : v);
  case 'd': {
    const char *name = dept ? dept(v, data) : NULL;
    return g_strdup_printf("«%s»", name && *name ? name : v);
  }
  case 't':
    return readable_time(v);
  case '%': { /* a confidence in [0, 1] as a whole percent */
    char *end = NULL;
    double x = g_ascii_strtod(v, &end);
    return end && !*end ? g_strdup_printf("%.0f %%", x * 100) : g_strdup(v);
  }
  case 'p': {
    OknoSlaPeriod p;
    return okno_sla_period_parse_ru(v, &p) ? okno_sla_period_format_ru(&p) : g_strdup(v);
  }
  case 'r':
    for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++)
      if (strcmp(v, reasons[i].en) == 0)
        return g_strdup(reasons[i].ru);
    if (g_str_has_prefix(v, "routed to "))
      return g_strdup_printf("передано в отдел «%s»", v + strlen("routed to "));
    return okno_history_mask(v);
  case 'c':
    return strcmp(okno_history_channel(v), v) ? g_strdup(okno_history_channel(v))
                                              : g_steal_pointer(&v);
  case 'n':
    for (gsize i = 0; i < G_N_ELEMENTS(notices); i++)
      if (strcmp(v, notices[i].name) == 0)
        return g_strdup(notices[i].label);
    return g_strdup_printf("«%s»", v);
  case 'k':
    for (gsize i = 0; i < G_N_ELEMENTS(classes); i++)
      if (strcmp(v, classes[i].name) == 0)
        return g_strdup(classes[i].label);
    return g_steal_pointer(&v);
  default:
    return okno_history_mask(v);
  }
}

/* Expands `pattern` from position *p up to `stop` (']' inside an optional part, '\0'
 * outside); *missing is set when a placeholder had no value. */
static void expand(GString *out, const char **p, char stop, JsonObject *o, OknoDeptName dept,
                   gpointer data, gboolean *missing)
{
  while (**p && **p != stop) {
    if (**p == '[') {
      GString *part = g_string_new(NULL);
      gboolean gone = FALSE;
      (*p)++;
      expand(part, p, ']', o, dept, data, &gone);
      if (**p == ']')
        (*p)++;
      if (!gone)
        g_string_append(out, part->str);
      g_string_free(part, TRUE);
    } else if (**p == '{') {
      const char *close = strchr(*p, '}');
      g_autofree char *spec = g_strndup(*p + 1, (gsize)(close - *p - 1));
      char how = spec[0] && spec[1] == ':' ? spec[0] : 0;
      g_autofree char *v = shown(o, how, how ? spec + 2 : spec, dept, data);
      if (!*v)
        *missing = TRUE;
      g_string_append(out, v);
      *p = close + 1;
    } else {
      g_string_append_c(out, **p);
      (*p)++;
    }
  }
}

static const char *label_of(const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
    if (strcmp(labels[i].key, key) == 0)
      return labels[i].label;
  return key;
}

/* The members of `o` as lines, nested objects prefixed by their parent's label. */
static void flatten(GPtrArray *lines, JsonObject *o, const char *prefix, int depth)
{
  GList *members = json_object_get_members(o);
  for (GList *l = members; l; l = l->next) {
    const char *key = l->data;
    JsonNode *n = json_object_get_member(o, key);
    g_autofree char *name = g_utf8_make_valid(label_of(key), -1); /* as plain()'s strings */
    g_autofree char *label = prefix ? g_strdup_printf("%s / %s", prefix, name) : g_strdup(name);
    if (JSON_NODE_HOLDS_OBJECT(n)) {
      if (depth < 4)
        flatten(lines, json_node_get_object(n), label, depth + 1);
      continue;
    }
    if (JSON_NODE_HOLDS_ARRAY(n)) {
      JsonArray *a = json_node_get_array(n);
      GString *s = g_string_new(NULL);
      for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_OBJECT(e) && depth < 4) {
          g_autofree char *sub = g_strdup_printf("%s %u", label, i + 1);
          flatten(lines, json_node_get_object(e), sub, depth + 1);
        } else if (JSON_NODE_HOLDS_VALUE(e)) {
          g_autoptr(JsonObject) one = json_object_new();
          g_autofree char *v = NULL;
          json_object_set_member(one, "v", json_node_copy(e));
          v = plain(one, "v");
          g_string_append_printf(s, "%s%s", s->len ? ", " : "", v);
        }
      }
      if (s->len) {
        g_autofree char *masked = okno_history_mask(s->str);
        g_ptr_array_add(lines, g_strdup_printf("%s: %s", label, masked));
      }
      g_string_free(s, TRUE);
      continue;
    }
    {
      g_autofree char *v = plain(o, key);
      g_autofree char *masked = okno_history_mask(v);
      if (*v)
        g_ptr_array_add(lines, g_strdup_printf("%s: %s", label, masked));
    }
  }
  g_list_free(members);
}

OknoHistoryLine *okno_history_render(const char *kind, const char *detail, OknoDeptName dept,
                                     gpointer data)
{
  OknoHistoryLine *l = g_new0(OknoHistoryLine, 1);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = NULL;
  const char *pattern = NULL;
  g_autofree char *suggested = NULL;
  GString *s = g_string_new(NULL);
  gboolean missing = FALSE;
  l->lines = g_ptr_array_new_with_free_func(g_free);
  if (detail && *detail && json_parser_load_from_data(parser, detail, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    o = json_node_get_object(json_parser_get_root(parser));
  for (gsize i = 0; kind && i < G_N_ELEMENTS(patterns); i++)
    if (strcmp(patterns[i].kind, kind) == 0)
      pattern = patterns[i].pattern;
  /* `routed` reads three ways: by a rule (the table's), by the learning router
   * (ops/classify.h: "model" and the department), or left in triage (no department). */
  if (kind && strcmp(kind, "routed") == 0 && o) {
    g_autofree char *d = plain(o, "department");
    g_autofree char *model = plain(o, "model");
    if (!*d) {
      JsonNode *n = json_object_get_member(o, "suggestions");
      GString *list = g_string_new(NULL);
      for (guint i = 0; n && JSON_NODE_HOLDS_ARRAY(n) && i < json_array_get_length(json_node_get_array(n)); i++) {
        JsonNode *e = json_array_get_element(json_node_get_array(n), i);
        if (!JSON_NODE_HOLDS_OBJECT(e))
          continue;
        g_autofree char *name = shown(json_node_get_object(e), 'd', "department", dept, data);
        g_autofree char *pct = shown(json_node_get_object(e), '%', "confidence", dept, data);
        if (*name)
          g_string_append_printf(list, "%s%s %s", list->len ? ", " : "", name, pct);
      }
      suggested = g_string_free(list, FALSE);
      json_object_set_string_member(o, "suggested", suggested);
      pattern = "Оставлено в очереди разбора: ни одно правило не подошло[; модель «{model}» не "
                "уверена ({%:confidence}), предлагает: {suggested}].";
    }
    else if (*model)
      pattern = "Передано в отдел {d:department} автоматически: модель «{model}» уверена на "
                "{%:confidence}[ (слова: {why})].";
  }
  if (pattern) {
    const char *p = pattern;
    expand(s, &p, '\0', o, dept, data, &missing);
  } else {
    g_autofree char *k = okno_history_mask(kind ? kind : "");
    g_string_append_printf(s, "Событие «%s».", k);
  }
  if (s->len && !strchr(".!?", s->str[s->len - 1]))
    g_string_append_c(s, '.'); /* a note's text ends as its author wrote it */
  l->sentence = g_string_free(s, FALSE);
  if (suggested)
    json_object_remove_member(o, "suggested"); /* the sentence's alone */
  if (o)
    flatten(l->lines, o, NULL, 0);
  return l;
}
