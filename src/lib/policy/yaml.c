/* yaml.c - a small YAML tree built from libyaml events, bounded in depth
 * and size, refusing anchors, aliases and tags. */
#include "policy/policy_int.h"

int sc_policy_perr(struct pctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int sc_policy_perr(struct pctx *c, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "line %d: %s", line, msg);
	sc_set_error("line %d: %s", line, msg);
	return SC_ERR_INVALID;
}

void sc_policy_ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		sc_policy_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->nkids == parent->cap) {
		size_t ncap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **nk =
		    sc_fault_hit(SC_FAULT_ALLOC) ? NULL : realloc(parent->kids, ncap * sizeof(*nk));

		if (nk == NULL)
			return SC_ERR_NOMEM;
		parent->kids = nk;
		parent->cap = ncap;
	}
	parent->kids[parent->nkids++] = kid;
	return SC_OK;
}

int sc_policy_ytree_build(const char *buf, size_t len, struct ynode **root, struct pctx *c)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	struct ynode *stack[SC_POLICY_MAX_DEPTH];
	size_t depth = 0, count = 0;
	int docs = 0, done = 0, r = SC_OK;

	*root = NULL;
	if (!yaml_parser_initialize(&ps))
		return SC_ERR_NOMEM;
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	while (!done) {
		struct ynode *n = NULL;
		int line;

		if (!yaml_parser_parse(&ps, &ev)) {
			if (ps.error == YAML_MEMORY_ERROR)
				r = SC_ERR_NOMEM;
			else
				r = sc_policy_perr(
				    c, (int)ps.problem_mark.line + 1, "malformed YAML: %s%s%s",
				    ps.problem ? ps.problem : "syntax error", ps.context ? " " : "",
				    ps.context ? ps.context : "");
			goto out;
		}
		line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_NO_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				r = sc_policy_perr(c, line, "only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
			r = sc_policy_perr(c, line, "YAML aliases (*name) are not supported");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor, *tag;

			if (ev.type == YAML_SCALAR_EVENT) {
				anchor = ev.data.scalar.anchor;
				tag = ev.data.scalar.tag;
			} else if (ev.type == YAML_SEQUENCE_START_EVENT) {
				anchor = ev.data.sequence_start.anchor;
				tag = ev.data.sequence_start.tag;
			} else {
				anchor = ev.data.mapping_start.anchor;
				tag = ev.data.mapping_start.tag;
			}
			if (anchor != NULL) {
				r = sc_policy_perr(c, line,
				                   "YAML anchors (&name) are not supported");
				break;
			}
			if (tag != NULL) {
				r = sc_policy_perr(c, line, "YAML tags (!tag) are not supported");
				break;
			}
			if (++count > SC_POLICY_MAX_NODES) {
				r = sc_policy_perr(c, line, "too many YAML nodes (at most %d)",
				                   SC_POLICY_MAX_NODES);
				break;
			}
			if ((n = sc_fault_hit(SC_FAULT_ALLOC) ? NULL : calloc(1, sizeof(*n))) ==
			    NULL) {
				r = SC_ERR_NOMEM;
				break;
			}
			n->line = line;
			n->off = ev.start_mark.index;
			n->col = ev.start_mark.column;
			if (ev.type == YAML_SCALAR_EVENT) {
				size_t slen = ev.data.scalar.length;

				n->kind = Y_SCALAR;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (slen > SC_POLICY_MAX_STRING) {
					sc_policy_ynode_free(n);
					r = sc_policy_perr(c, line,
					                   "string too long (at most %d bytes)",
					                   SC_POLICY_MAX_STRING);
					break;
				}
				if (memchr(ev.data.scalar.value, 0, slen) != NULL) {
					sc_policy_ynode_free(n);
					r = sc_policy_perr(c, line, "NUL byte in a string");
					break;
				}
				if ((n->str =
				         sc_fault_hit(SC_FAULT_ALLOC) ? NULL : malloc(slen + 1)) ==
				    NULL) {
					sc_policy_ynode_free(n);
					r = SC_ERR_NOMEM;
					break;
				}
				memcpy(n->str, ev.data.scalar.value, slen);
				n->str[slen] = '\0';
			} else {
				n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
				n->flow =
				    ev.type == YAML_SEQUENCE_START_EVENT
				        ? ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
				        : ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
			}
			if (depth == 0) {
				/* One document, so the root is set once. */
				*root = n;
			} else if (stack[depth - 1]->nkids >=
			           (stack[depth - 1]->kind == Y_MAP ? 2 : 1) *
			               SC_POLICY_MAX_ITEMS) {
				sc_policy_ynode_free(n);
				r = sc_policy_perr(c, line, "too many entries (at most %d)",
				                   SC_POLICY_MAX_ITEMS);
				break;
			} else if ((r = ynode_add(stack[depth - 1], n)) != SC_OK) {
				sc_policy_ynode_free(n);
				break;
			}
			if (n->kind != Y_SCALAR) {
				if (depth == SC_POLICY_MAX_DEPTH) {
					r = sc_policy_perr(c, line,
					                   "nested too deeply (at most %d levels)",
					                   SC_POLICY_MAX_DEPTH);
					break;
				}
				stack[depth++] = n;
			}
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		}
		yaml_event_delete(&ev);
		if (r != SC_OK)
			goto out;
	}
out:
	yaml_parser_delete(&ps);
	if (r != SC_OK) {
		sc_policy_ynode_free(*root);
		*root = NULL;
	}
	return r;
}

/* ---- helpers the schema's parts share ---- */

int sc_policy_is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (n->str[0] == '\0' || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	        strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

const char *sc_policy_kind_name(const struct ynode *n)
{
	return n->kind == Y_SCALAR ? "a string" : n->kind == Y_SEQ ? "a list" : "a mapping";
}

int sc_policy_want(struct pctx *c, const struct ynode *n, enum ykind k, const char *what)
{
	static const char *const names[] = {"a string", "a list", "a mapping"};

	if (n->kind != k)
		return sc_policy_perr(c, n->line, "%s must be %s, not %s", what, names[k],
		                      sc_policy_kind_name(n));
	return SC_OK;
}

/* Keys of a mapping: strings, each once. */
int sc_policy_check_keys(struct pctx *c, const struct ynode *map)
{
	size_t i, j;

	for (i = 0; i < map->nkids; i += 2) {
		const struct ynode *k = map->kids[i];

		if (k->kind != Y_SCALAR)
			return sc_policy_perr(c, k->line, "mapping keys must be strings, not %s",
			                      sc_policy_kind_name(k));
		for (j = 0; j < i; j += 2) {
			if (strcmp(map->kids[j]->str, k->str) == 0)
				return sc_policy_perr(c, k->line,
				                      "duplicate key '%s' (first on line %d)",
				                      k->str, map->kids[j]->line);
		}
	}
	return SC_OK;
}

int sc_policy_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}
