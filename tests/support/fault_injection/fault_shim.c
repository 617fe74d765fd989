/* fault_shim: an LD_PRELOAD library that makes chosen file-system calls of
 * the process it is loaded into fail, for fault-injection tests of the real
 * riskd binary (disk errors, a full disk, a read-only file system) without
 * touching riskd's code. See README.md beside this file.
 *
 * Control file: the path in $RISKD_FAULTS, re-read whenever its modification
 * time changes (so a test arms faults while the process runs). One rule per
 * line:
 *     CALL  PATH_SUFFIX  ERRNO  COUNT
 *   CALL         fdatasync, fsync, write, pwrite (pwrite64), open (openat
 *                with O_WRONLY/O_RDWR/O_CREAT)
 *   PATH_SUFFIX  the rule applies to files whose path ends with it ("*": any)
 *   ERRNO        EIO, ENOSPC, EROFS, EDQUOT or a number
 *   COUNT        how many calls fail, or "always"
 * Lines starting with '#' are comments. A failing write or pwrite writes
 * nothing. Each injected failure appends a line to $RISKD_FAULTS.log (if
 * set), so a test can prove the fault happened.
 *
 * Thread-safety: a mutex around the rules; the real calls run unlocked. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 32

struct rule {
  char call[16];
  char suffix[256];
  int err;
  long count; /* -1: always */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rule g_rules[MAX_RULES];
static int g_nrules;
/* What the rules were read from: a rewrite within one clock tick of the
 * kernel's coarse file timestamps keeps the mtime, so the inode and size
 * count too (a test that truncates the file and then writes it must never
 * leave the empty version cached). */
static struct timespec g_mtime;
static ino_t g_ino;
static off_t g_size = -1;

static int parse_errno(const char* s) {
  if (!strcmp(s, "EIO")) return EIO;
  if (!strcmp(s, "ENOSPC")) return ENOSPC;
  if (!strcmp(s, "EROFS")) return EROFS;
  if (!strcmp(s, "EDQUOT")) return EDQUOT;
  return atoi(s);
}

/* Re-reads the control file if it changed. REQUIRES: g_mu held. */
static void reload_rules(void) {
  const char* path = getenv("RISKD_FAULTS");
  struct stat st;
  if (!path || stat(path, &st) != 0) {
    g_nrules = 0;
    return;
  }
  if (st.st_mtim.tv_sec == g_mtime.tv_sec && st.st_mtim.tv_nsec == g_mtime.tv_nsec &&
      st.st_ino == g_ino && st.st_size == g_size) {
    return;
  }
  g_mtime = st.st_mtim;
  g_ino = st.st_ino;
  g_size = st.st_size;
  g_nrules = 0;
  FILE* f = fopen(path, "r");
  if (!f) return;
  char line[512];
  while (g_nrules < MAX_RULES && fgets(line, sizeof line, f)) {
    char call[16], suffix[256], err[32], count[32];
    if (line[0] == '#' || sscanf(line, "%15s %255s %31s %31s", call, suffix, err, count) != 4)
      continue;
    struct rule* r = &g_rules[g_nrules++];
    snprintf(r->call, sizeof r->call, "%s", call);
    snprintf(r->suffix, sizeof r->suffix, "%s", suffix);
    r->err = parse_errno(err);
    r->count = strcmp(count, "always") ? atol(count) : -1;
  }
  fclose(f);
}

static int ends_with(const char* s, const char* suffix) {
  if (!strcmp(suffix, "*")) return 1;
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static void note(const char* call, const char* path, int err) {
  const char* faults = getenv("RISKD_FAULTS");
  if (!faults) return;
  char log[600];
  snprintf(log, sizeof log, "%s.log", faults);
  FILE* f = fopen(log, "a");
  if (!f) return;
  fprintf(f, "%s %s %s\n", call, path, strerror(err));
  fclose(f);
}

/* The errno to fail `call` on `path` with, or 0. */
static int should_fail(const char* call, const char* path) {
  int err = 0;
  pthread_mutex_lock(&g_mu);
  reload_rules();
  for (int i = 0; i < g_nrules; ++i) {
    struct rule* r = &g_rules[i];
    if (strcmp(r->call, call) || r->count == 0 || !ends_with(path, r->suffix)) continue;
    if (r->count > 0) --r->count;
    err = r->err;
    break;
  }
  pthread_mutex_unlock(&g_mu);
  if (err) note(call, path, err);
  return err;
}

static int fd_fails(const char* call, int fd) {
  char link[64], path[512];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return should_fail(call, path);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int fdatasync(int fd) {
  int err = fd_fails("fdatasync", fd);
  if (err) return errno = err, -1;
  return REAL(fdatasync)(fd);
}

int fsync(int fd) {
  int err = fd_fails("fsync", fd);
  if (err) return errno = err, -1;
  return REAL(fsync)(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  int err = fd > 2 ? fd_fails("write", fd) : 0;
  if (err) return errno = err, -1;
  return REAL(write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  int err = fd_fails("pwrite", fd);
  if (err) return errno = err, -1;
  return REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  int err = fd_fails("pwrite", fd);
  if (err) return errno = err, -1;
  return REAL(pwrite64)(fd, buf, n, off);
}

int open64(const char* path, int flags, ...);

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

static int open_fails(const char* path, int flags) {
  return (flags & (O_WRONLY | O_RDWR | O_CREAT)) ? should_fail("open", path) : 0;
}

/* open, open64, openat: the same wrapper around each real call. */
#define OPEN_WRAPPER(signature, real_call) \
  signature {                              \
    va_list ap;                            \
    va_start(ap, flags);                   \
    mode_t mode = mode_arg(flags, ap);     \
    va_end(ap);                            \
    int err = open_fails(path, flags);     \
    if (err) return errno = err, -1;       \
    return real_call;                      \
  }

OPEN_WRAPPER(int open(const char* path, int flags, ...), REAL(open)(path, flags, mode))
OPEN_WRAPPER(int open64(const char* path, int flags, ...), REAL(open64)(path, flags, mode))
OPEN_WRAPPER(int openat(int dirfd, const char* path, int flags, ...),
             REAL(openat)(dirfd, path, flags, mode))
