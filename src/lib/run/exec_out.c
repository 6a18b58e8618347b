/* exec_out.c - one output stream of a run: sanitized, then written to an
 * fd in batches or captured up to a cap, counting what is dropped. */
#include "run/exec_int.h"

/* ---- one output stream ----------------------------------------------------- */

static void out_write(struct stream *s, const uint8_t *buf, size_t len)
{
	struct pollfd pfd;
	uint64_t t;
	ssize_t n;
	size_t chunk;
	int wait_ms;

	while (len > 0 && !s->broken) {
		if (s->gate) {
			pfd.fd = s->out_fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			wait_ms = -1;
			if (*s->give_up != UINT64_MAX) {
				t = sc_exec_now_ms();
				wait_ms = (t >= *s->give_up) ? 0 : (int)(*s->give_up - t);
			}
			n = poll(&pfd, 1, wait_ms);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || (pfd.revents & (POLLERR | POLLNVAL))) {
				s->broken = 1;
				break;
			}
		}
		chunk = (s->gate && len > PIPE_BUF) ? PIPE_BUF : len;
		n = write(s->out_fd, buf, chunk);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->broken = 1;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	s->dropped += len;
}

void sc_exec_out_flush(struct stream *s)
{
	if (s->olen > 0)
		out_write(s, s->obuf, s->olen);
	s->olen = 0;
}

static int capture(struct stream *s, const uint8_t *buf, size_t len)
{
	size_t room = s->cap_max - s->cap_len, take = len < room ? len : room;
	size_t want;
	uint8_t *p;

	if (take > 0 && s->cap_len + take > s->cap_size) {
		want = s->cap_size ? s->cap_size : 4096;
		while (want < s->cap_len + take)
			want = (want > s->cap_max / 2) ? s->cap_max : want * 2;
		p = malloc(want);
		if (p == NULL)
			return SC_ERR_NOMEM;
		if (s->cap_len > 0)
			memcpy(p, s->cap, s->cap_len);
		if (s->cap != NULL) {
			sc_wipe(s->cap, s->cap_size);
			free(s->cap);
		}
		s->cap = p;
		s->cap_size = want;
	}
	if (take > 0) {
		memcpy(s->cap + s->cap_len, buf, take);
		s->cap_len += take;
	}
	s->dropped += len - take;
	return SC_OK;
}

/* The sanitizer's sink: everything here is already sanitized. */
static int sink(void *arg, const uint8_t *buf, size_t len)
{
	struct stream *s = arg;

	if (s->out_fd < 0)
		return capture(s, buf, len);
	if (s->broken) {
		s->dropped += len;
		return SC_OK;
	}
	if (s->olen + len > OBUF_SIZE)
		sc_exec_out_flush(s);
	if (len >= OBUF_SIZE) {
		out_write(s, buf, len);
		return SC_OK;
	}
	memcpy(s->obuf + s->olen, buf, len);
	s->olen += len;
	return SC_OK;
}

int sc_exec_stream_feed(struct stream *s, const uint8_t *buf, size_t len)
{
	if (s->san == NULL)
		return sink(s, buf, len);
	return sc_sanitize_feed(s->san, buf, len, sink, s);
}

/* End of the child's output on this stream: release what the sanitizer
 * held back and stop reading. */
int sc_exec_stream_close(struct stream *s)
{
	int r = SC_OK;

	if (s->fd < 0)
		return SC_OK;
	close(s->fd);
	s->fd = -1;
	if (s->san != NULL)
		r = sc_sanitize_finish(s->san, sink, s);
	if (s->out_fd >= 0)
		sc_exec_out_flush(s);
	return r;
}

uint64_t sc_exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
