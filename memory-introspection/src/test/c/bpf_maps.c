/* Test helper run inside the guest: creates BPF maps with known contents, prints "ready", waits.
 * HASH "jk_hash": keys 1..10 -> value key*1000+7 (u64). ARRAY "jk_array": index i -> i*i (u64), 4 entries. */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }

static int create(__u32 type, const char *name, __u32 entries) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = entries;
    strncpy(a.map_name, name, sizeof a.map_name - 1);
    return (int)bpf(BPF_MAP_CREATE, &a);
}

static int put(int fd, __u32 key, __u64 value) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = fd;
    a.key = (unsigned long)&key;
    a.value = (unsigned long)&value;
    a.flags = BPF_ANY;
    return (int)bpf(BPF_MAP_UPDATE_ELEM, &a);
}

int main(void) {
    int h = create(BPF_MAP_TYPE_HASH, "jk_hash", 64);
    int arr = create(BPF_MAP_TYPE_ARRAY, "jk_array", 4);
    if (h < 0 || arr < 0) {
        perror("BPF_MAP_CREATE");
        return 1;
    }
    for (__u32 k = 1; k <= 10; k++) {
        if (put(h, k, k * 1000ULL + 7)) {
            perror("update hash");
            return 1;
        }
    }
    for (__u32 i = 0; i < 4; i++) {
        if (put(arr, i, (__u64)i * i)) {
            perror("update array");
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}
