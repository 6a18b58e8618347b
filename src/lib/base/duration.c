/* duration.c - the duration grammar (semantics: duration.h). */
#include <string.h>

#include "secretctl/duration.h"

static const struct {
	const char *suffix;
	unsigned flag;
	uint64_t ms;
} units[] = {
    /* "ms" before "m" */
    {"ms", SC_DUR_MS, 1},
    {"s", SC_DUR_S, 1000},
    {"m", SC_DUR_M, 60 * 1000},
    {"h", SC_DUR_H, 3600 * 1000},
    {"d", SC_DUR_D, 86400ull * 1000},
    {"w", SC_DUR_W, 7 * 86400ull * 1000},
    {"y", SC_DUR_Y, 365 * 86400ull * 1000},
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int sc_duration_parse(const char *s, unsigned flags, uint64_t max_ms, uint64_t *ms)
{
	uint64_t total = 0;
	int groups = 0, over = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return SC_ERR_INVALID;
	while (*s != '\0') {
		uint64_t v = 0, add;
		size_t i, ul = 0;

		if (*s < '0' || *s > '9')
			return SC_ERR_INVALID;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (UINT64_MAX - 9) / 10)
				over = 1;
			else
				v = v * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '\0' && groups == 0 && (flags & SC_DUR_BARE)) {
			i = 1; /* seconds */
		} else {
			for (i = 0; i < NUNITS; i++) {
				ul = strlen(units[i].suffix);
				if (strncmp(s, units[i].suffix, ul) == 0 &&
				    (s[ul] == '\0' || (s[ul] >= '0' && s[ul] <= '9')))
					break;
			}
			if (i == NUNITS || !(flags & units[i].flag))
				return SC_ERR_INVALID;
			s += ul;
		}
		if (groups > 0 && !(flags & SC_DUR_COMPOUND))
			return SC_ERR_INVALID;
		groups++;
		if (v > UINT64_MAX / units[i].ms)
			over = 1;
		else {
			add = v * units[i].ms;
			if (add > UINT64_MAX - total)
				over = 1;
			else
				total += add;
		}
	}
	if (over || total > max_ms)
		return SC_ERR_TOOBIG;
	*ms = total;
	return SC_OK;
}
