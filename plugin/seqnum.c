/*
 * The global sequence's slow side: see seqnum.h.
 */
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seqnum.h"

#ifdef __linux__
#include <linux/membarrier.h>
#endif

SeqNum seqnum;

#if defined(__linux__) && defined(__NR_membarrier)
static long membarrier(int cmd)
{
    return syscall(__NR_membarrier, cmd, 0, 0);
}

bool seqnum_init(bool one_vcpu)
{
    long cmds;

    if (!one_vcpu || getenv("QINSN_LOCKED_SEQ")) {
        return false;
    }
    cmds = membarrier(MEMBARRIER_CMD_QUERY);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
        membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
        return false;
    }
    atomic_store(&seqnum.plain, true);
    return true;
}

uint64_t seqnum_take_other(void)
{
    uint64_t n;

    if (!atomic_load(&seqnum.plain)) {
        return atomic_fetch_add(&seqnum.next, 1);
    }
    atomic_store(&seqnum.other, true);
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        /*
         * Registered at start, so only a kernel bug gets here: leave
         * `other` up and the plain path off for good (the vCPU takes the
         * locked path from its next number on) and give a numbering it
         * began time to end.
         */
        atomic_store(&seqnum.plain, false);
        g_usleep(10000);
    }
    /* the vCPU saw `other` down and numbers without a lock: let it end */
    while (atomic_load(&seqnum.vcpu_busy)) {
        sched_yield();
    }
    n = atomic_fetch_add(&seqnum.next, 1);
    if (atomic_load(&seqnum.plain)) {
        atomic_store(&seqnum.other, false);
    }
    return n;
}
#else
bool seqnum_init(bool one_vcpu)
{
    return false;
}

uint64_t seqnum_take_other(void)
{
    return atomic_fetch_add(&seqnum.next, 1);
}
#endif
