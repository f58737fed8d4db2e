/*
 * A user-mode test program for flushing while a thread sits in a system
 * call: one thread blocks in read() on a pipe nobody writes, the main
 * thread calls probe_tick() in a loop.  A test watches probe_tick through
 * qinsn's socket; the watch must go live although one vCPU never returns
 * to its work queue.  Exits by itself after a minute.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];

__attribute__((noinline, used)) long probe_tick(long n)
{
    return n * 3 + 1;
}

static void *blocker(void *unused)
{
    char c;

    (void)unused;

    /* Blocks until the process exits: the write end is never written. */
    return (void *)(intptr_t)read(pipefd[0], &c, 1);
}

int main(void)
{
    volatile long sink = 0;
    pthread_t t;
    time_t end;

    if (pipe(pipefd) || pthread_create(&t, NULL, blocker, NULL)) {
        perror("blocked");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    end = time(NULL) + 60;
    for (long i = 0; time(NULL) < end; i++) {
        sink += probe_tick(i);
        if ((i & 0xfff) == 0) {
            usleep(1000);
        }
    }
    return 0;
}
