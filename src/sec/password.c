/* password.c: the staff password policy, Argon2id hashing and generated passwords
 * (see password.h). libsodium does the cryptography; this file adds the policy, whose
 * common-password list is read once from the data directory's passwords/common.txt
 * (core/paths.h). */
#include "sec/password.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.h"
#include "core/paths.h"

#define MIN_CHARS 8
#define MAX_BYTES 1024

static GHashTable *common_set; /* lowercase password -> itself */

static gpointer load_common(gpointer unused)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *path = okno_data_file("passwords/common.txt");
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (!g_file_get_contents(path, &text, NULL, NULL))
    g_error("okno: %s is missing: the installation is broken", path);
  lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *w = g_strstrip(*l);
    if (*w && *w != '#')
      g_hash_table_add(set, g_utf8_strdown(w, -1));
  }
  common_set = set;
  return set;
}

static gboolean is_common(const char *password)
{
  static GOnce once = G_ONCE_INIT;
  g_autofree char *low = g_utf8_strdown(password, -1);
  g_once(&once, load_common, NULL);
  return g_hash_table_contains(common_set, low);
}

gboolean okno_password_check(const char *password, GError **error)
{
  gboolean upper = FALSE, lower = FALSE, digit = FALSE, special = FALSE;
  g_autoptr(GPtrArray) missing = g_ptr_array_new();
  g_autofree char *list = NULL;

  if (!password || !g_utf8_validate(password, -1, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Пароль не подходит: он не в кодировке UTF-8.");
    return FALSE;
  }
  if (strlen(password) > MAX_BYTES) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Пароль не подходит: он длиннее %d байт.", MAX_BYTES);
    return FALSE;
  }
  for (const char *p = password; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_isupper(c))
      upper = TRUE;
    else if (g_unichar_islower(c))
      lower = TRUE;
    else if (g_unichar_isdigit(c))
      digit = TRUE;
    else if (!g_unichar_isalpha(c) && !g_unichar_isspace(c))
      special = TRUE;
  }
  if (g_utf8_strlen(password, -1) < MIN_CHARS)
    g_ptr_array_add(missing, "не менее 8 символов");
  if (!upper)
    g_ptr_array_add(missing, "хотя бы одна заглавная буква");
  if (!lower)
    g_ptr_array_add(missing, "хотя бы одна строчная буква");
  if (!digit)
    g_ptr_array_add(missing, "хотя бы одна цифра");
  if (!special)
    g_ptr_array_add(missing, "хотя бы один специальный символ (например, ! # % + - = ? @ _)");
  if (missing->len) {
    g_ptr_array_add(missing, NULL);
    list = g_strjoinv(", ", (char **)missing->pdata);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Пароль не подходит: нужно %s.", list);
    return FALSE;
  }
  if (is_common(password)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Пароль не подходит: он есть в списке распространённых паролей, "
                "которые подбирают первыми. Придумайте другой.");
    return FALSE;
  }
  return TRUE;
}

static gboolean sodium_ready(void)
{
  static gsize done = 0;
  static gboolean ok = FALSE;
  if (g_once_init_enter(&done)) {
    ok = sodium_init() >= 0;
    g_once_init_leave(&done, 1);
  }
  return ok;
}

/* Argon2id runs on its own threads, at most (cores - 1) of them and at least one, each
 * at a lower scheduling priority (nice HASHER_NICE) than the rest of the process: a
 * burst of sign-ins (each 2 passes over 64 MiB, ~180 ms of a core) queues here, and
 * while it is worked off the kernel still gives the mail listener, the group commit
 * and the web's other requests the cores first (bench/signin measures the effect).
 * The pool is exclusive (its threads never run other pools' work, so their priority
 * does not leak) and made at the first hash, after any fork of the process. */
#define HASHER_NICE 10

typedef struct {
  const char *password;
  const char *hash;     /* verify this hash; NULL: make one into out */
  char out[crypto_pwhash_STRBYTES];
  int rc;
  gboolean done;
  GMutex lock;
  GCond cond;
} HashJob;

static void hasher(gpointer data, gpointer unused)
{
  static __thread gboolean niced;
  HashJob *job = data;
  int rc;
  (void)unused;
  if (!niced) {
    /* This thread only: on Linux a tid names one thread for setpriority. Failure
     * (a seccomp filter, say) leaves the normal priority, which is still correct. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HASHER_NICE) != 0)
      g_debug("password: the hashing thread keeps its priority: %s", g_strerror(errno));
    niced = TRUE;
  }
  if (job->hash)
    rc = crypto_pwhash_str_verify(job->hash, job->password, strlen(job->password));
  else
    rc = crypto_pwhash_str(job->out, job->password, strlen(job->password),
                           crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  g_mutex_lock(&job->lock);
  job->rc = rc;
  job->done = TRUE;
  g_cond_signal(&job->cond);
  g_mutex_unlock(&job->lock);
}

static gpointer hashers_new(gpointer unused)
{
  (void)unused;
  return g_thread_pool_new(hasher, NULL, (gint)MAX(1, g_get_num_processors() - 1), TRUE, NULL);
}

/* Runs `job` on a hashing thread and waits for it; returns libsodium's result. */
static int hash_on_hasher(HashJob *job)
{
  static GOnce once = G_ONCE_INIT;
  GThreadPool *pool = g_once(&once, hashers_new, NULL);
  job->rc = -1;
  job->done = FALSE;
  g_mutex_init(&job->lock);
  g_cond_init(&job->cond);
  if (!pool || !g_thread_pool_push(pool, job, NULL))
    hasher(job, NULL); /* no thread could be made: hash here rather than fail */
  g_mutex_lock(&job->lock);
  while (!job->done)
    g_cond_wait(&job->cond, &job->lock);
  g_mutex_unlock(&job->lock);
  g_cond_clear(&job->cond);
  g_mutex_clear(&job->lock);
  return job->rc;
}

char *okno_password_hash(const char *password, GError **error)
{
  HashJob job = { .password = password };
  if (!sodium_ready() || hash_on_hasher(&job) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "password hashing failed (not enough memory for Argon2id?)");
    return NULL;
  }
  return g_strdup(job.out);
}

gboolean okno_password_verify(const char *hash, const char *password)
{
  HashJob job = { .password = password, .hash = hash };
  if (!hash || !*hash || !password || !sodium_ready() ||
      strlen(hash) >= crypto_pwhash_STRBYTES)
    return FALSE;
  return hash_on_hasher(&job) == 0;
}

gboolean okno_password_needs_rehash(const char *hash)
{
  if (!hash || !sodium_ready())
    return TRUE;
  return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

char *okno_password_generate(void)
{
  static const char *const classes[] = {
    "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@_",
  };
  static const char all[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-=?@_";
  char out[17];
  g_assert(sodium_ready());
  do {
    /* One character of each class first, the rest from all, then a shuffle. */
    for (guint i = 0; i < 16; i++) {
      const char *set = i < G_N_ELEMENTS(classes) ? classes[i] : all;
      out[i] = set[randombytes_uniform((uint32_t)strlen(set))];
    }
    for (guint i = 15; i > 0; i--) {
      guint j = randombytes_uniform(i + 1);
      char t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    out[16] = '\0';
  } while (!okno_password_check(out, NULL));
  return g_strdup(out);
}
