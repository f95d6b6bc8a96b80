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
	{ "ret", B(0xC3), { .cls = X86_OTHER, NOMEM } },
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

/* struct block_case -- a translation block: is a flush's operand exact? */
struct block_case {
	const char *text;
	const char *insns[4];	/* texts of Cases or Extra entries */
	int exact;		/* want x86_regs_exact() for the last insn */
};

/* a few more instructions used in blocks */
static const struct decode_case Extra[] = {
	{ "add $64,%rdi", B(0x48, 0x83, 0xC7, 0x40), { .cls = X86_OTHER } },
	{ "xor %eax,%eax", B(0x31, 0xC0), { .cls = X86_OTHER } },
	{ "lea 0x40(%rdi),%rax", B(0x48, 0x8D, 0x47, 0x40), { .cls = X86_OTHER } },
	{ "cpuid", B(0x0F, 0xA2), { .cls = X86_OTHER } },
	{ "clwb (%rax)", B(0x66, 0x0F, 0xAE, 0x30), { .cls = X86_FLUSH } },
};

static const struct block_case Blocks[] = {
	{ "a flush first in its block", { "clwb (%rdi)" }, 1 },
	{ "its base register computed just before",
		{ "lea 0x40(%rdi),%rax", "clwb (%rax)" }, 0 },
	{ "computed, then a store syncs the registers",
		{ "lea 0x40(%rdi),%rax", "movb $1,0x40(%rax)", "clwb (%rax)" }, 1 },
	{ "libpmem's loop step before the flush",
		{ "add $64,%rdi", "clwb (%rdi)" }, 0 },
	{ "the step, then a load syncs the registers",
		{ "add $64,%rdi", "movq (%rdi),%rax", "clwb (%rdi)" }, 1 },
	{ "an unrelated register written",
		{ "xor %eax,%eax", "clflush (%rdi)" }, 1 },
	{ "its index register written",
		{ "xor %eax,%eax", "clwb (%rdx,%rax,8)" }, 0 },
	{ "an instruction the decoder does not know",
		{ "cpuid", "clwb (%rdi)" }, 0 },
	{ "a rip-relative flush needs no register",
		{ "add $64,%rdi", "clflush 0x10(%rip)" }, 1 },
	{ "sfence writes no register",
		{ "sfence", "clwb (%rdi)" }, 1 },
};

/* one more flush used by a block */
static const struct decode_case Index = { "clwb (%rdx,%rax,8)",
	B(0x66, 0x0F, 0xAE, 0x34, 0xC2),
	{ .cls = X86_FLUSH, .sub = X86_CLWB, OP(RDX, RAX, 8, 0) } };

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
	if (strcmp(Index.text, text) == 0)
		return &Index;
	return NULL;
}

/* check_block -- decode a block; is its last flush's operand exact? */
static void
check_block(const struct block_case *b)
{
	struct x86_insn insns[4];
	size_t n = 0;

	for (; n < 4 && b->insns[n]; n++) {
		const struct decode_case *c = find(b->insns[n]);
		if (!c) {
			printf("not ok - %s: no case '%s'\n", b->text, b->insns[n]);
			Mismatches++;
			settle();
			return;
		}
		x86_decode(c->bytes, c->n, &insns[n]);
	}
	check(x86_regs_exact(insns, n - 1,
		x86_operand_regs(&insns[n - 1].mem)) == b->exact,
		"exact", b->text, !b->exact, b->exact);
	settle();
}

/* check_addresses -- effective addresses from registers */
static void
check_addresses(void)
{
	uint64_t regs[16] = { 0 };
	struct x86_insn x;

	regs[RDX] = 0x1000;
	regs[RSI] = 2;
	x86_decode(find("clwb -0x40(%rdx,%rsi,8)")->bytes, 6, &x);
	check(x86_operand_addr(&x.mem, regs, 0) == 0xFD0, "address",
		"clwb -0x40(%rdx,%rsi,8)", (long long)x86_operand_addr(&x.mem,
		regs, 0), 0xFD0);
	settle();
	x86_decode(find("clflush 0x10(%rip)")->bytes, 7, &x);
	check(x86_operand_addr(&x.mem, regs, 0x401007) == 0x401017, "address",
		"clflush 0x10(%rip)", (long long)x86_operand_addr(&x.mem, regs,
		0x401007), 0x401017);
	settle();
	regs[RAX] = 0x1234567890ULL;
	x86_decode(find("clflush (%eax)")->bytes, 4, &x);
	check(x86_operand_addr(&x.mem, regs, 0) == 0x34567890, "address",
		"clflush (%eax)", (long long)x86_operand_addr(&x.mem, regs, 0),
		0x34567890);
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
	check_case(&Index);
	for (size_t i = 0; i < sizeof(Blocks) / sizeof(Blocks[0]); i++)
		check_block(&Blocks[i]);
	check_addresses();
	check_truncated();
	printf("%d passed, %d failed\n", Passed, Failed);
	return Failed ? 1 : 0;
}
