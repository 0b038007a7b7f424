/* intercept.c - not written yet: nothing is copied. */
#include "intercept.h"

int
intercept_init(void)
{
	return 0;
}

void
intercept_copy(sid_t s, const uint8_t *ip, size_t len)
{
	(void)s; (void)ip; (void)len;
}
