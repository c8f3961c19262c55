/*
 * The payload encoding (guest/README.md): little-endian u8/u32/u64, bytes = u32 length + bytes,
 * str = bytes without NUL, strs = u32 count + str each. Both sides are bounded: a builder that runs
 * out of room sets overflow, a parser that runs past the end sets bad, and later calls do nothing.
 */
#ifndef JKTSTR_PAYLOAD_H
#define JKTSTR_PAYLOAD_H
#include <stddef.h>
#include <stdint.h>

struct out { uint8_t *p; size_t len, cap; int overflow; };
struct in { const uint8_t *p; size_t len, off; int bad; };

void put_raw(struct out *o, const void *src, size_t n);
void put_u8(struct out *o, uint8_t v);
void put_u32(struct out *o, uint32_t v);
void put_u64(struct out *o, uint64_t v);
void put_bytes(struct out *o, const void *p, size_t n);
void put_str(struct out *o, const char *s);

uint32_t get_u32(struct in *c);
uint64_t get_u64(struct in *c);
const uint8_t *get_bytes(struct in *c, uint32_t *n);
/* A malloc'd NUL-terminated copy; embedded NULs make the payload bad. */
char *get_str(struct in *c);
/* A malloc'd NULL-terminated array of get_str copies (at most AGENT_MAX_LIST); free with free_strs. */
char **get_strs(struct in *c);
void free_strs(char **v);

#endif
