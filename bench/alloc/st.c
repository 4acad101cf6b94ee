/* st.c - single thread: random malloc/free of 8..1024 bytes over 1000
   slots (about 500 blocks live); each op frees the slot's block or fills
   the empty slot.  The first byte is written so the block is touched. */
#include "benchutil.h"

int main(int argc, char **argv) {
    long ops = arg_ops(argc, argv, 20000000);
    enum { SLOTS = 1000 };
    static char *slot[SLOTS];
    uint64_t s = 88172645463325252ull;
    int64_t t0 = now_ns(), c0 = cpu_ns();
    for (long i = 0; i < ops; i++) {
        uint64_t r = xorshift(&s);
        unsigned k = (unsigned)(r % SLOTS);
        if (slot[k]) {
            free(slot[k]);
            slot[k] = NULL;
        } else {
            slot[k] = malloc(8 + (r >> 32) % 1017);
            slot[k][0] = 1;
        }
    }
    int64_t t = now_ns() - t0;
    for (unsigned k = 0; k < SLOTS; k++)
        free(slot[k]);
    report("st", ops, t, c0);
    return 0;
}
