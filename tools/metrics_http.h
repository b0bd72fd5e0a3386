/* metrics_http - GET /metrics (Prometheus text, format 0.0.4) and GET
 * /healthz over HTTP (libmicrohttpd) for the workers of one configuration,
 * each asked for its status at its control address as `bhxhctl status` asks
 * (remote ones too, with the operator's CURVE key over tcp).
 *
 * Bounded: one collection at a time, at most 2 s, its answers shared by the
 * scrapes that arrived while it ran; at most 16 connections, each with its
 * own thread and a 5 s idle timeout; only GET, and small fixed answers for
 * anything else (405 with Allow: GET, 404). */
#ifndef BHXH_METRICS_HTTP_H
#define BHXH_METRICS_HTTP_H

#include <stddef.h>

#include "config.h"

typedef struct metrics_http metrics_http_t;

/* metrics_http_start - listen on HOST:PORT (metrics.listen) for the workers
 * of c under var, from threads of its own (they inherit the caller's signal
 * mask); NULL with why in err. c and var must outlive the server. */
metrics_http_t *metrics_http_start(const config_t *c, const char *var, const char *listen, char *err, size_t errsz);

/* metrics_http_stop - stop listening, wait for the requests in progress, free. */
void metrics_http_stop(metrics_http_t **self_p);

/* metrics_http_serve - the server in the foreground until SIGTERM or SIGINT
 * (`bhxhctl serve-metrics`); 0, or 1 if it cannot listen. */
int metrics_http_serve(const config_t *c, const char *var, const char *listen);

#endif
