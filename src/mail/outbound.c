/* mail/outbound.c: not written yet (placeholder during the first build). */
