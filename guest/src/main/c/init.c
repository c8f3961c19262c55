/* Early setup as PID 1 (init.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "init.h"

uint64_t agent_start_ms;
char failed_mounts[1024];

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

void mount_all(void) {
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

int open_control_port(void) {
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

int cmdline_has(const char *word) {
    static char cmdline[4096];
    if (read_small_file("/proc/cmdline", cmdline, sizeof cmdline) < 0) return 0;
    size_t n = strlen(word);
    for (char *p = cmdline; (p = strstr(p, word)) != NULL; p += n) {
        if ((p == cmdline || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return 1;
    }
    return 0;
}

void spawn_shell(void) {
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
