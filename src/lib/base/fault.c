/* fault.c - fail the Nth allocation or I/O call (semantics: fault.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "secretctl/secretctl.h"
#include "secretctl/fault.h"

static atomic_uint armed; /* kinds counted; 0: off */
static atomic_uint_fast64_t calls, nth, failed;
static atomic_int sticky;

void sc_fault_arm(unsigned what, uint64_t n, int st)
{
	atomic_store(&armed, 0);
	atomic_store(&calls, 0);
	atomic_store(&failed, 0);
	atomic_store(&nth, n);
	atomic_store(&sticky, st);
	atomic_store(&armed, what);
}

void sc_fault_disarm(void)
{
	atomic_store(&armed, 0);
}

uint64_t sc_fault_failed(void)
{
	return atomic_load(&failed);
}

int sc_fault_hit(unsigned what)
{
	uint64_t c;

	if ((atomic_load_explicit(&armed, memory_order_relaxed) & what) == 0)
		return 0;
	c = atomic_fetch_add(&calls, 1) + 1;
	if (c == atomic_load(&nth) || (atomic_load(&sticky) && c > atomic_load(&nth))) {
		atomic_fetch_add(&failed, 1);
		return 1;
	}
	return 0;
}

/* ---- SQLite's allocator ---- */

static sqlite3_mem_methods sqlite_mem;

static void *sq_malloc(int n)
{
	return sc_fault_hit(SC_FAULT_ALLOC) ? NULL : sqlite_mem.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return sc_fault_hit(SC_FAULT_ALLOC) ? NULL : sqlite_mem.xRealloc(p, n);
}

/* ---- Jansson's allocator ---- */

static void *js_malloc(size_t n)
{
	return sc_fault_hit(SC_FAULT_ALLOC) ? NULL : malloc(n);
}

/* ---- SQLite's I/O: a VFS that wraps the default one ---- */

static sqlite3_vfs *base_vfs;
static sqlite3_vfs fault_vfs;

struct ffile {
	sqlite3_file f;
	sqlite3_file *real; /* follows this struct */
};

static int f_close(sqlite3_file *f)
{
	struct ffile *ff = (struct ffile *)f;
	int rc = ff->real->pMethods->xClose(ff->real);

	return rc;
}

static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
	struct ffile *ff = (struct ffile *)f;

	if (sc_fault_hit(SC_FAULT_IO))
		return SQLITE_IOERR_READ;
	return ff->real->pMethods->xRead(ff->real, b, n, off);
}

static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
	struct ffile *ff = (struct ffile *)f;

	if (sc_fault_hit(SC_FAULT_IO))
		return SQLITE_IOERR_WRITE;
	return ff->real->pMethods->xWrite(ff->real, b, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct ffile *ff = (struct ffile *)f;

	if (sc_fault_hit(SC_FAULT_IO))
		return SQLITE_IOERR_TRUNCATE;
	return ff->real->pMethods->xTruncate(ff->real, size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	struct ffile *ff = (struct ffile *)f;

	if (sc_fault_hit(SC_FAULT_IO))
		return SQLITE_IOERR_FSYNC;
	return ff->real->pMethods->xSync(ff->real, flags);
}

#define FWD(name, sig, call)                                                                       \
	static int name sig                                                                        \
	{                                                                                          \
		struct ffile *ff = (struct ffile *)f;                                              \
		return ff->real->pMethods->call;                                                   \
	}
FWD(f_size, (sqlite3_file * f, sqlite3_int64 *s), xFileSize(ff->real, s))
FWD(f_lock, (sqlite3_file * f, int l), xLock(ff->real, l))
FWD(f_unlock, (sqlite3_file * f, int l), xUnlock(ff->real, l))
FWD(f_reserved, (sqlite3_file * f, int *o), xCheckReservedLock(ff->real, o))
FWD(f_fcntl, (sqlite3_file * f, int op, void *a), xFileControl(ff->real, op, a))
FWD(f_sector, (sqlite3_file * f), xSectorSize(ff->real))
FWD(f_devchar, (sqlite3_file * f), xDeviceCharacteristics(ff->real))
FWD(f_shmmap, (sqlite3_file * f, int pg, int sz, int ext, void volatile **pp),
    xShmMap(ff->real, pg, sz, ext, pp))
FWD(f_shmlock, (sqlite3_file * f, int off, int n, int fl), xShmLock(ff->real, off, n, fl))
FWD(f_shmunmap, (sqlite3_file * f, int del), xShmUnmap(ff->real, del))

static void f_shmbarrier(sqlite3_file *f)
{
	struct ffile *ff = (struct ffile *)f;

	ff->real->pMethods->xShmBarrier(ff->real);
}

static const sqlite3_io_methods fault_io = {
    .iVersion = 2,
    .xClose = f_close,
    .xRead = f_read,
    .xWrite = f_write,
    .xTruncate = f_truncate,
    .xSync = f_sync,
    .xFileSize = f_size,
    .xLock = f_lock,
    .xUnlock = f_unlock,
    .xCheckReservedLock = f_reserved,
    .xFileControl = f_fcntl,
    .xSectorSize = f_sector,
    .xDeviceCharacteristics = f_devchar,
    .xShmMap = f_shmmap,
    .xShmLock = f_shmlock,
    .xShmBarrier = f_shmbarrier,
    .xShmUnmap = f_shmunmap,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct ffile *ff = (struct ffile *)f;
	int rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	f->pMethods = NULL;
	if (sc_fault_hit(SC_FAULT_IO))
		return SQLITE_CANTOPEN;
	rc = base_vfs->xOpen(base_vfs, name, ff->real, flags, out);
	if (rc == SQLITE_OK)
		f->pMethods = &fault_io;
	return rc;
}

int sc_fault_install(void)
{
	sqlite3_mem_methods m;

	if (base_vfs != NULL)
		return SC_OK;
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem) != SQLITE_OK)
		return SC_ERR_DB;
	m = sqlite_mem;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
		return SC_ERR_DB;
	json_set_alloc_funcs(js_malloc, free);
	if ((base_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return SC_ERR_DB;
	fault_vfs = *base_vfs;
	fault_vfs.zName = "sc-fault";
	fault_vfs.szOsFile = (int)sizeof(struct ffile) + base_vfs->szOsFile;
	fault_vfs.xOpen = v_open;
	return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? SC_OK : SC_ERR_DB;
}
