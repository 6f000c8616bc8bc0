/* mail/smtp_client.c: not written yet (placeholder during the first build). */
