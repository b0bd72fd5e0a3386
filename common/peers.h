/* peers - which peer may send which message to which worker.
 *
 *   to ingest     file_done          from aggregate
 *   to validate   batch, file_end    from ingest
 *   to aggregate  batch, file_end    from validate (any instance)
 *   to alert      events, summary    from aggregate
 *   control       ctl_req            from operator
 *
 * On tcp the sender is known by its CURVE key (the name the ZAP handler
 * gives it); a socket accepts connections only from the peers that may send
 * it something, and each message is checked against its sender. On ipc the
 * socket itself is the boundary (the var dir is private to the pipeline's
 * user): only the message types of the receiving socket are accepted. */
#ifndef BHXH_PEERS_H
#define BHXH_PEERS_H

/* peers_role - "validate" for "validate-2", else name as it is, into buf. */
const char *peers_role(const char *name, char *buf, unsigned size);

/* peers_may_send - 1 if the worker named receiver takes a message of type on
 * its data socket from sender (a peer name; NULL: over ipc, unknown), else 0. */
int peers_may_send(const char *receiver, const char *sender, int type);

/* peers_may_connect - 1 if sender may connect to receiver's data socket
 * (control 0) or control socket (control 1). */
int peers_may_connect(const char *receiver, int control, const char *sender);

/* peers_allowed_sender - the role allowed to send type to receiver, or NULL. */
const char *peers_allowed_sender(const char *receiver, int type);

#endif
