/*
 * qemu-insn: a QEMU TCG plugin that counts guest instructions executed,
 * deterministically (an inline add per instruction, no sampling, no time).
 *
 *   qemu-system-arm ... -plugin build/qemu-insn/libinsn.so,mark=0xADDR,out=FILE
 *
 * mark=ADDR (optional): each time the guest executes the instruction at
 * ADDR (a marker function's entry), the running count is recorded, so the
 * firmware can bracket the region it wants measured. At exit the plugin
 * writes "insns TOTAL" and one "mark I COUNT" line per marker hit to FILE
 * (default: QEMU's log, seen with -d plugin).
 *
 * profile=FILE (optional): also count per instruction address and write
 * "ADDR COUNT" lines (decimal) to FILE at exit, for a per-function profile
 * (boards/common/mps2/profile.sh). Single vCPU (the MPS2 boards, and
 * qemu-system-riscv32 -M virt for riscv32-virt).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/qemu-insn/qemu-plugin-v1.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_MARKS 4096

static uint64_t insns;
static uint64_t mark_addr = UINT64_MAX;
static uint64_t marks[MAX_MARKS];
static size_t   n_marks, lost_marks;
static const char *out_path;

/* profile=: one counter per guest instruction address (open addressing). */
#define PROFILE_SLOTS (1u << 16)
typedef struct {
    uint64_t addr, count;
    int used;
} profile_slot_t;
static profile_slot_t profile[PROFILE_SLOTS];
static uint64_t profile_overflow; /* executions of instructions that found no slot */
static const char *profile_path;

static uint64_t *profile_counter(uint64_t addr)
{
    size_t i = (size_t)((addr >> 1) * 0x9E3779B97F4A7C15ull >> 48) & (PROFILE_SLOTS - 1);
    for (size_t probe = 0; probe < PROFILE_SLOTS; probe++, i = (i + 1) & (PROFILE_SLOTS - 1)) {
        if (!profile[i].used) {
            profile[i].used = 1;
            profile[i].addr = addr;
        }
        if (profile[i].addr == addr)
            return &profile[i].count;
    }
    return &profile_overflow;
}

static void on_mark(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (n_marks < MAX_MARKS)
        marks[n_marks++] = insns;
    else
        lost_marks++;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insns, 1);
        uint64_t addr = qemu_plugin_insn_vaddr(insn);
        if (addr == mark_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (profile_path)
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       profile_counter(addr), 1);
    }
}

static void emit(FILE *f, const char *line)
{
    if (f)
        fputs(line, f);
    else
        qemu_plugin_outs(line);
}

/* Reports are written to PATH.tmp and renamed: a reader never sees half of one. */
static FILE *open_tmp(const char *path, char *tmp, size_t cap)
{
    if (!path || (size_t)snprintf(tmp, cap, "%s.tmp", path) >= cap)
        return NULL;
    return fopen(tmp, "w");
}

static void close_rename(FILE *f, const char *tmp, const char *path)
{
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        remove(tmp);
}

static void report_at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    char tmp[4096];
    FILE *f = open_tmp(out_path, tmp, sizeof tmp);
    char line[64];
    snprintf(line, sizeof line, "insns %" PRIu64 "\n", insns);
    emit(f, line);
    for (size_t i = 0; i < n_marks; i++) {
        snprintf(line, sizeof line, "mark %zu %" PRIu64 "\n", i, marks[i]);
        emit(f, line);
    }
    if (lost_marks) {
        snprintf(line, sizeof line, "lost_marks %zu\n", lost_marks);
        emit(f, line);
    }
    if (f)
        close_rename(f, tmp, out_path);
    if ((f = open_tmp(profile_path, tmp, sizeof tmp)) != NULL) {
        for (size_t i = 0; i < PROFILE_SLOTS; i++)
            if (profile[i].count)
                fprintf(f, "%" PRIu64 " %" PRIu64 "\n", profile[i].addr, profile[i].count);
        if (profile_overflow)
            fprintf(f, "overflow %" PRIu64 "\n", profile_overflow);
        close_rename(f, tmp, profile_path);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "mark=", 5) == 0) {
            char *end;
            /* Thumb function addresses carry bit 0; instructions do not. */
            mark_addr = strtoull(argv[i] + 5, &end, 0) & ~(uint64_t)1;
            if (*end || end == argv[i] + 5)
                return -1;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = argv[i] + 4;
        } else if (strncmp(argv[i], "profile=", 8) == 0) {
            profile_path = argv[i] + 8;
        } else {
            fprintf(stderr, "qemu-insn: unknown argument '%s' (want mark=ADDR, out=FILE, profile=FILE)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, report_at_exit, NULL);
    return 0;
}
