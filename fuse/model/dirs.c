/*
 * Changes of folders (see dirs.h), through the backend (backend.h),
 * which makes each on the source exactly once or not at all and decides
 * rmdir's emptiness by the source's state.  Here: the names, the checks
 * the source cannot make (INBOX, files still being written, a folder
 * into itself), and the tree after the change.  Offline, or behind
 * changes queued before, a change is queued (queue.h) and the tree
 * changed as after the source's OK; rmdir then decides emptiness by the
 * folder's listing as saved.  Locks: the tree's read lock to look, its
 * write lock to change it; a folder's lock briefly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "backend.h"
#include "cache.h"
#include "dirs.h"
#include "folder.h"
#include "inode.h"
#include "queue.h"
#include "stage.h"

int
mutate_mkdir(struct node *parent, const char *name, fuse_ino_t *ino_r)
{
	struct inval_list inv = { 0 };
	struct list_item it;
	struct node *c;
	char mailbox[4096], delim;
	int r, queued;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if (tree_child_locked(parent, name) != NULL)
		r = EEXIST;
	else
		r = tree_mailbox_name_locked(parent, name, mailbox, sizeof(mailbox));
	tree_unlock();
	if (r != 0)
		return r;
	if (!(queued = queue_wanted()) &&
	    queue_unreachable(r = backend_create(fs.backend, mailbox, delim)))
		queued = 1;
	if (queued)
		r = queue_mkdir(mailbox, delim);
	if (r != 0)
		return r;
	memset(&it, 0, sizeof(it));
	it.name = mailbox;
	it.delim = delim;
	if (queued)
		queue_made_folder(&it);
	tree_wrlock();
	tree_touch_locked();
	tree_add_locked(&it, &inv);
	if ((c = tree_child_locked(parent, name)) != NULL) {
		node_lookup(c);
		*ino_r = c->ino;
	} else
		r = EIO;
	tree_unlock();
	inval_send_later(&inv);
	inval_clear(&inv);
	return r;
}

/*
 * Offline: 1 when the folder c holds no message as its listing was saved
 * (a level of the hierarchy holds none).  The replay asks the source
 * again: a folder that got mail meanwhile stays.
 */
static int
queue_empty(struct node *c, int selectable)
{
	int empty;

	if (!selectable || c->folder == NULL)
		return 1;
	if (folder_ensure(c) != 0)
		return 0;
	folder_lock(c->folder);
	empty = c->folder->n == 0;
	folder_unlock(c->folder);
	return empty;
}

int
mutate_rmdir(struct node *parent, const char *name)
{
	struct inval_list inv = { 0 };
	struct node *c;
	char mailbox[4096], delim;
	uint32_t uidvalidity = 0;
	int r = 0, selectable = 0, queued;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if ((c = tree_child_locked(parent, name)) == NULL)
		r = ENOENT;
	else if (c->children != NULL)
		r = ENOTEMPTY;
	else if (c->mailbox != NULL)
		snprintf(mailbox, sizeof(mailbox), "%s", c->mailbox);
	else
		r = tree_mailbox_name_locked(c, NULL, mailbox, sizeof(mailbox));
	if (r == 0) {
		node_ref(c);
		selectable = node_selectable(c);
	}
	tree_unlock();
	if (r != 0)
		return r;
	if (strcasecmp(mailbox, "INBOX") == 0)
		r = EPERM;
	else if (stage_any(c->ino))
		r = ENOTEMPTY;
	if (r == 0 && c->folder != NULL) {
		folder_lock(c->folder);
		uidvalidity = c->folder->uidvalidity;
		folder_unlock(c->folder);
	}
	queued = r == 0 && queue_wanted();
	if (r == 0 && !queued &&
	    queue_unreachable(r = backend_remove(fs.backend, mailbox, delim, selectable)))
		queued = 1;
	if (queued)
		r = queue_empty(c, selectable) ? queue_rmdir(mailbox, delim) : ENOTEMPTY;
	if (r == 0) {
		tree_wrlock();
		tree_touch_locked();
		tree_remove_locked(c, &inv);
		tree_unlock();
		inval_send_later(&inv);
		inval_clear(&inv);
		if (uidvalidity != 0)
			cache_drop(mailbox, uidvalidity);
	}
	node_put(c);
	return r;
}

static void
move_aliases_locked(struct node *n)
{
	struct node *c;

	if (n->folder != NULL && n->mailbox != NULL) {
		folder_lock(n->folder);
		alias_move_locked(n->folder, n->mailbox);
		folder_unlock(n->folder);
	}
	for (c = n->children; c != NULL; c = c->next)
		move_aliases_locked(c);
}

int
mutate_rename_dir(struct node *parent, const char *name, struct node *newparent,
    const char *newname)
{
	struct node *c, *a;
	char from[4096], to[4096], delim;
	int r = 0;

	tree_rdlock();
	delim = tree_delimiter_locked();
	if ((c = tree_child_locked(parent, name)) == NULL)
		r = ENOENT;
	else if (tree_child_locked(newparent, newname) != NULL)
		r = EEXIST;	/* IMAP RENAME never replaces */
	else if ((r = tree_mailbox_name_locked(c, NULL, from, sizeof(from))) == 0)
		r = tree_mailbox_name_locked(newparent, newname, to, sizeof(to));
	for (a = newparent; r == 0 && a != NULL; a = a->parent)
		if (a == c)
			r = EINVAL;	/* into itself */
	if (r == 0 && strcasecmp(from, "INBOX") == 0)
		r = EPERM;	/* RENAME INBOX moves its messages and leaves it */
	if (r == 0)
		node_ref(c);
	tree_unlock();
	if (r != 0)
		return r;
	if (queue_wanted() ||
	    queue_unreachable(r = backend_rename(fs.backend, from, to, delim))) {
		/*
		 * Its listing is saved under its old name: loaded now, it
		 * moves with the node and is saved under the new one.
		 */
		if (c->folder != NULL)
			(void)folder_ensure(c);
		r = queue_rename_dir(from, to, delim);
	}
	if (r == 0) {
		/* The kernel moved its dentry: the node (its inode number) moves too. */
		tree_wrlock();
		tree_touch_locked();
		if (c->parent != NULL && (r = tree_move_locked(c, newparent, newname)) == 0)
			move_aliases_locked(c);
		tree_unlock();
	}
	node_put(c);
	return r;
}
