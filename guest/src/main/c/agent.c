/*
 * jktstr guest agent: runs as /init (PID 1) inside the guest initramfs.
 *
 * It mounts the pseudo file systems, opens the virtio-serial port named
 * "jktstr.ctl", announces itself with a READY frame and then serves framed
 * requests from the host one at a time. The wire format is documented in
 * guest/README.md; dev.jktstr.guest.Protocol is the host-side twin of this file.
 *
 * For tests on the host, "jktstr-agent --stdio" serves the same protocol on
 * stdin/stdout without mounting anything; POWER_OFF then just exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workers.h"

#define PROTOCOL_VERSION 1u
#define MAGIC 0x53544B4Au /* "JKTS" on the wire, little-endian */
#define HEADER_SIZE 20u
#define MAX_PAYLOAD (4u << 20)
#define DATA_CHUNK (1u << 20)
#define DEFAULT_OUTPUT_LIMIT (1u << 20)
#define MAX_OUTPUT_LIMIT (1u << 20)
#define MAX_LIST 4096u
#define KMSG_RECORD_MAX 8192u

enum {
    T_PING = 0x01, T_EXEC = 0x02, T_READ_FILE = 0x03, T_WRITE_FILE = 0x04,
    T_WRITE_DATA = 0x05, T_READ_KMSG = 0x06, T_POWER_OFF = 0x07, T_HELLO = 0x08,
    T_WORKERS_SPAWN = 0x10, T_WORKERS_START = 0x11, T_WORKERS_STOP = 0x12, T_WORKERS_PEEK = 0x13, T_WORKERS_CPUS = 0x14,
    T_READY = 0x80, T_OK = 0x81, T_ERROR = 0x82, T_DATA = 0x83,
};

static int ctl_fd = -1;     /* requests come in here */
static int ctl_out = -1;    /* frames go out here: the same fd except in --stdio mode */
static int stdio_mode;
static pid_t shell_pid = -1;
static uint32_t crc_table[256];
static uint8_t in_buf[MAX_PAYLOAD];
static uint8_t out_buf[HEADER_SIZE + MAX_PAYLOAD];
static uint64_t agent_start_ms;
static char failed_mounts[1024];

static void logmsg(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    dprintf(2, "jktstr-agent: %s\n", line);
}

/* ---------- CRC32 (zlib polynomial, same as java.util.zip.CRC32) ---------- */

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---------- little-endian payload builder and parser ---------- */

struct out { uint8_t *p; size_t len, cap; int overflow; };
struct in { const uint8_t *p; size_t len, off; int bad; };

static void put_raw(struct out *o, const void *src, size_t n) {
    if (o->overflow || n > o->cap - o->len) { o->overflow = 1; return; }
    memcpy(o->p + o->len, src, n);
    o->len += n;
}
static void put_u8(struct out *o, uint8_t v) { put_raw(o, &v, 1); }
static void put_u32(struct out *o, uint32_t v) {
    uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
    put_raw(o, b, 4);
}
static void put_u64(struct out *o, uint64_t v) { put_u32(o, (uint32_t) v); put_u32(o, (uint32_t) (v >> 32)); }
static void put_bytes(struct out *o, const void *p, size_t n) { put_u32(o, (uint32_t) n); put_raw(o, p, n); }
static void put_str(struct out *o, const char *s) { put_bytes(o, s, strlen(s)); }

static const uint8_t *get_raw(struct in *c, size_t n) {
    if (c->bad || n > c->len - c->off) { c->bad = 1; return NULL; }
    const uint8_t *p = c->p + c->off;
    c->off += n;
    return p;
}
static uint32_t get_u32(struct in *c) {
    const uint8_t *b = get_raw(c, 4);
    return b ? (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24 : 0;
}
static uint64_t get_u64(struct in *c) { uint64_t lo = get_u32(c); return lo | (uint64_t) get_u32(c) << 32; }
static const uint8_t *get_bytes(struct in *c, uint32_t *n) { *n = get_u32(c); return get_raw(c, *n); }
/* A malloc'd NUL-terminated copy; embedded NULs make the payload bad. */
static char *get_str(struct in *c) {
    uint32_t n;
    const uint8_t *p = get_bytes(c, &n);
    if (!p || memchr(p, 0, n)) { c->bad = 1; return NULL; }
    char *s = malloc(n + 1);
    if (!s) { c->bad = 1; return NULL; }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}
static void free_strs(char **v) {
    if (!v) return;
    for (char **s = v; *s; s++) free(*s);
    free(v);
}
static char **get_strs(struct in *c) {
    uint32_t n = get_u32(c);
    if (c->bad || n > MAX_LIST) { c->bad = 1; return NULL; }
    char **v = calloc(n + 1, sizeof *v);
    if (!v) { c->bad = 1; return NULL; }
    for (uint32_t i = 0; i < n; i++) {
        v[i] = get_str(c);
        if (!v[i]) { free_strs(v); c->bad = 1; return NULL; }
    }
    return v;
}

/* ---------- frames ---------- */

static int write_all(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLOUT, 0 }; poll(&pf, 1, 100); continue; }
            return -1;
        }
        b += w;
        n -= (size_t) w;
    }
    return 0;
}

/* 1 = complete, 0 = EOF (host gone), -1 = error */
static int read_all(int fd, void *p, size_t n) {
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLIN, 0 }; poll(&pf, 1, 100); continue; }
            return -1;
        }
        if (r == 0) return 0;
        b += r;
        n -= (size_t) r;
    }
    return 1;
}

/* Payload is built in place at out_buf + HEADER_SIZE. */
static struct out payload(void) {
    struct out o = { out_buf + HEADER_SIZE, 0, MAX_PAYLOAD, 0 };
    return o;
}

static void send_frame(uint32_t id, uint16_t type, struct out *o) {
    if (o->overflow) { logmsg("response to %u overflowed, dropped", id); return; }
    uint32_t len = (uint32_t) o->len;
    uint32_t crc = crc32_of(out_buf + HEADER_SIZE, len);
    struct out h = { out_buf, 0, HEADER_SIZE, 0 };
    put_u32(&h, MAGIC);
    put_u32(&h, id);
    put_u8(&h, type & 0xFF);
    put_u8(&h, type >> 8);
    put_u8(&h, 0);
    put_u8(&h, 0);
    put_u32(&h, len);
    put_u32(&h, crc);
    if (write_all(ctl_out, out_buf, HEADER_SIZE + len) < 0) logmsg("write to control port: %s", strerror(errno));
}

static void send_error(uint32_t id, int err, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct out o = payload();
    put_u32(&o, (uint32_t) err);
    const char *name = err ? strerrorname_np(err) : NULL;
    put_str(&o, name ? name : "");
    put_str(&o, msg);
    send_frame(id, T_ERROR, &o);
}

static void send_ok_empty(uint32_t id) {
    struct out o = payload();
    send_frame(id, T_OK, &o);
}

/* ---------- helpers ---------- */

static uint64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static uint64_t uptime_ms(void) {
    char buf[64] = {0};
    int fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    unsigned long sec = 0, cs = 0;
    if (sscanf(buf, "%lu.%2lu", &sec, &cs) < 1) return 0;
    return (uint64_t) sec * 1000u + (uint64_t) cs * 10u;
}

static int read_small_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
    return (int) n;
}

static void mkdir_p(const char *path, mode_t mode) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int) sizeof tmp) return;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') { *p = 0; mkdir(tmp, mode); *p = '/'; }
    }
    mkdir(tmp, mode);
}

static void reap_children(void) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == shell_pid) {
            logmsg("shell exited, powering off");
            sync();
            reboot(RB_POWER_OFF);
        }
    }
}

static void power_off(void) {
    sync();
    if (stdio_mode) exit(0);
    reboot(RB_POWER_OFF);
    logmsg("reboot(RB_POWER_OFF): %s", strerror(errno));
}

/* ---------- boot: mounts, control port, shell ---------- */

static void mount_one(const char *src, const char *target, const char *fstype) {
    mkdir_p(target, 0755);
    if (mount(src, target, fstype, MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) == 0) return;
    int err = errno;
    const char *name = strerrorname_np(err);
    size_t used = strlen(failed_mounts);
    snprintf(failed_mounts + used, sizeof failed_mounts - used, "%s%s:%s:%s",
             used ? "," : "", fstype, target, name ? name : "?");
    logmsg("mount %s on %s: %s", fstype, target, strerror(err));
}

static void mount_all(void) {
    mount_one("proc", "/proc", "proc");
    agent_start_ms = uptime_ms();
    mount_one("sysfs", "/sys", "sysfs");
    mkdir("/dev", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL) != 0 && errno != EBUSY) {
        snprintf(failed_mounts + strlen(failed_mounts), sizeof failed_mounts - strlen(failed_mounts),
                 "%sdevtmpfs:/dev:%s", failed_mounts[0] ? "," : "", strerrorname_np(errno));
        logmsg("mount devtmpfs on /dev: %s", strerror(errno));
    }
    mount_one("cgroup2", "/sys/fs/cgroup", "cgroup2");
    mount_one("bpf", "/sys/fs/bpf", "bpf");
    mount_one("debugfs", "/sys/kernel/debug", "debugfs");
    mount_one("tracefs", "/sys/kernel/tracing", "tracefs");
    mkdir("/tmp", 01777);
    mkdir("/root", 0700);
}

/* /dev/<vportNpM> of the port whose sysfs name is jktstr.ctl, or -1. */
static int open_control_port(void) {
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d) return -1;
    struct dirent *e;
    int fd = -1;
    while (fd < 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[512], name[128];
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_small_file(path, name, sizeof name) < 0 || strcmp(name, "jktstr.ctl") != 0) continue;
        snprintf(path, sizeof path, "/dev/%s", e->d_name);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) logmsg("open %s: %s", path, strerror(errno));
    }
    closedir(d);
    return fd;
}

static int cmdline_has(const char *word) {
    static char cmdline[4096];
    if (read_small_file("/proc/cmdline", cmdline, sizeof cmdline) < 0) return 0;
    size_t n = strlen(word);
    for (char *p = cmdline; (p = strstr(p, word)) != NULL; p += n) {
        if ((p == cmdline || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    }
    return 0;
}

static void reset_child_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
}

static void spawn_shell(void) {
    char active[256], tty[300];
    const char *dev = "console";
    if (read_small_file("/sys/class/tty/console/active", active, sizeof active) > 0) {
        char *last = strrchr(active, ' ');
        dev = last ? last + 1 : active; /* the last listed console is the primary one */
    }
    snprintf(tty, sizeof tty, "/dev/%s", dev);
    shell_pid = fork();
    if (shell_pid < 0) { logmsg("fork shell: %s", strerror(errno)); return; }
    if (shell_pid > 0) { logmsg("shell on %s (pid %d)", tty, shell_pid); return; }
    reset_child_signals();
    setsid();
    int fd = open(tty, O_RDWR);
    if (fd < 0) fd = open("/dev/console", O_RDWR);
    if (fd >= 0) {
        ioctl(fd, TIOCSCTTY, 1);
        dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
        if (fd > 2) close(fd);
    }
    setenv("TERM", "vt100", 0);
    setenv("PS1", "jktstr# ", 1);
    execl("/bin/busybox", "sh", (char *) NULL);
    dprintf(2, "jktstr-agent: exec /bin/busybox: %s\n", strerror(errno));
    _exit(127);
}

/* ---------- requests ---------- */

static void do_ping(uint32_t id, const uint8_t *p, uint32_t len) {
    struct out o = payload();
    put_raw(&o, p, len);
    send_frame(id, T_OK, &o);
}

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

static void do_exec(uint32_t id, struct in *c) {
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
    if (limit == 0) limit = DEFAULT_OUTPUT_LIMIT;
    if (limit > MAX_OUTPUT_LIMIT) limit = MAX_OUTPUT_LIMIT;

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

    static uint8_t out_data[MAX_OUTPUT_LIMIT], err_data[MAX_OUTPUT_LIMIT];
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
    send_frame(id, T_OK, &o);
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

static void do_read_file(uint32_t id, struct in *c) {
    char *path = get_str(c);
    uint64_t max = get_u64(c);
    if (c->bad || !path) { send_error(id, EINVAL, "malformed READ_FILE request"); free(path); return; }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { send_error(id, errno, "open %s: %s", path, strerror(errno)); free(path); return; }
    uint64_t total = 0;
    for (;;) {
        struct out o = payload();
        ssize_t r = read(fd, o.p, DATA_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { send_error(id, errno, "read %s: %s", path, strerror(errno)); goto done; }
        if (r == 0) break;
        o.len = (size_t) r;
        total += (uint64_t) r;
        if (total > max) { /* endless files (/dev/zero, trace_pipe) stop here */
            send_error(id, EFBIG, "%s is larger than the %llu bytes the host accepts", path, (unsigned long long) max);
            goto done;
        }
        send_frame(id, T_DATA, &o);
    }
    struct out o = payload();
    put_u64(&o, total);
    send_frame(id, T_OK, &o);
done:
    close(fd);
    free(path);
}

/* One WRITE_FILE at a time; its WRITE_DATA frames follow with the same id. */
static struct { uint32_t id; int active, fd, failed; uint64_t remaining; char *path; } wr;

static void write_finish(void) {
    if (wr.fd >= 0) close(wr.fd);
    free(wr.path);
    wr.fd = -1; wr.path = NULL; wr.active = 0;
}

static void do_write_file(uint32_t id, struct in *c) {
    char *path = get_str(c);
    uint32_t mode = get_u32(c);
    uint64_t size = get_u64(c);
    if (c->bad || !path) { send_error(id, EINVAL, "malformed WRITE_FILE request"); free(path); return; }
    if (wr.active) { logmsg("WRITE_FILE %u abandons unfinished write %u", id, wr.id); write_finish(); }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
    wr.id = id; wr.active = 1; wr.failed = 0; wr.remaining = size; wr.path = path;
    wr.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
    if (wr.fd < 0 || fchmod(wr.fd, mode & 07777) != 0) {
        wr.failed = 1;
        send_error(id, errno, "open %s: %s", path, strerror(errno));
    }
    if (size == 0) {
        if (!wr.failed) send_ok_empty(id);
        write_finish();
    }
}

static void do_write_data(uint32_t id, const uint8_t *p, uint32_t len) {
    if (!wr.active || wr.id != id) { send_error(id, EINVAL, "no WRITE_FILE in progress for id %u", id); return; }
    if (len > wr.remaining) {
        if (!wr.failed) send_error(id, EINVAL, "WRITE_DATA exceeds the announced size of %s", wr.path);
        write_finish();
        return;
    }
    wr.remaining -= len;
    if (!wr.failed && write_all(wr.fd, p, len) < 0) {
        wr.failed = 1;
        send_error(id, errno, "write %s: %s", wr.path, strerror(errno));
    }
    if (wr.remaining == 0) {
        if (!wr.failed) send_ok_empty(id);
        write_finish();
    }
}

static void do_read_kmsg(uint32_t id) {
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { send_error(id, errno, "open /dev/kmsg: %s", strerror(errno)); return; }
    /* Records go straight into the response: count first, patched at the end. */
    struct out o = payload();
    put_u32(&o, 0);
    uint32_t count = 0;
    for (;;) {
        char rec[KMSG_RECORD_MAX];
        ssize_t r = read(fd, rec, sizeof rec);
        if (r < 0 && (errno == EPIPE || errno == EINTR)) continue; /* overwritten record: skip */
        if (r <= 0) break;
        while (r > 0 && rec[r - 1] == '\n') r--;
        if (o.cap - o.len < (size_t) r + 4) break; /* keep the response within one frame */
        put_bytes(&o, rec, (size_t) r);
        count++;
    }
    close(fd);
    uint8_t b[4] = { count, count >> 8, count >> 16, count >> 24 };
    memcpy(o.p, b, 4);
    send_frame(id, T_OK, &o);
}


/* ---------- worker groups (the worker side is workers.c) ---------- */

#define MAX_GROUPS 64u

struct group {
    uint32_t id;                     /* 0 = free */
    uint32_t count;
    struct group_shm *shm;
    size_t shm_size;
    pid_t pids[MAX_WORKERS];
};
static struct group groups[MAX_GROUPS];
static uint32_t next_group_id = 1;

static struct group *find_group(uint32_t id) {
    for (uint32_t i = 0; id && i < MAX_GROUPS; i++) if (groups[i].id == id) return &groups[i];
    return NULL;
}

static void release_group(struct group *g) {
    if (g->shm) munmap(g->shm, g->shm_size);
    memset(g, 0, sizeof *g);
}

/* SIGKILLs the workers that have not finished and waits for them. */
static void kill_group(struct group *g) {
    for (uint32_t i = 0; i < g->count; i++) {
        if (g->pids[i] > 0 && g->shm->w[i].state != 2) {
            kill(g->pids[i], SIGKILL);
            waitpid(g->pids[i], NULL, 0);
        }
    }
}

static int write_pid(const char *procs, pid_t pid) {
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char num[16];
    int n = snprintf(num, sizeof num, "%d", (int) pid);
    int rc = write(fd, num, (size_t) n) == n ? 0 : -1;
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/*
 * Waits (up to 5 s) until every worker of a new group has applied its memory policy; the first failure is
 * reported with the worker's errno. A worker that died first counts as failed (ECHILD).
 */
static void await_mempolicy(struct group *g, int *failed_errno, char *failure, size_t size) {
    uint64_t deadline = monotonic_ms() + 5000;
    for (uint32_t i = 0; i < g->count; i++) {
        int32_t st;
        while ((st = __atomic_load_n(&g->shm->w[i].mpol_state, __ATOMIC_ACQUIRE)) == 0) {
            if (monotonic_ms() >= deadline || kill(g->pids[i], 0) != 0) break;
            usleep(1000);
        }
        if (st == 1) continue;
        *failed_errno = st == 2 ? g->shm->w[i].mpol_errno : st == 0 && kill(g->pids[i], 0) == 0 ? ETIMEDOUT : ECHILD;
        snprintf(failure, size, "set_mempolicy in worker %d: %s", (int) g->pids[i],
                 st == 2 ? strerror(g->shm->w[i].mpol_errno) : "the worker did not apply it");
        return;
    }
}

/*
 * WORKERS_SPAWN: phase one of the two-phase start. Forks the workers (they wait on a futex), moves each
 * into the cgroup, and answers with the group id and pids. Nothing runs the workload until WORKERS_START.
 */
static void do_workers_spawn(uint32_t id, struct in *c) {
    char *cgroup = get_str(c);
    struct work_params wp = { 0 };
    wp.count = get_u32(c);
    wp.type = get_u32(c);
    wp.p1 = get_u32(c);
    wp.p2 = get_u32(c);
    wp.nice = (int32_t) get_u32(c);
    wp.policy = get_u32(c);
    uint32_t mask_len = 0;
    const uint8_t *mask = get_bytes(c, &mask_len);
    if (!c->bad && c->off < c->len) { /* optional: the phases of a Sequence */
        wp.nphases = get_u32(c);
        if (wp.nphases > MAX_PHASES) { send_error(id, EINVAL, "%u phases exceed the maximum of %u", wp.nphases, MAX_PHASES); goto out; }
        for (uint32_t i = 0; i < wp.nphases; i++) {
            wp.phases[i].type = get_u32(c);
            wp.phases[i].p1 = get_u32(c);
            wp.phases[i].p2 = get_u32(c);
            wp.phases[i].ms = get_u32(c);
        }
    }
    if (!c->bad && c->off < c->len) { /* optional: the memory policy (mode + 1, node mask) */
        wp.mpol_mode = get_u32(c);
        wp.mpol_nodes = get_u64(c);
    }
    if (c->bad || !cgroup || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_SPAWN request"); goto out; }
    if (wp.count == 0 || wp.count > MAX_WORKERS) { send_error(id, EINVAL, "worker count %u outside 1..%u", wp.count, MAX_WORKERS); goto out; }
    if (wp.type == 0 || wp.type > W_MAX) { send_error(id, EINVAL, "unknown work type %u", wp.type); goto out; }
    if (wp.type == W_SEQUENCE && wp.nphases == 0) { send_error(id, EINVAL, "a Sequence needs at least one phase"); goto out; }
    for (uint32_t i = 0; i < wp.nphases; i++) {
        if (!phase_type_ok(wp.phases[i].type) || wp.phases[i].ms == 0) {
            send_error(id, EINVAL, "phase %u: work type %u cannot be a phase, or its time is 0", i, wp.phases[i].type); goto out;
        }
    }
    if (wp.nice < -20 || wp.nice > 19) { send_error(id, EINVAL, "nice %d outside -20..19", wp.nice); goto out; }
    if (wp.mpol_mode > MPOL_MAX_ + 1u) { send_error(id, EINVAL, "unknown memory policy mode %u", wp.mpol_mode - 1u); goto out; }
    if (wp.mpol_mode) {
        int m = (int) wp.mpol_mode - 1, needs_nodes = m == MPOL_BIND_ || m == MPOL_INTERLEAVE_ || m == MPOL_PREFERRED_;
        if (needs_nodes != (wp.mpol_nodes != 0)) {
            send_error(id, EINVAL, "memory policy mode %d %s a node mask", m, needs_nodes ? "needs" : "takes no"); goto out;
        }
    }
    if (mask_len > sizeof wp.affinity) { send_error(id, EINVAL, "affinity mask of %u bytes exceeds %zu", mask_len, sizeof wp.affinity); goto out; }
    if (mask_len) { wp.has_affinity = 1; memcpy(wp.affinity, mask, mask_len); }
    char procs[4200];
    if (cgroup[0]) {
        if (snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup) >= (int) sizeof procs) {
            send_error(id, ENAMETOOLONG, "cgroup path too long"); goto out;
        }
        struct stat st;
        if (stat(cgroup, &st) != 0) { send_error(id, errno, "cgroup %s: %s", cgroup, strerror(errno)); goto out; }
    }
    struct group *g = NULL;
    for (uint32_t i = 0; i < MAX_GROUPS && !g; i++) if (!groups[i].id) g = &groups[i];
    if (!g) { send_error(id, EBUSY, "all %u worker groups are in use (stop some)", MAX_GROUPS); goto out; }
    g->shm_size = sizeof(struct group_shm) + wp.count * sizeof(struct slot);
    void *m = mmap(NULL, g->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { send_error(id, errno, "mmap: %s", strerror(errno)); g->shm = NULL; release_group(g); goto out; }
    g->shm = m;
    g->count = wp.count;
    g->id = next_group_id++;
    if (next_group_id == 0) next_group_id = 1;
    /* Rings: PipeIo pairs workers (2k, 2k+1); WakeChain passes one token around the whole group. */
    int ring = wp.type == W_PIPE_IO ? 2 : wp.type == W_WAKE_CHAIN ? (int) wp.count : 0;
    int (*pipes)[2] = ring ? calloc(wp.count, sizeof *pipes) : NULL;
    if (ring && !pipes) { send_error(id, ENOMEM, "out of memory"); release_group(g); goto out; }
    for (uint32_t i = 0; ring && i < wp.count; i++) {
        if (pipe2(pipes[i], O_CLOEXEC) != 0) {
            int err = errno;
            for (uint32_t k = 0; k < i; k++) { close(pipes[k][0]); close(pipes[k][1]); }
            free(pipes);
            send_error(id, err, "pipe: %s", strerror(err));
            release_group(g);
            goto out;
        }
    }
    int failed_errno = 0;
    char failure[256] = "";
    for (uint32_t i = 0; i < wp.count; i++) {
        wp.index = i;
        wp.ring_in = wp.ring_out = -1;
        wp.ring_first = 0;
        if (ring) {
            uint32_t base = ring == 2 ? i & ~1u : 0, size = ring == 2 ? (base + 1 < wp.count ? 2 : 1) : wp.count;
            wp.ring_in = pipes[i][0];
            wp.ring_out = pipes[base + (i - base + 1) % size][1];
            wp.ring_first = i == base;
        }
        pid_t pid = fork();
        if (pid < 0) { failed_errno = errno; snprintf(failure, sizeof failure, "fork: %s", strerror(errno)); break; }
        if (pid == 0) {
            reset_child_signals();
            worker_main(g->shm, &wp);
        }
        g->pids[i] = pid;
        g->shm->w[i].pid = pid;
        if (cgroup[0] && write_pid(procs, pid) != 0) {
            failed_errno = errno;
            snprintf(failure, sizeof failure, "moving worker %d into %.200s: %s", (int) pid, procs, strerror(errno));
            break;
        }
    }
    for (uint32_t i = 0; ring && i < wp.count; i++) { close(pipes[i][0]); close(pipes[i][1]); }
    free(pipes);
    if (!failed_errno && wp.mpol_mode) await_mempolicy(g, &failed_errno, failure, sizeof failure);
    if (failed_errno) {
        __atomic_store_n(&g->shm->stop, 1, __ATOMIC_RELEASE);
        kill_group(g);
        release_group(g);
        send_error(id, failed_errno, "%s", failure);
        goto out;
    }
    struct out o = payload();
    put_u32(&o, g->id);
    put_u32(&o, g->count);
    for (uint32_t i = 0; i < g->count; i++) put_u32(&o, (uint32_t) g->pids[i]);
    send_frame(id, T_OK, &o);
out:
    free(cgroup);
}

/* WORKERS_START: phase two, releases every worker of the group at once. */
static void do_workers_start(uint32_t id, struct in *c) {
    uint32_t gid = get_u32(c);
    if (c->bad || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_START request"); return; }
    struct group *g = find_group(gid);
    if (!g) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    __atomic_store_n(&g->shm->released, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &g->shm->released, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    send_ok_empty(id);
}

static void put_slot(struct out *o, const struct slot *s, int finished) {
    put_u32(o, (uint32_t) s->pid);
    put_u8(o, (uint8_t) finished);
    put_u64(o, s->work_units);
    put_u64(o, s->iterations);
    put_u64(o, s->cpu_ns);
    put_u64(o, s->wall_ns);
    put_u64(o, s->run_delay_ns);
    put_u64(o, s->timeslices);
    put_u64(o, s->migrations);
    for (uint32_t k = 0; k < CPU_MASK_WORDS; k++) put_u64(o, s->cpus[k]);
    put_u64(o, s->max_gap_ns);
    put_u64(o, s->max_gap_at_ns);
    put_u32(o, s->max_gap_cpu);
    put_u32(o, s->wake_count);
    put_u64(o, s->wake_p50_ns);
    put_u64(o, s->wake_p99_ns);
    put_u64(o, s->wake_max_ns);
    put_u64(o, s->voluntary_switches);
    put_u64(o, s->involuntary_switches);
}

/*
 * WORKERS_STOP: sets the stop flag, gives the workers grace_ms to write their telemetry, SIGKILLs the rest
 * and answers with one record per worker. The group is gone afterwards.
 */
static void do_workers_stop(uint32_t id, struct in *c) {
    uint32_t gid = get_u32(c);
    uint32_t grace_ms = get_u32(c);
    if (c->bad || c->off != c->len) { send_error(id, EINVAL, "malformed WORKERS_STOP request"); return; }
    struct group *g = find_group(gid);
    if (!g) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    __atomic_store_n(&g->shm->stop, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&g->shm->released, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &g->shm->released, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    if (grace_ms > 60000) grace_ms = 60000;
    uint64_t deadline = monotonic_ms() + grace_ms;
    for (;;) {
        uint32_t done = 0;
        for (uint32_t i = 0; i < g->count; i++) {
            if (__atomic_load_n(&g->shm->w[i].state, __ATOMIC_ACQUIRE) == 2) done++;
            /* a worker that died without finishing (killed in the guest) will never report */
            else if (kill(g->pids[i], 0) != 0 || waitpid(g->pids[i], NULL, WNOHANG) == g->pids[i]) done++;
        }
        if (done == g->count || monotonic_ms() >= deadline) break;
        usleep(5000);
    }
    int finished[MAX_WORKERS];
    for (uint32_t i = 0; i < g->count; i++) finished[i] = __atomic_load_n(&g->shm->w[i].state, __ATOMIC_ACQUIRE) == 2;
    kill_group(g);
    struct out o = payload();
    put_u32(&o, g->count);
    for (uint32_t i = 0; i < g->count; i++) put_slot(&o, &g->shm->w[i], finished[i]);
    send_frame(id, T_OK, &o);
    release_group(g);
}

/*
 * WORKERS_PEEK: the progress of running groups without stopping them. Per worker: its state, work units and
 * iterations so far, its largest gap so far and the gap now (time since its last checkpoint while running).
 * The slots are written by the workers as they go: each value is read once, atomically (aligned u64).
 */
static void do_workers_peek(uint32_t id, struct in *c) {
    uint32_t n = get_u32(c);
    if (c->bad || n == 0 || n > MAX_GROUPS || (size_t) n * 4 != c->len - c->off) {
        send_error(id, EINVAL, "malformed WORKERS_PEEK request (1..%u group ids)", MAX_GROUPS); return;
    }
    struct group *gs[MAX_GROUPS];
    for (uint32_t k = 0; k < n; k++) {
        uint32_t gid = get_u32(c);
        if (!(gs[k] = find_group(gid))) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
    struct out o = payload();
    put_u64(&o, now);
    put_u32(&o, n);
    for (uint32_t k = 0; k < n; k++) {
        struct group *g = gs[k];
        put_u32(&o, g->id);
        put_u32(&o, g->count);
        for (uint32_t i = 0; i < g->count; i++) {
            const struct slot *s = &g->shm->w[i];
            int32_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
            uint64_t last = __atomic_load_n(&s->last_ns, __ATOMIC_RELAXED);
            put_u32(&o, (uint32_t) s->pid);
            put_u8(&o, (uint8_t) state);
            put_u64(&o, __atomic_load_n(&s->work_units, __ATOMIC_RELAXED));
            put_u64(&o, __atomic_load_n(&s->iterations, __ATOMIC_RELAXED));
            put_u64(&o, __atomic_load_n(&s->max_gap_ns, __ATOMIC_RELAXED));
            put_u64(&o, state == 1 && last && now > last ? now - last : 0);
        }
    }
    send_frame(id, T_OK, &o);
}

/*
 * WORKERS_CPUS: per worker of running groups, the CPUs it was seen on since the previous WORKERS_CPUS (or its start),
 * and those are forgotten: a host that takes them when a cpuset starts to apply and again when it stops gets the CPUs
 * each worker used while it applied. Each mask word is exchanged with 0 atomically, so no CPU is lost between takes.
 */
static void do_workers_cpus(uint32_t id, struct in *c) {
    uint32_t n = get_u32(c);
    if (c->bad || n == 0 || n > MAX_GROUPS || (size_t) n * 4 != c->len - c->off) {
        send_error(id, EINVAL, "malformed WORKERS_CPUS request (1..%u group ids)", MAX_GROUPS); return;
    }
    struct group *gs[MAX_GROUPS];
    for (uint32_t k = 0; k < n; k++) {
        uint32_t gid = get_u32(c);
        if (!(gs[k] = find_group(gid))) { send_error(id, ENOENT, "no worker group %u", gid); return; }
    }
    struct out o = payload();
    put_u32(&o, n);
    for (uint32_t k = 0; k < n; k++) {
        struct group *g = gs[k];
        put_u32(&o, g->id);
        put_u32(&o, g->count);
        for (uint32_t i = 0; i < g->count; i++) {
            struct slot *s = &g->shm->w[i];
            put_u32(&o, (uint32_t) s->pid);
            for (uint32_t w = 0; w < CPU_MASK_WORDS; w++) put_u64(&o, __atomic_exchange_n(&s->cpus_since[w], 0, __ATOMIC_RELAXED));
        }
    }
    send_frame(id, T_OK, &o);
}

static void send_ready(uint32_t id);

static void handle(uint32_t id, uint16_t type, const uint8_t *p, uint32_t len) {
    struct in c = { p, len, 0, 0 };
    switch (type) {
    case T_PING: do_ping(id, p, len); break;
    case T_HELLO: send_ready(id); break;
    case T_EXEC: do_exec(id, &c); break;
    case T_READ_FILE: do_read_file(id, &c); break;
    case T_WRITE_FILE: do_write_file(id, &c); break;
    case T_WRITE_DATA: do_write_data(id, p, len); break;
    case T_READ_KMSG: do_read_kmsg(id); break;
    case T_WORKERS_SPAWN: do_workers_spawn(id, &c); break;
    case T_WORKERS_START: do_workers_start(id, &c); break;
    case T_WORKERS_STOP: do_workers_stop(id, &c); break;
    case T_WORKERS_PEEK: do_workers_peek(id, &c); break;
    case T_WORKERS_CPUS: do_workers_cpus(id, &c); break;
    case T_POWER_OFF:
        logmsg("power off requested");
        send_ok_empty(id);
        power_off();
        break;
    default: send_error(id, EINVAL, "unknown request type 0x%x", type); break;
    }
}

static void send_ready(uint32_t id) {
    struct utsname u;
    if (uname(&u) != 0) strcpy(u.release, "?");
    struct out o = payload();
    put_u32(&o, PROTOCOL_VERSION);
    put_u64(&o, agent_start_ms);
    put_u64(&o, stdio_mode ? 0 : uptime_ms());
    put_str(&o, u.release);
    put_str(&o, failed_mounts);
    send_frame(id, T_READY, &o);
}

static uint32_t le32(const uint8_t *b) {
    return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

/* Serves frames until the host side goes away (EOF). */
static void serve(void) {
    uint8_t h[HEADER_SIZE];
    int have = 0, resyncing = 0;
    for (;;) {
        struct pollfd pf = { ctl_fd, POLLIN, 0 };
        int pr = poll(&pf, 1, 1000);
        reap_children();
        if (pr == 0 || (pr < 0 && errno == EINTR)) continue;
        if (!(pf.revents & POLLIN) && (pf.revents & (POLLHUP | POLLERR))) return;
        int r = read_all(ctl_fd, h + have, HEADER_SIZE - (size_t) have);
        if (r <= 0) return;
        have = HEADER_SIZE;
        uint32_t magic = le32(h), id = le32(h + 4), len = le32(h + 12), crc = le32(h + 16);
        uint16_t type = (uint16_t) (h[8] | h[9] << 8), flags = (uint16_t) (h[10] | h[11] << 8);
        if (magic != MAGIC || len > MAX_PAYLOAD || flags != 0) {
            /* Lost framing: report once, then slide forward one byte at a time to the next magic. */
            if (!resyncing) {
                send_error(0, EPROTO, magic != MAGIC ? "bad frame magic 0x%08x" :
                           len > MAX_PAYLOAD ? "frame length %u exceeds the maximum" : "bad frame flags 0x%x",
                           magic != MAGIC ? magic : len > MAX_PAYLOAD ? len : flags);
                resyncing = 1;
            }
            memmove(h, h + 1, HEADER_SIZE - 1);
            have = HEADER_SIZE - 1;
            continue;
        }
        resyncing = 0;
        have = 0;
        r = read_all(ctl_fd, in_buf, len);
        if (r <= 0) return;
        if (crc32_of(in_buf, len) != crc) {
            send_error(id, EBADMSG, "bad payload CRC32 (frame type 0x%x, %u bytes)", type, len);
            continue;
        }
        handle(id, type, in_buf, len);
        reap_children();
    }
}

int main(int argc, char **argv) {
    crc_init();
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "--stdio") == 0) {
        stdio_mode = 1;
        ctl_fd = 0;
        ctl_out = 1;
    }
    if (!stdio_mode) {
        if (getpid() != 1) logmsg("warning: not PID 1");
        setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
        setenv("HOME", "/root", 1);
        mount_all();
        if (cmdline_has("jktstr.shell=1")) spawn_shell();
        uint64_t give_up = monotonic_ms() + 10000;
        while ((ctl_fd = ctl_out = open_control_port()) < 0) {
            reap_children();
            if (monotonic_ms() > give_up && shell_pid < 0) {
                logmsg("no virtio port named jktstr.ctl; powering off");
                power_off();
            }
            usleep(20000);
        }
    }
    for (;;) {
        if (!stdio_mode) {
            /* Wait for the host to connect: the port reports POLLHUP until it does. */
            struct pollfd pf = { ctl_fd, POLLIN, 0 };
            /* (A disconnected port also reports POLLIN: read() would return 0 at once.) */
            while (poll(&pf, 1, 0) >= 0 && (pf.revents & POLLHUP)) {
                reap_children();
                usleep(20000);
            }
        }
        send_ready(0);
        serve();
        if (stdio_mode) return 0;
        if (wr.active) write_finish();
        logmsg("host disconnected from the control port; waiting for it to reconnect");
        usleep(100000);
    }
}
