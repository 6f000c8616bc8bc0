/* appeal/deadline.c: not written yet (placeholder during the first build). */
