/* The little-endian payload builder and parser (payload.h). */
#include <stdlib.h>
#include <string.h>

#include "agent_protocol.h"
#include "payload.h"

void put_raw(struct out *o, const void *src, size_t n) {
    if (o->overflow || n > o->cap - o->len) { o->overflow = 1; return; }
    memcpy(o->p + o->len, src, n);
    o->len += n;
}
void put_u8(struct out *o, uint8_t v) { put_raw(o, &v, 1); }
void put_u32(struct out *o, uint32_t v) {
    uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };
    put_raw(o, b, 4);
}
void put_u64(struct out *o, uint64_t v) { put_u32(o, (uint32_t) v); put_u32(o, (uint32_t) (v >> 32)); }
void put_bytes(struct out *o, const void *p, size_t n) { put_u32(o, (uint32_t) n); put_raw(o, p, n); }
void put_str(struct out *o, const char *s) { put_bytes(o, s, strlen(s)); }

static const uint8_t *get_raw(struct in *c, size_t n) {
    if (c->bad || n > c->len - c->off) { c->bad = 1; return NULL; }
    const uint8_t *p = c->p + c->off;
    c->off += n;
    return p;
}
uint32_t get_u32(struct in *c) {
    const uint8_t *b = get_raw(c, 4);
    return b ? (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24 : 0;
}
uint64_t get_u64(struct in *c) { uint64_t lo = get_u32(c); return lo | (uint64_t) get_u32(c) << 32; }
const uint8_t *get_bytes(struct in *c, uint32_t *n) { *n = get_u32(c); return get_raw(c, *n); }
char *get_str(struct in *c) {
    uint32_t n;
    const uint8_t *p = get_bytes(c, &n);
    if (!p || memchr(p, 0, n)) { c->bad = 1; return NULL; }
    char *s = malloc(n + 1);
    if (!s) { c->bad = 1; return NULL; }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}
void free_strs(char **v) {
    if (!v) return;
    for (char **s = v; *s; s++) free(*s);
    free(v);
}
char **get_strs(struct in *c) {
    uint32_t n = get_u32(c);
    if (c->bad || n > AGENT_MAX_LIST) { c->bad = 1; return NULL; }
    char **v = calloc(n + 1, sizeof *v);
    if (!v) { c->bad = 1; return NULL; }
    for (uint32_t i = 0; i < n; i++) {
        v[i] = get_str(c);
        if (!v[i]) { free_strs(v); c->bad = 1; return NULL; }
    }
    return v;
}
