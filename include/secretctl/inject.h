/* inject.h - templates with secret references (store/inject.c), for
 * `secretctl inject`: every "{{ secretctl://NAME[/FIELD] }}" (blanks
 * inside the braces allowed, the reference on one line) is replaced by the
 * value it resolves to (secref.h); any other text, "{{" not followed by a
 * reference included, is copied as it is. */
#ifndef SECRETCTL_INJECT_H
#define SECRETCTL_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/secref.h"

#define SC_INJECT_TEMPLATE_MAX SC_VALUE_MAX /* bytes, as a value file */

/* Called with each secret a reference resolved to (once per reference). */
typedef int (*sc_inject_name_fn)(void *arg, const char *name);

/* Render tpl into *out (secmem; *out_len bytes). On a failure *bad_line is
 * the template's line (1-based) and why (cap bytes) says what is wrong:
 * SC_ERR_INVALID (an unterminated "{{ secretctl://", a bad reference),
 * SC_ERR_NOT_FOUND (no such secret or field), or another status from get.
 * Never a value in why. */
int sc_inject_render(const char *tpl, size_t len, sc_secref_get_fn get, void *get_arg,
                     sc_inject_name_fn on_name, void *name_arg, uint8_t **out, size_t *out_len,
                     size_t *bad_line, char *why, size_t cap) SC_WUR;
#endif
