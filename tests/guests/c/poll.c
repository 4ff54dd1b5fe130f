/*
 * poll: poll() on stdin and on a regular file, clock sleeps and the CPU-time clocks, from a
 * non-Go toolchain (zig cc, wasi-libc: poll() and nanosleep() become poll_oneoff).
 *
 * Usage: poll [FILE]
 *
 * Protocol with the harness (which holds stdin's write end):
 *   1. prints "phase1" and polls stdin for 200 ms while nothing is written: must time out.
 *      Prints "poll timeout: rc=0 elapsed_ok=<waited at least 200 ms>".
 *   2. prints "waiting": the harness sends "ping\n" after a delay; poll(stdin, 10 s) must
 *      return 1 with POLLIN; the program reads the line and prints
 *      "poll ready: rc=1 pollin=1 line=ping".
 *   3. nanosleep(300 ms) measured with CLOCK_MONOTONIC: "nanosleep ok=1".
 *   4. clock_nanosleep(CLOCK_REALTIME, 100 ms) and CLOCK_MONOTONIC absolute deadlines.
 *   5. CPU-time clocks: CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID increase after
 *      busy work, and did not advance by the full wall time slept (no spinning).
 *   6. with FILE: poll on a regular file reports POLLIN at once.
 *   7. the harness closes stdin: poll reports POLLIN or POLLHUP and read returns 0 (EOF).
 * Each check that fails prints a line starting with "FAIL"; the last line is "failures=<n>".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int failures;

/* wasi-libc hides the CPU-time clocks from <time.h>; read them with the raw import. */
static int64_t wasi_clock(__wasi_clockid_t id) {
    __wasi_timestamp_t t = 0;
    __wasi_errno_t e = __wasi_clock_time_get(id, 1, &t);
    if (e != 0) {
        printf("FAIL clock_time_get(%d): errno %d\n", (int)id, (int)e);
        failures++;
    }
    return (int64_t)t;
}

static int64_t now_ns(clockid_t clk) {
    struct timespec ts;
    if (clock_gettime(clk, &ts) != 0) {
        printf("FAIL clock_gettime(%d): %s\n", (int)clk, strerror(errno));
        failures++;
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void expect(const char *what, int cond) {
    if (!cond) {
        failures++;
        printf("FAIL %s\n", what);
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct pollfd pfd = {.fd = 0, .events = POLLIN};

    /* 1. Timeout while nothing is written. */
    printf("phase1\n");
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int rc = poll(&pfd, 1, 200);
    int64_t waited = now_ns(CLOCK_MONOTONIC) - t0;
    printf("poll timeout: rc=%d elapsed_ok=%d\n", rc, waited >= 200000000);
    expect("poll timeout rc", rc == 0);

    /* 2. Input arrives while we wait. */
    printf("waiting\n");
    pfd.revents = 0;
    rc = poll(&pfd, 1, 10000);
    char line[64] = {0};
    ssize_t n = rc == 1 ? read(0, line, sizeof line - 1) : -1;
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
    printf("poll ready: rc=%d pollin=%d line=%s\n", rc, (pfd.revents & POLLIN) != 0, n > 0 ? line : "");
    expect("poll ready rc", rc == 1);

    /* 3. nanosleep. */
    int64_t cpu0 = wasi_clock(__WASI_CLOCKID_PROCESS_CPUTIME_ID);
    t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec d = {.tv_sec = 0, .tv_nsec = 300000000};
    rc = nanosleep(&d, NULL);
    waited = now_ns(CLOCK_MONOTONIC) - t0;
    printf("nanosleep ok=%d\n", rc == 0 && waited >= 300000000);

    /* 4. clock_nanosleep relative (realtime) and absolute (monotonic). */
    t0 = now_ns(CLOCK_MONOTONIC);
    d.tv_nsec = 100000000;
    rc = clock_nanosleep(CLOCK_REALTIME, 0, &d, NULL);
    waited = now_ns(CLOCK_MONOTONIC) - t0;
    printf("clock_nanosleep realtime relative ok=%d\n", rc == 0 && waited >= 100000000);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 150000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    int64_t after = now_ns(CLOCK_MONOTONIC);
    int64_t dl = (int64_t)deadline.tv_sec * 1000000000 + deadline.tv_nsec;
    printf("clock_nanosleep monotonic absolute ok=%d\n", rc == 0 && after >= dl);
    int64_t cpu_sleep = wasi_clock(__WASI_CLOCKID_PROCESS_CPUTIME_ID) - cpu0;
    printf("cpu while sleeping 550ms below 200ms: %d\n", cpu_sleep < 200000000);

    /* 5. CPU clocks advance with work. */
    struct timespec res;
    __wasi_timestamp_t cpu_res = 0;
    expect("clock_res_get process cputime",
           __wasi_clock_res_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, &cpu_res) == 0 && cpu_res > 0);
    expect("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0));
    int64_t p0 = wasi_clock(__WASI_CLOCKID_PROCESS_CPUTIME_ID), th0 = wasi_clock(__WASI_CLOCKID_THREAD_CPUTIME_ID);
    volatile uint64_t acc = 0;
    int64_t spin_start = now_ns(CLOCK_MONOTONIC);
    while (now_ns(CLOCK_MONOTONIC) - spin_start < 50000000) {
        for (int i = 0; i < 1000; i++) acc += (uint64_t)i * 2654435761u;
    }
    int64_t p1 = wasi_clock(__WASI_CLOCKID_PROCESS_CPUTIME_ID), th1 = wasi_clock(__WASI_CLOCKID_THREAD_CPUTIME_ID);
    printf("cpu clocks advance: process=%d thread=%d\n", p1 > p0, th1 > th0);

    /* 6. Regular files are always ready. */
    if (argc > 1) {
        int fd = open(argv[1], O_RDONLY);
        expect("open file", fd >= 0);
        struct pollfd fp = {.fd = fd, .events = POLLIN};
        rc = poll(&fp, 1, 1000);
        printf("poll file: rc=%d pollin=%d\n", rc, (fp.revents & POLLIN) != 0);
        close(fd);
    }

    /* 7. EOF on stdin. */
    printf("eof?\n");
    pfd.revents = 0;
    rc = poll(&pfd, 1, 10000);
    n = read(0, line, sizeof line);
    printf("poll eof: rc=%d ready=%d read=%zd\n", rc, (pfd.revents & (POLLIN | POLLHUP)) != 0, n);

    printf("failures=%d\n", failures);
    return failures ? 1 : 0;
}
