/* exec_int.h - the process engine's insides shared by its parts (run/). */
#ifndef SC_RUN_EXEC_INT_H
#define SC_RUN_EXEC_INT_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "secretctl/secretctl.h"

#define RBUF_SIZE (64 * 1024)
#define OBUF_SIZE (64 * 1024)
/* Without a pidfd, how often the child's exit is checked for. */
#define POLL_FALLBACK_MS 10

struct stream {
	int fd; /* our read end of the child's pipe; -1 once closed */
	struct sc_sanitize_stream *san;
	/* streaming */
	int out_fd;
	int gate; /* out_fd may block (pipe, tty): wait for POLLOUT, small writes */
	uint8_t *obuf;
	size_t olen;
	int broken; /* out_fd failed: discard, and close our read end */
	/* capture */
	uint8_t *cap;
	size_t cap_len, cap_size, cap_max;
	uint64_t dropped;
	const uint64_t *give_up; /* absolute ms after which a stalled out_fd is dropped */
};

/* Shared between the parts of this module. */
uint64_t sc_exec_now_ms(void);
void sc_exec_out_flush(struct stream *s);
int sc_exec_stream_feed(struct stream *s, const uint8_t *buf, size_t len);
int sc_exec_stream_close(struct stream *s);

#endif
