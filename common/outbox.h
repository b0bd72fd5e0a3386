/* outbox - reliable sending: a message is stored in the sender's SQLite
 * outbox in the same transaction as the state change that produced it, sent
 * over a DEALER, and deleted only when the receiver acknowledges its id
 * (which the receiver does after its own commit). Unacknowledged messages are
 * resent after a timeout and, after a restart, from the start of the outbox;
 * receivers are idempotent, so a resend is harmless.
 *
 * At most `window` messages are in flight; the rest wait in the table, so a
 * slow receiver makes the outbox grow on disk, not in memory. */
#ifndef BHXH_OUTBOX_H
#define BHXH_OUTBOX_H

#include <stdint.h>

#include "msg.h"
#include "store.h"

/* The table each sending worker includes in its migrations (a worker with
 * a second output adds OUTBOX_TABLE("outbox_NAME") for it). */
#define OUTBOX_TABLE(name) \
	"CREATE TABLE " name " (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL);"
#define OUTBOX_SCHEMA OUTBOX_TABLE("outbox")

typedef struct outbox outbox_t;

/* outbox_new - an outbox over table (an identifier, from code), sending on sock. */
outbox_t *outbox_new(store_t *store, void *sock, int window, int resend_ms, const char *table);
/* outbox_destroy - free the outbox and its cached statements (before its store is closed). */
void outbox_destroy(outbox_t **self_p);

/* outbox_set_socket - send on sock from now on (the old one was closed:
 * what was in flight is resent at the next pump). */
void outbox_set_socket(outbox_t *self, void *sock);

/* outbox_put - assign m->id and store m; call inside the caller's transaction. */
int outbox_put(outbox_t *self, msg_t *m);

/* outbox_pump - send what is due: new messages while fewer than window are in
 * flight, and resends of those unacknowledged for resend_ms. Returns the
 * number sent, -1 on a store error. */
int outbox_pump(outbox_t *self, int64_t now_ms);

/* outbox_acked - forget the acknowledged ids (their own transaction). */
int outbox_acked(outbox_t *self, const msg_ack_t *ack);

/* outbox_pending - messages stored and not yet acknowledged. */
long long outbox_pending(outbox_t *self);

/* outbox_sent - messages sent (including resends) since start. */
uint64_t outbox_sent(outbox_t *self);
uint64_t outbox_resent(outbox_t *self);

/* now_ms - monotonic milliseconds. */
int64_t now_ms(void);

#endif
