/*
 * EXEC: runs a command in its own process group with stdin/stdout/stderr on pipes, kills the group at the
 * timeout and answers as soon as the command exits (a pidfd tells), even if background children still hold
 * the pipes. A command that cannot be executed exits 127 with the reason on stderr, like a shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "agent_protocol.h"
#include "frames.h"
#include "rpc.h"

struct capture { int fd; uint8_t *buf; uint32_t len, limit; int truncated; };

/* Reads what is available; returns 0 at EOF. */
static int drain(struct capture *c) {
    for (;;) {
        uint8_t tmp[65536];
        ssize_t r = read(c->fd, tmp, sizeof tmp);
        if (r < 0) return (errno == EAGAIN || errno == EINTR) ? 1 : 0;
        if (r == 0) return 0;
        uint32_t room = c->limit - c->len;
        uint32_t take = (uint32_t) r < room ? (uint32_t) r : room;
        memcpy(c->buf + c->len, tmp, take);
        c->len += take;
        if (take < (uint32_t) r) c->truncated = 1;
    }
}

void do_exec(uint32_t id, struct in *c) {
    uint32_t timeout_ms = get_u32(c);
    uint32_t limit = get_u32(c);
    char **argv = get_strs(c);
    char **env = get_strs(c);
    uint32_t stdin_len = 0;
    const uint8_t *stdin_data = get_bytes(c, &stdin_len);
    if (c->bad || !argv || !env || !argv[0]) {
        send_error(id, EINVAL, "malformed EXEC request (argv must not be empty)");
        goto out;
    }
    if (limit == 0) limit = AGENT_MAX_EXEC_OUTPUT;
    if (limit > AGENT_MAX_EXEC_OUTPUT) limit = AGENT_MAX_EXEC_OUTPUT;

    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
        send_error(id, errno, "pipe: %s", strerror(errno));
        goto close_pipes;
    }
    uint64_t start = monotonic_ms();
    pid_t pid = fork();
    if (pid < 0) { send_error(id, errno, "fork: %s", strerror(errno)); goto close_pipes; }
    if (pid == 0) {
        reset_child_signals();
        setpgid(0, 0);
        dup2(pin[0], 0); dup2(pout[1], 1); dup2(perr[1], 2);
        for (char **e = env; *e; e++) putenv(*e);
        execvp(argv[0], argv);
        dprintf(2, "jktstr-agent: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pin[0]); close(pout[1]); close(perr[1]);
    pin[0] = pout[1] = perr[1] = -1;
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    fcntl(pout[0], F_SETFL, O_NONBLOCK);
    fcntl(perr[0], F_SETFL, O_NONBLOCK);

    static uint8_t out_data[AGENT_MAX_EXEC_OUTPUT], err_data[AGENT_MAX_EXEC_OUTPUT];
    struct capture cout = { pout[0], out_data, 0, limit, 0 }, cerr = { perr[0], err_data, 0, limit, 0 };
    uint32_t stdin_off = 0;
    if (stdin_len == 0) { close(pin[1]); pin[1] = -1; }
    int out_open = 1, err_open = 1, exited = 0, timed_out = 0, status = 0;
    /* A pidfd turns "the child exited" into a poll event even while grandchildren hold its pipes. */
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = 1;
        if (exited) {
            /* Take what the pipes hold now; grandchildren may keep them open indefinitely. */
            if (out_open) drain(&cout);
            if (err_open) drain(&cerr);
            break;
        }
        int wait = pidfd >= 0 ? 1000 : 20;
        if (timeout_ms && !timed_out) {
            uint64_t now = monotonic_ms();
            if (now - start >= timeout_ms) {
                timed_out = 1;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                continue;
            }
            uint64_t left = timeout_ms - (now - start);
            if (left < (uint64_t) wait) wait = (int) left;
        }
        struct pollfd pf[4];
        int n = 0;
        if (pidfd >= 0) pf[n++] = (struct pollfd) { pidfd, POLLIN, 0 };
        if (out_open) pf[n++] = (struct pollfd) { pout[0], POLLIN, 0 };
        if (err_open) pf[n++] = (struct pollfd) { perr[0], POLLIN, 0 };
        if (pin[1] >= 0) pf[n++] = (struct pollfd) { pin[1], POLLOUT, 0 };
        if (pidfd < 0 && !out_open && !err_open) wait = 1;
        poll(pf, (nfds_t) n, wait);
        if (out_open && !drain(&cout)) out_open = 0;
        if (err_open && !drain(&cerr)) err_open = 0;
        if (pin[1] >= 0) {
            ssize_t w = write(pin[1], stdin_data + stdin_off, stdin_len - stdin_off);
            if (w > 0) stdin_off += (uint32_t) w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off == stdin_len) { close(pin[1]); pin[1] = -1; }
        }
    }
    if (pidfd >= 0) close(pidfd);
    if (timed_out) kill(-pid, SIGKILL); /* leftovers of a killed command's process group */
    uint32_t elapsed = (uint32_t) (monotonic_ms() - start);
    struct out o = payload();
    put_u8(&o, WIFSIGNALED(status) ? 1 : 0);
    put_u32(&o, (uint32_t) (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
    put_u8(&o, (uint8_t) timed_out);
    put_u8(&o, (uint8_t) cout.truncated);
    put_u8(&o, (uint8_t) cerr.truncated);
    put_u32(&o, elapsed);
    put_bytes(&o, cout.buf, cout.len);
    put_bytes(&o, cerr.buf, cerr.len);
    send_frame(id, AGENT_MSG_OK, &o);
close_pipes:
    for (int i = 0; i < 2; i++) {
        if (pin[i] >= 0) close(pin[i]);
        if (pout[i] >= 0) close(pout[i]);
        if (perr[i] >= 0) close(perr[i]);
    }
out:
    free_strs(argv);
    free_strs(env);
}
