/*
 * util.c - random numbers for identifiers, challenges and authenticators;
 * the error text of a parser or loader for its caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "util.h"

static int rnd_fd = -1;
static int rnd_seeded;
static char rnd_path[256];

void
random_reopen(const char *device)
{
	if (strcmp(device, rnd_path) == 0 && (rnd_fd >= 0 || *device == '\0'))
		return;
	if (rnd_fd >= 0)
		close(rnd_fd);
	rnd_fd = -1;
	strncpy(rnd_path, device, sizeof(rnd_path) - 1);
	if (*device != '\0')
		rnd_fd = open(device, O_RDONLY | O_CLOEXEC);
}

static void
fallback(uint8_t *p, size_t len)
{
	if (!rnd_seeded) {
		srandom((unsigned)time(NULL) ^ (unsigned)getpid());
		rnd_seeded = 1;
	}
	while (len--)
		*p++ = (uint8_t)(random() >> 7);
}

int
random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0 && rnd_fd >= 0) {
		n = read(rnd_fd, p, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			fallback(p, len);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (len > 0)
		fallback(p, len);
	return 0;
}

uint16_t
random_u16_nonzero(void)
{
	uint16_t v;

	do
		random_bytes(&v, sizeof(v));
	while (v == 0);
	return v;
}

void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
username_ok(const char *u)
{
	for (; *u; u++)
		if ((uint8_t)*u < 0x20 || (uint8_t)*u == 0x7f)
			return 0;
	return 1;
}

const char *
username_escape(const char *u, char *out, size_t cap)
{
	size_t n = 0;
	uint8_t c;

	if (cap == 0)
		return out;
	for (; (c = (uint8_t)*u) != '\0'; u++) {
		if (c <= 0x20 || c == 0x7f || c == '\\') {
			if (n + 4 >= cap)
				break;
			out[n++] = '\\';
			out[n++] = (char)('0' + (c >> 6));
			out[n++] = (char)('0' + ((c >> 3) & 7));
			out[n++] = (char)('0' + (c & 7));
		} else {
			if (n + 1 >= cap)
				break;
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return out;
}

int
dgram_drain(int fd, uint8_t *buf, size_t cap, int budget, dgram_fn *fn,
    void *arg)
{
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	while (budget-- > 0) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, cap, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (fl < sizeof(from) || from.sin_family != AF_INET)
			continue;
		fn(buf, (size_t)n, &from, arg);
	}
	return 0;
}
