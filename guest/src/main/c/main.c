/*
 * jktstr guest agent: runs as /init (PID 1) inside the guest initramfs.
 *
 * It mounts the pseudo file systems, opens the virtio-serial port named
 * "jktstr.ctl", announces itself with a READY frame and then serves framed
 * requests from the host one at a time. The wire format is documented in
 * guest/README.md; its constants are agent_protocol.h, from which the host's
 * Java twin is generated.
 *
 * For tests on the host, "jktstr-agent --stdio" serves the same protocol on
 * stdin/stdout without mounting anything; POWER_OFF then just exits.
 *
 * The parts: init.c (mounts, shell, control port), frames.c (framing, serve),
 * payload.c (encoding), rpc.c (dispatch) and rpc_exec.c, rpc_files.c,
 * rpc_workers.c with worker_groups.c and workers.c (the requests), helpers.c; as a tool for the host's scripts,
 * sched_tool.c ("sched-setattr") and payload_tool.c ("payload", "payload-kill").
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "frames.h"
#include "init.h"
#include "payload_tool.h"
#include "rpc.h"
#include "sched_tool.h"

int stdio_mode;
pid_t shell_pid = -1;

int main(int argc, char **argv) {
    /* run as a tool from a guest shell, not as /init */
    if (argc > 1 && strcmp(argv[1], "sched-setattr") == 0) return sched_tool_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "payload") == 0) return payload_tool_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "payload-kill") == 0) return payload_kill_main(argc - 2, argv + 2);
    crc_init();
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "--stdio") == 0) {
        stdio_mode = 1;
        ctl_fd = 0;
        ctl_out = 1;
    }
    if (!stdio_mode) {
        if (getpid() != 1) logmsg("warning: not PID 1");
        setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin:/include", 1); /* /include: Include.DEFAULT_DIR */
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
        write_file_abandon();
        logmsg("host disconnected from the control port; waiting for it to reconnect");
        usleep(100000);
    }
}
