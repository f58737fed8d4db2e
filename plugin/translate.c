/*
 * The translation-time choice of watched instructions: only instructions a
 * watch covers get an execution callback (record.c), and while a memory
 * watch exists every instruction gets a memory callback.  Every block
 * translated is also noted for the flush module.  A watched instruction's
 * disassembly is QEMU's own, taken here: it is exact for the bytes
 * translated, and costs nothing for the instructions nobody watches.
 */
#include "flush.h"
#include "record.h"
#include "translate.h"

static qemu_plugin_id_t plugin_id;
static WatchTable *watches;

/* The address of an instruction with memory callbacks, kept per PC. */
static Hook *mem_site(uint64_t pc)
{
    static GMutex lock;
    static GHashTable *sites;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
    Hook *h;

    if (!sites) {
        sites = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                      g_free);
    }
    h = g_hash_table_lookup(sites, &pc);
    if (!h) {
        h = g_new0(Hook, 1);
        h->pc = pc;
        h->lazy_state = true;
        g_hash_table_insert(sites, &h->pc, h);
    }
    return h;
}

/* Memory watches are armed once code carries memory callbacks. */
static void arm_mem_watches(void)
{
    const MemSet *set = watch_table_mem(watches);

    for (int i = 0; set && i < set->n; i++) {
        atomic_store(&set->w[i]->translated, true);
    }
}

/*
 * QEMU's disassembly with its column padding ("lui<17 spaces>a1,6")
 * collapsed to single spaces: a value for one line of the protocol.
 */
static char *insn_disas(void *insn)
{
    char *text = qemu_plugin_insn_disas(insn);
    char *to = text;
    bool space = false;

    for (const char *p = text; p && *p; p++) {
        if (g_ascii_isspace(*p)) {
            space = to != text;
            continue;
        }
        if (space) {
            *to++ = ' ';
            space = false;
        }
        *to++ = *p;
    }
    if (to == text) {
        g_free(text);       /* nothing decoded: no disassembly */
        return NULL;
    }
    *to = '\0';
    return text;
}

static void hook_insn(struct qemu_plugin_insn *insn, GPtrArray *hooks,
                      bool mem)
{
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    uint8_t bytes[16];
    size_t len = qemu_plugin_insn_data(insn, bytes, sizeof(bytes));

    g_ptr_array_set_size(hooks, 0);
    watch_table_hooks_for(watches, pc, bytes, (int)len, insn_disas, insn,
                          hooks);
    for (guint j = 0; j < hooks->len; j++) {
        qemu_plugin_register_vcpu_insn_exec_cb(
            insn, record_insn_exec, QEMU_PLUGIN_CB_R_REGS,
            g_ptr_array_index(hooks, j));
    }
    if (mem) {
        qemu_plugin_register_vcpu_mem_cb(insn, record_mem_access,
                                         QEMU_PLUGIN_CB_R_REGS,
                                         QEMU_PLUGIN_MEM_RW, mem_site(pc));
    }
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    g_autoptr(GPtrArray) hooks = NULL;
    bool mem;

    flush_note_translation(tb);
    if (!watch_table_any(watches)) {
        return;
    }
    mem = watch_table_mem_count(watches) > 0;
    if (mem) {
        arm_mem_watches();
    }
    hooks = g_ptr_array_new();
    for (size_t i = 0; i < n; i++) {
        hook_insn(qemu_plugin_tb_get_insn(tb, i), hooks, mem);
    }
}

void translate_init(qemu_plugin_id_t id, WatchTable *table)
{
    plugin_id = id;
    watches = table;
}

void translate_set(bool on)
{
    qemu_plugin_register_vcpu_tb_trans_cb(plugin_id,
                                          on ? vcpu_tb_trans : NULL);
}
