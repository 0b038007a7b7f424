/*
 * pool.c - the IPv4 address pool (ip_pool).
 *
 * State owned: `ippool` (shared memory, read by CLI children) and two
 * private open-addressing indexes: address -> slot (fixed after init)
 * and username -> slot (the slot each user held last).
 * Exports ippool_init/alloc/take/release/find (l2tpns.h).
 *
 * Every operation is O(1): free slots sit on a doubly linked FIFO, so a
 * slot can leave it from the middle when its last user comes back, and
 * a released address is reused as late as possible (the manual's
 * "show pool" lists it as "[user] Ns" meanwhile).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "event.h"
#include "log.h"
#include "util.h"

struct ippool *ippool;

static uint32_t *ip_index;	/* slot + 1, by address hash */
static uint32_t *user_index;	/* slot + 1, by username hash */
static uint32_t index_mask;
static size_t pool_len;

static uint32_t
hash_ip(in_addr_t ip)
{
	uint32_t h = (uint32_t)ip * 0x9e3779b1u;

	return h ^ (h >> 16);
}

static void
fifo_unlink(uint32_t i)
{
	struct pool_addr *a = &ippool->a[i];

	if (a->prev)
		ippool->a[a->prev - 1].next = a->next;
	else
		ippool->head = a->next;
	if (a->next)
		ippool->a[a->next - 1].prev = a->prev;
	else
		ippool->tail = a->prev;
	a->prev = a->next = 0;
}

static void
fifo_push(uint32_t i)
{
	struct pool_addr *a = &ippool->a[i];

	a->next = 0;
	a->prev = ippool->tail;
	if (ippool->tail)
		ippool->a[ippool->tail - 1].next = i + 1;
	else
		ippool->head = i + 1;
	ippool->tail = i + 1;
}

/* ---- username index: linear probing, backward-shift deletion ---- */

static int64_t
user_lookup(const char *user)
{
	uint32_t h = hash_str(user) & index_mask, v;

	while ((v = user_index[h]) != 0) {
		if (strcmp(ippool->a[v - 1].user, user) == 0)
			return (int64_t)h;
		h = (h + 1) & index_mask;
	}
	return -1;
}

static void
user_delete_at(uint32_t h)
{
	uint32_t j = h, k, v;

	user_index[h] = 0;
	for (;;) {
		j = (j + 1) & index_mask;
		if ((v = user_index[j]) == 0)
			return;
		k = hash_str(ippool->a[v - 1].user) & index_mask;
		/* Move j back to h unless its home lies cyclically in (h, j]. */
		if ((h <= j) ? (h < k && k <= j) : (h < k || k <= j))
			continue;
		user_index[h] = v;
		user_index[j] = 0;
		h = j;
	}
}

/* Slot i is now labelled with `user` (or loses its label if empty). */
static void
relabel(uint32_t i, const char *user)
{
	struct pool_addr *a = &ippool->a[i];
	int64_t h;

	if (a->user[0] && (h = user_lookup(a->user)) >= 0 &&
	    user_index[h] == i + 1)
		user_delete_at((uint32_t)h);
	snprintf(a->user, sizeof(a->user), "%s", user ? user : "");
	if (a->user[0] == '\0')
		return;
	if ((h = user_lookup(a->user)) >= 0)
		user_index[h] = i + 1;	/* their latest address wins */
	else {
		uint32_t k = hash_str(a->user) & index_mask;

		while (user_index[k] != 0)
			k = (k + 1) & index_mask;
		user_index[k] = i + 1;
	}
}

int64_t
ippool_find(in_addr_t ip)
{
	uint32_t h, v;

	if (ippool == NULL || ip_index == NULL)
		return -1;
	h = hash_ip(ip) & index_mask;
	while ((v = ip_index[h]) != 0) {
		if (ippool->a[v - 1].ip == ip)
			return (int64_t)(v - 1);
		h = (h + 1) & index_mask;
	}
	return -1;
}

int
ippool_init(const struct pool_file *pf, uint32_t max)
{
	uint64_t want = pf ? pf->count : 0;
	uint32_t n = want > max ? max : (uint32_t)want, i = 0, size = 16;
	size_t len;
	void *p;
	int r;

	if (want > max)
		log_warnx("ip_pool has %llu addresses: only the first %u are "
		    "used (max_sessions)", (unsigned long long)want, max);
	if (ippool != NULL)
		munmap(ippool, pool_len);
	free(ip_index);
	free(user_index);
	ippool = NULL;
	len = sizeof(*ippool) + (size_t)n * sizeof(struct pool_addr);
	if ((p = shm_alloc(len)) == NULL)
		return -1;
	ippool = p;
	pool_len = len;
	while (size < 2 * (n + 1))
		size <<= 1;
	index_mask = size - 1;
	ip_index = calloc(size, sizeof(*ip_index));
	user_index = calloc(size, sizeof(*user_index));
	if (ip_index == NULL || user_index == NULL)
		return -1;
	for (r = 0; pf && r < pf->n && i < n; r++) {
		uint32_t a = pf->range[r].first;
		uint32_t z = pf->range[r].last;

		for (;; a++) {
			uint32_t h;

			if (i >= n)
				break;
			ippool->a[i].ip = htonl(a);
			h = hash_ip(ippool->a[i].ip) & index_mask;
			while (ip_index[h] != 0)
				h = (h + 1) & index_mask;
			ip_index[h] = i + 1;
			fifo_push(i);
			i++;
			if (a == z)
				break;
		}
	}
	ippool->n = i;
	return 0;
}

in_addr_t
ippool_alloc(sid_t s, const char *user)
{
	int64_t h;
	uint32_t i;

	if (ippool == NULL || ippool->head == 0)
		return 0;
	if (user && user[0] && (h = user_lookup(user)) >= 0 &&
	    ippool->a[user_index[h] - 1].sid == 0) {
		i = user_index[h] - 1;		/* their last address */
	} else
		i = ippool->head - 1;
	fifo_unlink(i);
	ippool->a[i].sid = s;
	ippool->used++;
	if (!user || strcmp(ippool->a[i].user, user) != 0)
		relabel(i, user);
	return ippool->a[i].ip;
}

int
ippool_take(sid_t s, in_addr_t ip, const char *user)
{
	int64_t i = ippool_find(ip);

	if (i < 0)
		return 0;	/* outside the pool: nothing to track */
	if (ippool->a[i].sid != 0 && ippool->a[i].sid != s)
		return -1;
	if (ippool->a[i].sid == 0) {
		fifo_unlink((uint32_t)i);
		ippool->used++;
	}
	ippool->a[i].sid = s;
	if (!user || strcmp(ippool->a[i].user, user) != 0)
		relabel((uint32_t)i, user);
	return 0;
}

void
ippool_release(in_addr_t ip)
{
	int64_t i = ippool_find(ip);

	if (i < 0 || ippool->a[i].sid == 0)
		return;
	ippool->a[i].sid = 0;
	ippool->a[i].released = time_now;
	ippool->used--;
	fifo_push((uint32_t)i);
}

void
ippool_move(in_addr_t ip, sid_t from, sid_t to)
{
	int64_t i = ippool_find(ip);

	if (i >= 0 && ippool->a[i].sid == from)
		ippool->a[i].sid = to;
}
