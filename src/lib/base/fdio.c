/* fdio.c - whole writes and reads on a file descriptor (semantics: fdio.h). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "secretctl/fault.h"
#include "secretctl/fdio.h"

static int out_all(int fd, const void *buf, size_t n, int sock)
{
	const char *p = buf;
	ssize_t k;

	if (sc_fault_hit(SC_FAULT_IO)) {
		errno = EIO;
		return SC_ERR_IO;
	}
	while (n > 0) {
		k = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return SC_ERR_IO;
		}
		p += k;
		n -= (size_t)k;
	}
	return SC_OK;
}

int sc_fd_write_all(int fd, const void *p, size_t n)
{
	return out_all(fd, p, n, 0);
}

int sc_fd_send_all(int fd, const void *p, size_t n)
{
	return out_all(fd, p, n, 1);
}

int sc_fd_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	ssize_t k;

	if (sc_fault_hit(SC_FAULT_IO)) {
		errno = EIO;
		return SC_ERR_IO;
	}
	while (got < n) {
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? SC_ERR_TIMEOUT
			                                                 : SC_ERR_IO;
		if (k == 0)
			return got == 0 ? SC_ERR_NOT_FOUND : SC_ERR_CORRUPT;
		got += (size_t)k;
	}
	return SC_OK;
}
