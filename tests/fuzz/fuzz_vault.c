/* fuzz_vault.c: fuzz driver for the key file's parser and the decoding of sealed text
 * (core/vault.h).
 *
 * Feeds the input to okno_vault_parse (a parsed key file has a current epoch among its
 * epochs, and wraps and unwraps a data key under it), and to the sealed-text decoding
 * with a fixed data key (a forged value never opens, and never crashes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(OknoVault) v = okno_vault_parse("fuzz", text, NULL);
  static const guint8 dk[OKNO_VAULT_KEY_LEN] = {1, 2, 3};
  g_autofree char *opened = NULL;

  if (v) {
    guint8 k[OKNO_VAULT_KEY_LEN], back[OKNO_VAULT_KEY_LEN];
    gint64 id, epoch = okno_vault_current_epoch(v);
    g_autoptr(GArray) epochs = okno_vault_epochs(v);
    g_autoptr(GBytes) w = NULL;
    gboolean found = FALSE;
    for (guint i = 0; i < epochs->len; i++)
      found |= g_array_index(epochs, gint64, i) == epoch;
    if (!found)
      abort();
    okno_vault_new_data_key(k, &id);
    w = okno_vault_wrap(v, epoch, id, k, NULL);
    if (!w || !okno_vault_unwrap(v, epoch, id, w, back, NULL) || memcmp(k, back, sizeof k))
      abort();
  }
  (void)okno_vault_sealed_text_key_id(text);
  opened = okno_vault_open_text(dk, "okno-text", text, NULL);
  if (opened) /* only a value sealed under dk opens, and fuzz input is not one */
    abort();
  return 0;
}
