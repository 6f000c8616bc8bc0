/* paths.h: where okno's shipped data lives (templates, static files, the production
 * calendar, the common-password list).
 *
 * The data directory is looked up once, in this order:
 *  1. $OKNO_DATA_DIR, when set and non-empty (an operator's or a test's override);
 *  2. next to the running binary: <dir of /proc/self/exe>/OKNO_BIN_TO_DATA, i.e.
 *     ../share/okno for the default layout (bin/okno, share/okno). This makes an
 *     installed tree relocatable (a .deb extracted anywhere, `meson install --destdir`)
 *     and lets a binary in the build tree find the source tree's data through the
 *     build's share/okno (symlinks meson makes at configure time);
 *  3. the installed OKNO_PKGDATADIR (datadir/okno of the configured prefix).
 * A candidate counts when it holds calendar/ru.txt. The binary therefore holds no path of
 * the build or the source tree. Inside: calendar/ru.txt, passwords/common.txt, web/
 * (templates and web/static/). Thread-safe; the result lives as long as the process. */
#pragma once
#include <glib.h>

/* The data directory (never NULL: the installed one when nothing else is found). */
const char *okno_data_dir(void);
/* okno_data_dir()/rel. Caller frees. */
char *okno_data_file(const char *rel);
