/* metrics_http - the metrics and health server (see metrics_http.h).
 *
 * Trusts nothing of a request but its method and path: any other method is
 * answered 405 at once (a body is not read), any other path 404; the answers
 * come only from the workers' status answers, rendered by common/metrics.c. */
#include "metrics_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fsutil.h"
#include "metrics.h"
#include "outbox.h"
#include "supervise.h"
#include "xalloc.h"

#define ASK_TIMEOUT_MS 2000   /* the whole collection: every worker asked at once */
#define MAX_CONNECTIONS 16
#define IDLE_TIMEOUT_S 5

struct metrics_http {
	struct MHD_Daemon *daemon;
	const config_t *c;
	char *var;
	pthread_mutex_t lock;     /* one collection at a time; guards what follows */
	int64_t at_ms;            /* when the collection of ans ended, 0 never */
	double collect_s;
	int n;
	supervise_answer_t ans[SUPERVISE_MAX_WORKERS];
};

/* s_answers - the workers' answers for a request that arrived at since_ms:
 * those of a collection that ended after it arrived (one it waited for), else
 * asked now; called and used with m->lock held. */
static void
s_answers(metrics_http_t *m, int64_t since_ms, metrics_worker_t *ws)
{
	if (m->at_ms == 0 || m->at_ms < since_ms) {
		int64_t t0 = now_ms();

		for (int i = 0; i < m->n; i++)
			free(m->ans[i].body);
		m->n = supervise_collect(m->c, m->var, ASK_TIMEOUT_MS, m->ans);
		m->at_ms = now_ms();
		m->collect_s = (double)(m->at_ms - t0) / 1000.0;
	}
	for (int i = 0; i < m->n; i++)
		ws[i] = (metrics_worker_t){ m->ans[i].name, m->ans[i].body, m->ans[i].err, m->ans[i].ep,
			m->ans[i].restarts };
}

/* s_reply - queue one answer (copied). */
static enum MHD_Result
s_reply(struct MHD_Connection *conn, unsigned int code, const char *type, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

#define S_TEXT "text/plain; charset=utf-8"

/* s_handle - GET /metrics, GET /healthz; 405 for another method, 404 for another path. */
static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **req)
{
	static int seen;
	int64_t arrived = now_ms();
	metrics_http_t *m = cls;
	metrics_worker_t ws[SUPERVISE_MAX_WORKERS];
	enum MHD_Result rc;
	sb_t b;

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		static const char msg[] = "method not allowed: only GET\n";

		return s_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, S_TEXT, msg, sizeof(msg) - 1);
	}
	if (*req == NULL) { /* the headers: answer once the request is whole */
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_size != 0) { /* a GET with a body: ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0) {
		static const char msg[] = "not found: GET /metrics or /healthz\n";

		return s_reply(conn, MHD_HTTP_NOT_FOUND, S_TEXT, msg, sizeof(msg) - 1);
	}
	sb_init(&b);
	pthread_mutex_lock(&m->lock);
	s_answers(m, arrived, ws);
	if (strcmp(url, "/metrics") == 0) {
		metrics_render(ws, m->n, m->collect_s, &b);
		pthread_mutex_unlock(&m->lock);
		rc = s_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	} else {
		int ok = metrics_health(ws, m->n, &b);

		pthread_mutex_unlock(&m->lock);
		rc = s_reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, S_TEXT, b.data, b.len);
	}
	sb_free(&b);
	return rc;
}

/* s_address - HOST:PORT as an IPv4 socket address; 0 or -1 with why. */
static int
s_address(const char *listen, struct sockaddr_in *sin, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
	const char *colon = strrchr(listen, ':');
	char host[256];
	int rc;

	if (!config_listen_ok(listen) || colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errsz, "'%s': expected HOST:PORT", listen);
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0 || res == NULL) {
		snprintf(err, errsz, "'%s': %s", listen, rc != 0 ? gai_strerror(rc) : "no IPv4 address");
		return -1;
	}
	memcpy(sin, res->ai_addr, sizeof(*sin));
	freeaddrinfo(res);
	return 0;
}

metrics_http_t *
metrics_http_start(const config_t *c, const char *var, const char *listen, char *err, size_t errsz)
{
	struct sockaddr_in sin;
	metrics_http_t *m;

	if (s_address(listen, &sin, err, errsz) != 0)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->c = c;
	m->var = xstrdup(var);
	pthread_mutex_init(&m->lock, NULL);
	m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_POLL | MHD_USE_ERROR_LOG, ntohs(sin.sin_port), NULL, NULL, s_handle, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_END);
	if (m->daemon == NULL) {
		snprintf(err, errsz, "cannot listen on %s (in use, or not an address of this host)", listen);
		pthread_mutex_destroy(&m->lock);
		free(m->var);
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_http_stop(metrics_http_t **self_p)
{
	metrics_http_t *m = *self_p;

	if (m == NULL)
		return;
	MHD_stop_daemon(m->daemon);
	for (int i = 0; i < m->n; i++)
		free(m->ans[i].body);
	pthread_mutex_destroy(&m->lock);
	free(m->var);
	free(m);
	*self_p = NULL;
}

int
metrics_http_serve(const config_t *c, const char *var, const char *listen)
{
	sigset_t set;
	metrics_http_t *m;
	char err[300];
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread: sigwait takes them */
	signal(SIGPIPE, SIG_IGN);
	if ((m = metrics_http_start(c, var, listen, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bhxhctl: metrics: %s\n", err);
		return 1;
	}
	printf("serving http://%s/metrics and /healthz for var dir %s\n", listen, var);
	fflush(stdout);
	sigwait(&set, &sig);
	metrics_http_stop(&m);
	return 0;
}
