/*
 * guest-shim.c -- preloaded into every program pmfit traces (qemu -E
 * LD_PRELOAD=build/pmfit-guest-shim.so): gives the program the answer the
 * kernel gives it natively where QEMU 7.2's user mode answers otherwise
 *
 * mmap(MAP_SHARED_VALIDATE | MAP_SYNC) of a file on a file system without
 * DAX fails with EOPNOTSUPP natively, and libpmem/libpmemobj then map the
 * file MAP_SHARED. Under QEMU 7.2 it fails with EINVAL and leaves the
 * address range it had reserved for it taken, so the plain MAP_SHARED that
 * follows lands elsewhere: libpmemobj cannot then map a poolset's parts one
 * after another at a 2 MiB boundary, and pmemobj_open of a poolset fails
 * with EINVAL. The shim refuses MAP_SYNC itself, as the kernel would here:
 * pmfit copies pools to its temporary directory, which is never DAX.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE && (flags & MAP_SYNC)) {
		errno = EOPNOTSUPP;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* off_t is 64 bits on x86-64: the two are the same call */
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));
