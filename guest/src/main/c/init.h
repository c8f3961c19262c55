/* Early setup as PID 1: mounts, the optional shell, the control port. */
#ifndef JKTSTR_INIT_H
#define JKTSTR_INIT_H
#include <stdint.h>

extern uint64_t agent_start_ms;    /* guest uptime right after proc was mounted (READY's agent start) */
extern char failed_mounts[1024];   /* "fstype:target:ERRNO", comma-separated (READY) */

/* Mounts proc, sysfs, devtmpfs, cgroup2, bpf, debugfs, tracefs; failures are recorded, not fatal. */
void mount_all(void);

/* The fd of /dev/<vportNpM> whose sysfs name is jktstr.ctl, or -1. */
int open_control_port(void);

/* Whether the kernel command line has word as a whole word. */
int cmdline_has(const char *word);

/* Forks /bin/busybox sh on the primary console as its controlling tty (shell_pid). */
void spawn_shell(void);

#endif
