/* bus - the thin libzmq layer: socket set-up with the options every socket
 * here needs, and sending/receiving whole msg_t values.
 *
 * Receivers bind a ROUTER; senders connect a DEALER (to one or more
 * receivers, round-robin). Every socket gets ZMQ_MAXMSGSIZE, so an oversized
 * message is dropped by libzmq before any allocation, and LINGER 0, because
 * unacknowledged messages live in the sender's outbox, not in libzmq. */
#ifndef BHXH_BUS_H
#define BHXH_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "cfg_endpoints.h"
#include "msg.h"

/* Heartbeats on every connection: a ping each second; a peer silent for
 * this long is disconnected (and reconnected when it answers again). */
#define BUS_HEARTBEAT_IVL_MS 1000
#define BUS_HEARTBEAT_TIMEOUT_MS 5000

/* A connection that has not finished its handshake (the CURVE key check)
 * within this long is closed. libzmq's default, 30 s, let anyone who can
 * reach a tcp port hold one file descriptor of the worker per connection
 * for 30 s without any key, and so use up its descriptors (the control
 * socket, the database and the reports then fail) with a few hundred
 * connections a second less than they need now. */
#define BUS_HANDSHAKE_MS 5000

/* A worker's own CURVE key pair (binary, 32 bytes each). */
typedef struct {
	unsigned char pub[32], sec[32];
} bus_curve_t;

/* bus_endpoint - "ipc://VAR/run/NAME.sock" into buf; -1 if it would not fit a socket path. */
int bus_endpoint(char *buf, size_t size, const char *var_dir, const char *name);

/* bus_ctl_endpoint - "ipc://VAR/run/NAME.ctl", a worker's control socket. */
int bus_ctl_endpoint(char *buf, size_t size, const char *var_dir, const char *name);

/* bus_worker_endpoint - the address of kind for the worker called name
 * ("ingest", "validate-2", ...): as configured in `endpoints:` (e may be
 * NULL), else the default under var_dir: ipc://VAR/run/NAME.sock for bind
 * and connect, ipc://VAR/run/NAME.ctl for control and control_connect (also
 * for a name the configuration does not know, such as a test's worker).
 * 0, or -1 (logged) if the ipc path does not fit. */
int bus_worker_endpoint(char *buf, size_t size, const cfg_endpoints_t *e, const char *var_dir, const char *name,
    cfg_ep_kind_t kind);

/* bus_request - send one control request (cmd, args) to endpoint and wait up
 * to timeout_ms for the answer: 0 with *code and a malloc'd *body, -1 if none
 * came (reason in err). For bhxhctl and tests. */
int bus_request(const char *endpoint, const char *cmd, char *const *args, int nargs, int timeout_ms,
    int64_t *code, char **body, char *err, size_t errsz);

/* bus_request_curve - bus_request; a tcp endpoint is reached with CURVE as
 * the client cv, expecting the server's public key server_key (both needed
 * for tcp, ignored for ipc). */
int bus_request_curve(const char *endpoint, const bus_curve_t *cv, const unsigned char *server_key,
    const char *cmd, char *const *args, int nargs, int timeout_ms, int64_t *code, char **body, char *err,
    size_t errsz);

/* bus_router_bind - a ROUTER bound to endpoint (a stale ipc socket file is
 * removed first, nothing else); NULL on error. */
void *bus_router_bind(void *ctx, const char *endpoint);

/* bus_router_bind_curve - the same; a tcp endpoint is a CURVE server with
 * cv's secret key and ZAP domain (the ZAP handler must already run in ctx);
 * a tcp endpoint without cv is refused (nothing goes over tcp in clear).
 * Binding retries for up to 2 s while the address is still in use (a
 * socket closed for a reload). */
void *bus_router_bind_curve(void *ctx, const char *endpoint, const bus_curve_t *cv, const char *domain);

/* bus_dealer_connect - a DEALER connected to every endpoint; NULL on error. */
void *bus_dealer_connect(void *ctx, const char *const *endpoints, int n);

/* bus_dealer_connect_curve - the same; each tcp endpoint i is reached with
 * CURVE as the client cv, expecting server_keys[i]. */
void *bus_dealer_connect_curve(void *ctx, const char *const *endpoints, int n, const bus_curve_t *cv,
    const unsigned char *const *server_keys);

/* bus_send_raw - send [rid] + payload without blocking; 0, or -1 (errno EAGAIN: no peer ready). */
int bus_send_raw(void *sock, const void *rid, size_t ridlen, const void *buf, size_t len);

/* bus_send_msg - encode and send; 0 or -1. */
int bus_send_msg(void *sock, const void *rid, size_t ridlen, const msg_t *m);

/* bus_recv_raw - receive one message without blocking. For a ROUTER the
 * routing id goes to rid/ridlen (rid must hold 256 bytes). The payload is
 * malloc'd into *buf. Returns 1 if a message came, 0 if none, -1 on error. */
int bus_recv_raw(void *sock, int router, unsigned char *rid, size_t *ridlen, char **buf, size_t *len);

/* bus_recv_peer - bus_recv_raw, and the sender's name as the ZAP handler
 * gave it (its CURVE key's name) into peer; "" over ipc. */
int bus_recv_peer(void *sock, int router, unsigned char *rid, size_t *ridlen, char **buf, size_t *len, char *peer,
    size_t peersz);

#endif
