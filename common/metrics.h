/* metrics - the workers' status answers as Prometheus text (exposition
 * format 0.0.4) and as a health verdict; no I/O here (the HTTP server that
 * asks the workers is tools/metrics_http.c).
 *
 * Input: for each worker of the configuration its name, its answer to
 * "status" (the JSON of worker_status_json, or NULL when it did not answer,
 * with why), and its restarts from the supervisor's state file (-1 when no
 * supervisor of this var dir runs it). Every family is written as one group
 * with its HELP and TYPE lines; label values are escaped as the format asks
 * (backslash, double quote, line feed). docs/OPERATIONS.md lists the metrics. */
#ifndef BHXH_METRICS_H
#define BHXH_METRICS_H

#include <stddef.h>

#include "fsutil.h"

typedef struct {
	const char *name;      /* ingest, validate-2, ... */
	const char *body;      /* its status JSON, NULL when it did not answer */
	const char *error;     /* why there is no answer (NULL: no answer) */
	const char *endpoint;  /* where it was asked */
	long long restarts;    /* from VAR/run/supervisor.status, -1 unknown */
} metrics_worker_t;

/* metrics_render - every metric of the workers into out; collect_s is how
 * long asking them took. */
void metrics_render(const metrics_worker_t *ws, int n, double collect_s, sb_t *out);

/* metrics_health - 1 when every worker answered ready or busy (out: "ok\n"),
 * else 0 with one line per worker that did not, saying why. */
int metrics_health(const metrics_worker_t *ws, int n, sb_t *out);

/* metrics_label_value - add s as a label value's inside (no quotes):
 * \ as \\, " as \", line feed as \n. */
void metrics_label_value(sb_t *out, const char *s);

/* metrics_json_get - the value of top-level key in a JSON object: 0 with
 * *val at its first character and *len its length, or -1 if absent or the
 * text is not a JSON object. */
int metrics_json_get(const char *json, const char *key, const char **val, size_t *len);

/* metrics_json_string - a JSON string value (val, len as metrics_json_get
 * gives) decoded into out (UTF-8, cut to size); 0, or -1 if not a string. */
int metrics_json_string(const char *val, size_t len, char *out, size_t size);

/* metrics_json_number - a JSON number value; 0 with *v, or -1 if not a number. */
int metrics_json_number(const char *val, size_t len, double *v);

#endif
