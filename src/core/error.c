/* error.c: the OKNO_ERROR domain (see error.h). */
#include "core/error.h"

G_DEFINE_QUARK(okno-error-quark, okno_error)

int okno_error_exit_code(const GError *err)
{
  if (err && err->domain == OKNO_ERROR &&
      (err->code == OKNO_ERROR_USER || err->code == OKNO_ERROR_PERM))
    return 1;
  return 2;
}
