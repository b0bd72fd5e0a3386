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
 * live on its own host. */
#ifndef BHXH_CFG_ENDPOINTS_H
#define BHXH_CFG_ENDPOINTS_H

#include <stddef.h>

#include "yamltree.h"

typedef enum { EP_BIND, EP_CONNECT, EP_CONTROL, EP_CONTROL_CONNECT, EP_NKINDS } cfg_ep_kind_t;

typedef struct {
	char *addr[EP_NKINDS];  /* NULL: the default ipc path under the var dir */
} cfg_ep_t;

typedef struct cfg_endpoints {
	cfg_ep_t ingest, aggregate, alert;
	cfg_ep_t *validate;     /* nvalidate entries (list form), or one (map form) */
	int nvalidate;
	int validate_pattern;   /* map form: tcp ports are bases for instance i */
	int instances;          /* validate.instances this was checked against */
} cfg_endpoints_t;

/* cfg_endpoints_load - the `endpoints` map (NULL: absent, all defaults),
 * checked against instances validators; never NULL, problems into d with
 * file:line:column and the key (endpoints.aggregate.bind: ...). */
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

/* cfg_endpoint_kind_name - "bind", "connect", "control", "control_connect". */
const char *cfg_endpoint_kind_name(cfg_ep_kind_t kind);

#endif
