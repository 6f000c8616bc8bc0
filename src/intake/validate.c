/* intake/validate.c: not written yet (placeholder during the first build). */
