/* fdio.h - whole writes and reads on a file descriptor, retried on EINTR
 * and short counts (base/fdio.c): the one write_all of the tree. */
#ifndef SECRETCTL_FDIO_H
#define SECRETCTL_FDIO_H

#include <stddef.h>

#include "secretctl/status.h"

/* Write all n bytes. SC_ERR_IO (errno kept; 0 write gives EIO) otherwise.
 * Sets no error detail: the caller knows what the fd is. */
int sc_fd_write_all(int fd, const void *p, size_t n) SC_WUR;
/* The same with send(MSG_NOSIGNAL): a socket whose peer left gives EPIPE,
 * not SIGPIPE. */
int sc_fd_send_all(int fd, const void *p, size_t n) SC_WUR;
/* Read exactly n bytes. SC_ERR_NOT_FOUND on EOF before the first byte,
 * SC_ERR_CORRUPT on EOF after it, SC_ERR_TIMEOUT when a receive timeout ran
 * out (EAGAIN), SC_ERR_IO on another read error (errno kept). */
int sc_fd_read_all(int fd, void *p, size_t n) SC_WUR;

#endif
