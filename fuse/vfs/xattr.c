/*
 * The handlers of extended attributes (vfs.h): getxattr, setxattr,
 * listxattr, removexattr.  A message's flags and keywords are
 * user.imap.flags, its UID user.imap.uid (read-only); the root's
 * user.mailfs.requests holds the request counts (stats.h), its
 * user.mailfs.profile where the time went (profile.h), its
 * user.mailfs.status whether the server can be reached (online.h).  On a
 * POP3 maildrop a message's user.pop3.uidl is its UIDL, read back from
 * its file name (uidlname.h), read-only; its user.imap.* are not listed
 * there (a maildrop keeps no flags, and its UIDs are made up).
 * A message's header fields for scripts are user.mail.subject, .from,
 * .date and .message-id (readable.h), read-only, read from its header
 * when asked: the store's copy of the message, fetched into it first
 * when not there (as a read of the file would).
 *
 * RFC 3501 2.3.2 (flags).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias.h"
#include "backend.h"
#include "cache.h"
#include "fetchall.h"
#include "folder.h"
#include "inode.h"
#include "journal.h"
#include "notes.h"
#include "online.h"
#include "options.h"
#include "profile.h"
#include "queue.h"
#include "readable.h"
#include "stage.h"
#include "stats.h"
#include "uidlname.h"
#include "vfs.h"
#include "xreply.h"

#define XATTR_FLAGS	"user.imap.flags"
#define XATTR_UID	"user.imap.uid"
#define XATTR_ERROR	"user.mailfs.error"	/* a message's note, read-only (notes.h) */
#define XATTR_UIDL	"user.pop3.uidl"	/* a maildrop's message's UIDL, read-only */
#define XATTR_REQUESTS	"user.mailfs.requests"	/* the root's, read-only, unlisted */
#define XATTR_PROFILE	"user.mailfs.profile"	/* likewise */
#define XATTR_STATUS	"user.mailfs.status"	/* likewise */
#define STATUS_URL_MAX	1024	/* of the URL and the account's name in it */
#define STATUS_MAX	(ONLINE_WHY_MAX + 2 * STATUS_URL_MAX + 512)	/* < FLAGS_MAX */
#define XATTR_MAIL	"user.mail."		/* a message's header fields, read-only */
#define MAIL_ATTRS	XATTR_MAIL "subject\0" XATTR_MAIL "from\0" XATTR_MAIL "date\0" \
			XATTR_MAIL "message-id"
#define HEADER_READ_MAX	(64 * 1024)	/* the header bytes read for them */

/* 1 for the request counts (stats.h) or the profile: the root's only attributes. */
static int
is_requests_attr(fuse_ino_t ino, const char *name)
{
	return ino == FUSE_ROOT_ID && (strcmp(name, XATTR_REQUESTS) == 0 ||
	    strcmp(name, XATTR_PROFILE) == 0 || strcmp(name, XATTR_STATUS) == 0);
}

/*
 * The lines mailfs status (statuscmd.h) reads after the ones above: the
 * account's name ("-" for a mount of a URL) and the last command that
 * succeeded on the server.  Returns what snprintf() returns.
 */
static int
status_more(char *buf, size_t size, const struct online_status *st)
{
	char contact[32];

	if (st->contact_at != 0)
		online_iso8601(st->contact_at, contact, sizeof(contact));
	else
		snprintf(contact, sizeof(contact), "none");
	return snprintf(buf, size, "account: %.*s\nlast-contact: %s\n", STATUS_URL_MAX,
	    fs.opts != NULL && fs.opts->account != NULL ? fs.opts->account : "-", contact);
}

/*
 * The mount's status, the lines mailfs(1) documents: online or offline
 * and since when, the changes queued, the bodies cached, the last
 * failure to reach the server.  Returns the length written into buf.
 */
static size_t
status_format(char *buf, size_t size)
{
	struct online_status st;
	uint64_t cached, listed;
	char since[32], at[32];
	int n;

	online_get(&st);
	folder_count_cached(&cached, &listed);
	online_iso8601(st.since, since, sizeof(since));
	if (st.error_at != 0)
		online_iso8601(st.error_at, at, sizeof(at));
	else
		snprintf(at, sizeof(at), "none");
	n = snprintf(buf, size, "state: %s\nsince: %s\nqueued: %zu\ncached: %llu of %llu "
	    "messages\nlast-error: %s\nlast-error-at: %s\n", st.offline ? "offline" : "online",
	    since, journal_pending_count(), (unsigned long long)cached,
	    (unsigned long long)listed, st.error_at != 0 ? st.error : "none", at);
	/* What -o prefetch=all is doing (fetchall.h). */
	if (n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "prefetch: %s\n", fetchall_state());
	/* For mailfs status (statuscmd.h): the account's URL and the store's size. */
	if (n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "server: %.*s\nstore: %llu bytes\n",
		    STATUS_URL_MAX, fs.opts != NULL ? fs.opts->url : "",
		    (unsigned long long)cache_bytes());
	if (n >= 0 && (size_t)n < size)
		n += status_more(buf + n, size - (size_t)n, &st);
	return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

/* The note of message ino (notes.h) into buf: 0, ENODATA, or an errno. */
static int
msg_note(fuse_ino_t ino, char *buf, size_t size, size_t *len_r)
{
	struct msg_info mi;
	int r;

	ino = resolve(ino);
	if (ino_gen(ino) == 0 || ino_is_staged(ino))
		return ENODATA;
	if ((r = msg_get(ino, &mi, 1)) != 0)
		return r;
	r = notes_get(mi.mailbox, mi.uidvalidity, mi.m.uid, buf, size, len_r);
	msg_info_clear(&mi);
	return r;
}

/* 1 for the name of a user.mail.* attribute. */
static int
is_mail_attr(const char *name)
{
	static const char attrs[] = MAIL_ATTRS;
	const char *p;

	for (p = attrs; p < attrs + sizeof(attrs); p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			return 1;
	return 0;
}

/*
 * The header field of message ino that the attribute name holds (""
 * when the message has no such field) into *val_r (the caller's to
 * free): 0, ENODATA (no message of the server), or an errno.
 */
static int
mail_field(fuse_ino_t ino, const char *name, char **val_r)
{
	struct readable_fields rf;
	struct msg_info mi;
	uint64_t offset, size;
	char *buf, **pick;
	ssize_t got;
	int fd, r;

	ino = resolve(ino);
	if (ino_gen(ino) == 0 || ino_is_staged(ino))
		return ENODATA;
	if ((r = msg_get(ino, &mi, 1)) != 0)
		return r;
	r = cache_open(mi.mailbox, mi.uidvalidity, mi.m.uid, mi.m.size, mi.m.date, &fd,
	    &offset, &size);
	msg_info_clear(&mi);
	if (r != 0)
		return r == ESTALE ? ENOENT : r;
	if (size > HEADER_READ_MAX)
		size = HEADER_READ_MAX;
	if ((buf = malloc(size != 0 ? size : 1)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	got = pread(fd, buf, size, (off_t)offset);
	r = got < 0 ? errno : 0;
	close(fd);
	/* The fields end at the first empty line: readable_fields() stops there. */
	if (r == 0)
		r = readable_fields(buf, (size_t)got, &rf);
	free(buf);
	if (r != 0)
		return r;
	pick = strcmp(name, XATTR_MAIL "subject") == 0 ? &rf.subject :
	    strcmp(name, XATTR_MAIL "from") == 0 ? &rf.from :
	    strcmp(name, XATTR_MAIL "date") == 0 ? &rf.date : &rf.msgid;
	*val_r = *pick != NULL ? *pick : strdup("");
	*pick = NULL;
	readable_fields_clear(&rf);
	return *val_r != NULL ? 0 : ENOMEM;
}

/*
 * 1 when the user.mail.* attributes of message ino can be read now: its
 * body is in the store, or the server can be reached (listxattr must
 * name none that getxattr would fail on: rsync -X gives up then).
 */
static int
mail_readable(fuse_ino_t ino)
{
	struct msg_info mi;
	int r;

	if (!online_offline())
		return 1;
	if (msg_get(resolve(ino), &mi, 1) != 0)
		return 0;
	r = cache_count(mi.mailbox, mi.uidvalidity, &mi.m.uid, 1, sizeof(mi.m.uid)) == 1;
	msg_info_clear(&mi);
	return r;
}

static void
reply_note(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char note[NOTE_MAX];
	size_t len;
	int r;

	if ((r = msg_note(ino, note, sizeof(note), &len)) != 0)
		fuse_reply_err(req, r);
	else
		reply_xattr_value(req, note, len, size);
}

/* 1 when the mount is a POP3 maildrop's. */
static int
is_maildrop(void)
{
	return strcmp(fs.backend->name, "pop3") == 0;
}

/* The UIDL of message ino, from its file name, into buf: 0, ENODATA, or an errno. */
static int
msg_uidl(fuse_ino_t ino, char *buf, size_t size)
{
	char name[NAMES_COMPONENT_MAX + 1];
	struct node *n;
	struct folder *f;
	int r = ENOENT;

	ino = resolve(ino);
	if (ino_gen(ino) == 0 || ino_is_staged(ino) || !is_maildrop())
		return ENODATA;
	tree_rdlock();
	if ((n = tree_gen_locked(ino_gen(ino))) != NULL && (f = n->folder) != NULL) {
		folder_lock(f);
		if (folder_find_locked(f, (uint32_t)ino) >= 0) {
			alias_msg_name_locked(f, (uint32_t)ino, name);
			r = 0;
		}
		folder_unlock(f);
	}
	tree_unlock();
	if (r == 0 && uidl_of_name(name, buf, size) != 0)
		r = ENODATA;	/* a hashed name: too long a UIDL (uidlname.h) */
	return r;
}

void
vfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct msg_info mi;
	char uidtext[16], value[FLAGS_MAX];
	size_t len = 0;
	int is_flags, r;

	stats_count(STAT_GETXATTR);
	/*
	 * ls -l asks for ACLs and SELinux labels on every file: answer
	 * before any lock, and say ENOTSUP outside user.*, which ls then
	 * remembers for the whole filesystem instead of asking per file.
	 */
	if (strncmp(name, "user.", 5) != 0) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (is_requests_attr(ino, name)) {
		/* The counts grow between a size probe and the read: room for any. */
		if (size == 0)
			fuse_reply_xattr(req, strcmp(name, XATTR_PROFILE) == 0 ?
			    PROFILE_LINE_MAX : strcmp(name, XATTR_STATUS) == 0 ? STATUS_MAX :
			    STATS_LINE_MAX);
		else if (strcmp(name, XATTR_STATUS) == 0)
			reply_xattr_value(req, value, status_format(value, sizeof(value)), size);
		else if (strcmp(name, XATTR_PROFILE) == 0)
			reply_xattr_value(req, value, profile_format(value, sizeof(value)), size);
		else
			reply_xattr_value(req, value, stats_format(value, sizeof(value)), size);
		return;
	}
	if (strcmp(name, XATTR_ERROR) == 0) {
		reply_note(req, ino, size);
		return;
	}
	if (strcmp(name, XATTR_UIDL) == 0) {
		if ((r = msg_uidl(ino, value, sizeof(value))) != 0)
			fuse_reply_err(req, r);
		else
			reply_xattr_value(req, value, strlen(value), size);
		return;
	}
	if (is_mail_attr(name)) {
		char *v = NULL;

		if ((r = mail_field(ino, name, &v)) != 0)
			fuse_reply_err(req, r);
		else
			reply_xattr_value(req, v, strlen(v), size);
		free(v);
		return;
	}
	is_flags = strcmp(name, XATTR_FLAGS) == 0;
	if ((!is_flags && strcmp(name, XATTR_UID) != 0) || ino_gen(ino) == 0) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	ino = resolve(ino);
	if (ino_is_staged(ino)) {
		if ((r = stage_getxattr(ino, name, value, sizeof(value), &len)) != 0)
			fuse_reply_err(req, r);
		else
			reply_xattr_value(req, value, len, size);
		return;
	}
	if ((r = msg_get(ino, &mi, 0)) != 0) {
		fuse_reply_err(req, r);
		return;
	}
	if (is_flags)
		reply_xattr_value(req, mi.flags, mi.flags_len, size);
	else {
		snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)mi.m.uid);
		reply_xattr_value(req, uidtext, strlen(uidtext), size);
	}
}

/* A maildrop's message: user.pop3.uidl when it can be read, its note when it has one. */
static void
maildrop_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char names[sizeof(XATTR_UIDL) + sizeof(XATTR_ERROR)], note[NOTE_MAX];
	char uidl[NAMES_COMPONENT_MAX + 1];
	size_t len = 0, nl;

	if (msg_uidl(ino, uidl, sizeof(uidl)) == 0) {
		memcpy(names, XATTR_UIDL, sizeof(XATTR_UIDL));
		len = sizeof(XATTR_UIDL);
	}
	if (msg_note(ino, note, sizeof(note), &nl) == 0) {
		memcpy(names + len, XATTR_ERROR, sizeof(XATTR_ERROR));
		len += sizeof(XATTR_ERROR);
	}
	reply_xattr_value(req, names, len, size);
}

void
vfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = XATTR_FLAGS "\0" XATTR_UID "\0" MAIL_ATTRS "\0" XATTR_ERROR;
	char note[NOTE_MAX], list[sizeof(names)];
	size_t len, n;

	stats_count(STAT_LISTXATTR);
	if (ino_gen(ino) != 0 && is_maildrop()) {
		maildrop_listxattr(req, ino, size);
		return;
	}
	if (ino_gen(ino) == 0)
		reply_xattr_value(req, "", 0, size);
	else if (ino_is_staged(resolve(ino)))
		reply_xattr_value(req, XATTR_FLAGS, sizeof(XATTR_FLAGS), size);
	else {
		n = sizeof(XATTR_FLAGS) + sizeof(XATTR_UID);
		memcpy(list, names, n);
		if (mail_readable(ino)) {
			memcpy(list + n, MAIL_ATTRS, sizeof(MAIL_ATTRS));
			n += sizeof(MAIL_ATTRS);
		}
		if (msg_note(ino, note, sizeof(note), &len) == 0) {
			memcpy(list + n, XATTR_ERROR, sizeof(XATTR_ERROR));
			n += sizeof(XATTR_ERROR);
		}
		reply_xattr_value(req, list, n, size);
	}
}

static const char *const system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"
};

/*
 * Checks a user.imap.flags value and writes it as an IMAP flag list into
 * out (canonical case for the system flags).  Returns 0, or EINVAL for a
 * value that is not flags, EPERM for a flag nobody may store (\Recent).
 */
static int
parse_flags_value(const char *value, size_t size, char *out, size_t outsize)
{
	static const char specials[] = "(){%*\"\\]";
	size_t i = 0, start, len, o = 0, k;
	const char *tok;
	int bs;

	out[0] = '\0';
	if (size >= outsize)
		return EINVAL;
	while (i < size) {
		if (value[i] == ' ' || value[i] == '\t' || value[i] == '\n') {
			i++;
			continue;
		}
		start = i;
		while (i < size && value[i] != ' ' && value[i] != '\t' && value[i] != '\n')
			i++;
		tok = value + start;
		len = i - start;
		bs = tok[0] == '\\';
		if (len == (size_t)bs)
			return EINVAL;
		for (k = (size_t)bs; k < len; k++)
			if ((unsigned char)tok[k] <= 0x20 || (unsigned char)tok[k] >= 0x7f ||
			    strchr(specials, tok[k]) != NULL)
				return EINVAL;
		if (bs) {
			for (k = 0; k < sizeof(system_flags) / sizeof(system_flags[0]); k++)
				if (strlen(system_flags[k]) == len &&
				    strncasecmp(system_flags[k], tok, len) == 0)
					break;
			if (k == sizeof(system_flags) / sizeof(system_flags[0]))
				return EPERM;	/* \Recent and unknown system flags */
			tok = system_flags[k];
		}
		if (o + len + 2 > outsize)
			return EINVAL;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, tok, len);
		o += len;
		out[o] = '\0';
	}
	return 0;
}

/*
 * Replaces the message's flags on the server (through the backend, on
 * its folder opened for it), or queues the change (queue.h); 0 or an
 * errno.
 */
static int
store_flags(fuse_ino_t ino, const char *list)
{
	struct be_folder *bf;
	struct be_status st;
	struct be_msg after;
	struct msg_info mi;
	char flags[FLAGS_MAX];
	int r;

	if ((r = msg_get(ino, &mi, 1)) != 0)
		return r;
	if (queue_wanted() ||
	    queue_unreachable(r = backend_open(fs.backend, mi.mailbox, &bf, &st))) {
		r = queue_flags(mi.dir, mi.m.uid, list);
		msg_info_clear(&mi);
		return r;
	}
	if (r != 0) {
		msg_info_clear(&mi);
		return r;
	}
	r = backend_set_flags(fs.backend, bf, mi.uidvalidity, mi.m.uid, BE_FLAGS_SET,
	    list, &after, flags, sizeof(flags));
	/* ESTALE, EPERM: refused before anything was sent; the folder is sound. */
	backend_close(fs.backend, bf, r != 0 && r != ESTALE && r != EPERM);
	if (r == 0) {
		folder_set_flags(mi.dir->folder, mi.m.uid,
		    after.flags != NULL ? after.flags : list);
		folder_note_modseq(mi.dir->folder, mi.uidvalidity, after.modseq);
	} else if (r == ESTALE)
		r = ENOENT;	/* another generation of the folder: the message is gone */
	else if (queue_unreachable(r))
		r = queue_flags(mi.dir, mi.m.uid, list);	/* nothing was sent */
	msg_info_clear(&mi);
	return r;
}

void
vfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
    size_t size, int flags)
{
	char list[FLAGS_MAX], uidtext[16];
	struct msg_info mi;
	int r;

	stats_count(STAT_SETXATTR);
	(void)flags;
	if (is_requests_attr(ino, name)) {
		fuse_reply_err(req, EPERM);	/* read-only, as user.imap.uid */
		return;
	}
	if (ino_gen(ino) != 0 && strcmp(name, XATTR_ERROR) == 0) {
		/* Read-only; rsync -X writes back what it read: accept that, and on new files. */
		char note[NOTE_MAX];
		size_t len;

		r = msg_note(ino, note, sizeof(note), &len);
		if (ino_is_staged(resolve(ino)))
			r = 0;
		else if (r == 0 || r == ENODATA)
			r = r == 0 && len == size && memcmp(note, value, size) == 0 ? 0 : EPERM;
		fuse_reply_err(req, r);
		return;
	}
	if (ino_gen(ino) != 0 && is_mail_attr(name)) {
		/* Read-only like user.mailfs.error: the value it has is accepted (rsync -X). */
		char *v = NULL;

		if (ino_is_staged(resolve(ino)))
			r = 0;
		else if ((r = mail_field(ino, name, &v)) == 0)
			r = strlen(v) == size && memcmp(v, value, size) == 0 ? 0 : EPERM;
		free(v);
		fuse_reply_err(req, r);
		return;
	}
	if (ino_gen(ino) == 0 ||
	    (strcmp(name, XATTR_FLAGS) != 0 && strcmp(name, XATTR_UID) != 0)) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	ino = resolve(ino);
	if (ino_is_staged(ino)) {
		/* Kept for the upload; a UID is the server's to choose: accepted, ignored. */
		if (strcmp(name, XATTR_UID) == 0)
			r = stage_setxattr(ino, name, NULL);
		else if ((r = parse_flags_value(value, size, list, sizeof(list))) == 0)
			r = stage_setxattr(ino, name, list);
		if (r == ESTALE)
			r = EAGAIN;	/* uploaded this very moment: try again */
		fuse_reply_err(req, r);
		return;
	}
	if (strcmp(name, XATTR_UID) == 0) {
		/* Read-only, but rsync -X writes back what it read: accept that. */
		if ((r = msg_get(ino, &mi, 0)) == 0) {
			snprintf(uidtext, sizeof(uidtext), "%u", (unsigned)mi.m.uid);
			r = size == strlen(uidtext) && memcmp(value, uidtext, size) == 0 ?
			    0 : EPERM;
		}
		fuse_reply_err(req, r);
		return;
	}
	if ((r = parse_flags_value(value, size, list, sizeof(list))) == 0)
		r = store_flags(ino, list);
	fuse_reply_err(req, r);
}

void
vfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	stats_count(STAT_REMOVEXATTR);
	ino = resolve(ino);
	if (ino_is_staged(ino))
		fuse_reply_err(req, stage_removexattr(ino, name));
	else if (ino_gen(ino) != 0 && strcmp(name, XATTR_FLAGS) == 0)
		fuse_reply_err(req, store_flags(ino, ""));
	else if ((ino_gen(ino) != 0 && (strcmp(name, XATTR_UID) == 0 || is_mail_attr(name))) ||
	    is_requests_attr(ino, name))
		fuse_reply_err(req, EPERM);
	else
		fuse_reply_err(req, ENODATA);
}
