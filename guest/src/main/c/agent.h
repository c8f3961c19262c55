/*
 * What every part of the agent shares: its process-wide state (defined in main.c) and the small helpers
 * (helpers.c) for logging, clocks, small files, children and powering off.
 */
#ifndef JKTSTR_AGENT_H
#define JKTSTR_AGENT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

extern int stdio_mode;      /* --stdio: serving on stdin/stdout on the host, nothing mounted */
extern pid_t shell_pid;     /* the jktstr.shell=1 shell, or -1 */

/* One line on the console (stderr), prefixed "jktstr-agent:". */
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t monotonic_ms(void);

/* The guest's uptime from /proc/uptime, in ms (10 ms resolution); 0 if it cannot be read. */
uint64_t uptime_ms(void);

/* Reads at most cap - 1 bytes, NUL-terminated, trailing newlines and spaces dropped; the length or -1. */
int read_small_file(const char *path, char *buf, size_t cap);

/* mkdir -p: creates the missing directories of path (errors ignored). */
void mkdir_p(const char *path, mode_t mode);

/* Reaps every exited child (PID 1 inherits orphans); powers off when the shell exits. */
void reap_children(void);

/* sync, then reboot(RB_POWER_OFF); in --stdio mode just exits. */
void power_off(void);

/* In a forked child before exec: no blocked signals, SIGPIPE back to default. */
void reset_child_signals(void);

#endif
