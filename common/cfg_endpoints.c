/* cfg_endpoints - load and check the `endpoints:` section (see cfg_endpoints.h).
 *
 * Trusts nothing in the file: every address is parsed whole (scheme, host
 * characters, port range, path length) before it is stored, and every
 * problem is reported with its mark and key, all of them at once. */
#include "cfg_endpoints.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <zmq.h>

#define S_PORT_MAX 65535
#define S_HOST_MAX 253

static const char *const s_kind_names[] = { "bind", "connect", "control", "control_connect", NULL };
static const char *const s_workers[] = { "ingest", "validate", "aggregate", "alert", NULL };

/* The keys, described once (cfgdesc.h): the loader below checks maps
 * against these tables and reads each key itself; bhxh-cfgdoc documents them. */
static const cd_key_t s_ep_keys[] = {
	{ .key = "bind", .type = CD_STR, .type_doc = "address", .def_doc = "`ipc://VAR/run/WORKER.sock`",
	  .doc = "where the worker's data socket binds, on its own host" },
	{ .key = "connect", .type = CD_STR, .type_doc = "address", .def_doc = "`bind`, which must then not be a wildcard",
	  .doc = "where the workers that send to it connect (ingest → validate, validate → aggregate, aggregate → alert"
	  " and → ingest)" },
	{ .key = "control", .type = CD_STR, .type_doc = "address", .def_doc = "`ipc://VAR/run/WORKER.ctl`",
	  .doc = "where its control socket binds" },
	{ .key = "control_connect", .type = CD_STR, .type_doc = "address",
	  .def_doc = "`control`, which must then not be a wildcard", .doc = "where `bhxhctl` and the metrics server"
	  " connect to ask it" },
	{ .key = NULL }
};

static const cd_key_t s_curve_keys[] = {
	{ .key = "keys_dir", .type = CD_STR, .type_doc = "absolute path", .def_doc = "`VAR/keys`",
	  .doc = "where this host's workers read `NAME.key` and `bhxhctl` reads `operator.key` (or the file"
	  " `BHXH_OPERATOR_KEY` names)" },
	{ .key = "public", .type = CD_CUSTOM, .read = cd_keep_node, .type_doc = "map `NAME: key` or `NAME: [keys]`",
	  .def_doc = "required with tcp: every worker and at least one operator", .doc = "public keys in Z85 as `bhxhctl"
	  " keygen` prints them, up to 8 a name; the first of a worker's list is the key others expect it to use, the"
	  " others are still accepted (rotation)" },
	{ .key = NULL }
};

const cd_key_t cfg_endpoints_keys[] = {
	{ .key = "ingest", .type = CD_CUSTOM, .sub = s_ep_keys, .read = cd_keep_node, .def_doc = "ipc in the var dir",
	  .doc = "the ingest worker's addresses" },
	{ .key = "validate", .type = CD_CUSTOM, .sub = s_ep_keys, .read = cd_keep_node, .type_doc = "map, or list of maps",
	  .def_doc = "ipc in the var dir", .doc = "the validators' addresses: one map whose tcp ports are bases (validate-i"
	  " uses PORT + i − 1), or one map per instance, validate-1 first" },
	{ .key = "aggregate", .type = CD_CUSTOM, .sub = s_ep_keys, .read = cd_keep_node, .def_doc = "ipc in the var dir",
	  .doc = "the aggregate's addresses" },
	{ .key = "alert", .type = CD_CUSTOM, .sub = s_ep_keys, .read = cd_keep_node, .def_doc = "ipc in the var dir",
	  .doc = "the alert worker's addresses" },
	{ .key = "curve", .type = CD_CUSTOM, .sub = s_curve_keys, .read = cd_keep_node,
	  .def_doc = "required when any address is tcp", .doc = "CURVE keys: every tcp socket is encrypted and accepts"
	  " only the listed keys of its peers" },
	{ .key = NULL }
};

static int s_any_tcp(const cfg_endpoints_t *e);
static void s_check_validators(const cfg_endpoints_t *e, const yt_node_t *at, yt_diag_t *d);
static void s_load_curve(cfg_endpoints_t *e, const yt_node_t *map, yt_diag_t *d);

typedef struct {
	int tcp;
	char host[S_HOST_MAX + 1];
	long port;
} s_addr_t;

/* s_parse - split an address; 0, or -1 with why. */
static int
s_parse(const char *a, s_addr_t *out, char *why, size_t whysz)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(a, "ipc://", 6) == 0) {
		struct sockaddr_un sun;
		const char *p = a + 6;

		if (p[0] != '/') {
			snprintf(why, whysz, "an ipc path must be absolute (ipc:///run/bhxh/NAME.sock)");
			return -1;
		}
		if (strlen(p) >= sizeof(sun.sun_path)) {
			snprintf(why, whysz, "an ipc path is at most %zu bytes", sizeof(sun.sun_path) - 1);
			return -1;
		}
		for (; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(why, whysz, "control characters in an ipc path");
				return -1;
			}
		return 0;
	}
	if (strncmp(a, "tcp://", 6) == 0) {
		const char *h = a + 6, *colon = strrchr(h, ':');
		size_t hl;
		char *end;

		out->tcp = 1;
		if (colon == NULL || colon == h) {
			snprintf(why, whysz, "expected tcp://HOST:PORT");
			return -1;
		}
		hl = (size_t)(colon - h);
		if (hl > S_HOST_MAX) {
			snprintf(why, whysz, "host longer than %d characters", S_HOST_MAX);
			return -1;
		}
		memcpy(out->host, h, hl);
		out->host[hl] = '\0';
		if (strcmp(out->host, "*") != 0 && (strspn(out->host,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_") != hl ||
		    out->host[0] == '.' || out->host[0] == '-')) {
			snprintf(why, whysz, "host '%s': expected a host name, an IPv4 address or '*'", out->host);
			return -1;
		}
		if (colon[1] == '\0' || strlen(colon + 1) > 5 || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			snprintf(why, whysz, "expected a port number 1-%d after the host", S_PORT_MAX);
			return -1;
		}
		out->port = strtol(colon + 1, &end, 10);
		if (out->port < 1 || out->port > S_PORT_MAX) {
			snprintf(why, whysz, "port %ld out of range 1-%d", out->port, S_PORT_MAX);
			return -1;
		}
		return 0;
	}
	snprintf(why, whysz, "expected ipc:///PATH or tcp://HOST:PORT");
	return -1;
}

/* s_wildcard - a tcp bind on every interface. */
static int
s_wildcard(const s_addr_t *a)
{
	return a->tcp && (strcmp(a->host, "*") == 0 || strcmp(a->host, "0.0.0.0") == 0);
}

int
cfg_endpoint_check(const char *addr, int for_connect, char *why, size_t whysz)
{
	s_addr_t a;

	if (s_parse(addr, &a, why, whysz) != 0)
		return -1;
	if (for_connect && s_wildcard(&a)) {
		snprintf(why, whysz, "'%s' is a wildcard: name the host to connect to", a.host);
		return -1;
	}
	return 0;
}

const char *
cfg_endpoint_kind_name(cfg_ep_kind_t kind)
{
	return kind >= 0 && kind < EP_NKINDS ? s_kind_names[kind] : "?";
}

/* s_load_one - one worker's map; marks of its keys into at[] (NULL if absent). */
static void
s_load_one(cfg_ep_t *ep, const yt_node_t *m, const char *label, const yt_node_t **at, yt_diag_t *d)
{
	const char *v[EP_NKINDS] = { NULL };
	s_addr_t pa[EP_NKINDS];
	int ok[EP_NKINDS] = { 0 };

	if (m->kind != YT_MAP) {
		yt_diag_add(d, m, "%s: expected a map with bind, connect, control, control_connect", label);
		return;
	}
	cd_check_keys(s_ep_keys, m, d);
	for (int k = 0; k < EP_NKINDS; k++) {
		char why[300];

		at[k] = yt_map_get(m, s_kind_names[k]);
		if (yt_get_str(m, s_kind_names[k], 0, &v[k], d) != 0 || v[k] == NULL)
			continue;
		if (s_parse(v[k], &pa[k], why, sizeof(why)) != 0 ||
		    ((k == EP_CONNECT || k == EP_CONTROL_CONNECT) && cfg_endpoint_check(v[k], 1, why, sizeof(why)) != 0)) {
			yt_diag_add(d, at[k], "%s.%s: '%s': %s", label, s_kind_names[k], v[k], why);
			continue;
		}
		ok[k] = 1;
	}
	for (int k = EP_BIND; k <= EP_CONTROL; k += 2) {
		int c = k + 1;

		if (v[c] != NULL && v[k] == NULL) {
			yt_diag_add(d, at[c], "%s.%s: given without %s (without it the worker binds its ipc path in the"
			    " var dir, which nothing else can reach)", label, s_kind_names[c], s_kind_names[k]);
			continue;
		}
		if (!ok[k] || (v[c] != NULL && !ok[c]))
			continue;
		if (v[c] != NULL && pa[c].tcp != pa[k].tcp) {
			yt_diag_add(d, at[c], "%s.%s: '%s' and %s '%s' must both be ipc or both tcp", label,
			    s_kind_names[c], v[c], s_kind_names[k], v[k]);
			continue;
		}
		if (v[c] == NULL && s_wildcard(&pa[k])) {
			yt_diag_add(d, at[k], "%s.%s: '%s' listens on every interface: give %s, the address the others"
			    " use to reach it", label, s_kind_names[k], v[k], s_kind_names[c]);
			continue;
		}
		ep->addr[k] = xstrdup(v[k]);
		ep->addr[c] = xstrdup(v[c] != NULL ? v[c] : v[k]);
	}
}

/* s_resolve - addr with the port moved by off (a validator's pattern). */
static int
s_resolve(const char *addr, int off, char *buf, size_t size)
{
	s_addr_t a;
	char why[200];
	int n;

	if (off == 0 || s_parse(addr, &a, why, sizeof(why)) != 0 || !a.tcp)
		n = snprintf(buf, size, "%s", addr);
	else
		n = snprintf(buf, size, "tcp://%s:%ld", a.host, a.port + off);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* s_entry - the entry and port offset for a worker name; NULL if not a
 * worker of this configuration ("validate" only when one runs). */
static const cfg_ep_t *
s_entry(const cfg_endpoints_t *e, const char *name, int *off)
{
	static const cfg_ep_t none;
	int i = 1;

	*off = 0;
	if (strcmp(name, "ingest") == 0)
		return &e->ingest;
	if (strcmp(name, "aggregate") == 0)
		return &e->aggregate;
	if (strcmp(name, "alert") == 0)
		return &e->alert;
	if (strcmp(name, "validate") == 0) {
		if (e->instances > 1)
			return NULL;
	} else if (strncmp(name, "validate-", 9) == 0 && name[9] >= '1' && name[9] <= '9') {
		char *end;
		long l = strtol(name + 9, &end, 10);

		if (*end != '\0' || l > e->instances || e->instances < 2)
			return NULL;
		i = (int)l;
	} else {
		return NULL;
	}
	if (e->nvalidate == 0)
		return &none;
	if (e->validate_pattern) {
		*off = i - 1;
		return &e->validate[0];
	}
	return i <= e->nvalidate ? &e->validate[i - 1] : NULL;
}

int
cfg_endpoint(const cfg_endpoints_t *e, const char *name, cfg_ep_kind_t kind, char *buf, size_t size)
{
	const cfg_ep_t *ep;
	int off;

	if (kind < 0 || kind >= EP_NKINDS || (ep = s_entry(e, name, &off)) == NULL)
		return -1;
	if (ep->addr[kind] == NULL)
		return 0;
	return s_resolve(ep->addr[kind], off, buf, size) == 0 ? 1 : -1;
}

/* s_check_pattern - a map for several validators: tcp only, ports in range. */
static void
s_check_pattern(cfg_endpoints_t *e, const yt_node_t **at, yt_diag_t *d)
{
	for (int k = 0; k < EP_NKINDS; k++) {
		const char *a = at[k] != NULL && at[k]->kind == YT_SCALAR ? at[k]->scalar : NULL;
		s_addr_t pa;
		char why[200];

		if (a == NULL || s_parse(a, &pa, why, sizeof(why)) != 0)
			continue;
		if (!pa.tcp)
			yt_diag_add(d, at[k], "endpoints.validate.%s: '%s': with validate.instances: %d each instance needs"
			    " its own address: use tcp (the port is a base: validate-i uses PORT + i - 1) or a list of %d"
			    " entries", s_kind_names[k], a, e->instances, e->instances);
		else if (pa.port + e->instances - 1 > S_PORT_MAX)
			yt_diag_add(d, at[k], "endpoints.validate.%s: '%s': validate-%d would use port %ld, above %d",
			    s_kind_names[k], a, e->instances, pa.port + e->instances - 1, S_PORT_MAX);
	}
}

/* s_check_unique - no two sockets share an address others connect to;
 * reported at the key that gave the second one. */
static void
s_check_unique(const cfg_endpoints_t *e, const yt_node_t *map, yt_diag_t *d)
{
	enum { MAXA = 4 * 2 + 64 * 2 };
	char addr[MAXA][300], who[MAXA][80];
	int n = 0;

	for (int w = 0; s_workers[w] != NULL; w++) {
		const yt_node_t *wm = yt_map_get(map, s_workers[w]);
		int ninst = strcmp(s_workers[w], "validate") == 0 ? e->instances : 1;

		for (int i = 1; i <= ninst && i <= 64; i++) {
			const yt_node_t *entry = wm != NULL && wm->kind == YT_SEQ && (size_t)i <= wm->n ? wm->items[i - 1] : wm;
			char name[32];

			if (ninst > 1)
				snprintf(name, sizeof(name), "%s-%d", s_workers[w], i);
			else
				snprintf(name, sizeof(name), "%s", s_workers[w]);
			for (int k = EP_CONNECT; k <= EP_CONTROL_CONNECT; k += 2) {
				if (n >= MAXA || cfg_endpoint(e, name, (cfg_ep_kind_t)k, addr[n], sizeof(addr[n])) != 1)
					continue;
				snprintf(who[n], sizeof(who[n]), "%s's %s", name, k == EP_CONNECT ? "data" : "control");
				for (int j = 0; j < n; j++)
					if (strcmp(addr[j], addr[n]) == 0) {
						int key = yt_map_get(entry, s_kind_names[k]) != NULL ? k : k - 1;
						const yt_node_t *at = yt_map_get(entry, s_kind_names[key]);

						yt_diag_add(d, at != NULL ? at : map, "endpoints.%s.%s: '%s' is both %s and %s address:"
						    " each socket needs its own", name, s_kind_names[key], addr[n], who[j], who[n]);
						break;
					}
				n++;
			}
		}
	}
}

cfg_endpoints_t *
cfg_endpoints_load(const yt_node_t *map, int instances, yt_diag_t *d)
{
	cfg_endpoints_t *e = xcalloc(1, sizeof(*e));
	const yt_node_t *v;
	size_t before = d != NULL ? d->n : 0;

	e->instances = instances;
	if (map == NULL)
		return e;
	if (map->kind != YT_MAP) {
		yt_diag_add(d, map, "endpoints: expected a map with ingest, validate, aggregate, alert");
		return e;
	}
	cd_check_keys(cfg_endpoints_keys, map, d);
	for (int w = 0; s_workers[w] != NULL; w++) {
		const yt_node_t *at[EP_NKINDS];
		char label[64];

		if ((v = yt_map_get(map, s_workers[w])) == NULL || yt_is_null(v))
			continue;
		snprintf(label, sizeof(label), "endpoints.%s", s_workers[w]);
		if (strcmp(s_workers[w], "validate") != 0) {
			cfg_ep_t *ep = w == 0 ? &e->ingest : w == 2 ? &e->aggregate : &e->alert;

			s_load_one(ep, v, label, at, d);
			continue;
		}
		if (v->kind == YT_SEQ) {
			if ((int)v->n != instances) {
				yt_diag_add(d, v, "endpoints.validate: %zu entries for validate.instances: %d (one per instance,"
				    " validate-1 first)", v->n, instances);
				continue;
			}
			e->validate = xcalloc(v->n + 1, sizeof(cfg_ep_t));
			e->nvalidate = (int)v->n;
			for (size_t i = 0; i < v->n; i++) {
				snprintf(label, sizeof(label), "endpoints.validate[%zu]", i + 1);
				s_load_one(&e->validate[i], v->items[i], label, at, d);
			}
		} else {
			e->validate = xcalloc(1, sizeof(cfg_ep_t));
			e->nvalidate = 1;
			e->validate_pattern = instances > 1;
			s_load_one(&e->validate[0], v, label, at, d);
			if (v->kind == YT_MAP && instances > 1)
				s_check_pattern(e, at, d);
		}
	}
	if (d == NULL || d->n == before)
		s_check_unique(e, map, d);
	s_check_validators(e, yt_map_get(map, "validate"), d);
	e->any_tcp = s_any_tcp(e);
	s_load_curve(e, map, d);
	return e;
}

/* s_name_ok - name is a peer of this configuration: a worker as it runs
 * (validate-N with several validators) or "operator". */
static int
s_name_ok(const cfg_endpoints_t *e, const char *name)
{
	int off;

	return strcmp(name, "operator") == 0 || s_entry(e, name, &off) != NULL;
}

/* s_runtime_name - the name of worker w's instance i (1-based) into buf. */
static void
s_runtime_name(const cfg_endpoints_t *e, int w, int i, char *buf, size_t size)
{
	if (strcmp(s_workers[w], "validate") == 0 && e->instances > 1)
		snprintf(buf, size, "validate-%d", i);
	else
		snprintf(buf, size, "%s", s_workers[w]);
}

int
cfg_endpoint_is_tcp(const cfg_endpoints_t *e, const char *name, cfg_ep_kind_t kind)
{
	char buf[300];

	return e != NULL && cfg_endpoint(e, name, kind, buf, sizeof(buf)) == 1 && strncmp(buf, "tcp://", 6) == 0;
}

/* s_any_tcp - some worker has a tcp address. */
static int
s_any_tcp(const cfg_endpoints_t *e)
{
	for (int w = 0; s_workers[w] != NULL; w++) {
		int n = strcmp(s_workers[w], "validate") == 0 ? e->instances : 1;

		for (int i = 1; i <= n && i <= 64; i++) {
			char name[32];

			s_runtime_name(e, w, i, name, sizeof(name));
			for (int k = 0; k < EP_NKINDS; k++)
				if (cfg_endpoint_is_tcp(e, name, (cfg_ep_kind_t)k))
					return 1;
		}
	}
	return 0;
}

/* s_check_validators - one DEALER connects to every validator, so their
 * data addresses are all tcp (CURVE) or all ipc. */
static void
s_check_validators(const cfg_endpoints_t *e, const yt_node_t *at, yt_diag_t *d)
{
	int tcp = 0;

	if (e->instances < 2)
		return;
	for (int i = 1; i <= e->instances && i <= 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "validate-%d", i);
		tcp += cfg_endpoint_is_tcp(e, name, EP_CONNECT);
	}
	if (tcp > 0 && tcp < e->instances)
		yt_diag_add(d, at, "endpoints.validate: %d of %d validators have a tcp data address: ingest sends to all"
		    " of them on one socket, so give every one a tcp address or none", tcp, e->instances);
}

/* s_load_key - one Z85 public key from a scalar into out; 0 or -1 (reported). */
static int
s_load_key(const yt_node_t *n, const char *label, unsigned char *out, yt_diag_t *d)
{
	if (n->kind != YT_SCALAR || n->scalar == NULL || strlen(n->scalar) != 40 ||
	    zmq_z85_decode(out, n->scalar) == NULL) {
		yt_diag_add(d, n, "%s: expected a CURVE public key, 40 characters of Z85 as `bhxhctl keygen` prints it",
		    label);
		return -1;
	}
	return 0;
}

/* s_load_curve - the `curve` map: keys_dir and public keys, required (with
 * a key for every worker and at least one operator) when any address is tcp. */
static void
s_load_curve(cfg_endpoints_t *e, const yt_node_t *map, yt_diag_t *d)
{
	const yt_node_t *cv = yt_map_get(map, "curve"), *pub = NULL;
	const char *dir = NULL;

	if (cv == NULL || yt_is_null(cv)) {
		if (e->any_tcp)
			yt_diag_add(d, map, "endpoints: tcp addresses need `curve:` with the public key of every worker and"
			    " operator (every tcp socket is encrypted and accepts only listed keys; see `bhxhctl keygen`)");
		return;
	}
	if (cv->kind != YT_MAP) {
		yt_diag_add(d, cv, "endpoints.curve: expected a map with keys_dir and public");
		return;
	}
	cd_check_keys(s_curve_keys, cv, d);
	if (yt_get_str(cv, "keys_dir", 0, &dir, d) == 0 && dir != NULL) {
		if (dir[0] != '/' || strlen(dir) > 3000)
			yt_diag_add(d, yt_map_get(cv, "keys_dir"), "endpoints.curve.keys_dir: '%s': expected an absolute path",
			    dir);
		else
			e->keys_dir = xstrdup(dir);
	}
	if (yt_get_map(cv, "public", 1, &pub, d) != 0 || pub == NULL)
		return;
	e->peers = xcalloc(pub->n + 1, sizeof(cfg_peer_keys_t));
	for (size_t i = 0; i < pub->n; i++) {
		const char *name = pub->keys[i]->scalar;
		const yt_node_t *v = pub->items[i];
		cfg_peer_keys_t *p = &e->peers[e->npeers];
		char label[96];
		size_t nk = v->kind == YT_SEQ ? v->n : 1;

		snprintf(label, sizeof(label), "endpoints.curve.public.%.40s", name);
		if (strlen(name) >= sizeof(p->name) || !s_name_ok(e, name)) {
			yt_diag_add(d, pub->keys[i], "%s: not a worker of this configuration (ingest, %s, aggregate, alert)"
			    " nor operator", label, e->instances > 1 ? "validate-1 ..." : "validate");
			continue;
		}
		if (nk == 0 || nk > 8) {
			yt_diag_add(d, v, "%s: expected one key or a list of 1 to 8 keys", label);
			continue;
		}
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->keys = xcalloc(nk, 32);
		for (size_t k = 0; k < nk; k++)
			if (s_load_key(v->kind == YT_SEQ ? v->items[k] : v, label, p->keys[p->nkeys], d) == 0)
				p->nkeys++;
		if (p->nkeys == 0) {
			free(p->keys);
			p->keys = NULL;
			continue;
		}
		for (int k = 0; k < p->nkeys; k++) {
			const char *other = cfg_peer_of_key(e, p->keys[k]);

			if (other != NULL)
				yt_diag_add(d, v, "%s: a key also listed for %s: each peer needs its own", label, other);
		}
		e->npeers++;
	}
	if (!e->any_tcp)
		return;
	for (int w = 0; s_workers[w] != NULL; w++) {
		int n = strcmp(s_workers[w], "validate") == 0 ? e->instances : 1;

		for (int i = 1; i <= n && i <= 64; i++) {
			char name[32];

			s_runtime_name(e, w, i, name, sizeof(name));
			if (cfg_peer_keys(e, name) == NULL)
				yt_diag_add(d, pub, "endpoints.curve.public: no key for %s (`bhxhctl keygen %s` makes one)",
				    name, name);
		}
	}
	if (cfg_peer_keys(e, "operator") == NULL)
		yt_diag_add(d, pub, "endpoints.curve.public: no key for operator: bhxhctl could not reach any worker"
		    " (`bhxhctl keygen operator` makes one)");
}

const cfg_peer_keys_t *
cfg_peer_keys(const cfg_endpoints_t *e, const char *name)
{
	for (int i = 0; e != NULL && i < e->npeers; i++)
		if (strcmp(e->peers[i].name, name) == 0)
			return &e->peers[i];
	return NULL;
}

const char *
cfg_peer_of_key(const cfg_endpoints_t *e, const unsigned char *key)
{
	for (int i = 0; e != NULL && i < e->npeers; i++)
		for (int k = 0; k < e->peers[i].nkeys; k++)
			if (memcmp(e->peers[i].keys[k], key, 32) == 0)
				return e->peers[i].name;
	return NULL;
}

/* s_same_str - both NULL or equal. */
static int
s_same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* s_same_ep - the same four addresses. */
static int
s_same_ep(const cfg_ep_t *a, const cfg_ep_t *b)
{
	for (int k = 0; k < EP_NKINDS; k++)
		if (!s_same_str(a->addr[k], b->addr[k]))
			return 0;
	return 1;
}

int
cfg_endpoints_same(const cfg_endpoints_t *a, const cfg_endpoints_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->nvalidate != b->nvalidate || a->validate_pattern != b->validate_pattern || a->instances != b->instances ||
	    a->npeers != b->npeers || !s_same_str(a->keys_dir, b->keys_dir) || !s_same_ep(&a->ingest, &b->ingest) ||
	    !s_same_ep(&a->aggregate, &b->aggregate) || !s_same_ep(&a->alert, &b->alert))
		return 0;
	for (int i = 0; i < a->nvalidate; i++)
		if (!s_same_ep(&a->validate[i], &b->validate[i]))
			return 0;
	for (int i = 0; i < a->npeers; i++) {
		const cfg_peer_keys_t *p = &a->peers[i], *q = cfg_peer_keys(b, p->name);

		if (q == NULL || q->nkeys != p->nkeys || memcmp(q->keys, p->keys, (size_t)p->nkeys * 32) != 0)
			return 0;
	}
	return 1;
}

/* s_free_ep - one entry's strings. */
static void
s_free_ep(cfg_ep_t *ep)
{
	for (int k = 0; k < EP_NKINDS; k++)
		free(ep->addr[k]);
}

void
cfg_endpoints_free(cfg_endpoints_t **self_p)
{
	cfg_endpoints_t *e = *self_p;

	if (e == NULL)
		return;
	s_free_ep(&e->ingest);
	s_free_ep(&e->aggregate);
	s_free_ep(&e->alert);
	for (int i = 0; i < e->nvalidate; i++)
		s_free_ep(&e->validate[i]);
	free(e->validate);
	for (int i = 0; i < e->npeers; i++)
		free(e->peers[i].keys);
	free(e->peers);
	free(e->keys_dir);
	free(e);
	*self_p = NULL;
}
