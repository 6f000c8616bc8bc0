/* migrations.h: the ordered schema steps of one backend (see migrations.c).
 * Step i (0-based) brings the schema to version i + 1. Static data, not to be freed. */
#pragma once
#include <glib.h>

const char *const *okno_migrations(const char *driver, guint *count);
