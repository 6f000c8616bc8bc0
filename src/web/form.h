/* form.h: a submitted HTML form (or API form post), checked and capped.
 *
 * okno_form_parse() takes the Content-Type header and the body bytes of a request,
 * bytes in and a record out (no store, no keys), and returns the text fields and the
 * uploaded files. libsoup does the syntax: soup_form_decode() for
 * application/x-www-form-urlencoded and SoupMultipart for multipart/form-data; this
 * module adds what a server must not trust a client with:
 *  - every field name and text value must be valid UTF-8 without NUL bytes;
 *  - caps: OKNO_FORM_MAX_FIELDS fields, OKNO_FORM_MAX_VALUE bytes per text value,
 *    OKNO_FORM_MAX_FILES files, OKNO_FORM_MAX_NAME bytes per field name;
 *  - a multipart part needs Content-Disposition: form-data with a name; a part with a
 *    filename is a file (an empty file input, filename "" and no bytes, is dropped);
 *  - file names are reduced to their last path component, control characters removed.
 * A repeated text field keeps its last value. Errors are OKNO_ERROR_USER with a Russian
 * sentence for the citizen (answered 400 by the server). Pure, thread-safe. */
#pragma once
#include <glib.h>

#define OKNO_FORM_MAX_FIELDS 64
#define OKNO_FORM_MAX_VALUE (256 * 1024)
#define OKNO_FORM_MAX_FILES 10
#define OKNO_FORM_MAX_NAME 64

typedef struct {
  char *field;         /* the form field it came in */
  char *filename;      /* UTF-8, last path component, "" if none */
  char *content_type;  /* as the client declared it, "" if none (never trusted) */
  GBytes *data;
} OknoUpload;

typedef struct {
  GHashTable *fields;  /* char* -> char* (UTF-8) */
  GPtrArray *files;    /* OknoUpload*, in order */
} OknoForm;

OknoForm *okno_form_new(void);
void okno_form_free(OknoForm *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoForm, okno_form_free)

/* Parses `body` as the form of `content_type` (the whole header value, parameters
 * included). Returns a new form, or NULL with OKNO_ERROR_USER. A content type that is
 * neither form encoding gives OKNO_ERROR_PERM ("unsupported", answered 415). */
OknoForm *okno_form_parse(const char *content_type, GBytes *body, GError **error);

/* Total bytes of all uploaded files. */
gsize okno_form_files_size(const OknoForm *f);
