/*
 * x86-decode-test.c -- native test of the tracer's x86 decoder
 * (icount/plugin/tracer-x86.c): instruction bytes in, classification and
 * memory operand out, for the forms compilers and libpmem emit
 *
 * The bytes are GNU as's encodings of the assembly shown with each case.
 * Prints one line per failed case and "N passed, M failed"; exits 1 on any
 * failure. Built by icount/icount.mk as build/x86-decode-test and run by
 * test/icount/x86-decode.test.ts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tracer-x86.h"

/* struct decode_case -- bytes of one instruction and what they must decode to */
struct decode_case {
	const char *text;	/* the instruction in AT&T syntax */
	uint8_t bytes[16];
	size_t n;
	struct x86_insn want;	/* gpr_writes and syncs are not compared */
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })
#define NOMEM .mem = { .base = -1, .index = -1, .scale = 1 }
#define OP(b, i, s, d) .has_mem = 1, \
	.mem = { .base = (b), .index = (i), .scale = (s), .disp = (d) }
#define OPX(b, d, ...) .has_mem = 1, \
	.mem = { .base = (b), .index = -1, .scale = 1, .disp = (d), __VA_ARGS__ }

#define RAX 0
#define RCX 1
#define RDX 2
#define RSP 4
#define RBP 5
#define RSI 6
#define RDI 7
#define R8 8
#define R9 9
#define R12 12
#define R13 13
#define R14 14

static const struct decode_case Cases[] = {
	/* plain stores of each width and addressing form */
	{ "movb %al,(%rdi)", B(0x88, 0x07),
		{ .cls = X86_STORE, .width = 1, .mov = 1, OP(RDI, -1, 1, 0) } },
	{ "movw %ax,0x10(%rdi)", B(0x66, 0x89, 0x47, 0x10),
		{ .cls = X86_STORE, .width = 2, .mov = 1, OP(RDI, -1, 1, 0x10) } },
	{ "movl %eax,-4(%rbp)", B(0x89, 0x45, 0xFC),
		{ .cls = X86_STORE, .width = 4, .mov = 1, OP(RBP, -1, 1, -4) } },
	{ "movq %rax,(%rsp)", B(0x48, 0x89, 0x04, 0x24),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OP(RSP, -1, 1, 0) } },
	{ "movq %rax,8(%rdi,%rcx,8)", B(0x48, 0x89, 0x44, 0xCF, 0x08),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OP(RDI, RCX, 8, 8) } },
	{ "movq %r9,(%r12)", B(0x4D, 0x89, 0x0C, 0x24),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OP(R12, -1, 1, 0) } },
	{ "movq %rax,0x100(%r13,%r14,2)",
		B(0x4B, 0x89, 0x84, 0x75, 0x00, 0x01, 0x00, 0x00),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OP(R13, R14, 2, 0x100) } },
	{ "movq %rax,0x1234(%rip)", B(0x48, 0x89, 0x05, 0x34, 0x12, 0x00, 0x00),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OPX(-1, 0x1234, .riprel = 1) } },
	{ "movq %rax,%fs:0x28",
		B(0x64, 0x48, 0x89, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00),
		{ .cls = X86_STORE, .width = 8, .mov = 1, OPX(-1, 0x28, .seg = 0x64) } },
	{ "movl %eax,(%edi)", B(0x67, 0x89, 0x07),
		{ .cls = X86_STORE, .width = 4, .mov = 1, OPX(RDI, 0, .addr32 = 1) } },
	{ "movl $1,(%rdi)", B(0xC7, 0x07, 0x01, 0x00, 0x00, 0x00),
		{ .cls = X86_STORE, .width = 4, OP(RDI, -1, 1, 0) } },
	{ "movq $-1,(%rdi)", B(0x48, 0xC7, 0x07, 0xFF, 0xFF, 0xFF, 0xFF),
		{ .cls = X86_STORE, .width = 8, OP(RDI, -1, 1, 0) } },
	{ "movb $1,0x40(%rax)", B(0xC6, 0x40, 0x40, 0x01),
		{ .cls = X86_STORE, .width = 1, OP(RAX, -1, 1, 0x40) } },
	{ "addq %rax,(%rdi)", B(0x48, 0x01, 0x07),
		{ .cls = X86_STORE, .width = 8, OP(RDI, -1, 1, 0) } },
	{ "incl (%rdi)", B(0xFF, 0x07),
		{ .cls = X86_STORE, .width = 4, OP(RDI, -1, 1, 0) } },
	{ "setne (%rdi)", B(0x0F, 0x95, 0x07),
		{ .cls = X86_STORE, .width = 1, OP(RDI, -1, 1, 0) } },
	{ "movups %xmm0,(%rdi)", B(0x0F, 0x11, 0x07),
		{ .cls = X86_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	{ "movdqu %xmm0,(%rdi)", B(0xF3, 0x0F, 0x7F, 0x07),
		{ .cls = X86_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	{ "movdqa %xmm1,0x20(%rsi)", B(0x66, 0x0F, 0x7F, 0x4E, 0x20),
		{ .cls = X86_STORE, .width = 16, OP(RSI, -1, 1, 0x20) } },
	{ "vmovdqu %ymm0,(%rdi)", B(0xC5, 0xFE, 0x7F, 0x07),
		{ .cls = X86_STORE, .width = 32, OP(RDI, -1, 1, 0) } },
	{ "vmovdqa %xmm2,(%rdi)", B(0xC5, 0xF9, 0x7F, 0x17),
		{ .cls = X86_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	{ "movq %xmm0,(%rdi)", B(0x66, 0x0F, 0xD6, 0x07),
		{ .cls = X86_STORE, .width = 8, OP(RDI, -1, 1, 0) } },
	{ "movd %xmm0,(%rdi)", B(0x66, 0x0F, 0x7E, 0x07),
		{ .cls = X86_STORE, .width = 4, OP(RDI, -1, 1, 0) } },
	{ "movsd %xmm0,(%rdi)", B(0xF2, 0x0F, 0x11, 0x07),
		{ .cls = X86_STORE, .width = 8, OP(RDI, -1, 1, 0) } },
	/* string stores: one element per iteration, through rdi */
	{ "rep movsb", B(0xF3, 0xA4),
		{ .cls = X86_STORE, .width = 1, .rep = 1, OP(RDI, -1, 1, 0) } },
	{ "rep movsq", B(0xF3, 0x48, 0xA5),
		{ .cls = X86_STORE, .width = 8, .rep = 1, OP(RDI, -1, 1, 0) } },
	{ "rep stosb", B(0xF3, 0xAA),
		{ .cls = X86_STORE, .width = 1, .rep = 1, OP(RDI, -1, 1, 0) } },
	{ "rep stosq", B(0xF3, 0x48, 0xAB),
		{ .cls = X86_STORE, .width = 8, .rep = 1, OP(RDI, -1, 1, 0) } },
	{ "stosl", B(0xAB),
		{ .cls = X86_STORE, .width = 4, OP(RDI, -1, 1, 0) } },
	{ "push %rbx", B(0x53), { .cls = X86_STORE, .width = 8, NOMEM } },
	/* non-temporal stores */
	{ "movnti %eax,(%rdi)", B(0x0F, 0xC3, 0x07),
		{ .cls = X86_NT_STORE, .width = 4, OP(RDI, -1, 1, 0) } },
	{ "movnti %rax,8(%rdi)", B(0x48, 0x0F, 0xC3, 0x47, 0x08),
		{ .cls = X86_NT_STORE, .width = 8, OP(RDI, -1, 1, 8) } },
	{ "movntdq %xmm0,(%rdi)", B(0x66, 0x0F, 0xE7, 0x07),
		{ .cls = X86_NT_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	{ "vmovntdq %ymm0,(%rdi)", B(0xC5, 0xFD, 0xE7, 0x07),
		{ .cls = X86_NT_STORE, .width = 32, OP(RDI, -1, 1, 0) } },
	{ "vmovntdq %xmm0,0x40(%rdi)", B(0xC5, 0xF9, 0xE7, 0x47, 0x40),
		{ .cls = X86_NT_STORE, .width = 16, OP(RDI, -1, 1, 0x40) } },
	{ "movntps %xmm0,(%rdi)", B(0x0F, 0x2B, 0x07),
		{ .cls = X86_NT_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	{ "movntq %mm0,(%rdi)", B(0x0F, 0xE7, 0x07),
		{ .cls = X86_NT_STORE, .width = 8, OP(RDI, -1, 1, 0) } },
	{ "maskmovdqu %xmm1,%xmm0", B(0x66, 0x0F, 0xF7, 0xC1),
		{ .cls = X86_NT_STORE, .width = 16, OP(RDI, -1, 1, 0) } },
	/* flushes, in the forms of _mm_clwb(p + k), libpmem's loops, SIB */
	{ "clwb (%rdi)", B(0x66, 0x0F, 0xAE, 0x37),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RDI, -1, 1, 0) } },
	{ "clwb 0x40(%rdi)", B(0x66, 0x0F, 0xAE, 0x77, 0x40),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RDI, -1, 1, 0x40) } },
	{ "clwb (%rax,%rcx,1)", B(0x66, 0x0F, 0xAE, 0x34, 0x08),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RAX, RCX, 1, 0) } },
	{ "clwb -0x40(%rdx,%rsi,8)", B(0x66, 0x0F, 0xAE, 0x74, 0xF2, 0xC0),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RDX, RSI, 8, -0x40) } },
	{ "clwb (%r13)", B(0x66, 0x41, 0x0F, 0xAE, 0x75, 0x00),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(R13, -1, 1, 0) } },
	{ "clflushopt (%rdi)", B(0x66, 0x0F, 0xAE, 0x3F),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSHOPT, OP(RDI, -1, 1, 0) } },
	{ "clflushopt 0x80(%rax)",
		B(0x66, 0x0F, 0xAE, 0xB8, 0x80, 0x00, 0x00, 0x00),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSHOPT, OP(RAX, -1, 1, 0x80) } },
	{ "clflushopt (%rsp)", B(0x66, 0x0F, 0xAE, 0x3C, 0x24),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSHOPT, OP(RSP, -1, 1, 0) } },
	{ "clflush (%rdi)", B(0x0F, 0xAE, 0x3F),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSH, OP(RDI, -1, 1, 0) } },
	{ "clflush 0x1000(%r8,%r9,4)",
		B(0x43, 0x0F, 0xAE, 0xBC, 0x88, 0x00, 0x10, 0x00, 0x00),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSH, OP(R8, R9, 4, 0x1000) } },
	{ "clflush 0x10(%rip)", B(0x0F, 0xAE, 0x3D, 0x10, 0x00, 0x00, 0x00),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSH, OPX(-1, 0x10, .riprel = 1) } },
	{ "clwb %fs:(%rax)", B(0x64, 0x66, 0x0F, 0xAE, 0x30),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OPX(RAX, 0, .seg = 0x64) } },
	{ "clflush (%eax)", B(0x67, 0x0F, 0xAE, 0x38),
		{ .cls = X86_FLUSH, .sub = X86_CLFLUSH, OPX(RAX, 0, .addr32 = 1) } },
	/* fences; lfence orders loads only and is not one */
	{ "sfence", B(0x0F, 0xAE, 0xF8),
		{ .cls = X86_FENCE, .sub = X86_SFENCE, NOMEM } },
	{ "mfence", B(0x0F, 0xAE, 0xF0),
		{ .cls = X86_FENCE, .sub = X86_MFENCE, NOMEM } },
	{ "lfence", B(0x0F, 0xAE, 0xE8), { .cls = X86_OTHER, NOMEM } },
	/* locked read-modify-writes: a fence, then a store */
	{ "lock addq $1,(%rdi)", B(0xF0, 0x48, 0x83, 0x07, 0x01),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 8,
		OP(RDI, -1, 1, 0) } },
	{ "lock cmpxchg %rcx,(%rdi)", B(0xF0, 0x48, 0x0F, 0xB1, 0x0F),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 8,
		OP(RDI, -1, 1, 0) } },
	{ "lock xaddl %eax,(%rdi)", B(0xF0, 0x0F, 0xC1, 0x07),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 4,
		OP(RDI, -1, 1, 0) } },
	{ "lock incl 4(%rdi)", B(0xF0, 0xFF, 0x47, 0x04),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 4,
		OP(RDI, -1, 1, 4) } },
	{ "lock orq $0,(%rsp)", B(0xF0, 0x48, 0x83, 0x0C, 0x24, 0x00),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 8,
		OP(RSP, -1, 1, 0) } },
	{ "xchg %rax,(%rdi)", B(0x48, 0x87, 0x07),
		{ .cls = X86_LOCKED, .sub = X86_LOCKED_FENCE, .width = 8,
		OP(RDI, -1, 1, 0) } },
	/* nothing pmfit models: register-only, loads, compares, prefetch */
	{ "xchg %rax,%rbx", B(0x48, 0x93), { .cls = X86_OTHER, NOMEM } },
	{ "nop", B(0x90), { .cls = X86_OTHER, NOMEM } },
	{ "add %rax,%rbx", B(0x48, 0x01, 0xC3), { .cls = X86_OTHER, NOMEM } },
	{ "mov %rax,%rbx", B(0x48, 0x89, 0xC3), { .cls = X86_OTHER, NOMEM } },
	{ "lea 8(%rdi),%rax", B(0x48, 0x8D, 0x47, 0x08),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 8) } },
	/* calls and returns: the shadow call stack follows them (flow) */
	{ "ret", B(0xC3), { .cls = X86_OTHER, .flow = X86_FLOW_RET, NOMEM } },
	{ "movq (%rdi),%rax", B(0x48, 0x8B, 0x07),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "movdqu (%rdi),%xmm0", B(0xF3, 0x0F, 0x6F, 0x07),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "cmpq %rax,(%rdi)", B(0x48, 0x39, 0x07),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "testl $1,(%rdi)", B(0xF7, 0x07, 0x01, 0x00, 0x00, 0x00),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "xsaveopt (%rdi)", B(0x0F, 0xAE, 0x37),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "prefetcht0 (%rdi)", B(0x0F, 0x18, 0x0F),
		{ .cls = X86_OTHER, OP(RDI, -1, 1, 0) } },
	{ "pause", B(0xF3, 0x90), { .cls = X86_OTHER, NOMEM } },
	{ "vzeroupper", B(0xC5, 0xF8, 0x77), { .cls = X86_OTHER, NOMEM } },
	/* icount.h's magic NOPs, and an ordinary long NOP */
	{ "icount_start", B(0x0F, 0x1F, 0x84, 0x00, 0xA1, 0x46, 0x4D, 0x50),
		{ .cls = X86_MARKER, .sub = 0, NOMEM } },
	{ "icount_stop", B(0x0F, 0x1F, 0x84, 0x00, 0xA2, 0x46, 0x4D, 0x50),
		{ .cls = X86_MARKER, .sub = 1, NOMEM } },
	{ "icount_marker", B(0x0F, 0x1F, 0x84, 0x00, 0xA3, 0x46, 0x4D, 0x50),
		{ .cls = X86_MARKER, .sub = 2, NOMEM } },
	{ "icount_total", B(0x0F, 0x1F, 0x84, 0x00, 0xA4, 0x46, 0x4D, 0x50),
		{ .cls = X86_MARKER, .sub = 3, NOMEM } },
	{ "nopl 0x0(%rax,%rax,1)", B(0x0F, 0x1F, 0x04, 0x00),
		{ .cls = X86_OTHER, OP(RAX, RAX, 1, 0) } },
};

/* struct regop_case -- a simple register operation and what it does */
struct regop_case {
	const char *text;
	uint8_t bytes[16];
	size_t n;
	int regop, dst, src;
	int64_t imm;
};

static const struct regop_case Regops[] = {
	{ "mov %rdi,%rcx", B(0x48, 0x89, 0xF9), X86_RO_MOV, RCX, RDI, 0 },
	{ "mov %r12,%r13", B(0x4D, 0x89, 0xE5), X86_RO_MOV, R13, R12, 0 },
	{ "add $0x40,%rcx", B(0x48, 0x83, 0xC1, 0x40), X86_RO_ADDI, RCX, 0, 0x40 },
	{ "sub $0x1000,%rsp", B(0x48, 0x81, 0xEC, 0x00, 0x10, 0x00, 0x00),
		X86_RO_ADDI, RSP, 0, -0x1000 },
	{ "add $0x12345,%rax", B(0x48, 0x05, 0x45, 0x23, 0x01, 0x00),
		X86_RO_ADDI, RAX, 0, 0x12345 },
	{ "inc %rax", B(0x48, 0xFF, 0xC0), X86_RO_ADDI, RAX, 0, 1 },
	{ "lea 0x80(%rcx),%rsi", B(0x48, 0x8D, 0xB1, 0x80, 0x00, 0x00, 0x00),
		X86_RO_LEA, RSI, 0, 0 },
	{ "add %rdi,%rax", B(0x48, 0x01, 0xF8), X86_RO_ADD, RAX, RDI, 0 },
	{ "sub %rcx,%rax", B(0x48, 0x29, 0xC8), X86_RO_SUB, RAX, RCX, 0 },
	{ "shl $6,%rax", B(0x48, 0xC1, 0xE0, 0x06), X86_RO_SHLI, RAX, 0, 6 },
	{ "xor %eax,%eax", B(0x31, 0xC0), X86_RO_SETI, RAX, 0, 0 },
	{ "mov $0x1000,%eax", B(0xB8, 0x00, 0x10, 0x00, 0x00),
		X86_RO_SETI, RAX, 0, 0x1000 },
	{ "movabs $0x123456789a,%rdx",
		B(0x48, 0xBA, 0x9A, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00),
		X86_RO_SETI, RDX, 0, 0x123456789aLL },
	{ "movq $-8,%rbx", B(0x48, 0xC7, 0xC3, 0xF8, 0xFF, 0xFF, 0xFF),
		X86_RO_SETI, 3, 0, -8 },
	/* 32-bit results and memory operands are not followed */
	{ "lea 0x40(%rdi),%eax", B(0x8D, 0x47, 0x40), X86_RO_NONE, 0, 0, 0 },
	{ "add (%rdi),%rax", B(0x48, 0x03, 0x07), X86_RO_NONE, 0, 0, 0 },
	{ "lock addq $1,(%rdi)", B(0xF0, 0x48, 0x83, 0x07, 0x01),
		X86_RO_NONE, 0, 0, 0 },
};

/* a few more instructions used in blocks */
static const struct decode_case Extra[] = {
	{ "add $64,%rdi", B(0x48, 0x83, 0xC7, 0x40), { .cls = X86_OTHER } },
	{ "xor %eax,%eax", B(0x31, 0xC0), { .cls = X86_OTHER } },
	{ "lea 0x40(%rdi),%rax", B(0x48, 0x8D, 0x47, 0x40), { .cls = X86_OTHER } },
	{ "lea 0x40(%rdi),%eax", B(0x8D, 0x47, 0x40), { .cls = X86_OTHER } },
	{ "lea (%rdi,%rcx,8),%rax", B(0x48, 0x8D, 0x04, 0xCF), { .cls = X86_OTHER } },
	{ "lea 0x80(%rcx),%rsi", B(0x48, 0x8D, 0xB1, 0x80, 0x00, 0x00, 0x00),
		{ .cls = X86_OTHER } },
	{ "lea 0x100(%rip),%rax", B(0x48, 0x8D, 0x05, 0x00, 0x01, 0x00, 0x00),
		{ .cls = X86_OTHER } },
	{ "mov %rdi,%rcx", B(0x48, 0x89, 0xF9), { .cls = X86_OTHER } },
	{ "mov %rdi,%rax", B(0x48, 0x89, 0xF8), { .cls = X86_OTHER } },
	{ "mov $0x1000,%eax", B(0xB8, 0x00, 0x10, 0x00, 0x00), { .cls = X86_OTHER } },
	{ "add $0x40,%rcx", B(0x48, 0x83, 0xC1, 0x40), { .cls = X86_OTHER } },
	{ "add $0x40,%rsi", B(0x48, 0x83, 0xC6, 0x40), { .cls = X86_OTHER } },
	{ "add $0x10,%rax", B(0x48, 0x83, 0xC0, 0x10), { .cls = X86_OTHER } },
	{ "add %rdi,%rax", B(0x48, 0x01, 0xF8), { .cls = X86_OTHER } },
	{ "sub %rcx,%rax", B(0x48, 0x29, 0xC8), { .cls = X86_OTHER } },
	{ "shl $6,%rax", B(0x48, 0xC1, 0xE0, 0x06), { .cls = X86_OTHER } },
	{ "inc %rax", B(0x48, 0xFF, 0xC0), { .cls = X86_OTHER } },
	{ "cpuid", B(0x0F, 0xA2), { .cls = X86_OTHER } },
	{ "clwb (%rax)", B(0x66, 0x0F, 0xAE, 0x30), { .cls = X86_FLUSH } },
	{ "clwb (%rcx)", B(0x66, 0x0F, 0xAE, 0x31), { .cls = X86_FLUSH } },
	{ "clwb (%rsi)", B(0x66, 0x0F, 0xAE, 0x36), { .cls = X86_FLUSH } },
	{ "clflushopt (%rsi)", B(0x66, 0x0F, 0xAE, 0x3E), { .cls = X86_FLUSH } },
	{ "clflush (%rsi)", B(0x0F, 0xAE, 0x3E), { .cls = X86_FLUSH } },
	{ "clwb (%rdx,%rax,8)", B(0x66, 0x0F, 0xAE, 0x34, 0xC2),
		{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RDX, RAX, 8, 0) } },
};

#define BLOCK_MAX 8
#define BLOCK_PC 0x401000ULL /* where a test block starts */

/*
 * struct block_case -- a translation block ending in a flush: is its
 * address exact when the flush runs, and what is it? The registers hold
 * Regs[] at the block start or the last memory access.
 */
struct block_case {
	const char *text;
	const char *insns[BLOCK_MAX];
	int exact;		/* want x86_flush_expr() */
	uint64_t addr;		/* want the expression's value (exact only);
				 * the block's pcs start at BLOCK_PC */
};

static const uint64_t Regs[16] = {
	[RAX] = 0x1000, [RCX] = 0x2000, [RDX] = 0x3000, [3] = 0x4000,
	[RSP] = 0x7000, [RBP] = 0x5000, [RSI] = 0x6000, [RDI] = 0x8000,
};

static const struct block_case Blocks[] = {
	{ "a flush first in its block", { "clwb (%rdi)" }, 1, 0x8000 },
	{ "its base register computed from an exact one just before",
		{ "lea 0x40(%rdi),%rax", "clwb (%rax)" }, 1, 0x8040 },
	{ "computed, then a store syncs the registers",
		{ "lea 0x40(%rdi),%rax", "movb $1,0x40(%rax)", "clwb (%rax)" },
		1, 0x1000 },
	{ "libpmem's loop step before the flush: the old value is lost",
		{ "add $64,%rdi", "clwb (%rdi)" }, 0, 0 },
	{ "the step, then a load syncs the registers",
		{ "add $64,%rdi", "movq (%rdi),%rax", "clwb (%rdi)" }, 1, 0x8000 },
	{ "an unrelated register written",
		{ "xor %eax,%eax", "clflush (%rdi)" }, 1, 0x8000 },
	{ "its index register zeroed",
		{ "xor %eax,%eax", "clwb (%rdx,%rax,8)" }, 1, 0x3000 },
	{ "an instruction the decoder does not know",
		{ "cpuid", "clwb (%rdi)" }, 0, 0 },
	{ "a rip-relative flush needs no register",
		{ "add $64,%rdi", "clflush 0x10(%rip)" }, 1, BLOCK_PC + 4 + 7 + 0x10 },
	{ "sfence writes no register",
		{ "sfence", "clwb (%rdi)" }, 1, 0x8000 },
	{ "stale-flush.c: mov, add, lea, then the flush",
		{ "mov %rdi,%rcx", "add $0x40,%rcx", "lea 0x80(%rcx),%rsi",
		"clwb (%rsi)" }, 1, 0x80C0 },
	{ "stale-flush.c: one more step to the second flush",
		{ "mov %rdi,%rcx", "add $0x40,%rcx", "lea 0x80(%rcx),%rsi",
		"clwb (%rsi)", "add $0x40,%rsi", "clflushopt (%rsi)" }, 1, 0x8100 },
	{ "stepped twice after a store: the synced value is lost",
		{ "movb $1,0x40(%rax)", "add $0x40,%rsi", "add $0x40,%rsi",
		"clflush (%rsi)" }, 0, 0 },
	{ "an indexed lea, then an offset",
		{ "lea (%rdi,%rcx,8),%rax", "add $0x10,%rax", "clwb (%rax)" },
		1, 0x8000 + 8 * 0x2000 + 0x10 },
	{ "a difference of two registers",
		{ "mov %rdi,%rax", "sub %rcx,%rax", "clwb (%rax)" }, 1, 0x6000 },
	{ "a constant plus a register",
		{ "mov $0x1000,%eax", "add %rdi,%rax", "clwb (%rax)" }, 1, 0x9000 },
	{ "a shifted register",
		{ "mov %rdi,%rax", "shl $6,%rax", "clwb (%rax)" }, 1, 0x8000 << 6 },
	{ "a 32-bit lea truncates: not followed",
		{ "lea 0x40(%rdi),%eax", "clwb (%rax)" }, 0, 0 },
	{ "a copy of a register written since",
		{ "mov %rdi,%rcx", "add $64,%rdi", "clwb (%rcx)" }, 0, 0 },
	{ "a register incremented in place",
		{ "inc %rax", "clwb (%rax)" }, 0, 0 },
	{ "a rip-relative lea",
		{ "lea 0x100(%rip),%rax", "clwb (%rax)" }, 1, BLOCK_PC + 7 + 0x100 },
};

/* calls and returns of every form compilers emit: only `flow` is checked */
static const struct flow_case {
	const char *text;
	uint8_t bytes[16];
	size_t n;
	uint8_t flow;
	uint8_t direct;
	int32_t rel;
} Flows[] = {
	{ "ret", B(0xC3), X86_FLOW_RET, 0, 0 },
	{ "ret $8", B(0xC2, 0x08, 0x00), X86_FLOW_RET, 0, 0 },
	{ "bnd ret", B(0xF2, 0xC3), X86_FLOW_RET, 0, 0 },
	{ "call rel32", B(0xE8, 0x10, 0x00, 0x00, 0x00), X86_FLOW_CALL, 1, 0x10 },
	{ "call -0x20", B(0xE8, 0xE0, 0xFF, 0xFF, 0xFF), X86_FLOW_CALL, 1, -0x20 },
	{ "call *%rax", B(0xFF, 0xD0), X86_FLOW_CALL, 0, 0 },
	{ "call *0x10(%rip)", B(0xFF, 0x15, 0x10, 0x00, 0x00, 0x00),
		X86_FLOW_CALL, 0, 0 },
	{ "call *8(%rax,%rbx,8)", B(0xFF, 0x54, 0xD8, 0x08), X86_FLOW_CALL, 0, 0 },
	{ "notrack call *%rdx", B(0x3E, 0xFF, 0xD2), X86_FLOW_CALL, 0, 0 },
	{ "call *%r11", B(0x41, 0xFF, 0xD3), X86_FLOW_CALL, 0, 0 },
	{ "jmp *%rax", B(0xFF, 0xE0), X86_FLOW_NONE, 0, 0 },
	{ "jmp rel32", B(0xE9, 0x10, 0x00, 0x00, 0x00), X86_FLOW_NONE, 0, 0 },
	{ "push (%rax)", B(0xFF, 0x30), X86_FLOW_NONE, 0, 0 },
	{ "lcall *(%rax)", B(0xFF, 0x18), X86_FLOW_NONE, 0, 0 },
	{ "clwb (%rdi)", B(0x66, 0x0F, 0xAE, 0x37), X86_FLOW_NONE, 0, 0 },
};

static int Passed, Failed;	/* cases */
static int Mismatches;		/* fields of the case being checked */

/* check -- compare one field; print a mismatch */
static void
check(int ok, const char *what, const char *text, long long got, long long want)
{
	if (ok)
		return;
	Mismatches++;
	printf("not ok - %s: %s is %lld, want %lld\n", text, what, got, want);
}

/* settle -- count the case just checked as passed or failed */
static void
settle(void)
{
	if (Mismatches)
		Failed++;
	else
		Passed++;
	Mismatches = 0;
}

#define CHECK(field, text) check(got.field == want->field, #field, text, \
	(long long)got.field, (long long)want->field)

/* check_case -- decode one instruction and compare every field */
static void
check_case(const struct decode_case *c)
{
	const struct x86_insn *want = &c->want;
	struct x86_insn got;

	x86_decode(c->bytes, c->n, &got);
	CHECK(cls, c->text);
	CHECK(sub, c->text);
	CHECK(width, c->text);
	CHECK(rep, c->text);
	CHECK(mov, c->text);
	CHECK(has_mem, c->text);
	CHECK(flow, c->text);
	if (want->has_mem && got.has_mem) {
		CHECK(mem.base, c->text);
		CHECK(mem.index, c->text);
		CHECK(mem.scale, c->text);
		CHECK(mem.disp, c->text);
		CHECK(mem.riprel, c->text);
		CHECK(mem.addr32, c->text);
		CHECK(mem.seg, c->text);
	}
	if (Mismatches)
		printf("#   (%s decoded as %s)\n", c->text, x86_class_name(got.cls));
	settle();
}

/* find -- the case with this text */
static const struct decode_case *
find(const char *text)
{
	for (size_t i = 0; i < sizeof(Cases) / sizeof(Cases[0]); i++)
		if (strcmp(Cases[i].text, text) == 0)
			return &Cases[i];
	for (size_t i = 0; i < sizeof(Extra) / sizeof(Extra[0]); i++)
		if (strcmp(Extra[i].text, text) == 0)
			return &Extra[i];
	return NULL;
}

/* check_block -- decode a block; is its last flush's address exact? */
static void
check_block(const struct block_case *b)
{
	struct x86_insn insns[BLOCK_MAX];
	uint64_t next_pcs[BLOCK_MAX], pc = BLOCK_PC;
	struct x86_expr e;
	size_t n = 0;

	for (; n < BLOCK_MAX && b->insns[n]; n++) {
		const struct decode_case *c = find(b->insns[n]);
		if (!c) {
			printf("not ok - %s: no case '%s'\n", b->text, b->insns[n]);
			Mismatches++;
			settle();
			return;
		}
		x86_decode(c->bytes, c->n, &insns[n]);
		pc += c->n;
		next_pcs[n] = pc;
	}
	int exact = x86_flush_expr(insns, next_pcs, n - 1, &e);
	check(exact == b->exact, "exact", b->text, exact, b->exact);
	if (exact && b->exact) {
		check(x86_expr_eval(&e, Regs) == b->addr, "address", b->text,
			(long long)x86_expr_eval(&e, Regs), (long long)b->addr);
	}
	settle();
}

/* check_regop -- the simple register operations are recognized */
static void
check_regop(const struct regop_case *c)
{
	struct x86_insn x;

	x86_decode(c->bytes, c->n, &x);
	check(x.regop == c->regop, "regop", c->text, x.regop, c->regop);
	if (c->regop != X86_RO_NONE) {
		check(x.dst == c->dst, "dst", c->text, x.dst, c->dst);
		if (c->regop == X86_RO_MOV || c->regop == X86_RO_ADD ||
		    c->regop == X86_RO_SUB)
			check(x.src == c->src, "src", c->text, x.src, c->src);
		check(x.imm == c->imm, "imm", c->text, x.imm, c->imm);
	}
	settle();
}

/* check_addresses -- operand forms evaluated from registers */
static void
check_addresses(void)
{
	static const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{ "clwb -0x40(%rdx,%rsi,8)", 0x3000 + 8 * 0x6000 - 0x40 },
		{ "clflush 0x10(%rip)", 0x401007 + 0x10 },
		{ "clflush (%eax)", 0x34567890 },
	};
	uint64_t regs[16];

	memcpy(regs, Regs, sizeof(regs));
	regs[RAX] = 0x1234567890ULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decode_case *c = find(cases[i].text);
		struct x86_insn x;
		struct x86_expr e;
		uint64_t next_pc = BLOCK_PC + c->n;
		x86_decode(c->bytes, c->n, &x);
		check(x86_flush_expr(&x, &next_pc, 0, &e) == 1, "exact",
			c->text, 0, 1);
		check(x86_expr_eval(&e, regs) == cases[i].want, "address",
			c->text, (long long)x86_expr_eval(&e, regs),
			(long long)cases[i].want);
		settle();
	}
}

/* check_flow -- calls and returns are told apart from other branches */
static void
check_flow(const struct flow_case *c)
{
	struct x86_insn x;

	x86_decode(c->bytes, c->n, &x);
	check(x.flow == c->flow, "flow", c->text, x.flow, c->flow);
	check(x.direct == c->direct, "direct", c->text, x.direct, c->direct);
	if (c->direct)
		check(x.rel == c->rel, "rel", c->text, x.rel, c->rel);
	settle();
}

/* check_truncated -- cut-off bytes never read past n nor crash */
static void
check_truncated(void)
{
	for (size_t i = 0; i < sizeof(Cases) / sizeof(Cases[0]); i++) {
		for (size_t n = 0; n < Cases[i].n; n++) {
			struct x86_insn x;
			x86_decode(Cases[i].bytes, n, &x);
		}
	}
	settle();
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(Cases) / sizeof(Cases[0]); i++)
		check_case(&Cases[i]);
	for (size_t i = 0; i < sizeof(Regops) / sizeof(Regops[0]); i++)
		check_regop(&Regops[i]);
	for (size_t i = 0; i < sizeof(Blocks) / sizeof(Blocks[0]); i++)
		check_block(&Blocks[i]);
	for (size_t i = 0; i < sizeof(Flows) / sizeof(Flows[0]); i++)
		check_flow(&Flows[i]);
	check_addresses();
	check_truncated();
	printf("%d passed, %d failed\n", Passed, Failed);
	return Failed ? 1 : 0;
}
