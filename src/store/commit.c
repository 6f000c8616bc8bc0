/* store/commit.c: not written yet (placeholder during the first build). */
