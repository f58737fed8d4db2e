/*
 * A user-mode test program for x86_64, riscv64 and aarch64: calls
 * functions whose arguments are known, so that a test can watch their
 * entries (addresses from nm) and check the argument registers qinsn logs.
 * user_mid is a label in the middle of mid_cmp's only block, right after a
 * compare of two equal values, for checking the PC and flags there.
 * user_args.py holds the expected values; keep the two in step.
 */
#include <stdint.h>
#include <stdio.h>

/* noipa: no inlining, no cloning, no constant propagation into them. */
#define PROBE __attribute__((noipa, used))

PROBE long probe_three(long a, long b, long c)
{
    return a + b + c;
}

PROBE long probe_two(long a, long b)
{
    return a * b;
}

PROBE uint64_t probe_big(uint64_t a, uint64_t b)
{
    return a ^ b;
}

/* long mid_cmp(long x, long y): 2x + y, with user_mid after "compare". */
long mid_cmp(long x, long y);

#if defined(__x86_64__)
__asm__(
    "    .text\n"
    "    .globl mid_cmp, user_mid\n"
    "    .type mid_cmp, @function\n"
    "mid_cmp:\n"
    "    lea (%rdi, %rsi), %rax\n"
    "    cmp %rsi, %rdi\n"
    "user_mid:\n"
    "    add %rdi, %rax\n"
    "    ret\n"
    "    .size mid_cmp, . - mid_cmp\n");
#elif defined(__aarch64__)
__asm__(
    "    .text\n"
    "    .globl mid_cmp, user_mid\n"
    "    .type mid_cmp, %function\n"
    "mid_cmp:\n"
    "    add x2, x0, x1\n"
    "    cmp x0, x1\n"
    "user_mid:\n"
    "    add x0, x2, x0\n"
    "    ret\n"
    "    .size mid_cmp, . - mid_cmp\n");
#elif defined(__riscv) && __riscv_xlen == 64
__asm__(
    "    .text\n"
    "    .globl mid_cmp, user_mid\n"
    "    .type mid_cmp, @function\n"
    "mid_cmp:\n"
    "    add a2, a0, a1\n"
    "    sub a5, a0, a1\n"
    "user_mid:\n"
    "    add a0, a2, a0\n"
    "    ret\n"
    "    .size mid_cmp, . - mid_cmp\n");
#else
#error "x86_64, aarch64 or riscv64 only"
#endif

int main(void)
{
    /* volatile: keep the compiler from folding the calls away */
    volatile long sum = 0;

    for (long i = 1; i <= 3; i++) {
        sum += probe_three(i, 10 * i, 100 * i);
    }
    sum += probe_two(6, 7);
    sum += probe_big(UINT64_C(0x0123456789abcdef),
                     UINT64_C(0xfedcba9876543210));
    sum += mid_cmp(5, 5);
    sum += mid_cmp(0x1234, 0x1234);
    printf("sum=%ld\n", sum);
    return 0;
}
