/*
 * "/init payload DIR CGROUP TAIL_BYTES PROGRAM [ARG...]": the agent binary as the starter of a program that runs in
 * the background (a scenario's payload), while the agent goes on serving requests one at a time.
 *
 * The starter forks a supervisor (its own session, stdio on /dev/null) and prints what the supervisor reports:
 * "started PID" (exit 0) once PROGRAM runs, or "error ERRNAME ERRNO what: message" (exit 1) with the kernel's errno
 * when joining CGROUP (its cgroup.procs; "" = stay) or the exec failed. The supervisor forks PROGRAM in a process
 * group of its own (PGID = PID, what the host kills: "kill -KILL -PID"), stdin /dev/null, stdout and stderr on one
 * pipe of which it keeps the last TAIL_BYTES. When PROGRAM ends it kills what is left of that process group (a
 * payload's background children end with it), writes DIR/output (the kept tail) and then DIR/result:
 *   status exited|signaled
 *   code N           (the exit status, or the signal)
 *   bytes N          (output in all; bytes - the output file's size were dropped)
 *   ms N             (from the start to the end)
 * and only then reaps PROGRAM: while DIR/result does not exist, PID and its group cannot be reused, so a kill cannot
 * hit another process. The supervisor itself is an orphan the agent (PID 1) reaps.
 *
 * "/init payload-kill DIR PID": SIGKILL to process group PID unless DIR/result exists (the program ended); prints
 * "killed" or "ended", or "error ERRNAME ERRNO kill: message" (exit 1). (Shells disagree on "kill -- -PGID".)
 * Exit status 2 on bad usage of either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "payload_tool.h"

#define MAX_TAIL (16u << 20)

/* What a child that could not become PROGRAM tells the supervisor. */
struct start_error { int joining_cgroup; int err; };

/* The last `cap` bytes of everything appended. */
struct tail { uint8_t *buf; size_t cap, len, head; uint64_t total; };

static void tail_add(struct tail *t, const uint8_t *p, size_t n) {
    t->total += n;
    if (n >= t->cap) { p += n - t->cap; n = t->cap; }
    for (size_t i = 0; i < n; i++) {
        t->buf[t->head] = p[i];
        t->head = (t->head + 1) % t->cap;
    }
    t->len = t->len + n > t->cap ? t->cap : t->len + n;
}

/* Reads what the pipe holds now; returns 0 at EOF or on an error. */
static int tail_drain(struct tail *t, int fd) {
    for (;;) {
        uint8_t tmp[65536];
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0) return errno == EAGAIN || errno == EINTR;
        if (r == 0) return 0;
        tail_add(t, tmp, (size_t) r);
    }
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* DIR/NAME written through DIR/NAME.tmp and a rename, so a reader sees all of it or nothing. */
static void write_file_atomically(const char *dir, const char *name, const uint8_t *a, size_t an,
                                  const uint8_t *b, size_t bn) {
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    int ok = write_all(fd, a, an) == 0 && write_all(fd, b, bn) == 0;
    close(fd);
    if (ok) rename(tmp, path);
}

static void child(const char *cgroup, int out, int errpipe, int nul, char **prog) {
    reset_child_signals();
    setpgid(0, 0);
    struct start_error e = { 0, 0 };
    if (*cgroup) {
        char procs[4200];
        snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup);
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) {
            e.joining_cgroup = 1;
            e.err = errno;
            write_all(errpipe, (const uint8_t *) &e, sizeof e);
            _exit(127);
        }
        close(fd);
    }
    dup2(nul, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(prog[0], prog);
    e.err = errno;
    write_all(errpipe, (const uint8_t *) &e, sizeof e);
    _exit(127);
}

static void supervise(int report, const char *dir, const char *cgroup, size_t cap, char **prog) {
    setsid();
    signal(SIGPIPE, SIG_IGN); /* a starter gone before the report must not take the supervisor with it */
    int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); dup2(nul, 2); } /* let go of the agent's EXEC pipes */
    struct tail t = { malloc(cap), cap, 0, 0, 0 };
    int out[2], errp[2];
    if (!t.buf || pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        int e = t.buf ? errno : ENOMEM;
        dprintf(report, "error %s %d starting: %s\n", strerrorname_np(e), e, strerror(e));
        return;
    }
    uint64_t start = monotonic_ms();
    pid_t c = fork();
    if (c < 0) {
        int e = errno;
        dprintf(report, "error %s %d fork: %s\n", strerrorname_np(e), e, strerror(e));
        return;
    }
    if (c == 0) child(cgroup, out[1], errp[1], nul, prog);
    close(out[1]);
    close(errp[1]);
    struct start_error e;
    ssize_t n;
    while ((n = read(errp[0], &e, sizeof e)) < 0 && errno == EINTR) {}
    close(errp[0]);
    if (n == (ssize_t) sizeof e) {
        waitpid(c, NULL, 0);
        dprintf(report, "error %s %d %s %s: %s\n", strerrorname_np(e.err), e.err,
                e.joining_cgroup ? "joining cgroup" : "exec", e.joining_cgroup ? cgroup : prog[0], strerror(e.err));
        return;
    }
    dprintf(report, "started %d\n", (int) c);
    close(report);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    int pidfd = (int) syscall(SYS_pidfd_open, c, 0);
    int out_open = 1;
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        /* WNOWAIT: PROGRAM stays a zombie, its PID and process group taken, until the result is written */
        if (waitid(P_PID, (id_t) c, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c) break;
        struct pollfd pf[2];
        int k = 0;
        if (pidfd >= 0) pf[k++] = (struct pollfd) { pidfd, POLLIN, 0 };
        if (out_open) pf[k++] = (struct pollfd) { out[0], POLLIN, 0 };
        poll(pf, (nfds_t) k, pidfd >= 0 ? 1000 : 20);
        if (out_open && !tail_drain(&t, out[0])) out_open = 0;
    }
    kill(-c, SIGKILL);                    /* what is left of its process group ends with it */
    if (out_open) tail_drain(&t, out[0]); /* and what they wrote is still read */
    uint64_t ms = monotonic_ms() - start;
    if (t.len < t.cap) write_file_atomically(dir, "output", t.buf, t.len, NULL, 0);
    else write_file_atomically(dir, "output", t.buf + t.head, t.cap - t.head, t.buf, t.head); /* oldest first */
    char result[160];
    int signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
    int len = snprintf(result, sizeof result, "status %s\ncode %d\nbytes %llu\nms %llu\n", signaled ? "signaled" : "exited",
                       info.si_status, (unsigned long long) t.total, (unsigned long long) ms);
    write_file_atomically(dir, "result", (const uint8_t *) result, (size_t) len, NULL, 0);
    waitpid(c, NULL, 0);
}

int payload_kill_main(int argc, char **argv) {
    char *end;
    errno = 0;
    long pid = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || errno || end == argv[1] || *end || pid < 2 || argv[0][0] != '/') {
        fprintf(stderr, "usage: payload-kill DIR PID\n");
        return 2;
    }
    char result[4200];
    snprintf(result, sizeof result, "%s/result", argv[0]);
    if (access(result, F_OK) == 0) {
        printf("ended\n");
        return 0;
    }
    if (kill((pid_t) -pid, SIGKILL) != 0) {
        int e = errno;
        if (access(result, F_OK) == 0) { printf("ended\n"); return 0; } /* it ended meanwhile */
        printf("error %s %d kill: %s\n", strerrorname_np(e), e, strerror(e));
        return 1;
    }
    printf("killed\n");
    return 0;
}

int payload_tool_main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: payload DIR CGROUP TAIL_BYTES PROGRAM [ARG...]\n");
        return 2;
    }
    const char *dir = argv[0], *cgroup = argv[1];
    char *end;
    errno = 0;
    unsigned long cap = strtoul(argv[2], &end, 10);
    if (errno || end == argv[2] || *end || cap < 1 || cap > MAX_TAIL || dir[0] != '/' || (cgroup[0] && cgroup[0] != '/')) {
        fprintf(stderr, "payload: DIR and CGROUP must be absolute, TAIL_BYTES within 1..%u\n", MAX_TAIL);
        return 2;
    }
    mkdir_p(dir, 0755);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int e = errno ? errno : ENOTDIR;
        printf("error %s %d creating %s: %s\n", strerrorname_np(e), e, dir, strerror(e));
        return 1;
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC)) {
        perror("payload: pipe");
        return 1;
    }
    fflush(NULL);
    pid_t s = fork();
    if (s < 0) {
        perror("payload: fork");
        return 1;
    }
    if (s == 0) {
        close(report[0]);
        supervise(report[1], dir, cgroup, cap, argv + 3);
        _exit(0);
    }
    close(report[1]);
    char line[512];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof line - 1 && ((r = read(report[0], line + len, sizeof line - 1 - len)) > 0 || (r < 0 && errno == EINTR))) {
        if (r > 0) len += (size_t) r;
    }
    line[len] = 0;
    if (len == 0) {
        printf("error EIO %d the payload's supervisor ended before it reported\n", EIO);
        return 1;
    }
    fputs(line, stdout);
    return strncmp(line, "started ", 8) == 0 ? 0 : 1;
}
