/*
 * protocol.h -- the messages between pmfit (harness/check/fork-server/client.ts) and a fork
 * server (server.c); PROTOCOL.md tells the sequence. The TS client mirrors these constants
 * and checks FORKSRV_PROTOCOL_VERSION in the hello, so a stale library is a clear error.
 *
 * All fields are little-endian; both messages have a fixed size.
 */
#ifndef PMFIT_FORKSRV_PROTOCOL_H
#define PMFIT_FORKSRV_PROTOCOL_H

#include <stdint.h>

/* bumped whenever a message layout or meaning changes (a test builds another one with -D) */
#ifndef FORKSRV_PROTOCOL_VERSION
#define FORKSRV_PROTOCOL_VERSION 2u
#endif

/* status kinds */
#define FORKSRV_KIND_HELLO 1u	/* server ready: value = pid, flags = protocol version */
#define FORKSRV_KIND_DONE 2u	/* check ended: value = wait status, sizes = bytes written */
#define FORKSRV_KIND_FAILED 3u	/* the server could not start the check: value = errno */

/* DONE flags */
#define FORKSRV_FLAG_TIMEOUT 1u	/* the check ran past timeout_ms and was killed */

/* command: harness -> server, one per check */
struct forksrv_command {
	uint32_t seq;		/* echoed in the status */
	uint32_t timeout_ms;	/* the check's time limit, counted from its fork */
};

/* status: server -> harness, one HELLO, then one DONE or FAILED per command */
struct forksrv_status {
	uint32_t kind;
	uint32_t seq;
	int32_t value;
	uint32_t flags;
	uint64_t out_size;	/* bytes the check wrote to stdout (DONE) */
	uint64_t err_size;	/* bytes the check wrote to stderr (DONE) */
	uint64_t elapsed_us;	/* how long the check ran, measured by the server (DONE) */
};

_Static_assert(sizeof(struct forksrv_command) == 8, "command is 8 bytes");
_Static_assert(sizeof(struct forksrv_status) == 40, "status is 40 bytes");

#endif
