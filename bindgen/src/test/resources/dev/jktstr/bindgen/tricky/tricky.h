/* Declarations the real headers have few of, for GeneratorTest: each is here for a generator rule. */
#ifndef TRICKY_H
#define TRICKY_H

#include <stdint.h>
#include <linux/ioctl.h>

#define TRICKY_SMALL 7
#define TRICKY_NEGATIVE (-5)
#define TRICKY_UNSIGNED_BIG 0x80000000u
#define TRICKY_WIDE (1ULL << 40)
#define TRICKY_WIDE_SMALL 3UL
#define TRICKY_SHIFTED (1 << 3)
#define TRICKY_CHAR 'A'
#define TRICKY_STRING "not an integer"
#define TRICKY_FUNCTION_LIKE(x) ((x) + 1)
#define TRICKY_IO _IO('T', 1)
#define TRICKY_IOR _IOR('T', 2, struct tricky_plain)
#define TRICKY_ALIAS TRICKY_SMALL

enum tricky_enum { TRICKY_A, TRICKY_B = 5, TRICKY_C = -1 };
enum tricky_huge { TRICKY_HUGE = 0xffffffffffULL };
enum { TRICKY_ANONYMOUS_ENUM = 42 };

struct tricky_plain {
    char c;
    int i;
    short s;
    long l;
    double d;
    void *p;
    float f;
    _Bool b;
    enum tricky_enum e;
};

struct tricky_bits {
    uint8_t a : 3;
    uint8_t b : 5;
    int32_t c : 7;
    int32_t d : 20;
    uint64_t e : 40;
    uint32_t : 0;
    uint16_t f : 9;
    int8_t g : 2;
    uint32_t : 3;
    uint32_t h : 1;
};

struct tricky_packed {
    uint8_t a;
    uint32_t b;
    uint16_t c;
    struct tricky_plain inner;
    uint64_t tail;
} __attribute__((packed));

struct tricky_anonymous {
    int kind;
    union {
        struct { int x, y; } point;
        long id;
        struct { short lo; short hi; };
    };
    struct {
        int nested_a;
        union { int deep_u1; char deep_u2[3]; };
        struct { char z; } deeper;
    } named[2];
    int flex[];
};

struct tricky_anonymous_bits {
    int a;
    union {
        struct { unsigned lo : 4, hi : 4; };
        unsigned char all;
    };
};

union tricky_union {
    uint32_t word;
    uint8_t bytes[4];
    struct { uint16_t low, high; } halves;
};

struct tricky_keywords {
    int class;
    int new;
    int _;
    int LAYOUT;
};

typedef struct { uint64_t v; } tricky_typedef_t;

struct tricky_aligned { char c; } __attribute__((aligned(16)));

struct tricky_uses {
    tricky_typedef_t t;
    struct tricky_aligned al;
    struct tricky_plain plains[2][3];
    long double ld;
    struct tricky_keywords *pointer;
    uint8_t zero[0];
};

#endif
