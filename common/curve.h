/* curve - CURVE key files and the ZAP handler that decides who may connect.
 *
 * Every tcp socket of the pipeline uses CURVE: traffic is encrypted and
 * each side proves it holds the secret key of a public key. Which public
 * keys a socket accepts is the ZAP handler's decision: a thread bound to
 * inproc://zeromq.zap.01 in the worker's ZeroMQ context, started before any
 * server socket binds (libzmq accepts every client key when no handler is
 * there). Each server socket sets a ZAP domain ("data" or "control"); the
 * handler accepts a key only if it is on that domain's allow-list and
 * answers with the peer's name as the User-Id, which every message then
 * carries (bus_recv_peer), so a receiver knows which peer sent it.
 *
 * Key files (`bhxhctl keygen NAME`): text, mode 0600,
 *   # CURVE key of NAME ...
 *   public-key = "Z85 (40 characters)"
 *   secret-key = "Z85 (40 characters)"
 * A secret key file that its group or others may read or write, or that
 * another user (but root) owns, is refused, as is anything but a regular
 * file (a symlink, a directory, a FIFO: never waited on). */
#ifndef BHXH_CURVE_H
#define BHXH_CURVE_H

#include <stddef.h>
#include <stdint.h>

/* curve_key_read - the key pair in path into pub and sec (32 bytes each);
 * 0, or -1 with why (missing, permissions, malformed, public and secret
 * keys that do not belong together). */
int curve_key_read(const char *path, unsigned char *pub, unsigned char *sec, char *why, size_t whysz);

/* curve_key_write - a new key pair for name into path (created 0600, never
 * over an existing file); its public key in Z85 into pub_z85 (41 bytes).
 * 0, or -1 with why. */
int curve_key_write(const char *path, const char *name, char *pub_z85, char *why, size_t whysz);

typedef struct zap zap_t;

typedef struct {
	const char *name;           /* peer name, the User-Id of its messages */
	const unsigned char *key;   /* 32 bytes */
} zap_entry_t;

/* zap_start - bind the handler in ctx and start its thread; NULL (logged) on error. */
zap_t *zap_start(void *ctx);

/* zap_set - replace the allow-list of domain ("data", "control") by n
 * entries (copied); known (m entries) names keys that are not allowed there,
 * for the log. Safe while the handler runs. */
void zap_set(zap_t *z, const char *domain, const zap_entry_t *allowed, int n);
void zap_set_known(zap_t *z, const zap_entry_t *known, int m);

/* zap_refused - connections refused so far. */
uint64_t zap_refused(const zap_t *z);

/* zap_stop - stop the thread and close its socket (before zmq_ctx_term). */
void zap_stop(zap_t **zp);

#endif
