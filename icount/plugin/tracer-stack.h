/*
 * tracer-stack.h -- the shadow call stack's per-instruction part, inline in
 * the exec callback (it runs for every call, return and the instruction
 * after each); tracer-frames.c has the rest
 */
#ifndef PMFIT_TRACER_STACK_H
#define PMFIT_TRACER_STACK_H 1

#include "tracer.h"

#define PEND_CALL 1
#define PEND_RET 2

/* tracer_frame_at -- entry i of the stack, 0 the oldest */
static inline struct tracer_frame *
tracer_frame_at(unsigned i)
{
	return &Stack.f[(Stack.bottom + i) & (TRACER_STACK - 1)];
}

/* tracer_stack_push -- a call executes: remember where it returns to */
static inline void
tracer_stack_push(const struct tracer_insn *in)
{
	struct tracer_frame *f;

	if (Stack.depth == TRACER_STACK) {
		Stack.nuser -= (unsigned)tracer_frame_at(0)->user;
		Stack.bottom = (Stack.bottom + 1) & (TRACER_STACK - 1);
		Stack.depth--;
		Stack.dropped++;
	}
	f = tracer_frame_at(Stack.depth++);
	f->call_pc = in->pc;
	f->ret = in->pc + in->len;
	f->callee = in->target;
	f->user = in->user;
	Stack.nuser += in->user;
}

/*
 * tracer_stack_return -- a return went to pc: pop through the entry that
 * returns there (skipping those a longjmp left behind), else pop one
 */
static inline void
tracer_stack_return(uint64_t pc)
{
	unsigned keep = Stack.depth ? Stack.depth - 1 : 0;

	for (unsigned i = Stack.depth; i-- > 0;) {
		if (tracer_frame_at(i)->ret == pc) {
			keep = i;
			break;
		}
	}
	while (Stack.depth > keep)
		Stack.nuser -= (unsigned)tracer_frame_at(--Stack.depth)->user;
}

/*
 * tracer_frames_step -- an instruction that is a call or a return, or that
 * follows one, is about to execute (vCPU 0)
 */
static inline void
tracer_frames_step(const struct tracer_insn *in)
{
	if (Stack.pending == PEND_CALL && Stack.depth)
		tracer_frame_at(Stack.depth - 1)->callee = in->pc;
	else if (Stack.pending == PEND_RET)
		tracer_stack_return(in->pc);
	Stack.pending = 0;
	if (in->flow == X86_FLOW_CALL) {
		/* a direct call's callee is known: only indirect ones wait */
		tracer_stack_push(in);
		Stack.pending = in->target ? 0 : PEND_CALL;
	} else if (in->flow == X86_FLOW_RET) {
		Stack.pending = PEND_RET;
	}
}

#endif
