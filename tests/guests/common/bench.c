/*
 * Main program of the benchmark guests: a fixed amount of work, then exit,
 * so run times can be compared.  BENCH_TIGHT selects the worst case (tiny
 * blocks, bench.S); otherwise a compute workload that calls bench_hot()
 * once per item: a hashing and table-mixing step typical of real code.
 */
#include "guest.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 40000000
#endif

uint64_t bench_tight(uint64_t n);
uint64_t bench_hot(uint64_t acc, uint64_t i);

/* A page of its own: stores next to code would force retranslation. */
static uint64_t table[512] __attribute__((aligned(4096)));

__attribute__((noinline)) uint64_t bench_hot(uint64_t acc, uint64_t i)
{
    uint64_t x = acc ^ (i * 0x9e3779b97f4a7c15ull);

    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    table[i & 255] += x;
    return x ^ table[(x >> 8) & 255];
}

void guest_secondary(unsigned long hart)
{
    (void)hart;
}

int guest_main(void)
{
    uint64_t r = 0;

    guest_puts("bench start\n");
#ifdef BENCH_TIGHT
    r = bench_tight(BENCH_ITERS);
#else
    for (uint64_t i = 0; i < BENCH_ITERS; i++) {
        r = bench_hot(r, i);
    }
#endif
    guest_puts("bench result ");
    guest_put_hex(r);
    guest_puts("\n");
    return GUEST_EXIT_PASS;
}
