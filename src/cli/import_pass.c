/* import_pass.c - reading a password store (pass(1)) for `import --format
 * pass`: every NAME.gpg under the directory, decrypted by the real gpg
 * (its own agent and GNUPGHOME), in name order; and the progress line
 * both that and the import's writes show on a terminal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/import.h"

extern char **environ;

#define PASS_DEPTH_MAX 16
#define PASS_ENTRIES_MAX 100000

struct found {
	char **v;
	size_t n, cap;
};

static int walk(const char *root, const char *rel, int depth, struct found *f)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int r = SC_OK;

	if (depth > PASS_DEPTH_MAX) {
		sc_set_error("'%s': directories nested too deep", rel);
		return SC_ERR_TOOBIG;
	}
	snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
	if ((d = opendir(path)) == NULL) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return errno == ENOENT ? SC_ERR_NOT_FOUND : sc_status_from_errno(errno);
	}
	while (r == SC_OK && (de = readdir(d)) != NULL) {
		char sub[4096];
		size_t n = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* ., .., .git, .gpg-id, .extensions */
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
		                     de->d_name) >= sizeof(sub))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, sub) >= sizeof(path) ||
		    lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			r = walk(root, sub, depth + 1, f);
		} else if (S_ISREG(st.st_mode) && n > 4 &&
		           strcmp(de->d_name + n - 4, ".gpg") == 0) {
			char **nv;

			if (f->n == PASS_ENTRIES_MAX) {
				sc_set_error("more than %d entries", PASS_ENTRIES_MAX);
				r = SC_ERR_TOOBIG;
				break;
			}
			if (f->n == f->cap) {
				size_t cap = f->cap ? f->cap * 2 : 64;

				if ((nv = realloc(f->v, cap * sizeof(*nv))) == NULL) {
					r = SC_ERR_NOMEM;
					break;
				}
				f->v = nv;
				f->cap = cap;
			}
			if ((f->v[f->n] = strdup(sub)) == NULL)
				r = SC_ERR_NOMEM;
			else
				f->n++;
		}
	}
	closedir(d);
	return r;
}

void cli_import_progress(const char *what, size_t i, size_t n)
{
	fprintf(stderr, "\rsecretctl: %s %zu/%zu", what, i, n);
	if (i == n)
		fputc('\n', stderr);
	fflush(stderr);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* gpg --decrypt path, its standard output read into secmem */
static int decrypt(const char *path, uint8_t **buf, size_t *len)
{
	char *argv[] = {(char *)"gpg",
	                (char *)"--quiet",
	                (char *)"--batch",
	                (char *)"--yes",
	                (char *)"--decrypt",
	                (char *)path,
	                NULL};
	posix_spawn_file_actions_t fa;
	int pfd[2], st, r;
	pid_t pid;

	*buf = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return sc_status_from_errno(errno);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, "gpg", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		sc_set_error("cannot run gpg: %s", strerror(r));
		return SC_ERR_NOEXEC;
	}
	r = cli_read_fd(pfd[0], SC_VALUE_MAX, buf, len);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == SC_OK && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		sc_set_error("gpg could not decrypt it (exit status %d)",
		             WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		r = SC_ERR_CRYPTO;
	}
	if (r != SC_OK) {
		sc_secmem_free(*buf);
		*buf = NULL;
	}
	return r;
}

int cli_import_pass(const char *dir, struct sc_import_set *set, int progress)
{
	struct found f = {0};
	size_t i;
	int r;

	if ((r = walk(dir, "", 0, &f)) != SC_OK)
		goto out;
	if (f.n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(f.v, f.n, sizeof(*f.v), cmp_str);
	for (i = 0; i < f.n && r == SC_OK; i++) {
		char path[4096], name[4096];
		uint8_t *buf;
		size_t len;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, f.v[i]) >= sizeof(path)) {
			sc_set_error("a path too long");
			r = SC_ERR_TOOBIG;
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(f.v[i]) - 4), f.v[i]);
		if (progress && (i % 50 == 0 || i + 1 == f.n))
			cli_import_progress("decrypting", i + 1, f.n);
		if ((r = decrypt(path, &buf, &len)) == SC_OK) {
			r = sc_import_pass_entry(set, name, buf, len);
			sc_secmem_free(buf);
		}
		if (r != SC_OK && !sc_import_set_failed(set)) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", sc_last_error());
			sc_set_error("%s.gpg: %s", name, msg);
		}
	}
	if (sc_import_set_failed(set) || r == SC_OK)
		r = sc_import_set_finish(set);
out:
	for (i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	return r;
}
