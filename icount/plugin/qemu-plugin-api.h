/*
 * qemu-plugin-api.h -- the few QEMU TCG plugin API declarations pmfit-tracer uses
 *
 * Debian ships no qemu-plugin.h, so the tracer declares what it calls itself,
 * written from the documented API of QEMU 7.2 (plugin API version 1). The
 * tracer checks at install that the running QEMU offers this version.
 */
#ifndef PMFIT_QEMU_PLUGIN_API_H
#define PMFIT_QEMU_PLUGIN_API_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QPA_EXPORT __attribute__((visibility("default")))

/* the plugin API version the tracer is written against */
#define QPA_API_VERSION 1

typedef uint64_t qpa_id_t;
typedef uint32_t qpa_meminfo_t;

struct qpa_tb;
struct qpa_insn;

/* what QEMU tells a plugin at install (only live during the call) */
struct qpa_info {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
};

enum qpa_cb_flags { QPA_CB_NO_REGS, QPA_CB_R_REGS, QPA_CB_RW_REGS };
enum qpa_mem_rw { QPA_MEM_R = 1, QPA_MEM_W = 2, QPA_MEM_RW = 3 };

typedef void (*qpa_udata_cb_t)(qpa_id_t id, void *udata);
typedef void (*qpa_vcpu_simple_cb_t)(qpa_id_t id, unsigned vcpu);
typedef void (*qpa_vcpu_udata_cb_t)(unsigned vcpu, void *udata);
typedef void (*qpa_tb_trans_cb_t)(qpa_id_t id, struct qpa_tb *tb);
typedef void (*qpa_mem_cb_t)(unsigned vcpu, qpa_meminfo_t info,
	uint64_t vaddr, void *udata);
typedef void (*qpa_syscall_cb_t)(qpa_id_t id, unsigned vcpu, int64_t num,
	uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
	uint64_t a6, uint64_t a7, uint64_t a8);
typedef void (*qpa_syscall_ret_cb_t)(qpa_id_t id, unsigned vcpu,
	int64_t num, int64_t ret);

void qemu_plugin_register_vcpu_init_cb(qpa_id_t id, qpa_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qpa_id_t id, qpa_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qpa_insn *insn,
	qpa_vcpu_udata_cb_t cb, enum qpa_cb_flags flags, void *udata);
void qemu_plugin_register_vcpu_mem_cb(struct qpa_insn *insn, qpa_mem_cb_t cb,
	enum qpa_cb_flags flags, enum qpa_mem_rw rw, void *udata);
void qemu_plugin_register_vcpu_syscall_cb(qpa_id_t id, qpa_syscall_cb_t cb);
void qemu_plugin_register_vcpu_syscall_ret_cb(qpa_id_t id,
	qpa_syscall_ret_cb_t cb);
void qemu_plugin_register_atexit_cb(qpa_id_t id, qpa_udata_cb_t cb,
	void *udata);

size_t qemu_plugin_tb_n_insns(const struct qpa_tb *tb);
struct qpa_insn *qemu_plugin_tb_get_insn(const struct qpa_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qpa_insn *insn);
size_t qemu_plugin_insn_size(const struct qpa_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qpa_insn *insn);
void *qemu_plugin_insn_haddr(const struct qpa_insn *insn);

unsigned qemu_plugin_mem_size_shift(qpa_meminfo_t info);
bool qemu_plugin_mem_is_store(qpa_meminfo_t info);

const char *qemu_plugin_path_to_binary(void);
uint64_t qemu_plugin_start_code(void);

#endif
