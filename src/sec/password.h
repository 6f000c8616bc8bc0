/* password.h: staff passwords: the policy, Argon2id hashing, one-time passwords.
 *
 * Hashing is libsodium's crypto_pwhash_str (Argon2id, a random 16-byte salt, the
 * parameters written into the "$argon2id$v=19$m=...,t=...,p=1$..." string), with the
 * INTERACTIVE limits: 2 passes over 64 MiB (docs/security.md). A hash made with other
 * limits still verifies; okno_password_needs_rehash() says when to re-hash it at the
 * next successful sign-in.
 *
 * The policy: at least 8 characters (Unicode characters, not bytes), at most 1024
 * bytes, with an upper-case letter, a lower-case letter (Latin or Cyrillic), a digit
 * and a special character (anything that is not a letter, digit or space), and not
 * one of the common passwords shipped in data/passwords/common.txt (compared without
 * case). Thread-safe (the list is loaded once). */
#pragma once
#include <glib.h>

/* TRUE when `password` meets the policy. Otherwise FALSE with OKNO_ERROR_USER and one
 * Russian sentence saying everything that is missing, e.g. «Пароль не подходит: нужно
 * не менее 8 символов, хотя бы одна цифра.» */
gboolean okno_password_check(const char *password, GError **error);

/* The Argon2id hash string of `password` (caller frees), or NULL with
 * OKNO_ERROR_INTERNAL (out of memory for the 64 MiB). Does not check the policy. */
char *okno_password_hash(const char *password, GError **error);

/* TRUE when `password` matches `hash` (constant time inside libsodium). A NULL, empty
 * or malformed hash matches nothing. Thread-safe. Hashing and verifying run on the
 * process's hashing threads, at most (cores - 1) of them (at least one) at a lower
 * scheduling priority, and the caller waits: a burst of sign-ins queues rather than
 * taking the cores from the mail. */
gboolean okno_password_verify(const char *hash, const char *password);

/* TRUE when `hash` was made with other parameters than okno_password_hash uses now. */
gboolean okno_password_needs_rehash(const char *hash);

/* A fresh random password of 16 characters that meets the policy (letters without the
 * look-alikes I, l, O, 0, 1, digits, and specials from "!#%+-=?@_"), for the first
 * sign-in; caller frees. */
char *okno_password_generate(void);
