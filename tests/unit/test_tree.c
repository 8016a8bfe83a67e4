/*
 * fuse/inode.c: a LIST that lost entries takes no folder away, and a
 * removed directory whose last reference and last FORGET race is freed
 * once (run under --enable-sanitizers: a second free is a report).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "folder.h"
#include "inode.h"
#include "log.h"

/* What inode.c needs of the rest of the daemon. */
static int folders_made, folders_freed;
static char last_log[512];
static pthread_mutex_t stub_lock = PTHREAD_MUTEX_INITIALIZER;

struct folder *
folder_new(void)
{
	pthread_mutex_lock(&stub_lock);
	folders_made++;
	pthread_mutex_unlock(&stub_lock);
	return malloc(1);
}

void
folder_free(struct folder *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&stub_lock);
	folders_freed++;
	pthread_mutex_unlock(&stub_lock);
	free(f);
}

int
inval_add(struct inval_list *l, enum inval_kind kind, fuse_ino_t parent,
    fuse_ino_t child, const char *name)
{
	(void)l, (void)kind, (void)parent, (void)child, (void)name;
	return 0;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	(void)prio;
	va_start(ap, fmt);
	pthread_mutex_lock(&stub_lock);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	pthread_mutex_unlock(&stub_lock);
	va_end(ap);
}

/* Applies the folders named in names (NULL-terminated) as one LIST. */
static void
apply(int incomplete, const char **names)
{
	struct list_item v[16];
	struct list_result lr = { v, 0, 16, incomplete };
	struct inval_list inv = { 0 };

	memset(v, 0, sizeof(v));
	for (; *names != NULL; names++) {
		v[lr.n].name = (char *)*names;
		v[lr.n].delim = '.';
		lr.n++;
	}
	tree_apply_list(&lr, &inv);
}

/* The node at path ("A", "A/B"), or NULL. */
static struct node *
find(const char *path)
{
	char buf[256], *comp, *save;
	struct node *n;

	snprintf(buf, sizeof(buf), "%s", path);
	tree_rdlock();
	n = tree_node_locked(FUSE_ROOT_ID);
	for (comp = strtok_r(buf, "/", &save); n != NULL && comp != NULL;
	    comp = strtok_r(NULL, "/", &save))
		n = tree_child_locked(n, comp);
	tree_unlock();
	return n;
}

static void
incomplete_lists(void)
{
	apply(0, (const char *[]){ "INBOX", "A", "A.B", "C", NULL });
	ok(find("A/B") != NULL && find("C") != NULL, "a complete LIST makes the tree");
	apply(0, (const char *[]){ "INBOX", "A", "A.B", NULL });
	ok(find("C") == NULL, "a complete LIST takes away what it lacks");

	last_log[0] = '\0';
	apply(1, (const char *[]){ "INBOX", "D", NULL });
	ok(find("D") != NULL, "an incomplete LIST adds what is new");
	ok(find("A") != NULL && find("A/B") != NULL,
	    "but takes away nothing it lacks");
	ok(strstr(last_log, "out of memory") != NULL, "and says so: %s", last_log);

	apply(0, (const char *[]){ "INBOX", "A", NULL });
	ok(find("A") != NULL && find("A/B") == NULL && find("D") == NULL,
	    "the next complete LIST takes away what is gone");
}

struct race {
	int ready;		/* both threads spin until both are here */
	struct node *n;
	fuse_ino_t ino;
};

/* Lets both threads go at the same instant: a barrier's wake-ups come apart. */
static void
start_together(struct race *r)
{
	__atomic_add_fetch(&r->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&r->ready, __ATOMIC_SEQ_CST) < 2)
		;
}

static void *
race_put(void *arg)
{
	struct race *r = arg;

	start_together(r);
	node_put(r->n);
	return NULL;
}

static void *
race_forget(void *arg)
{
	struct race *r = arg;

	start_together(r);
	node_forget(r->ino, 1);
	return NULL;
}

static void
put_forget_race(void)
{
	enum { ROUNDS = 2000 };
	struct race r;
	pthread_t a, b;
	int i, made, freed, lost = 0;

	apply(0, (const char *[]){ "INBOX", NULL });
	made = folders_made;
	freed = folders_freed;
	for (i = 0; i < ROUNDS; i++) {
		apply(0, (const char *[]){ "INBOX", "X", NULL });
		tree_rdlock();
		r.n = tree_child_locked(tree_node_locked(FUSE_ROOT_ID), "X");
		if (r.n != NULL) {
			node_lookup(r.n);	/* the kernel looked it up */
			node_ref(r.n);		/* an operation holds it */
			r.ino = r.n->ino;
		}
		tree_unlock();
		if (r.n == NULL) {
			lost++;
			continue;
		}
		apply(0, (const char *[]){ "INBOX", NULL });	/* gone from the server */
		r.ready = 0;
		pthread_create(&a, NULL, race_put, &r);
		pthread_create(&b, NULL, race_forget, &r);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
	}
	ok(lost == 0, "each round made the folder");
	ok(folders_made - made == ROUNDS, "%d folders made", folders_made - made);
	ok(folders_freed - freed == ROUNDS,
	    "each freed once when the last put and the last FORGET raced (%d)",
	    folders_freed - freed);
}

int
main(void)
{
	tree_init();
	incomplete_lists();
	put_forget_race();
	tree_destroy();
	return done_testing();
}
