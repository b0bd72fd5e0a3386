/* alert_inject - send finding events to a running alert worker through its
 * real ROUTER socket, as the aggregate worker does, and wait until they are
 * acknowledged (stored). For the end-to-end alert tests only.
 *
 *   alert_inject [--time] VAR_DIR < events.tsv
 * One event per line, tab-separated: kind subject org_unit period severity
 * state name value threshold, optionally followed by since reason amount
 * workers ("-" for an empty field); in subject and name,
 * \r \n \t and \\ are unescaped. A line "seq N" starts a new EVENTS message
 * whose change number is N (the aggregate's seq); events before any such line
 * go in one message with seq 0. Every message is sent, resent each second
 * until acknowledged, and the program waits (20 s at most) until all are.
 * With --time it prints "acked in N ms": from the first send that the socket
 * took (once connected) to the last acknowledgement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bus.h"
#include "msg.h"
#include "outbox.h"
#include "xalloc.h"

#define MAX_MSGS 256

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

/* s_new_msg - the next EVENTS message, with change number seq. */
static msg_t *
s_new_msg(msg_t *msgs, int *n, uint64_t seq, uint64_t base)
{
	msg_t *m;

	if (*n == MAX_MSGS) {
		fprintf(stderr, "alert_inject: more than %d messages\n", MAX_MSGS);
		exit(2);
	}
	m = &msgs[(*n)++];
	*m = (msg_t){ .version = MSG_VERSION, .type = MSG_T_EVENTS, .id = base + (uint64_t)*n };
	m->u.events.seq = seq;
	return m;
}

/* s_read - the messages on stdin; returns how many. */
static int
s_read(msg_t *msgs, uint64_t base)
{
	char line[4096];
	msg_t *cur = NULL;
	int n = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[13], *save = NULL;
		msg_events_t *e;
		int k = 0;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "seq", 3) == 0 && (line[3] == ' ' || line[3] == '\t')) {
			cur = s_new_msg(msgs, &n, strtoull(line + 4, NULL, 10), base);
			continue;
		}
		for (char *t = strtok_r(line, "\t", &save); t != NULL && k < 13; t = strtok_r(NULL, "\t", &save))
			f[k++] = strcmp(t, "-") == 0 ? "" : t;
		if (k < 9)
			continue;
		if (cur == NULL)
			cur = s_new_msg(msgs, &n, 0, base);
		e = &cur->u.events;
		e->events = xrealloc(e->events, (e->nevents + 1) * sizeof(*e->events));
		e->events[e->nevents] = (msg_event_t){ xstrdup(f[0]), xstrdup(f[1]), xstrdup(f[2]), xstrdup(f[3]),
			xstrdup(f[4]), xstrdup(f[5]), xstrdup(f[6]), atof(f[7]), atof(f[8]), xstrdup(k > 9 ? f[9] : ""),
			xstrdup(k > 10 ? f[10] : ""), k > 11 ? atof(f[11]) : 0, k > 12 ? atof(f[12]) : 0 };
		s_unescape(e->events[e->nevents].subject);
		s_unescape(e->events[e->nevents].name);
		e->nevents++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	static msg_t msgs[MAX_MSGS];
	int acked[MAX_MSGS] = { 0 };
	char ep[300];
	const char *eps[1], *var;
	void *ctx, *sock;
	int n, left, timing = argc == 3 && strcmp(argv[1], "--time") == 0;
	int64_t deadline, next = 0, start = 0, last = 0;

	if (argc != 2 && !timing) {
		fprintf(stderr, "usage: alert_inject [--time] VAR_DIR < events.tsv\n");
		return 2;
	}
	var = argv[argc - 1];
	n = s_read(msgs, (uint64_t)time(NULL) * 1000000u + (uint64_t)(clock() & 0xfffff) * 256u);
	left = n;
	ctx = zmq_ctx_new();
	bus_endpoint(ep, sizeof(ep), var, "alert");
	eps[0] = ep;
	sock = bus_dealer_connect(ctx, eps, 1);
	deadline = now_ms() + 20000;
	while (sock != NULL && left > 0 && now_ms() < deadline) {
		zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
		char *buf = NULL, err[100];
		size_t len = 0;
		msg_t a;

		if (now_ms() >= next) {
			int sent = 1;

			for (int i = 0; i < n && sent; i++)
				if (!acked[i])
					sent = bus_send_msg(sock, NULL, 0, &msgs[i]) == 0;
			/* not connected yet: try again soon; else resend what is unacknowledged each second */
			if (sent && start == 0)
				start = now_ms();
			next = now_ms() + (sent ? 1000 : 20);
		}
		if (zmq_poll(&it, 1, 20) <= 0 || bus_recv_raw(sock, 0, NULL, NULL, &buf, &len) <= 0)
			continue;
		if (msg_decode(buf, len, &a, err, sizeof(err)) == 0) {
			for (uint32_t k = 0; a.type == MSG_T_ACK && k < a.u.ack.nids; k++)
				for (int i = 0; i < n; i++)
					if (!acked[i] && msgs[i].id == a.u.ack.ids[k]) {
						acked[i] = 1;
						left--;
						last = now_ms();
					}
			msg_free(&a);
		}
		free(buf);
	}
	if (left > 0)
		fprintf(stderr, "alert_inject: %d of %d messages not acknowledged by %s\n", left, n, ep);
	else if (timing)
		printf("acked in %lld ms\n", (long long)(last - start));
	for (int i = 0; i < n; i++)
		msg_free(&msgs[i]);
	if (sock != NULL)
		zmq_close(sock);
	zmq_ctx_term(ctx);
	return left > 0;
}
