/* cfg_endpoints - where each worker's sockets are, from the optional
 * `endpoints:` section of the main configuration.
 *
 * For each worker (ingest, validate, aggregate, alert) four addresses:
 *   bind             where its data ROUTER binds
 *   connect          where the workers that send to it connect
 *   control          where its control ROUTER binds
 *   control_connect  where bhxhctl connects to ask it
 * An address is `ipc:///absolute/path` (at most 107 bytes of path) or
 * `tcp://HOST:PORT` (HOST a name, an IPv4 address, or `*` / `0.0.0.0` for
 * every interface in a bind; PORT 1-65535). A key left out keeps today's
 * address: `ipc://VAR/run/NAME.sock` for data, `ipc://VAR/run/NAME.ctl` for
 * control, under the var dir of the process that uses it. `connect` defaults
 * to `bind` unless bind is a tcp wildcard (then it must be given); the same
 * for `control_connect` and `control`.
 *
 * Validators: `validate` is either one map, used by every instance (with
 * several instances every address must be tcp and its port is a base:
 * instance i uses PORT + i - 1), or a list of maps, one per instance in
 * order (validate-1 first), as many as validate.instances, so that each may
 * live on its own host.
 *
 * CURVE: every socket whose address is tcp uses CURVE (encryption and the
 * peer's key); the `curve` map is then required:
 *   curve:
 *     keys_dir: /etc/bhxh/keys    # this host's secret key files NAME.key
 *                                 # (default VAR/keys)
 *     public:                     # every peer's public key (Z85, 40 characters)
 *       ingest: "..."             # or a list: the first is the key in use,
 *       validate-1: "..."         # the others are still accepted (rotation)
 *       aggregate: "..."
 *       alert: "..."
 *       operator: ["...", "..."]  # bhxhctl users, allowed on control sockets
 * Names are the workers' names as they run (validate-1, validate-2 with
 * several validators, else validate) and `operator`. */
#ifndef BHXH_CFG_ENDPOINTS_H
#define BHXH_CFG_ENDPOINTS_H

#include <stddef.h>

#include "cfgdesc.h"
#include "yamltree.h"

typedef enum { EP_BIND, EP_CONNECT, EP_CONTROL, EP_CONTROL_CONNECT, EP_NKINDS } cfg_ep_kind_t;

typedef struct {
	char *addr[EP_NKINDS];  /* NULL: the default ipc path under the var dir */
} cfg_ep_t;

typedef struct {
	char name[32];          /* "ingest", "validate-2", "operator" */
	int nkeys;
	unsigned char (*keys)[32]; /* binary public keys; keys[0] is the one in use */
} cfg_peer_keys_t;

typedef struct cfg_endpoints {
	cfg_ep_t ingest, aggregate, alert;
	cfg_ep_t *validate;     /* nvalidate entries (list form), or one (map form) */
	int nvalidate;
	int validate_pattern;   /* map form: tcp ports are bases for instance i */
	int instances;          /* validate.instances this was checked against */
	int any_tcp;            /* some address is tcp: CURVE keys are required */
	char *keys_dir;         /* curve.keys_dir, NULL: VAR/keys */
	cfg_peer_keys_t *peers; /* curve.public */
	int npeers;
} cfg_endpoints_t;

/* cfg_endpoints_load - the `endpoints` map (NULL: absent, all defaults),
 * checked against instances validators; never NULL, problems into d with
 * file:line:column and the key (endpoints.aggregate.bind: ...). */
/* The keys of `endpoints:` (cfgdesc.h), for documentation and key checks. */
extern const cd_key_t cfg_endpoints_keys[];

cfg_endpoints_t *cfg_endpoints_load(const yt_node_t *map, int instances, yt_diag_t *d);

void cfg_endpoints_free(cfg_endpoints_t **self_p);

/* cfg_endpoint - the configured address of kind for the worker called name
 * ("ingest", "validate" when one runs, "validate-2", "aggregate", "alert")
 * into buf: 1 if configured, 0 if not (the default ipc path applies), -1 if
 * name is not a worker of this configuration or buf is too small. */
int cfg_endpoint(const cfg_endpoints_t *e, const char *name, cfg_ep_kind_t kind, char *buf, size_t size);

/* cfg_endpoint_check - 0 if addr is a well-formed address (for_connect: a
 * place to connect to, so no wildcard host), else -1 with why. */
int cfg_endpoint_check(const char *addr, int for_connect, char *why, size_t whysz);

/* cfg_endpoint_is_tcp - 1 if the address of kind for name (configured or
 * default) is tcp, else 0. */
int cfg_endpoint_is_tcp(const cfg_endpoints_t *e, const char *name, cfg_ep_kind_t kind);

/* cfg_peer_keys - the public keys listed for a peer name, or NULL. */
const cfg_peer_keys_t *cfg_peer_keys(const cfg_endpoints_t *e, const char *name);

/* cfg_peer_of_key - the name a 32-byte public key is listed under, or NULL. */
const char *cfg_peer_of_key(const cfg_endpoints_t *e, const unsigned char *key);

/* cfg_endpoints_same - 1 if a and b give every socket the same addresses
 * and every peer the same keys (a reload that changes nothing there keeps
 * its sockets), else 0. */
int cfg_endpoints_same(const cfg_endpoints_t *a, const cfg_endpoints_t *b);

/* cfg_endpoint_kind_name - "bind", "connect", "control", "control_connect". */
const char *cfg_endpoint_kind_name(cfg_ep_kind_t kind);

#endif
