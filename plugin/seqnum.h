/*
 * The global sequence: every record, a hit on any vCPU or one of the
 * control thread's or the writer's, takes the next number, so a reader
 * restores one order over all streams and sees any gap.
 *
 * A locked add per hit was the largest cost a logged hit added to its
 * register reads.  When a single thread numbers hits (one vCPU: seqnum_init
 * with @one_vcpu), it does so with a plain load and store; the other
 * threads, which number a few records a second, pay instead.  Such a
 * thread raises `other`, makes every thread of the process pass a full
 * memory barrier (membarrier(2), expedited), then waits for a numbering the
 * vCPU may have begun before it saw `other`; while `other` is up the vCPU
 * takes the locked path too.  This is the asymmetric barrier of userspace
 * RCU: the vCPU's side orders its own accesses only against the compiler.
 * Without membarrier(2), or with QINSN_LOCKED_SEQ set in the environment
 * (to compare the two), every thread takes the locked path.
 */
#ifndef QINSN_SEQNUM_H
#define QINSN_SEQNUM_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct SeqNum {
    _Alignas(64) atomic_uint_fast64_t next;
    atomic_bool vcpu_busy;      /* the vCPU is numbering without a lock */
    atomic_bool plain;          /* the vCPU may (set at start) */
    /* Its own line: read at every hit, written a few times a second. */
    _Alignas(64) atomic_bool other;
} SeqNum;

extern SeqNum seqnum;

/*
 * Before any number is taken: @one_vcpu when a single thread will ever call
 * seqnum_take_vcpu().  False when the plain path cannot be had.
 */
bool seqnum_init(bool one_vcpu);

/* A number, on the thread of a vCPU. */
static inline uint64_t seqnum_take_vcpu(void)
{
    if (G_LIKELY(atomic_load_explicit(&seqnum.plain,
                                      memory_order_relaxed))) {
        atomic_store_explicit(&seqnum.vcpu_busy, true, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
        if (G_LIKELY(!atomic_load_explicit(&seqnum.other,
                                           memory_order_acquire))) {
            uint64_t n = atomic_load_explicit(&seqnum.next,
                                              memory_order_relaxed);

            atomic_store_explicit(&seqnum.next, n + 1, memory_order_relaxed);
            atomic_store_explicit(&seqnum.vcpu_busy, false,
                                  memory_order_release);
            return n;
        }
        atomic_store_explicit(&seqnum.vcpu_busy, false,
                              memory_order_release);
    }
    return atomic_fetch_add_explicit(&seqnum.next, 1, memory_order_relaxed);
}

/* A number, on any other thread (one at a time: the caller serialises). */
uint64_t seqnum_take_other(void);

/* Does the vCPU number without a locked instruction? */
static inline bool seqnum_plain(void)
{
    return atomic_load(&seqnum.plain);
}

/* Numbers handed out so far. */
static inline uint64_t seqnum_issued(void)
{
    return atomic_load(&seqnum.next);
}

#endif /* QINSN_SEQNUM_H */
