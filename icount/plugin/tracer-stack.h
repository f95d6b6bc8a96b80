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

/* tracer_frame_at -- entry i of stack s, 0 the oldest */
static inline struct tracer_frame *
tracer_frame_at(struct tracer_stack *s, unsigned i)
{
	return &s->f[(s->bottom + i) & (TRACER_STACK - 1)];
}

/* tracer_stack_push -- a call executes: remember where it returns to */
static inline void
tracer_stack_push(struct tracer_stack *s, const struct tracer_insn *in)
{
	struct tracer_frame *f;

	if (s->depth == TRACER_STACK) {
		s->nuser -= (unsigned)tracer_frame_at(s, 0)->user;
		s->bottom = (s->bottom + 1) & (TRACER_STACK - 1);
		s->depth--;
		s->dropped++;
	}
	f = tracer_frame_at(s, s->depth++);
	f->call_pc = in->pc;
	f->ret = in->pc + in->len;
	f->callee = in->target;
	f->user = in->user;
	s->nuser += in->user;
}

/*
 * tracer_stack_return -- a return went to pc: pop through the entry that
 * returns there (skipping those a longjmp left behind), else pop one
 */
static inline void
tracer_stack_return(struct tracer_stack *s, uint64_t pc)
{
	unsigned keep = s->depth ? s->depth - 1 : 0;

	for (unsigned i = s->depth; i-- > 0;) {
		if (tracer_frame_at(s, i)->ret == pc) {
			keep = i;
			break;
		}
	}
	while (s->depth > keep)
		s->nuser -= (unsigned)tracer_frame_at(s, --s->depth)->user;
}

/*
 * tracer_frames_step -- an instruction that is a call or a return, or that
 * follows one, is about to execute on the thread whose stack is s
 */
static inline void
tracer_frames_step(struct tracer_stack *s, const struct tracer_insn *in)
{
	if (s->pending == PEND_CALL && s->depth)
		tracer_frame_at(s, s->depth - 1)->callee = in->pc;
	else if (s->pending == PEND_RET)
		tracer_stack_return(s, in->pc);
	s->pending = 0;
	if (in->flow == X86_FLOW_CALL) {
		/* a direct call's callee is known: only indirect ones wait */
		tracer_stack_push(s, in);
		s->pending = in->target ? 0 : PEND_CALL;
	} else if (in->flow == X86_FLOW_RET) {
		s->pending = PEND_RET;
	}
}

#endif
