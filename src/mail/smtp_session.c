/* mail/smtp_session.c: not written yet (placeholder during the first build). */
