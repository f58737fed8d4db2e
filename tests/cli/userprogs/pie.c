/*
 * A position-independent Linux program for the client's symbol tests:
 * it calls target_fn(i) every 10 ms for at most a minute, so that a test
 * can watch target_fn by name while it runs under qemu-x86_64.
 */
#include <unistd.h>

__attribute__((noinline)) long target_fn(long i)
{
    __asm__ volatile("" ::: "memory");
    return i * 3;
}

int main(void)
{
    long sum = 0;

    for (long i = 0; i < 6000; i++) {
        sum += target_fn(i);
        usleep(10000);
    }
    return sum == 0;
}
