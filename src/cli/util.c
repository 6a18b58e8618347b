/* util.c - helpers every command uses: errors and exit statuses, password
 * sources, reading secrets from fds and the terminal, durations. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"

#define PASSWORD_MAX 4096

static char *env_pw; /* SECRETCTL_PASSWORD, taken at start-up (secmem) */
static size_t env_pw_len;

int cli_exit_status(int st)
{
	return sc_status_exit(st);
}

int cli_fail(int st, const char *fmt, ...)
{
	const char *detail = sc_last_error();
	va_list ap;

	fputs("secretctl: ", stderr);
	va_start(ap, fmt);
	cli_vput(stderr, fmt, ap);
	va_end(ap);
	if (detail[0] != '\0') {
		fputs(": ", stderr);
		cli_put_escaped(stderr, detail);
	} else if (st != SC_OK) {
		fprintf(stderr, ": %s", sc_strerror(st));
	}
	fputc('\n', stderr);
	sc_clear_error();
	return cli_exit_status(st);
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	const struct cli_cmd *cmd;
	va_list ap;

	fputs("secretctl: ", stderr);
	va_start(ap, fmt);
	cli_vput(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (c->cmd != NULL && strcmp(cmd->name, c->cmd) == 0)
			fprintf(stderr, "usage: secretctl %s\n", cmd->usage);
	return EXIT_USAGE;
}

int cli_opt_error(struct cli *c, int ch, char **argv)
{
	char shortopt[3] = {'-', (char)optopt, '\0'};
	const char *opt = optind > 0 ? argv[optind - 1] : "?";

	/* A long option is the word getopt just passed; a short one inside a
	 * cluster ("-xy") has no word of its own: name the letter. */
	if (strncmp(opt, "--", 2) != 0 && optopt != 0)
		opt = shortopt;
	if (ch == ':')
		return cli_usage(c, "option '%s' needs a value", opt);
	return cli_usage(c, "unknown option '%s'", opt);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("secretctl: warning: ", stderr);
	va_start(ap, fmt);
	cli_vput(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- passwords ---- */

void cli_take_env_password(void)
{
	char *p = getenv("SECRETCTL_PASSWORD");
	size_t n;

	if (p == NULL)
		return;
	n = strlen(p);
	if (n <= PASSWORD_MAX)
		env_pw = sc_secmem_dup(p, n);
	env_pw_len = env_pw ? n : 0;
	/* wipe the string in place (it lives in our environment block), then
	 * remove the variable so no child inherits it */
	sc_wipe(p, n);
	unsetenv("SECRETCTL_PASSWORD");
}

void cli_drop_env_password(void)
{
	sc_secmem_free(env_pw);
	env_pw = NULL;
	env_pw_len = 0;
}

/* Read one line from fd a byte at a time, so nothing after it is consumed
 * (the same fd may carry a value next). */
static int read_line_fd(int fd, char **out, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t k;
	char ch;

	*out = NULL;
	if ((buf = sc_secmem_alloc(PASSWORD_MAX + 1)) == NULL)
		return SC_ERR_NOMEM;
	for (;;) {
		k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EBADF) {
			/* no password to read, not a failing disk */
			sc_set_error("file descriptor %d is not open", fd);
			sc_secmem_free(buf);
			return SC_ERR_LOCKED;
		}
		if (k < 0) {
			sc_set_error("cannot read file descriptor %d: %s", fd, strerror(errno));
			sc_secmem_free(buf);
			return SC_ERR_IO;
		}
		if (k == 0 || ch == '\n')
			break;
		if (n == PASSWORD_MAX) {
			sc_secmem_free(buf);
			sc_set_error("longer than %d bytes", PASSWORD_MAX);
			return SC_ERR_TOOBIG;
		}
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return SC_OK;
}

int cli_read_tty_secret(const char *prompt, char **out, size_t *len)
{
	struct termios old, noecho;
	int fd, r, restore = 0;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return SC_ERR_LOCKED;
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		noecho.c_lflag |= ECHONL;
		restore = tcsetattr(fd, TCSAFLUSH, &noecho) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing to do: the prompt is a courtesy */
	}
	r = read_line_fd(fd, out, len);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return r;
}

int cli_get_password(struct cli *c, const char *prompt, int confirm, char **pw, size_t *len)
{
	char *again = NULL;
	size_t again_len;
	int r;

	*pw = NULL;
	*len = 0;
	if (c->password_fd >= 0) {
		/* a closed fd (SC_ERR_LOCKED) has said so already */
		if ((r = read_line_fd(c->password_fd, pw, len)) != SC_OK && r != SC_ERR_LOCKED)
			sc_set_error("reading the password from fd %d failed (%s)", c->password_fd,
			             sc_strerror(r));
		return r;
	}
	if (env_pw != NULL) {
		if ((*pw = sc_secmem_dup(env_pw, env_pw_len)) == NULL)
			return SC_ERR_NOMEM;
		*len = env_pw_len;
		return SC_OK;
	}
	if (c->no_prompt) {
		sc_set_error("no password given: use --password-fd N or SECRETCTL_PASSWORD");
		return SC_ERR_LOCKED;
	}
	if ((r = cli_read_tty_secret(prompt, pw, len)) != SC_OK) {
		if (r == SC_ERR_LOCKED)
			sc_set_error("no password given: use --password-fd N, SECRETCTL_PASSWORD, "
			             "or run on a terminal");
		return r;
	}
	if (confirm) {
		if ((r = cli_read_tty_secret("Repeat password: ", &again, &again_len)) != SC_OK)
			goto fail;
		if (again_len != *len || sc_memcmp_ct(again, *pw, *len) != 0) {
			sc_set_error("the passwords do not match");
			r = SC_ERR_INVALID;
			goto fail;
		}
		sc_secmem_free(again);
	}
	return SC_OK;
fail:
	sc_secmem_free(again);
	sc_secmem_free(*pw);
	*pw = NULL;
	*len = 0;
	return r;
}

int cli_get_new_password(struct cli *c, int fd, char **pw, size_t *len)
{
	struct cli tmp = *c;
	int r;

	if (fd >= 0)
		tmp.password_fd = fd;
	if (fd >= 0) {
		r = cli_get_password(&tmp, "", 0, pw, len);
	} else if (c->password_fd >= 0 || env_pw != NULL) {
		/* init takes its one password from the usual sources */
		r = cli_get_password(&tmp, "", 0, pw, len);
	} else {
		r = cli_get_password(&tmp, "New password: ", 1, pw, len);
	}
	if (r != SC_OK)
		return r;
	if (*len < 8) {
		sc_secmem_free(*pw);
		*pw = NULL;
		sc_set_error("the password must be at least 8 characters");
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

int cli_open_vault(struct cli *c, int unlock, struct sc_vault **out)
{
	struct sc_vault *v = NULL;
	char *pw = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = sc_vault_open(c->vault_dir, &v)) != SC_OK)
		return r;
	if (unlock) {
		if ((r = cli_get_password(c, "Password: ", 0, &pw, &len)) != SC_OK)
			goto fail;
		int recorded;

		/* the session layer records a wrong password in the audit log */
		r = sc_session_unlock(v, SC_AUDIT_SRC_CLI, pw, len, &recorded);
		sc_secmem_free(pw);
		if (!recorded)
			cli_warn("cannot record the failed unlock in the audit log");
		if (r != SC_OK)
			goto fail;
	}
	*out = v;
	return SC_OK;
fail:
	sc_vault_close(v);
	return r;
}

/* ---- input ---- */

int cli_read_fd(int fd, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *b, *nb;
	size_t cap = 4096, n = 0;
	ssize_t k;

	*buf = NULL;
	*len = 0;
	if ((b = sc_secmem_alloc(cap)) == NULL)
		return SC_ERR_NOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				sc_secmem_free(b);
				return SC_ERR_TOOBIG;
			}
			if ((nb = sc_secmem_realloc(b, cap * 2)) == NULL) {
				sc_secmem_free(b);
				return SC_ERR_NOMEM;
			}
			b = nb;
			cap *= 2;
		}
		k = read(fd, b + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sc_set_error("%s", strerror(errno));
			sc_secmem_free(b);
			return SC_ERR_IO;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		sc_secmem_free(b);
		return SC_ERR_TOOBIG;
	}
	*buf = b;
	*len = n;
	return SC_OK;
}

/* ---- time ---- */

int cli_parse_duration(const char *s, int64_t *secs)
{
	uint64_t ms;

	if (sc_duration_parse(s, SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_D | SC_DUR_W | SC_DUR_Y,
	                      (uint64_t)INT64_MAX / 2, &ms) != SC_OK)
		return SC_ERR_INVALID;
	*secs = (int64_t)(ms / 1000);
	return SC_OK;
}

int cli_parse_expiry(const char *s, int64_t *when)
{
	struct tm tm = {0}, back;
	int64_t d;
	const char *end;
	time_t t;
	int has_time = 0;

	sc_clear_error();
	if (cli_parse_duration(s, &d) == SC_OK) {
		if (d == 0) {
			sc_set_error("a duration of zero");
			return SC_ERR_INVALID;
		}
		*when = (int64_t)time(NULL) + d;
		return SC_OK;
	}
	/* strptime takes "2024-2-3" and leading blanks: insist on the digits */
	if (strlen(s) < 10 || strspn(s, "0123456789") != 4 || s[4] != '-' ||
	    strspn(s + 5, "0123456789") != 2 || s[7] != '-' || strspn(s + 8, "0123456789") != 2)
		return SC_ERR_INVALID;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == 'T') {
		has_time = 1;
		if (strspn(end + 1, "0123456789") != 2 || end[3] != ':' ||
		    strspn(end + 4, "0123456789") != 2)
			return SC_ERR_INVALID;
		end = strptime(end + 1, "%H:%M", &tm);
	}
	if (has_time && end != NULL && *end == ':') {
		if (strspn(end + 1, "0123456789") != 2)
			return SC_ERR_INVALID;
		end = strptime(end + 1, "%S", &tm);
	}
	if (has_time && end != NULL && *end == '\0') {
		/* a time of day means nothing without its zone */
		sc_set_error("a time needs its zone: add Z (UTC, the only zone taken)");
		return SC_ERR_INVALID;
	}
	if (has_time && end != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0')
		return SC_ERR_INVALID;
	tm.tm_isdst = 0;
	back = tm;
	if ((t = timegm(&back)) < 0 || gmtime_r(&t, &back) == NULL) {
		sc_set_error("before 1970");
		return SC_ERR_INVALID;
	}
	/* timegm normalises 2024-02-30 to 1 March: refuse what does not
	 * come back as written */
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
	    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec) {
		sc_set_error("no such date or time");
		return SC_ERR_INVALID;
	}
	*when = (int64_t)t;
	return SC_OK;
}

void cli_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* ---- JSON ---- */

static void *json_alloc(size_t n)
{
	return malloc(n);
}

static void json_release(void *p)
{
	if (p != NULL)
		sc_wipe(p, malloc_usable_size(p));
	free(p);
}

void cli_json_init(void)
{
	json_set_alloc_funcs(json_alloc, json_release);
}

/* A command that takes one secret NAME and no options. */
int cli_one_name(struct cli *c, int argc, char **argv, const char **name)
{
	int ch = getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL);

	if (ch != -1)
		return cli_opt_error(c, ch, argv);
	if (argc - optind != 1)
		return cli_usage(c,
		                 argc - optind < 1 ? "missing secret NAME" : "too many arguments");
	*name = argv[optind];
	if (sc_name_valid(*name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", *name);
	return EXIT_OK;
}
