/*
 * The IMAP backend: its operations table, creation and capabilities
 * (see imap.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "fs.h"
#include "imap.h"
#include "log.h"
#include "options.h"
#include "pool.h"

static const struct backend_ops imap_ops = {
	.free = imap_free,
	.cancel = imap_cancel,
	.caps = imap_caps,
	.list = imap_list,
	.status = imap_status,
	.create = imap_create,
	.remove = imap_remove,
	.rename = imap_rename,
	.quota = imap_quota,
	.open = imap_open,
	.open_lazy = imap_open_lazy,
	.close = imap_close,
	.refresh = imap_refresh,
	.listing = imap_listing,
	.fetch = imap_fetch,
	.set_flags = imap_set_flags,
	.expunge = imap_expunge,
	.move = imap_move,
	.append = imap_append,
	.wait_changes = imap_wait_changes
};

/* One pool per process for now: one account a mount. */
static struct backend imap_backend = { &imap_ops, "imap" };

struct backend *
imap_backend_new(const struct mailfs_params *params, const char *user,
    const struct secret *password, unsigned nconn)
{
	if (pool_init(params, user, password, nconn) == -1)
		return NULL;
	/*
	 * -o connections=1 asks for one connection: no push connection
	 * beside it; -o nopush asks for none.
	 */
	imap_watch_init(nconn > 1 && !fs.opts->nopush);
	return &imap_backend;
}

void
imap_free(struct backend *be)
{
	(void)be;
	imap_watch_free();
	pool_destroy();
	imap_append_forget();
}

void
imap_cancel(struct backend *be, int on)
{
	(void)be;
	pool_cancel(on);
}

unsigned
imap_caps(struct backend *be)
{
	unsigned c = pool_capabilities(), caps = BE_CAN_FOLDERS;

	(void)be;
	if (c & MAILFS_CAP_LIST_STATUS)
		caps |= BE_CAN_LIST_STATUS;
	if (c & (MAILFS_CAP_CONDSTORE | MAILFS_CAP_QRESYNC))
		caps |= BE_CAN_DELTA;
	if (c & MAILFS_CAP_QRESYNC)
		caps |= BE_CAN_VANISHED;
	if (c & MAILFS_CAP_MOVE)
		caps |= BE_CAN_MOVE;
	if (c & MAILFS_CAP_UIDPLUS)
		caps |= BE_CAN_EXPUNGE_ONE;
	if (c & MAILFS_CAP_QUOTA)
		caps |= BE_CAN_QUOTA;
	return caps;
}

void
imap_status_copy(struct be_status *to, const struct mailfs_status *s)
{
	struct be_status from = { 0 };

	if (s->present & MAILFS_STATUS_MESSAGES) {
		from.present |= BE_STATUS_MESSAGES;
		from.messages = s->messages;
	}
	if (s->present & MAILFS_STATUS_UIDNEXT) {
		from.present |= BE_STATUS_UIDNEXT;
		from.uidnext = s->uidnext;
	}
	if (s->present & MAILFS_STATUS_UIDVALIDITY) {
		from.present |= BE_STATUS_UIDVALIDITY;
		from.uidvalidity = s->uidvalidity;
	}
	if (s->present & MAILFS_STATUS_HIGHESTMODSEQ) {
		from.present |= BE_STATUS_HIGHESTMODSEQ;
		from.highestmodseq = s->highestmodseq;
	}
	be_status_merge(to, &from);
}

void
imap_status_handler(void *ctx, const struct mailfs_status *s)
{
	imap_status_copy(ctx, s);
}

unsigned
imap_folder_attrs(unsigned mbx)
{
	static const struct {
		unsigned mbx, be;
	} map[] = {
		{ MAILFS_MBX_NOSELECT, BE_FOLDER_NOSELECT },
		{ MAILFS_MBX_NOINFERIORS, BE_FOLDER_NOINFERIORS },
		{ MAILFS_MBX_HASCHILDREN, BE_FOLDER_HASCHILDREN },
		{ MAILFS_MBX_HASNOCHILDREN, BE_FOLDER_HASNOCHILDREN },
		{ MAILFS_MBX_TRASH, BE_FOLDER_TRASH },
		{ MAILFS_MBX_SENT, BE_FOLDER_SENT },
		{ MAILFS_MBX_NONEXISTENT, BE_FOLDER_NONEXISTENT }
	};
	unsigned be = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (mbx & map[i].mbx)
			be |= map[i].be;
	return be;
}

void
imap_log_trace(void *ctx, enum mailfs_trace_dir dir, const char *line, size_t len)
{
	static const char *const arrows[] = { "C:", "S:", "--" };
	int n = len > 900 ? 900 : (int)len;

	(void)ctx;
	log_msg(LOG_DEBUG, "%s %.*s%s", arrows[dir <= MAILFS_TRACE_INFO ? dir : 2],
	    n, line, n < (int)len ? " ..." : "");
}
