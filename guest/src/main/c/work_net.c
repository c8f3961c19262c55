/*
 * NetTraffic: pairs of workers exchange messages over TCP on the guest's loopback (the even one listens on an
 * ephemeral port it publishes in its slot, the odd one connects). Each message carries its send time: the wake
 * latency is send to receipt, through the network stack and the scheduler. The odd one out spins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker_rt.h"

/* The guest's lo starts down unless something brings it up. */
static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

/* Moves exactly n bytes (poll with 50 ms steps, so a stop is noticed); 0 on stop or a closed peer. */
static int xfer(int fd, uint8_t *buf, size_t n, int sending) {
    size_t done = 0;
    while (done < n) {
        struct pollfd pf = { fd, sending ? POLLOUT : POLLIN, 0 };
        if (stopping()) return 0;
        if (poll(&pf, 1, 50) <= 0) continue;
        ssize_t r = sending ? send(fd, buf + done, n - done, MSG_NOSIGNAL) : recv(fd, buf + done, n - done, 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return 0;
        if (r > 0) done += (size_t) r;
    }
    return 1;
}

static int server_socket(uint16_t *port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) != 0 || listen(s, 1) != 0
            || getsockname(s, (struct sockaddr *) &a, &len) != 0) {
        if (s >= 0) close(s);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return s;
}

static int connect_pair(struct work_params *wp) {
    struct slot *partner = &group->w[wp->ring_base];
    if (wp->index == wp->ring_base) {
        uint16_t port;
        int ls = server_socket(&port);
        __atomic_store_n(&me->futex_word, ls < 0 ? 0xFFFFFFFFu : port, __ATOMIC_RELEASE); /* all ones: failed */
        futex_wake(&me->futex_word, 1);
        if (ls < 0) return -1;
        int fd = -1;
        while (fd < 0 && !stopping()) {
            struct pollfd pf = { ls, POLLIN, 0 };
            if (poll(&pf, 1, 50) > 0) fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        }
        close(ls);
        return fd;
    }
    if (!futex_wait_while(&partner->futex_word, 0)) return -1;
    uint32_t port = __atomic_load_n(&partner->futex_word, __ATOMIC_ACQUIRE);
    if (port > 0xFFFF) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof a) != 0) { close(fd); fd = -1; }
    return fd;
}

static void net_traffic(struct work_params *wp, size_t size) {
    if (wp->ring_size < 2) { while (!stopping()) { spin(2000); checkpoint(1); } return; }
    loopback_up();
    int fd = connect_pair(wp);
    uint8_t *buf = calloc(1, size);
    if (fd < 0 || !buf) { /* no network: idle rather than die, the missing work units tell */
        while (!stopping()) sleep_ns(10000000);
        if (fd >= 0) close(fd);
        free(buf);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int my_turn = wp->index != wp->ring_base; /* the client sends first */
    while (!stopping()) {
        if (my_turn) {
            uint64_t t = now_ns();
            memcpy(buf, &t, sizeof t);
            if (!xfer(fd, buf, size, 1)) break;
        } else {
            if (!xfer(fd, buf, size, 0)) break;
            uint64_t sent, t = now_ns();
            memcpy(&sent, buf, sizeof sent);
            if (t >= sent) wake_sample(t - sent);
            restart_gap();
            checkpoint(1);
        }
        my_turn = !my_turn;
    }
    close(fd);
    free(buf);
    while (!stopping()) sleep_ns(10000000);
}

int run_net(struct work_params *wp) {
    if (wp->type != AGENT_WORK_NET_TRAFFIC) return 0;
    size_t size = wp->p1 ? wp->p1 : 1024;
    if (size < sizeof(uint64_t)) size = sizeof(uint64_t);
    if (size > (1u << 20)) size = 1u << 20;
    net_traffic(wp, size);
    return 1;
}
