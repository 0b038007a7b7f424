/*
 * util.h - small helpers that report errors to their caller (STYLE 12).
 */
#ifndef L2TPNS_UTIL_H
#define L2TPNS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/mman.h>

/*
 * Random bytes from `random_device` (config), or random(3) when it is
 * empty.  Returns 0, or -1 if the device cannot be read (the caller
 * logs; random(3) fills the buffer in that case).
 */
int	 random_bytes(void *buf, size_t len);
void	 random_reopen(const char *device);
uint16_t random_u16_nonzero(void);

/* printf into err (errlen bytes) when err is not NULL: a parser's or a
 * loader's reason for its caller (STYLE 12). */
void	 seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Up to `budget` datagrams from the non-blocking socket fd, read into
 * buf (cap octets), each from an IPv4 sender handed to fn.  0 once the
 * socket is empty (or a signal came); -1 with errno on another error,
 * for the caller to log.
 */
typedef void dgram_fn(const uint8_t *pkt, size_t n,
    const struct sockaddr_in *from, void *arg);
int	 dgram_drain(int fd, uint8_t *buf, size_t cap, int budget,
	    dgram_fn *fn, void *arg);

/* CLOCK_MONOTONIC now, microseconds, uncached (latency measurements). */
uint64_t mono_us(void);

/*
 * Usernames (issue 20, finding 9).  username_ok: 0 when the name holds
 * a control character (below 0x20, or 0x7f), which could forge lines in
 * the log or the usage files; such a name is refused at authentication.
 * username_escape: the name for a space-separated file, with a space,
 * a backslash and any control character written \ooo (octal, as in
 * /etc/fstab); always terminated, truncated to fit `cap`.
 */
int	 username_ok(const char *);
const char *username_escape(const char *, char *out, size_t cap);

/*
 * len octets of zeroed memory shared with the processes forked after
 * (the CLI's children, the state a restart keeps); NULL with errno set
 * when it cannot be mapped.  munmap() frees it.
 */
static inline void *
shm_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* FNV-1a of a string: the hash of the username and name indexes. */
static inline uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

#endif /* L2TPNS_UTIL_H */
