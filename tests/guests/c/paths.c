/*
 * paths: path_* operations from a non-Go toolchain (zig cc, wasi-libc), printing a transcript.
 *
 * Usage: paths DIR
 *
 * DIR is a writable preopen (guest path). The harness plants DIR/input.txt ("from host\n") and
 * a file secret.txt ("SECRET\n") in the host directory *above* the preopen. The program makes
 * directories, creates, writes, renames, links, symlinks, reads links, stats, lists and unlinks
 * entries under DIR/t, and then tries to reach the secret file through "..", absolute paths and
 * symlinks using openat() on a directory fd (wasi-libc passes those paths verbatim to
 * path_open). Every value printed comes from a call's result. The last line is
 * "failures=<n> escapes=<n>"; the exit status is 1 if either is non-zero.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures, escapes;
static char dir[256];

static const char *p(const char *rel) {
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, rel);
    return buf[i];
}

#define CHECK(what, cond)                                                        \
    do {                                                                         \
        if (!(cond)) {                                                           \
            failures++;                                                          \
            printf("FAIL %s: %s\n", what, strerror(errno));                      \
        }                                                                        \
    } while (0)

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *rel) {
    DIR *d = opendir(p(rel));
    CHECK("opendir", d != NULL);
    if (!d) return;
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        char kind = e->d_type == DT_DIR ? 'd' : e->d_type == DT_LNK ? 'l' : e->d_type == DT_REG ? 'f' : '?';
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%c:%s", kind, e->d_name);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("list %s:", rel);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void escape_attempt(int dfd, const char *rel, int flags) {
    int fd = openat(dfd, rel, flags, 0644);
    if (fd < 0) {
        printf("DENIED openat %s\n", rel);
        return;
    }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    escapes++;
    printf("ESCAPED openat %s: read %zd bytes\n", rel, n);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: paths DIR\n");
        return 64;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    struct stat st;
    char buf[256];

    /* A file planted by the host. */
    FILE *in = fopen(p("input.txt"), "r");
    CHECK("fopen input.txt", in != NULL);
    if (in) {
        size_t n = fread(buf, 1, sizeof buf - 1, in);
        buf[n] = 0;
        fclose(in);
        printf("input: %zu bytes: %s", n, buf);
    }

    CHECK("mkdir t", mkdir(p("t"), 0755) == 0);
    CHECK("mkdir t/sub", mkdir(p("t/sub"), 0755) == 0);
    errno = 0;
    int r = mkdir(p("t"), 0755);
    printf("mkdir existing: %d %s\n", r, errno == EEXIST ? "EEXIST" : strerror(errno));

    int fd = open(p("t/a.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK("open create", fd >= 0);
    ssize_t w = write(fd, "abcdef", 6);
    printf("write: %zd\n", w);
    CHECK("close", close(fd) == 0);

    CHECK("stat", stat(p("t/a.txt"), &st) == 0);
    printf("stat a.txt: size=%lld reg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    CHECK("stat dir", stat(p("t/sub"), &st) == 0);
    printf("stat sub: dir=%d\n", S_ISDIR(st.st_mode));

    CHECK("rename", rename(p("t/a.txt"), p("t/sub/b.txt")) == 0);
    errno = 0;
    r = stat(p("t/a.txt"), &st);
    printf("stat old name: %d %s\n", r, errno == ENOENT ? "ENOENT" : strerror(errno));

    CHECK("link", link(p("t/sub/b.txt"), p("t/hard.txt")) == 0);
    CHECK("stat hard", stat(p("t/hard.txt"), &st) == 0);
    printf("hard link: nlink=%llu size=%lld\n", (unsigned long long)st.st_nlink, (long long)st.st_size);

    CHECK("symlink", symlink("sub/b.txt", p("t/sym")) == 0);
    ssize_t len = readlink(p("t/sym"), buf, sizeof buf - 1);
    CHECK("readlink", len >= 0);
    if (len >= 0) buf[len] = 0;
    printf("readlink: %zd %s\n", len, len >= 0 ? buf : "");
    CHECK("lstat", lstat(p("t/sym"), &st) == 0);
    printf("lstat sym: link=%d\n", S_ISLNK(st.st_mode));
    CHECK("stat sym", stat(p("t/sym"), &st) == 0);
    printf("stat sym: reg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    fd = open(p("t/sym"), O_RDONLY);
    CHECK("open via symlink", fd >= 0);
    len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len >= 0) buf[len] = 0;
    printf("read via symlink: %s\n", len >= 0 ? buf : "");

    /* Opening a directory without O_DIRECTORY for writing fails with EISDIR. */
    errno = 0;
    fd = open(p("t/sub"), O_WRONLY);
    printf("open dir for write: %d %s\n", fd < 0 ? -1 : 0, errno == EISDIR ? "EISDIR" : strerror(errno));
    if (fd >= 0) close(fd);

    list("t");
    list("t/sub");

    errno = 0;
    r = rmdir(p("t/sub"));
    printf("rmdir non-empty: %d %s\n", r, errno == ENOTEMPTY ? "ENOTEMPTY" : strerror(errno));
    errno = 0;
    r = unlink(p("t/sub"));
    printf("unlink dir: %d %s\n", r, r == 0 ? "ok" : "error");
    CHECK("unlink sym", unlink(p("t/sym")) == 0);
    CHECK("unlink hard", unlink(p("t/hard.txt")) == 0);
    CHECK("unlink b", unlink(p("t/sub/b.txt")) == 0);
    CHECK("rmdir sub", rmdir(p("t/sub")) == 0);
    list("t");
    CHECK("rmdir t", rmdir(p("t")) == 0);
    errno = 0;
    r = stat(p("t"), &st);
    printf("stat removed: %d %s\n", r, errno == ENOENT ? "ENOENT" : strerror(errno));

    /* Escape attempts, relative to a directory fd. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK("open preopen dir", dfd >= 0);
    CHECK("mkdir esc", mkdir(p("esc"), 0755) == 0);
    /* The host may refuse to create symlinks that point outside; either way they must not
     * lead anywhere outside. */
    (void)symlink("../secret.txt", p("esc_up"));
    (void)symlink("/secret.txt", p("esc_abs"));
    (void)symlink("..", p("esc_parent"));
    escape_attempt(dfd, "../secret.txt", O_RDONLY);
    escape_attempt(dfd, "esc/../../secret.txt", O_RDONLY);
    escape_attempt(dfd, "/secret.txt", O_RDONLY);
    escape_attempt(dfd, "esc_up", O_RDONLY);
    escape_attempt(dfd, "esc_abs", O_RDONLY);
    escape_attempt(dfd, "esc_parent/secret.txt", O_RDONLY);
    escape_attempt(dfd, "esc_parent/", O_RDONLY | O_DIRECTORY);
    escape_attempt(dfd, "../c_created.txt", O_WRONLY | O_CREAT);
    escape_attempt(dfd, "esc_parent/c_created.txt", O_WRONLY | O_CREAT);
    errno = 0;
    r = mkdirat(dfd, "../c_dir", 0755);
    printf("%s mkdirat ../c_dir\n", r == 0 ? "ESCAPED" : "DENIED");
    if (r == 0) escapes++;
    r = renameat(dfd, "input.txt", dfd, "../c_renamed.txt");
    printf("%s renameat input.txt ../c_renamed.txt\n", r == 0 ? "ESCAPED" : "DENIED");
    if (r == 0) escapes++;
    r = fstatat(dfd, "../secret.txt", &st, 0);
    printf("%s fstatat ../secret.txt\n", r == 0 ? "ESCAPED" : "DENIED");
    if (r == 0) escapes++;
    close(dfd);

    printf("failures=%d escapes=%d\n", failures, escapes);
    return failures || escapes ? 1 : 0;
}
