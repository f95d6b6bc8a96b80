/*
 * tracer-x86.c -- the tracer's x86-64 instruction decoder (tracer-x86.h)
 *
 * Pure functions: bytes in, a struct x86_insn out. No QEMU, no global state.
 */
#include <string.h>

#include "tracer-x86.h"

/* struct x86_prefixes -- prefixes, REX/VEX, opcode map and ModRM */
struct x86_prefixes {
	const uint8_t *b;
	size_t n;
	size_t op;	/* index of the opcode byte */
	int map;	/* 0 one-byte, 1 0F, 2 0F38, 3 0F3A, -1 unknown */
	int vex;
	int vex_l;	/* VEX.L: 256-bit vectors */
	int p66, pf2, pf3, lock, seg, addr32;
	unsigned rex_w, rex_r, rex_x, rex_b;
	int has_modrm;
	uint8_t modrm;
};

/* x86_prefixes -- parse prefixes, REX/VEX and the opcode map */
static void
x86_prefixes(const uint8_t *b, size_t n, struct x86_prefixes *d)
{
	size_t i = 0;

	memset(d, 0, sizeof(*d));
	d->b = b;
	d->n = n;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0x66)
			d->p66 = 1;
		else if (c == 0x67)
			d->addr32 = 1;
		else if (c == 0xF0)
			d->lock = 1;
		else if (c == 0xF2)
			d->pf2 = 1;
		else if (c == 0xF3)
			d->pf3 = 1;
		else if (c == 0x64 || c == 0x65)
			d->seg = c;
		else if (c != 0x2E && c != 0x36 && c != 0x3E && c != 0x26)
			break;
	}
	if (i < n && (b[i] & 0xF0) == 0x40) {
		d->rex_w = (b[i] >> 3) & 1;
		d->rex_r = (b[i] >> 2) & 1;
		d->rex_x = (b[i] >> 1) & 1;
		d->rex_b = b[i] & 1;
		i++;
	}
	d->map = -1;
	if (i + 2 < n && b[i] == 0xC5) {
		d->vex = 1;
		d->rex_r = !(b[i + 1] & 0x80);
		d->vex_l = (b[i + 1] >> 2) & 1;
		d->p66 = (b[i + 1] & 3) == 1;
		d->pf3 = (b[i + 1] & 3) == 2;
		d->pf2 = (b[i + 1] & 3) == 3;
		d->map = 1;
		d->op = i + 2;
	} else if (i + 3 < n && b[i] == 0xC4) {
		d->vex = 1;
		d->rex_r = !(b[i + 1] & 0x80);
		d->rex_x = !(b[i + 1] & 0x40);
		d->rex_b = !(b[i + 1] & 0x20);
		d->map = (b[i + 1] & 0x1F) <= 3 ? (b[i + 1] & 0x1F) : -1;
		d->rex_w = (b[i + 2] >> 7) & 1;
		d->vex_l = (b[i + 2] >> 2) & 1;
		d->p66 = (b[i + 2] & 3) == 1;
		d->pf3 = (b[i + 2] & 3) == 2;
		d->pf2 = (b[i + 2] & 3) == 3;
		d->op = i + 3;
	} else if (i < n && b[i] == 0x62) {
		d->map = -1; /* EVEX: not modeled (QEMU 7.2 has no AVX-512) */
		d->op = i;
	} else if (i + 1 < n && b[i] == 0x0F) {
		if (b[i + 1] == 0x38 || b[i + 1] == 0x3A) {
			d->map = b[i + 1] == 0x38 ? 2 : 3;
			d->op = i + 2;
		} else {
			d->map = 1;
			d->op = i + 1;
		}
	} else if (i < n) {
		d->map = 0;
		d->op = i;
	}
	if (d->op >= n)
		d->map = -1;
	d->has_modrm = d->map >= 0 && d->op + 1 < n;
	if (d->has_modrm)
		d->modrm = b[d->op + 1];
}

/* x86_memop -- does the instruction have a ModRM memory operand? */
static int
x86_memop(const struct x86_prefixes *d)
{
	return d->has_modrm && (d->modrm >> 6) != 3;
}

/* x86_operand -- decode the ModRM/SIB memory operand */
static void
x86_operand(const struct x86_prefixes *d, struct x86_operand *m)
{
	const uint8_t *b = d->b;
	size_t pos = d->op + 2;
	unsigned mod = d->modrm >> 6, rm = d->modrm & 7;
	int disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;

	memset(m, 0, sizeof(*m));
	m->base = m->index = -1;
	m->scale = 1;
	m->addr32 = (uint8_t)d->addr32;
	m->seg = (uint8_t)d->seg;
	if (rm == 4 && pos < d->n) {
		uint8_t sib = b[pos++];
		unsigned idx = ((sib >> 3) & 7) | (d->rex_x << 3);
		m->scale = (uint8_t)(1u << (sib >> 6));
		if (idx != 4)
			m->index = (int8_t)idx;
		if ((sib & 7) == 5 && mod == 0)
			disp_bytes = 4;
		else
			m->base = (int8_t)((sib & 7) | (d->rex_b << 3));
	} else if (rm == 5 && mod == 0) {
		m->riprel = 1;
		disp_bytes = 4;
	} else {
		m->base = (int8_t)(rm | (d->rex_b << 3));
	}
	if (disp_bytes == 1 && pos < d->n)
		m->disp = (int8_t)b[pos];
	else if (disp_bytes == 4 && pos + 4 <= d->n)
		memcpy(&m->disp, b + pos, 4);
}

/* x86_vector_op -- 0F-map opcodes whose destination is never a GPR */
static int
x86_vector_op(uint8_t o)
{
	return (o >= 0x10 && o <= 0x17) || o == 0x28 || o == 0x29 ||
		o == 0x2B || o == 0x6F || o == 0x7F || o == 0xE7 || o == 0xD6;
}

/*
 * x86_gpr_writes -- conservative set of general registers an instruction
 * may write (X86_GPR_ALL when unknown); *mem set when it surely accesses
 * guest memory through a TCG load/store, before which TCG syncs all
 * registers
 */
static unsigned
x86_gpr_writes(const struct x86_prefixes *d, int *mem)
{
	uint8_t o, m = d->modrm;
	unsigned mod = m >> 6, r3 = (m >> 3) & 7;
	unsigned regbit = 1u << (r3 | (d->rex_r << 3));
	unsigned rmbit = mod == 3 ? 1u << ((m & 7) | (d->rex_b << 3)) : 0;
	unsigned lowreg;
	int memop = x86_memop(d);

	*mem = 0;
	if (d->map < 0)
		return X86_GPR_ALL;
	o = d->b[d->op];
	lowreg = 1u << ((o & 7) | (d->rex_b << 3));
	if (d->map == 1 && d->vex) {
		if (o == 0x77)
			return 0;
		if (!x86_vector_op(o) || !d->has_modrm)
			return X86_GPR_ALL;
		*mem = memop;
		return 0;
	}
	if (d->map == 1) {
		if (o == 0x1F || o == 0x18 || o == 0x0D || o == 0xAE)
			return d->has_modrm ? 0 : X86_GPR_ALL;
		if (!d->has_modrm)
			return X86_GPR_ALL;
		*mem = memop;
		if (x86_vector_op(o) || o == 0xC3)
			return 0;
		if ((o >= 0x40 && o <= 0x4F) || o == 0xAF || o == 0xB6 ||
		    o == 0xB7 || o == 0xBE || o == 0xBF)
			return regbit;
		if (o >= 0x90 && o <= 0x9F)
			return rmbit;
		*mem = 0;
		return X86_GPR_ALL;
	}
	if (d->map != 0)
		return X86_GPR_ALL;
	if (o < 0x40 && (o & 7) < 6) {
		int cmp = (o >> 3) == 7;
		if ((o & 7) >= 4)
			return cmp ? 0 : 1u;
		if (!d->has_modrm)
			return X86_GPR_ALL;
		*mem = memop;
		if (cmp)
			return 0;
		return (o & 7) <= 1 ? rmbit : regbit;
	}
	if (o >= 0x50 && o <= 0x57) {
		*mem = 1;
		return 1u << X86_RSP;
	}
	if (o >= 0x58 && o <= 0x5F) {
		*mem = 1;
		return lowreg | 1u << X86_RSP;
	}
	if (o >= 0xB0 && o <= 0xBF)
		return lowreg;
	if (o >= 0x91 && o <= 0x97)
		return 1u | lowreg;
	switch (o) {
	case 0x68: case 0x6A:
		*mem = 1;
		return 1u << X86_RSP;
	case 0x90:
		return d->rex_b ? (1u | 1u << 8) : 0;
	case 0x98:
		return 1u;
	case 0x99:
		return 1u << X86_RDX;
	case 0xA8: case 0xA9:
		return 0;
	case 0x8D:
		return d->has_modrm ? regbit : X86_GPR_ALL;
	}
	if (!d->has_modrm)
		return X86_GPR_ALL;
	*mem = memop;
	switch (o) {
	case 0x63: case 0x69: case 0x6B: case 0x8A: case 0x8B:
		return regbit;
	case 0x84: case 0x85:
		return 0;
	case 0x86: case 0x87:
		return regbit | rmbit;
	case 0x88: case 0x89: case 0xC0: case 0xC1: case 0xC6: case 0xC7:
	case 0xD0: case 0xD1: case 0xD2: case 0xD3:
		return rmbit;
	case 0xF6: case 0xF7:
		if (r3 <= 1)
			return 0;
		return r3 <= 3 ? rmbit : (1u | 1u << X86_RDX);
	case 0xFE: case 0xFF:
		if (r3 <= 1)
			return rmbit;
		if (o == 0xFF && r3 == 6)
			return 1u << X86_RSP;
		break;
	}
	*mem = 0;
	return X86_GPR_ALL;
}

/* x86_opsize -- operand size of an integer instruction */
static uint8_t
x86_opsize(const struct x86_prefixes *d)
{
	return d->rex_w ? 8 : d->p66 ? 2 : 4;
}

/* x86_store_legacy -- one-byte-map stores: width, or 0 if no store */
static uint8_t
x86_store_legacy(const struct x86_prefixes *d, struct x86_insn *out)
{
	uint8_t o = d->b[d->op];
	unsigned r3 = (d->modrm >> 3) & 7;
	uint8_t wide = (o & 1) ? x86_opsize(d) : 1;
	int memop = x86_memop(d);

	/* implicit stack stores: push, pushf, call */
	if ((o >= 0x50 && o <= 0x57) || o == 0x68 || o == 0x6A || o == 0x9C ||
	    o == 0xE8 || (o == 0xFF && d->has_modrm && (r3 == 2 || r3 == 6)))
		return 8;
	/* string stores through rdi: movs, stos */
	if (o == 0xA4 || o == 0xA5 || o == 0xAA || o == 0xAB) {
		out->rep = (uint8_t)(d->pf3 || d->pf2);
		out->has_mem = 1;
		out->mem.base = X86_RDI;
		out->mem.addr32 = (uint8_t)d->addr32;
		return wide;
	}
	if (!memop)
		return 0;
	if (o < 0x40 && (o & 7) <= 1 && (o >> 3) != 7)
		return wide; /* add/or/adc/sbb/and/sub/xor to memory */
	switch (o) {
	case 0x80: case 0x82:
		return r3 != 7 ? 1 : 0;
	case 0x81: case 0x83:
		return r3 != 7 ? x86_opsize(d) : 0;
	case 0x86: case 0x87: case 0xC0: case 0xC1:
	case 0xD0: case 0xD1: case 0xD2: case 0xD3:
		return wide;
	case 0x88: case 0x89:
		out->mov = 1;
		return wide;
	case 0x8F:
		return r3 == 0 ? 8 : 0;
	case 0xC6: case 0xC7:
		return r3 == 0 ? wide : 0;
	case 0xF6: case 0xF7:
		return r3 == 2 || r3 == 3 ? wide : 0;
	case 0xFE: case 0xFF:
		return r3 <= 1 ? wide : 0;
	}
	return 0;
}

/* x86_store_vector -- 0F-map (legacy or VEX) stores: width, or 0 */
static uint8_t
x86_store_vector(const struct x86_prefixes *d, struct x86_insn *out)
{
	uint8_t o = d->b[d->op];
	uint8_t xmm = d->vex_l ? 32 : 16;
	unsigned r3 = (d->modrm >> 3) & 7;

	if (o == 0xF7) { /* maskmovq / maskmovdqu: stores through rdi */
		out->has_mem = 1;
		out->mem.base = X86_RDI;
		out->mem.addr32 = (uint8_t)d->addr32;
		return d->p66 ? 16 : 8;
	}
	if (!x86_memop(d))
		return 0;
	switch (o) {
	case 0x11:
		return d->pf3 ? 4 : d->pf2 ? 8 : xmm;
	case 0x13: case 0x17:
		return 8;
	case 0x29: case 0x2B:
		return xmm;
	case 0x7E:
		return d->pf3 ? 0 : d->rex_w ? 8 : 4;
	case 0x7F: case 0xE7:
		return d->p66 || d->pf3 ? xmm : 8;
	case 0xD6:
		return d->p66 ? 8 : 0;
	}
	if (d->vex)
		return 0;
	if (o >= 0x90 && o <= 0x9F)
		return 1; /* setcc */
	switch (o) {
	case 0xA4: case 0xA5: case 0xAB: case 0xAC: case 0xAD: case 0xB3:
	case 0xBB: case 0xC1: case 0xC3:
		return x86_opsize(d);
	case 0xB0: case 0xC0:
		return 1;
	case 0xB1:
		return x86_opsize(d);
	case 0xBA:
		return r3 >= 5 ? x86_opsize(d) : 0;
	case 0xC7:
		return r3 == 1 ? (d->rex_w ? 16 : 8) : 0;
	}
	return 0;
}

/* x86_is_marker -- the icount.h magic NOP 0F 1F 84 00 kk 46 4D 50 */
static int
x86_is_marker(const uint8_t *b, size_t n)
{
	static const uint8_t magic[] = { 0x0F, 0x1F, 0x84, 0x00 };

	return n == 8 && memcmp(b, magic, 4) == 0 && b[5] == 0x46 &&
		b[6] == 0x4D && b[7] == 0x50 && b[4] >= 0xA1 && b[4] <= 0xA4;
}

/* x86_fence_or_flush -- 0F AE: sfence, mfence, clflush, clflushopt, clwb */
static int
x86_fence_or_flush(const struct x86_prefixes *d, struct x86_insn *out)
{
	unsigned mod = d->modrm >> 6, r3 = (d->modrm >> 3) & 7;

	if (d->map != 1 || d->vex || d->b[d->op] != 0xAE || !d->has_modrm)
		return 0;
	if (mod == 3 && !d->p66 && !d->pf2 && !d->pf3 && (r3 == 6 || r3 == 7)) {
		out->cls = X86_FENCE;
		out->sub = r3 == 7 ? X86_SFENCE : X86_MFENCE;
		return 1;
	}
	if (mod != 3 && !d->pf2 && !d->pf3 && (r3 == 7 || (r3 == 6 && d->p66))) {
		out->cls = X86_FLUSH;
		out->sub = r3 == 6 ? X86_CLWB : d->p66 ? X86_CLFLUSHOPT :
			X86_CLFLUSH;
		return 1;
	}
	return 0;
}

/* x86_imm -- a little-endian immediate of `bytes` bytes at b[at], or 0 */
static int
x86_imm(const struct x86_prefixes *d, size_t at, size_t bytes, int sext,
	int64_t *imm)
{
	uint64_t v = 0;

	if (at + bytes > d->n)
		return 0;
	memcpy(&v, d->b + at, bytes);
	if (sext && bytes < 8 && (v >> (bytes * 8 - 1)) & 1)
		v |= ~(uint64_t)0 << (bytes * 8);
	*imm = (int64_t)v;
	return 1;
}

/* x86_set_regop -- record a simple register operation */
static void
x86_set_regop(struct x86_insn *out, int op, unsigned dst, unsigned src,
	int64_t imm)
{
	out->regop = (uint8_t)op;
	out->dst = (int8_t)dst;
	out->src = (int8_t)src;
	out->imm = imm;
}

/*
 * x86_regop -- the simple 64-bit register operations of enum x86_regop
 * (and the 32-bit zeroing forms, which clear the upper half)
 */
static void
x86_regop(const struct x86_prefixes *d, struct x86_insn *out)
{
	uint8_t o;
	unsigned mod, reg, rm, r3;
	size_t after = d->op + 2; /* the byte after a register-form ModRM */
	int64_t imm;

	if (d->map != 0 || d->lock || d->p66 || d->seg)
		return;
	o = d->b[d->op];
	mod = d->modrm >> 6;
	r3 = (d->modrm >> 3) & 7;
	reg = r3 | (d->rex_r << 3);
	rm = (d->modrm & 7) | (d->rex_b << 3);
	if (o >= 0xB8 && o <= 0xBF) { /* mov $imm, r: imm64 or zero-extended */
		if (x86_imm(d, d->op + 1, d->rex_w ? 8 : 4, 0, &imm))
			x86_set_regop(out, X86_RO_SETI, (o & 7) | (d->rex_b << 3),
				0, imm);
		return;
	}
	if ((o == 0x31 || o == 0x33) && d->has_modrm && mod == 3 && reg == rm) {
		x86_set_regop(out, X86_RO_SETI, reg, 0, 0); /* xor r, r */
		return;
	}
	if (!d->rex_w)
		return;
	if (o == 0x05 || o == 0x2D) { /* add/sub $imm32, %rax */
		if (x86_imm(d, d->op + 1, 4, 1, &imm))
			x86_set_regop(out, X86_RO_ADDI, X86_RAX, 0,
				o == 0x05 ? imm : -imm);
		return;
	}
	if (!d->has_modrm)
		return;
	if (o == 0x8D) { /* lea: the operand was decoded into out->mem */
		if (mod != 3 && !d->addr32)
			x86_set_regop(out, X86_RO_LEA, reg, 0, 0);
		return;
	}
	if (mod != 3)
		return;
	switch (o) {
	case 0x89:
		x86_set_regop(out, X86_RO_MOV, rm, reg, 0);
		break;
	case 0x8B:
		x86_set_regop(out, X86_RO_MOV, reg, rm, 0);
		break;
	case 0x01:
		x86_set_regop(out, X86_RO_ADD, rm, reg, 0);
		break;
	case 0x03:
		x86_set_regop(out, X86_RO_ADD, reg, rm, 0);
		break;
	case 0x29:
		x86_set_regop(out, X86_RO_SUB, rm, reg, 0);
		break;
	case 0x2B:
		x86_set_regop(out, X86_RO_SUB, reg, rm, 0);
		break;
	case 0x83:
	case 0x81:
		if ((r3 == 0 || r3 == 5) &&
		    x86_imm(d, after, o == 0x83 ? 1 : 4, 1, &imm))
			x86_set_regop(out, X86_RO_ADDI, rm, 0, r3 == 0 ? imm : -imm);
		break;
	case 0xC1:
		if (r3 == 4 && x86_imm(d, after, 1, 0, &imm))
			x86_set_regop(out, X86_RO_SHLI, rm, 0, imm & 63);
		break;
	case 0xC7:
		if (r3 == 0 && x86_imm(d, after, 4, 1, &imm))
			x86_set_regop(out, X86_RO_SETI, rm, 0, imm);
		break;
	case 0xFF:
		if (r3 <= 1)
			x86_set_regop(out, X86_RO_ADDI, rm, 0, r3 == 0 ? 1 : -1);
		break;
	}
}

void
x86_decode(const uint8_t *b, size_t n, struct x86_insn *out)
{
	struct x86_prefixes d;
	int syncs;
	uint8_t o;

	memset(out, 0, sizeof(*out));
	out->mem.base = out->mem.index = -1;
	out->mem.scale = 1;
	x86_prefixes(b, n, &d);
	out->gpr_writes = (uint16_t)x86_gpr_writes(&d, &syncs);
	out->syncs = (uint8_t)syncs;
	if (x86_is_marker(b, n)) {
		out->cls = X86_MARKER;
		out->sub = (uint8_t)(b[4] - 0xA1);
		return;
	}
	if (d.map < 0)
		return;
	if (x86_memop(&d)) {
		x86_operand(&d, &out->mem);
		out->has_mem = 1;
	}
	o = b[d.op];
	if (d.map == 0 && (o == 0xE8 || (o == 0xFF && d.has_modrm &&
	    ((d.modrm >> 3) & 7) == 2)))
		out->flow = X86_FLOW_CALL;
	if (d.map == 0 && o == 0xE8 && d.op + 5 <= n && !d.p66) {
		out->direct = 1;
		memcpy(&out->rel, b + d.op + 1, 4);
	}
	else if (d.map == 0 && (o == 0xC3 || o == 0xC2))
		out->flow = X86_FLOW_RET;
	x86_regop(&d, out);
	if (x86_fence_or_flush(&d, out))
		return;
	if (d.map == 0)
		out->width = x86_store_legacy(&d, out);
	else if (d.map == 1)
		out->width = x86_store_vector(&d, out);
	if (out->width)
		out->cls = X86_STORE;
	if (d.map == 1 && (o == 0xE7 || o == 0x2B || o == 0xC3 || o == 0xF7))
		out->cls = X86_NT_STORE; /* movntq/dq, movntps/pd, movnti, maskmov */
	if (d.lock || (d.map == 0 && (o == 0x86 || o == 0x87) &&
	    x86_memop(&d))) {
		out->cls = X86_LOCKED;
		out->sub = X86_LOCKED_FENCE;
	}
}

/* x86_expr_reg -- the expression "register r" */
static void
x86_expr_reg(struct x86_expr *e, int r)
{
	memset(e, 0, sizeof(*e));
	e->n = 1;
	e->reg[0] = (int8_t)r;
	e->k[0] = 1;
}

/* x86_expr_add -- a += mul * b; 0 when the terms do not fit */
static int
x86_expr_add(struct x86_expr *a, const struct x86_expr *b, uint64_t mul)
{
	a->c += mul * b->c;
	for (unsigned j = 0; j < b->n; j++) {
		unsigned i = 0;
		while (i < a->n && a->reg[i] != b->reg[j])
			i++;
		if (i == a->n) {
			if (a->n == X86_EXPR_TERMS)
				return 0;
			a->reg[a->n] = b->reg[j];
			a->k[a->n++] = 0;
		}
		a->k[i] += mul * b->k[j];
	}
	for (unsigned i = 0; i < a->n;) { /* drop terms that cancelled out */
		if (a->k[i] != 0) {
			i++;
			continue;
		}
		a->n--;
		a->reg[i] = a->reg[a->n];
		a->k[i] = a->k[a->n];
	}
	return 1;
}

/* x86_expr_scale -- e *= mul */
static void
x86_expr_scale(struct x86_expr *e, uint64_t mul)
{
	e->c *= mul;
	for (unsigned i = 0; i < e->n; i++)
		e->k[i] *= mul;
}

/* struct x86_value -- a register since the last exact point: known or not */
struct x86_value {
	int known;
	struct x86_expr e;
};

/*
 * x86_operand_expr -- an operand's address from the registers' values
 * (riprel needs next_pc: have_pc); 0 when a register it uses is unknown
 */
static int
x86_operand_expr(const struct x86_operand *m, const struct x86_value *v,
	uint64_t next_pc, int have_pc, struct x86_expr *out)
{
	memset(out, 0, sizeof(*out));
	out->c = (uint64_t)(int64_t)m->disp;
	out->addr32 = m->addr32;
	if (m->riprel) {
		if (!have_pc)
			return 0;
		out->c += next_pc;
	}
	if (m->base >= 0 && !(v[m->base].known &&
	    x86_expr_add(out, &v[m->base].e, 1)))
		return 0;
	if (m->index >= 0 && !(v[m->index].known &&
	    x86_expr_add(out, &v[m->index].e, m->scale)))
		return 0;
	return !m->seg; /* fs/gs bases are not modeled */
}

/* x86_step -- follow one instruction's effect on the registers */
static void
x86_step(const struct x86_insn *x, uint64_t next_pc, int have_pc,
	struct x86_value *v, unsigned *written)
{
	struct x86_value nv = { 0 };

	switch (x->regop) {
	case X86_RO_MOV:
		nv = v[x->src];
		break;
	case X86_RO_LEA:
		nv.known = x86_operand_expr(&x->mem, v, next_pc, have_pc, &nv.e) &&
			!x->mem.addr32;
		break;
	case X86_RO_ADDI:
		nv = v[x->dst];
		nv.e.c += (uint64_t)x->imm;
		break;
	case X86_RO_ADD:
	case X86_RO_SUB:
		nv = v[x->dst];
		nv.known = nv.known && v[x->src].known &&
			x86_expr_add(&nv.e, &v[x->src].e,
			x->regop == X86_RO_ADD ? 1 : (uint64_t)-1);
		break;
	case X86_RO_SHLI:
		nv = v[x->dst];
		x86_expr_scale(&nv.e, (uint64_t)1 << x->imm);
		break;
	case X86_RO_SETI:
		nv.known = 1;
		nv.e.c = (uint64_t)x->imm;
		break;
	default:
		for (unsigned r = 0; r < 16; r++)
			if (x->gpr_writes & (1u << r))
				v[r].known = 0;
		*written |= x->gpr_writes;
		return;
	}
	v[x->dst] = nv;
	*written |= 1u << x->dst;
}

int
x86_flush_expr(const struct x86_insn *insns, const uint64_t *next_pcs,
	size_t k, struct x86_expr *out)
{
	const struct x86_operand *m = &insns[k].mem;
	struct x86_value v[16], plain[16];
	unsigned written = 0;
	size_t start = k;
	int have_pc = next_pcs != NULL;
	uint64_t pc = have_pc ? next_pcs[k] : 0;

	/* the last exact point: the block start, or after a memory access */
	while (start > 0 && !insns[start - 1].syncs)
		start--;
	for (unsigned r = 0; r < 16; r++) {
		v[r].known = 1;
		x86_expr_reg(&v[r].e, (int)r);
		plain[r] = v[r];
	}
	if (start > 0) { /* what the syncing instruction itself wrote lags */
		for (unsigned r = 0; r < 16; r++)
			if (insns[start - 1].gpr_writes & (1u << r))
				v[r].known = 0;
		written = insns[start - 1].gpr_writes;
	}
	for (size_t i = start; i < k; i++)
		x86_step(&insns[i], have_pc ? next_pcs[i] : 0, have_pc, v, &written);
	if (x86_operand_expr(m, v, pc, have_pc, out)) {
		unsigned used = 0;
		for (unsigned i = 0; i < out->n; i++)
			used |= 1u << out->reg[i];
		if (!(used & written))
			return 1; /* every register it reads is exact */
	}
	if (!x86_operand_expr(m, plain, pc, have_pc, out))
		out->addr32 = m->addr32; /* seg or no pc: the plain sum anyway */
	return 0;
}

uint64_t
x86_expr_eval(const struct x86_expr *e, const uint64_t *regs)
{
	uint64_t a = e->c;

	for (unsigned i = 0; i < e->n; i++)
		a += e->k[i] * regs[e->reg[i]];
	return e->addr32 ? (uint32_t)a : a;
}

const char *
x86_class_name(int cls)
{
	static const char *names[] = { "other", "store", "nt-store", "flush",
		"fence", "locked", "marker" };

	return cls >= 0 && cls <= X86_MARKER ? names[cls] : "?";
}
