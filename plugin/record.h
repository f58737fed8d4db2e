/*
 * Where a hit is recorded: the execution-time callbacks of watched
 * instructions and memory accesses, and the per-vCPU rings they fill.
 *
 * A hit becomes one binary record (trace.h) built in place in its vCPU's
 * ring.  Every record, the control thread's included, takes a number from
 * one global sequence after its space is reserved and before it is
 * published, so the numbers a reader sees have no gaps: the writer restores
 * the global order by waiting for the next number, never by guessing.
 *
 * When a ring is full, overflow=wait (the default) makes the vCPU wait for
 * the writer, so nothing is lost and the guest slows down; the wait gives
 * up after stall_ms without any progress of the writer, and overflow=drop
 * drops at once.  Either way a lost record is counted.
 */
#ifndef QINSN_RECORD_H
#define QINSN_RECORD_H

#include <qemu-plugin.h>

#include "ring.h"
#include "target.h"
#include "watch.h"


typedef struct RecordConfig {
    WatchTable *watches;        /* for the memory watches */
    bool big_endian;            /* the target's */
    bool exact_state;           /* registers are exact mid-block */
    bool timestamps;            /* records carry the host's time */
    bool one_vcpu;              /* never more than one vCPU thread */
    bool overflow_drop;
    uint32_t stall_ms;
    void (*kick)(void);         /* wake the writer (any thread) */
} RecordConfig;

void record_init(const RecordConfig *c);
/* The register table, once known (first vCPU); read by every hit. */
void record_set_regs(const QinsnRegTable *regs);
/* A ring and scratch space for @cpu; call from its vcpu_init. */
void record_vcpu_init(unsigned int cpu);

/* Execution callbacks, registered at translation. */
void record_insn_exec(unsigned int cpu, void *udata);
void record_mem_access(unsigned int cpu, qemu_plugin_meminfo_t info,
                       uint64_t vaddr, void *udata);

/* The rings, for the writer: vCPU rings then the control ring. */
int record_nrings(void);
Ring *record_ring(int i);
Ring *record_control_ring(void);
/* Numbers handed out so far: every number below is or will be published. */
uint64_t record_seq_issued(void);
/*
 * A number for a record the writer makes itself (a CTF trace only).  Every
 * control record numbered before it has been committed to the control ring
 * by the time it returns.
 */
uint64_t record_take_seq(void);
/* Hits of vCPUs beyond QINSN_MAX_VCPUS (no ring): counted as dropped. */
uint64_t record_lost_vcpus(void);
/* CLOCK_MONOTONIC in ns, for durations. */
uint64_t record_now(void);
/* The time records carry (tsclock.h): the same clock, cheaper to read. */
uint64_t record_timestamp(void);

void record_set_overflow_drop(bool drop);
bool record_overflow_drop(void);
uint32_t record_stall_ms(void);
/* The log took some bytes: the writer is slow, not stuck (any thread). */
void record_writer_progress(void);
/* The writer is going to sleep long (@idle): the next record wakes it. */
void record_writer_idle(bool idle);
/* End every current wait for the writer (quit, unwatch all, exit). */
void record_end_waits(void);

/*
 * Queue a record from outside the vCPUs (watch definitions, marks) through
 * the control ring: @ev holds the encoded record, whose sequence number and
 * time are filled in here.  False when the ring is full.
 */
bool record_control_put(GByteArray *ev);

#endif /* QINSN_RECORD_H */
