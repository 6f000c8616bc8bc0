/* intake/receipt.c: not written yet (placeholder during the first build). */
