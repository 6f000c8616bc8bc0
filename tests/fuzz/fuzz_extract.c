/* fuzz_extract.c: fuzz driver for identifier extraction (intake/extract.h).
 *
 * Runs okno_extract on the input and checks what must hold for any text: every
 * value is non-empty valid UTF-8, phones are "+" and 8-15 digits, INN and SNILS
 * are 10/12 and 11 digits whose `valid` flag agrees with the checks on their own,
 * appeal numbers re-parse with number.h to themselves with the same verdict,
 * e-mails have one '@' with text on both sides, and no value is reported twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "appeal/number.h"
#include "intake/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean digits_only(const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isdigit(*s))
      return FALSE;
  return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(GPtrArray) found = okno_extract(text);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < found->len; i++) {
    const OknoExtracted *e = found->pdata[i];
    gsize n = strlen(e->value);
    char *key = g_strdup_printf("%s:%s", okno_id_kind_name(e->kind), e->value);
    if (n == 0 || !g_utf8_validate(e->value, -1, NULL) || !g_hash_table_add(seen, key))
      abort();
    switch (e->kind) {
    case OKNO_ID_PHONE:
      if (e->value[0] != '+' || n < 9 || n > 16 || !digits_only(e->value + 1) || !e->valid)
        abort();
      break;
    case OKNO_ID_INN:
      if ((n != 10 && n != 12) || !digits_only(e->value) || e->valid != okno_inn_valid(e->value))
        abort();
      break;
    case OKNO_ID_SNILS:
      if (n != 11 || !digits_only(e->value) || e->valid != okno_snils_valid(e->value))
        abort();
      break;
    case OKNO_ID_APPEAL: {
      g_autofree char *again = NULL;
      gboolean ok = !e->valid;
      if (!okno_number_parse(e->value, &again, &ok) || strcmp(again, e->value) != 0 ||
          ok != e->valid)
        abort();
      break;
    }
    case OKNO_ID_EMAIL: {
      const char *at = strchr(e->value, '@');
      if (!at || at == e->value || !at[1] || strchr(at + 1, '@') || !e->valid)
        abort();
      break;
    }
    default:
      abort();
    }
  }
  return 0;
}
