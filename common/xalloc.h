/* xalloc - the one out-of-memory policy of every process here.
 *
 * A worker that cannot get memory cannot keep its promises half-way, so it
 * does not try: xmalloc and friends log one line and abort(). Nothing is
 * lost by that: every message is in a sender's outbox until the receiver's
 * commit, and the supervisor starts the worker again (throttled if it keeps
 * dying). Inputs never decide an allocation's size unchecked (msg.c, csv.c
 * bound them first), so this is for a machine out of memory, not an attack. */
#ifndef BHXH_XALLOC_H
#define BHXH_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xstrdup / xstrndup - copies; NULL stays NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
