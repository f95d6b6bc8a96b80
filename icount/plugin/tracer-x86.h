/*
 * tracer-x86.h -- the tracer's x86-64 instruction decoder (pure functions)
 *
 * x86_decode() looks at the bytes of one instruction and says what it is to
 * pmfit: a store (plain or non-temporal), a cache-line flush, a fence, a
 * locked read-modify-write, an icount.h marker, or nothing of interest;
 * where it has a memory operand, that operand's addressing form; and which
 * general registers it may write (for the register tracking of the flush
 * operands, see x86_regs_exact()). It reads nothing but its arguments, so
 * test/icount/x86-decode-test.c tests it natively, without QEMU.
 *
 * The decoder is deliberately partial: it knows the encodings compilers and
 * libpmem emit for stores, flushes and fences. Anything it does not know is
 * X86_OTHER with every register possibly written (X86_GPR_ALL), which is the
 * safe answer for the register tracking. Stores are reported by QEMU's memory
 * callbacks whatever this decoder says; the store classes matter to the
 * tracer only for the non-temporal flag and the env check (`mov`).
 */
#ifndef PMFIT_TRACER_X86_H
#define PMFIT_TRACER_X86_H 1

#include <stddef.h>
#include <stdint.h>

/* general register numbers (ModRM/SIB numbering = TCG CPU state regs[]) */
#define X86_RAX 0
#define X86_RCX 1
#define X86_RDX 2
#define X86_RSP 4
#define X86_RSI 6
#define X86_RDI 7
#define X86_GPR_ALL 0xffffu /* "may write any general register" */

/* what an instruction is to the tracer */
enum x86_class {
	X86_OTHER,	/* nothing pmfit models (loads, arithmetic, branches) */
	X86_STORE,	/* writes memory */
	X86_NT_STORE,	/* non-temporal store: movnti, movntdq, movntps, ... */
	X86_FLUSH,	/* clflush, clflushopt, clwb (sub: enum x86_flush) */
	X86_FENCE,	/* sfence, mfence (sub: enum x86_fence) */
	X86_LOCKED,	/* locked read-modify-write: lock prefix, xchg with memory */
	X86_MARKER,	/* an icount.h magic NOP (sub: 0 start .. 3 total) */
};

/*
 * control flow the tracer follows for its shadow call stack (tracer-frames.c):
 * near calls (E8, FF /2) and near returns (C3, C2); far ones are not used by
 * user-mode x86-64 code
 */
enum x86_flow { X86_FLOW_NONE, X86_FLOW_CALL, X86_FLOW_RET };

/* flush kinds: the flags of a trace's flush record (docs/trace-format.md) */
enum x86_flush { X86_CLFLUSH, X86_CLFLUSHOPT, X86_CLWB };

/* fence kinds: the flags of a trace's fence record */
enum x86_fence { X86_SFENCE, X86_MFENCE, X86_LOCKED_FENCE };

/* struct x86_operand -- a memory operand: seg:[base + index * scale + disp] */
struct x86_operand {
	int8_t base;	/* base register, or -1 */
	int8_t index;	/* index register, or -1 */
	uint8_t scale;	/* 1, 2, 4 or 8 */
	uint8_t riprel;	/* disp is relative to the next instruction */
	uint8_t addr32;	/* 0x67 prefix: the address is truncated to 32 bits */
	uint8_t seg;	/* 0x64 (fs) or 0x65 (gs) prefix, else 0 */
	int32_t disp;
};

/*
 * what an instruction does to one general register, for the few simple
 * 64-bit forms compilers use to compute addresses (register tracking)
 */
enum x86_regop {
	X86_RO_NONE,	/* anything else: see gpr_writes */
	X86_RO_MOV,	/* dst = src */
	X86_RO_LEA,	/* dst = the address of `mem` */
	X86_RO_ADDI,	/* dst += imm (sub, inc, dec too) */
	X86_RO_ADD,	/* dst += src */
	X86_RO_SUB,	/* dst -= src */
	X86_RO_SHLI,	/* dst <<= imm */
	X86_RO_SETI,	/* dst = imm (mov $imm, xor r,r) */
};

/* struct x86_insn -- what x86_decode() says about one instruction */
struct x86_insn {
	uint8_t cls;		/* enum x86_class */
	uint8_t sub;		/* flush, fence or marker kind */
	uint8_t width;		/* stores: bytes written (per element), 0 unknown */
	uint8_t rep;		/* rep-prefixed string store (movs, stos) */
	uint8_t mov;		/* a plain mov to memory (opcodes 88, 89) */
	uint8_t has_mem;	/* `mem` is the instruction's memory operand */
	uint8_t flow;		/* enum x86_flow */
	uint8_t direct;		/* a call rel32: its target is next + rel */
	int32_t rel;
	uint8_t syncs;		/* surely accesses guest memory: TCG writes all
				 * guest registers back before it */
	uint16_t gpr_writes;	/* registers it may write (X86_GPR_ALL: unknown) */
	uint8_t regop;		/* enum x86_regop */
	int8_t dst, src;	/* its registers */
	int64_t imm;		/* its immediate */
	struct x86_operand mem;
};

/* x86_decode -- classify the n bytes of one instruction */
void x86_decode(const uint8_t *bytes, size_t n, struct x86_insn *out);

#define X86_EXPR_TERMS 4

/* struct x86_expr -- an address: c + sum of k[i] * register reg[i] */
struct x86_expr {
	uint64_t c;
	uint64_t k[X86_EXPR_TERMS];
	int8_t reg[X86_EXPR_TERMS];
	uint8_t n;		/* terms in use */
	uint8_t addr32;		/* truncate the sum to 32 bits */
};

/*
 * x86_flush_expr -- the address of the memory operand of instruction k of
 * a translation block, as an expression over the guest registers that the
 * TCG CPU state holds exactly when k runs; returns 1 if it could build one,
 * else 0 with the plain operand (base + index * scale + disp, possibly stale
 * registers) in *out.
 *
 * The CPU state is exact at the block start and right after a guest memory
 * access (TCG writes the guest registers back before one); a register
 * written since then may lag. insns[0..k] are the block's instructions,
 * decoded; next_pcs[i] is the address after instruction i. Registers
 * computed since the last exact point by the simple forms of enum
 * x86_regop are followed as expressions over registers not written since
 * (e.g. mov %rdi,%rcx; add $64,%rcx; clwb (%rcx) is rdi + 64).
 */
int x86_flush_expr(const struct x86_insn *insns, const uint64_t *next_pcs,
	size_t k, struct x86_expr *out);

/* x86_expr_eval -- the value of an expression, given the registers */
uint64_t x86_expr_eval(const struct x86_expr *e, const uint64_t *regs);

/* x86_class_name -- "store", "flush", ... (for messages and tests) */
const char *x86_class_name(int cls);

#endif
