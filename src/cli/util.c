/* util.c - helpers every command uses: errors and exit statuses, password
 * sources, reading secrets from fds and the terminal, durations. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
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

static int json_errors;

void cli_set_json_errors(int on)
{
	json_errors = on;
}

/* The "code" of a JSON error: the exit status by name. */
static const char *exit_code_name(int status)
{
	switch (status) {
	case EXIT_USAGE:
		return "usage";
	case EXIT_NOTFOUND:
		return "not_found";
	case EXIT_AUTH:
		return "auth";
	case EXIT_PERM:
		return "permission";
	case EXIT_CORRUPT:
		return "corrupt";
	case EXIT_EXISTS:
		return "exists";
	case EXIT_EXPIRED:
		return "expired";
	case EXIT_DENIED:
		return "denied";
	case EXIT_AUDIT:
		return "audit";
	case EXIT_PEER:
		return "participant";
	case EXIT_RUN_FAIL:
		return "run_failed";
	default:
		return "failure";
	}
}

/* One message on stderr: "secretctl: MSG", or under --json one line
 * {"error":{"code":...,"exit_status":N,"message":MSG}} (kind "warning":
 * no code). */
static void emit(const char *kind, int status, const char *raw, const char *usage_path)
{
	/* outside text (names, details) may hold controls or bad UTF-8:
	 * escaped, in both forms (JSON also needs valid UTF-8) */
	char msg[6 * 1024 + 1];

	cli_escape(msg, sizeof(msg), raw);
	if (json_errors) {
		json_t *o = json_object(), *e = json_object();
		char *s;

		if (status >= 0) {
			json_object_set_new(e, "code", json_string(exit_code_name(status)));
			json_object_set_new(e, "exit_status", json_integer(status));
		}
		json_object_set_new(e, "message", json_string(msg));
		if (usage_path != NULL)
			json_object_set_new(e, "help",
			                    json_sprintf("secretctl help %s", usage_path));
		json_object_set_new(o, kind, e);
		if ((s = json_dumps(o, JSON_COMPACT)) != NULL)
			fprintf(stderr, "%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	if (strcmp(kind, "warning") == 0)
		fprintf(stderr, "secretctl: warning: %s\n", msg);
	else
		fprintf(stderr, "secretctl: %s\n", msg);
}

int cli_fail(int st, const char *fmt, ...)
{
	const char *detail = sc_last_error();
	char msg[1024];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (detail[0] != '\0')
		snprintf(msg + n, sizeof(msg) - n, ": %s", detail);
	else if (st != SC_OK)
		snprintf(msg + n, sizeof(msg) - n, ": %s", sc_strerror(st));
	sc_clear_error();
	emit("error", cli_exit_status(st), msg, NULL);
	return cli_exit_status(st);
}

int cli_error(int exit_status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sc_clear_error();
	emit("error", exit_status, msg, NULL);
	return exit_status;
}

int cli_error_help(int exit_status, const char *help_path, const char *msg)
{
	emit("error", exit_status, msg, help_path);
	return exit_status;
}

int cli_json_errors(void)
{
	return json_errors;
}

void cli_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit("warning", -1, msg, NULL);
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

int cli_read_secret_fd(int fd, char **out, size_t *len)
{
	return read_line_fd(fd, out, len);
}

int cli_read_tty_secret(const char *prompt, char **out, size_t *len)
{
	struct termios old, noecho;
	int fd, r, restore = 0;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	/* no controlling terminal, but stdin is one: a command forwarded to a
	 * dedicated run user's agent (system.c) got the caller's terminal as
	 * its fds, not as its controlling terminal */
	if (fd < 0 && isatty(0))
		fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
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
		/* a closed fd was refused before the command (main.c); an I/O
		 * error keeps read_line_fd's words ("cannot read file
		 * descriptor 9: Bad file descriptor") */
		if ((r = read_line_fd(c->password_fd, pw, len)) != SC_OK && r != SC_ERR_IO)
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

/* ---- a sign of life while Argon2id runs ---- */

static const char slow_msg[] = "secretctl: deriving the key (Argon2id)...\n";
static struct sigaction slow_old;
static int slow_armed;

static void slow_notice(int sig)
{
	int saved = errno;

	(void)sig;
	(void)!write(2, slow_msg, sizeof(slow_msg) - 1);
	errno = saved;
}

void cli_slow_begin(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, CLI_SLOW_NOTICE_MS * 1000}};

	/* only a person at a terminal wants it; a script's stderr stays clean */
	if (slow_armed || json_errors || !isatty(2))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = slow_notice;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &slow_old) != 0)
		return;
	if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
		sigaction(SIGALRM, &slow_old, NULL);
		return;
	}
	slow_armed = 1;
}

void cli_slow_end(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};

	if (!slow_armed)
		return;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &slow_old, NULL);
	slow_armed = 0;
}

int cli_password_given(const struct cli *c)
{
	return c->password_fd >= 0 || env_pw != NULL;
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

void cli_json_set_times(struct json_t *o, const struct sc_secret *s)
{
	char when[32];

	if (sc_secret_expires(s) != 0) {
		cli_format_time(sc_secret_expires(s), when, sizeof(when));
		json_object_set_new(o, "expires_at", json_string(when));
	} else {
		json_object_set_new(o, "expires_at", json_null());
	}
	cli_format_time(sc_secret_created(s), when, sizeof(when));
	json_object_set_new(o, "created_at", json_string(when));
	cli_format_time(sc_secret_updated(s), when, sizeof(when));
	json_object_set_new(o, "updated_at", json_string(when));
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
