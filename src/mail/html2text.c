/* mail/html2text.c: not written yet (placeholder during the first build). */
