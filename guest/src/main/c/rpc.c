/* The request dispatch (rpc.h) and the requests of no domain: PING, HELLO (READY), POWER_OFF. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent.h"
#include "agent_protocol.h"
#include "frames.h"
#include "init.h"
#include "rpc.h"

static void do_ping(uint32_t id, const uint8_t *p, uint32_t len) {
    struct out o = payload();
    put_raw(&o, p, len);
    send_frame(id, AGENT_MSG_OK, &o);
}

void send_ready(uint32_t id) {
    struct utsname u;
    if (uname(&u) != 0) strcpy(u.release, "?");
    struct out o = payload();
    put_u32(&o, AGENT_PROTOCOL_VERSION);
    put_u64(&o, agent_start_ms);
    put_u64(&o, stdio_mode ? 0 : uptime_ms());
    put_str(&o, u.release);
    put_str(&o, failed_mounts);
    send_frame(id, AGENT_MSG_READY, &o);
}

void handle_request(uint32_t id, uint16_t type, const uint8_t *p, uint32_t len) {
    struct in c = { p, len, 0, 0 };
    switch (type) {
    case AGENT_MSG_PING: do_ping(id, p, len); break;
    case AGENT_MSG_HELLO: send_ready(id); break;
    case AGENT_MSG_EXEC: do_exec(id, &c); break;
    case AGENT_MSG_READ_FILE: do_read_file(id, &c); break;
    case AGENT_MSG_WRITE_FILE: do_write_file(id, &c); break;
    case AGENT_MSG_WRITE_DATA: do_write_data(id, p, len); break;
    case AGENT_MSG_READ_KMSG: do_read_kmsg(id); break;
    case AGENT_MSG_WORKERS_SPAWN: do_workers_spawn(id, &c); break;
    case AGENT_MSG_WORKERS_START: do_workers_start(id, &c); break;
    case AGENT_MSG_WORKERS_STOP: do_workers_stop(id, &c); break;
    case AGENT_MSG_WORKERS_PEEK: do_workers_peek(id, &c); break;
    case AGENT_MSG_WORKERS_CPUS: do_workers_cpus(id, &c); break;
    case AGENT_MSG_POWER_OFF:
        logmsg("power off requested");
        send_ok_empty(id);
        power_off();
        break;
    default: send_error(id, EINVAL, "unknown request type 0x%x", type); break;
    }
}
