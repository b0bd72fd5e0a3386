/* zforge - test utility: build well-formed but forged messages with the
 * pipeline's own codec and send them to a worker's socket, as any process of
 * the pipeline's user could. Used by the end-to-end trust tests.
 *
 *   zforge ENDPOINT TYPE [OPTIONS]
 *     TYPE: batch | end | ack | events | done | ctl | summary
 *     --count N        send N copies, each with its own message id (default 1)
 *     --id N           first message id (default: from the clock)
 *     --wait-acks      wait (up to 10 s, --ack-timeout-ms) until every copy is acknowledged; exit 1 if not
 *     --hold-ms N      keep the connection N ms after sending (libzmq drops what a
 *                      receiver has not read yet when its sender disconnects)
 *   summary: --period P [--generated-at MS] --units F --employers F --agencies F
 *            (tab-separated rows of the tables; \n and \r in a cell are unescaped)
 *   batch:  --file-no N --file-id H --seq S --agency A --rtype T [--validated 0|1]
 *           --fields f1,f2,... --row 'v1|v2|...' (repeatable; lines 2, 3, ...)
 *   end:    --file-no N --file-id H --agency A --rtype T --name NAME --nbatches K --rows R [--abort CODE]
 *   ack:    --ids 1,2,3
 *   events: --seq S --kind K --subject S --org-unit U --period P --severity V --state S [--name N]
 *           [--value X] [--threshold X] [--since YYYY-MM] [--reason R] [--amount VND] [--workers N]
 *   done:   --file-no N --file-id H --agency A --status S [--code C]
 *   ctl:    --cmd C [--arg A ...]      (prints the answer)
 *   over tcp with CURVE: --curve-key FILE (a key file of `bhxhctl keygen`) --server-key Z85
 *   --linger-ms N    how long unsent messages are kept at exit (default 60000)
 *   --send-timeout-ms N  how long a send may wait for a connection (default 10000; then exit 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "curve.h"
#include "msg.h"

#define MAX_ROWS 1000
#define MAX_ARGS 16

/* s_split - a malloc'd array of the parts of s separated by sep. */
static char **
s_split(const char *s, char sep, uint32_t *n)
{
	char **out = NULL;
	const char *p = s;

	*n = 0;
	for (;;) {
		const char *q = strchr(p, sep);
		size_t len = q ? (size_t)(q - p) : strlen(p);

		out = realloc(out, sizeof(char *) * (*n + 1));
		out[*n] = strndup(p, len);
		(*n)++;
		if (q == NULL)
			break;
		p = q + 1;
	}
	return out;
}

static const char *
s_opt(int argc, char **argv, const char *name, const char *dflt)
{
	for (int i = 3; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return dflt;
}

static int
s_flag(int argc, char **argv, const char *name)
{
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* s_build - the message of the given type from the options. */
static int
s_build(int argc, char **argv, msg_t *m)
{
	const char *type = argv[2];

	memset(m, 0, sizeof(*m));
	m->version = MSG_VERSION;
	if (strcmp(type, "batch") == 0) {
		msg_batch_t *b = &m->u.batch;
		uint32_t nrows = 0;

		m->type = MSG_T_BATCH;
		b->file_id = strdup(s_opt(argc, argv, "--file-id", "forged"));
		b->file_no = strtoull(s_opt(argc, argv, "--file-no", "1"), NULL, 10);
		b->seq = (uint32_t)strtoul(s_opt(argc, argv, "--seq", "0"), NULL, 10);
		b->validated = (uint8_t)atoi(s_opt(argc, argv, "--validated", "1"));
		b->agency = strdup(s_opt(argc, argv, "--agency", "bhxh"));
		b->rtype = strdup(s_opt(argc, argv, "--rtype", "participant"));
		b->fields = s_split(s_opt(argc, argv, "--fields", "x"), ',', &b->nfields);
		b->rows = calloc(MAX_ROWS, sizeof(msg_row_t));
		for (int i = 3; i + 1 < argc && nrows < MAX_ROWS; i++) {
			if (strcmp(argv[i], "--row") != 0)
				continue;
			b->rows[nrows].line = nrows + 2;
			b->rows[nrows].values = s_split(argv[i + 1], '|', &b->rows[nrows].nvalues);
			nrows++;
		}
		b->nrows = nrows;
		return 0;
	}
	if (strcmp(type, "end") == 0) {
		msg_file_end_t *e = &m->u.end;

		m->type = MSG_T_FILE_END;
		e->file_id = strdup(s_opt(argc, argv, "--file-id", "forged"));
		e->file_no = strtoull(s_opt(argc, argv, "--file-no", "1"), NULL, 10);
		e->agency = strdup(s_opt(argc, argv, "--agency", "bhxh"));
		e->rtype = strdup(s_opt(argc, argv, "--rtype", "participant"));
		e->name = strdup(s_opt(argc, argv, "--name", "forged.csv"));
		e->received_at = (int64_t)time(NULL) * 1000000;
		e->nbatches = (uint32_t)strtoul(s_opt(argc, argv, "--nbatches", "1"), NULL, 10);
		e->rows_read = strtoull(s_opt(argc, argv, "--rows", "0"), NULL, 10);
		if (s_opt(argc, argv, "--abort", NULL) != NULL)
			e->abort_code = strdup(s_opt(argc, argv, "--abort", NULL));
		return 0;
	}
	if (strcmp(type, "ack") == 0) {
		uint32_t n;
		char **ids = s_split(s_opt(argc, argv, "--ids", "1"), ',', &n);

		m->type = MSG_T_ACK;
		m->u.ack.nids = n;
		m->u.ack.ids = calloc(n, sizeof(uint64_t));
		for (uint32_t i = 0; i < n; i++) {
			m->u.ack.ids[i] = strtoull(ids[i], NULL, 10);
			free(ids[i]);
		}
		free(ids);
		return 0;
	}
	if (strcmp(type, "events") == 0) {
		msg_event_t *ev = calloc(1, sizeof(*ev));

		m->type = MSG_T_EVENTS;
		m->u.events.seq = strtoull(s_opt(argc, argv, "--seq", "1"), NULL, 10);
		m->u.events.nevents = 1;
		m->u.events.events = ev;
		ev->kind = strdup(s_opt(argc, argv, "--kind", "missing_data"));
		ev->subject = strdup(s_opt(argc, argv, "--subject", "x:participant"));
		ev->org_unit = strdup(s_opt(argc, argv, "--org-unit", ""));
		ev->period = strdup(s_opt(argc, argv, "--period", "2017-03"));
		ev->severity = strdup(s_opt(argc, argv, "--severity", "warning"));
		ev->state = strdup(s_opt(argc, argv, "--state", "new"));
		ev->name = strdup(s_opt(argc, argv, "--name", ""));
		ev->value = atof(s_opt(argc, argv, "--value", "1"));
		ev->threshold = atof(s_opt(argc, argv, "--threshold", "0"));
		ev->since = strdup(s_opt(argc, argv, "--since", ""));
		ev->reason = strdup(s_opt(argc, argv, "--reason", ""));
		ev->amount = atof(s_opt(argc, argv, "--amount", "0"));
		ev->workers = atof(s_opt(argc, argv, "--workers", "0"));
		return 0;
	}
	if (strcmp(type, "summary") == 0) {
		/* --units F --employers F --agencies F: tab-separated rows, \\n \\r unescaped */
		const char *fn[3] = { s_opt(argc, argv, "--units", NULL), s_opt(argc, argv, "--employers", NULL),
			s_opt(argc, argv, "--agencies", NULL) };
		msg_table_t *t[3] = { &m->u.summary.units, &m->u.summary.employers, &m->u.summary.agencies };
		uint32_t nc[3] = { MSG_SUMMARY_UNIT_COLS, MSG_SUMMARY_EMPLOYER_COLS, MSG_SUMMARY_AGENCY_COLS };

		m->type = MSG_T_SUMMARY;
		m->u.summary.period = strdup(s_opt(argc, argv, "--period", "2017-04"));
		m->u.summary.generated_at = strtoll(s_opt(argc, argv, "--generated-at", "0"), NULL, 10);
		if (m->u.summary.generated_at == 0)
			m->u.summary.generated_at = (int64_t)time(NULL) * 1000;
		for (int k = 0; k < 3; k++) {
			FILE *f = fn[k] ? fopen(fn[k], "r") : NULL;
			static char line[1 << 20];
			uint32_t n = 0;

			t[k]->ncols = nc[k];
			t[k]->cells = NULL;
			while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
				uint32_t nn;
				char **c;

				line[strcspn(line, "\n")] = 0;
				c = s_split(line, '\t', &nn);
				t[k]->cells = realloc(t[k]->cells, sizeof(char *) * (n + nc[k]));
				for (uint32_t i = 0; i < nc[k]; i++) {
					char *v = i < nn ? c[i] : strdup(""), *o = v;
					for (char *q = v; *q; q++) {
						if (q[0] == '\\' && q[1] == 'n') { *o++ = '\n'; q++; }
						else if (q[0] == '\\' && q[1] == 'r') { *o++ = '\r'; q++; }
						else *o++ = *q;
					}
					*o = 0;
					t[k]->cells[n + i] = v;
				}
				for (uint32_t i = nc[k]; i < nn; i++) free(c[i]);
				free(c);
				n += nc[k];
			}
			t[k]->nrows = n / nc[k];
			if (f) fclose(f);
		}
		return 0;
	}
	if (strcmp(type, "done") == 0) {
		m->type = MSG_T_FILE_DONE;
		m->u.done.file_id = strdup(s_opt(argc, argv, "--file-id", "forged"));
		m->u.done.file_no = strtoull(s_opt(argc, argv, "--file-no", "1"), NULL, 10);
		m->u.done.agency = strdup(s_opt(argc, argv, "--agency", "bhxh"));
		m->u.done.status = strdup(s_opt(argc, argv, "--status", "rejected"));
		if (s_opt(argc, argv, "--code", NULL) != NULL)
			m->u.done.code = strdup(s_opt(argc, argv, "--code", NULL));
		return 0;
	}
	if (strcmp(type, "ctl") == 0) {
		m->type = MSG_T_CTL_REQ;
		m->u.req.cmd = strdup(s_opt(argc, argv, "--cmd", "status"));
		m->u.req.args = calloc(MAX_ARGS, sizeof(char *));
		for (int i = 3; i + 1 < argc && m->u.req.nargs < MAX_ARGS; i++)
			if (strcmp(argv[i], "--arg") == 0)
				m->u.req.args[m->u.req.nargs++] = strdup(argv[i + 1]);
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	void *ctx, *s;
	int linger = 60000, sndto, count, acked = 0, rc = 0;
	uint64_t first;
	msg_t m;

	if (argc < 3 || s_build(argc, argv, &m) != 0) {
		fprintf(stderr, "usage: zforge ENDPOINT batch|end|ack|events|done|ctl [OPTIONS] (see the source)\n");
		return 2;
	}
	count = atoi(s_opt(argc, argv, "--count", "1"));
	first = strtoull(s_opt(argc, argv, "--id", "0"), NULL, 10);
	if (first == 0)
		first = (uint64_t)time(NULL) * 1000000;
	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	linger = atoi(s_opt(argc, argv, "--linger-ms", "60000"));
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	/* a peer that refuses the handshake leaves no pipe to queue on: a send
	 * would wait for ever */
	sndto = atoi(s_opt(argc, argv, "--send-timeout-ms", "10000"));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &sndto, sizeof(sndto));
	if (s_opt(argc, argv, "--curve-key", NULL) != NULL) {
		unsigned char pub[32], sec[32], server[32];
		const char *sk = s_opt(argc, argv, "--server-key", "");
		char why[600] = "the server key is 40 Z85 characters";

		if (curve_key_read(s_opt(argc, argv, "--curve-key", NULL), pub, sec, why, sizeof(why)) != 0 ||
		    strlen(sk) != 40 || zmq_z85_decode(server, sk) == NULL) {
			fprintf(stderr, "zforge: --curve-key/--server-key: %s\n", why);
			return 2;
		}
		zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32);
		zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32);
		zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32);
	}
	if (zmq_connect(s, argv[1]) != 0) {
		fprintf(stderr, "zforge: cannot connect %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
		return 1;
	}
	for (int i = 0; i < count; i++) {
		char *buf;
		size_t len;

		m.id = first + (uint64_t)i;
		if (msg_encode(&m, &buf, &len) != 0) {
			fprintf(stderr, "zforge: the message does not encode\n");
			return 1;
		}
		if (zmq_send(s, buf, len, 0) < 0) {
			fprintf(stderr, "zforge: %s\n", zmq_strerror(zmq_errno()));
			rc = 1;
		}
		free(buf);
	}
	if (s_flag(argc, argv, "--wait-acks") || m.type == MSG_T_CTL_REQ) {
		int timeout = atoi(s_opt(argc, argv, "--ack-timeout-ms", "10000"));

		zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
		while (acked < count) {
			char buf[65536], err[160];
			int n = zmq_recv(s, buf, sizeof(buf), 0);
			msg_t a;

			if (n < 0)
				break;
			if (msg_decode(buf, (size_t)(n > (int)sizeof(buf) ? (int)sizeof(buf) : n), &a, err, sizeof(err)) != 0)
				continue;
			if (a.type == MSG_T_ACK)
				acked += (int)a.u.ack.nids;
			else if (a.type == MSG_T_CTL_REP) {
				printf("%s", a.u.rep.body);
				acked++;
				rc = (int)a.u.rep.code;
			}
			msg_free(&a);
		}
		if (acked < count) {
			fprintf(stderr, "zforge: %d of %d acknowledged\n", acked, count);
			rc = 1;
		}
	}
	if (atoi(s_opt(argc, argv, "--hold-ms", "0")) > 0) {
		struct timespec ts = { atoi(s_opt(argc, argv, "--hold-ms", "0")) / 1000,
			(long)(atoi(s_opt(argc, argv, "--hold-ms", "0")) % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	msg_free(&m);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}
