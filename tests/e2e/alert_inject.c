/* alert_inject - send finding events to a running alert worker through its
 * real ROUTER socket, as the aggregate worker does, and wait until they are
 * acknowledged (stored). For the end-to-end alert tests only.
 *
 *   alert_inject VAR_DIR < events.tsv
 * One event per line, tab-separated: kind subject org_unit period severity
 * state name value threshold; in name, \r \n \t and \\ are unescaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bus.h"
#include "msg.h"
#include "outbox.h"

/* s_unescape - \r \n \t \\ in place. */
static void
s_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*o++ = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int
main(int argc, char **argv)
{
	msg_t m = { .version = MSG_VERSION, .type = MSG_T_EVENTS };
	msg_event_t ev[256];
	char line[4096], ep[300];
	const char *eps[1];
	void *ctx, *sock;
	int n = 0, rc = 1;
	int64_t deadline, next = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: alert_inject VAR_DIR < events.tsv\n");
		return 2;
	}
	while (n < 256 && fgets(line, sizeof(line), stdin) != NULL) {
		char *f[9], *save = NULL;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, "\t", &save); t != NULL && k < 9; t = strtok_r(NULL, "\t", &save))
			f[k++] = strcmp(t, "-") == 0 ? "" : t;
		if (k != 9)
			continue;
		ev[n] = (msg_event_t){ strdup(f[0]), strdup(f[1]), strdup(f[2]), strdup(f[3]), strdup(f[4]),
			strdup(f[5]), strdup(f[6]), atof(f[7]), atof(f[8]) };
		s_unescape(ev[n].name);
		n++;
	}
	m.id = (uint64_t)time(NULL) * 1000000u + (uint64_t)(clock() & 0xfffff);
	m.u.events.nevents = (uint32_t)n;
	m.u.events.events = ev;
	ctx = zmq_ctx_new();
	bus_endpoint(ep, sizeof(ep), argv[1], "alert");
	eps[0] = ep;
	sock = bus_dealer_connect(ctx, eps, 1);
	deadline = now_ms() + 20000;
	while (sock != NULL && now_ms() < deadline) {
		zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
		char *buf = NULL, err[100];
		size_t len = 0;
		msg_t a;

		if (now_ms() >= next) {
			bus_send_msg(sock, NULL, 0, &m);
			next = now_ms() + 1000;
		}
		if (zmq_poll(&it, 1, 100) <= 0 || bus_recv_raw(sock, 0, NULL, NULL, &buf, &len) <= 0)
			continue;
		if (msg_decode(buf, len, &a, err, sizeof(err)) == 0) {
			if (a.type == MSG_T_ACK && a.u.ack.nids > 0 && a.u.ack.ids[0] == m.id)
				rc = 0;
			msg_free(&a);
		}
		free(buf);
		if (rc == 0)
			break;
	}
	if (rc != 0)
		fprintf(stderr, "alert_inject: no acknowledgement from %s\n", ep);
	for (int i = 0; i < n; i++) {
		free(ev[i].kind); free(ev[i].subject); free(ev[i].org_unit); free(ev[i].period);
		free(ev[i].severity); free(ev[i].state); free(ev[i].name);
	}
	if (sock != NULL)
		zmq_close(sock);
	zmq_ctx_term(ctx);
	return rc;
}
