/* intake/pipeline.c: not written yet (placeholder during the first build). */
