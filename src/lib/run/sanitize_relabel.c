/* sanitize_relabel.c - a view of a compiled sanitizer with labels of its
 * own: the whole-vault matcher is built once, each run names its own
 * variables in the replacements and nothing else. */
#include <stdlib.h>
#include <string.h>

#include "run/sanitize_priv.h"

int sc_sanitizer_relabel(const struct sc_sanitizer *base,
                         const char *(*map)(void *arg, const char *label), void *arg,
                         const char *default_label, struct sc_sanitizer **out)
{
	static const char pre[] = "[REDACTED:";
	struct sc_sanitizer *z;
	const char **lab = NULL;
	size_t i, total = 0, pos = 0, n;
	int r = SC_ERR_NOMEM;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (base == NULL || !base->compiled || base->base != NULL || default_label == NULL ||
	    strlen(default_label) > SC_SANITIZE_LABEL_MAX)
		return SC_ERR_INVALID;
	if ((z = malloc(sizeof(*z))) == NULL)
		return SC_ERR_NOMEM;
	*z = *base;
	z->base = base;
	z->repl = NULL;
	z->repl_len = NULL;
	z->repl_arena = NULL;
	z->caplabels = base->nlabels;
	n = base->nlabels;
	if ((lab = calloc(n + 1, sizeof(*lab))) == NULL ||
	    (z->repl = calloc(n + 1, sizeof(*z->repl))) == NULL ||
	    (z->repl_len = calloc(n + 1, sizeof(*z->repl_len))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		/* base keeps "[REDACTED:label]\0label\0" */
		const char *orig = base->repl[i] + base->repl_len[i] + 1;
		const char *l = map != NULL ? map(arg, orig) : NULL;

		if (l == NULL || strlen(l) > SC_SANITIZE_LABEL_MAX)
			l = default_label;
		lab[i] = l;
		total += sizeof(pre) + 2 * strlen(l) + 2;
	}
	if ((z->repl_arena = malloc(total + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		size_t ll = strlen(lab[i]);

		z->repl[i] = z->repl_arena + pos;
		memcpy(z->repl_arena + pos, pre, sizeof(pre) - 1);
		memcpy(z->repl_arena + pos + sizeof(pre) - 1, lab[i], ll);
		z->repl_arena[pos + sizeof(pre) - 1 + ll] = ']';
		z->repl_arena[pos + sizeof(pre) + ll] = '\0';
		/* and the label itself after it, as base keeps it */
		memcpy(z->repl_arena + pos + sizeof(pre) + ll + 1, lab[i], ll + 1);
		z->repl_len[i] = sizeof(pre) + ll;
		pos += sizeof(pre) + 2 * ll + 2;
	}
	*out = z;
	z = NULL;
	r = SC_OK;
out:
	free(lab);
	sc_sanitizer_free(z);
	return r;
}
