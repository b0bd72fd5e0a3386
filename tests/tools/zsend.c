/* zsend - test utility: send the bytes of each FILE argument as one ZeroMQ
 * message from a DEALER connected to ENDPOINT, and wait until each is sent.
 * Used by the end-to-end tests to throw garbage at a worker's socket.
 *
 *   zsend ENDPOINT FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

int
main(int argc, char **argv)
{
	void *ctx, *s;
	int linger = 2000, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: zsend ENDPOINT FILE...\n");
		return 2;
	}
	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(s, argv[1]) != 0) {
		fprintf(stderr, "zsend: cannot connect %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char *buf = NULL;
		size_t len = 0, cap = 0, n;
		char chunk[65536];

		if (f == NULL) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			if (len + n > cap) {
				cap = (len + n) * 2;
				buf = realloc(buf, cap);
			}
			for (size_t k = 0; k < n; k++)
				buf[len + k] = chunk[k];
			len += n;
		}
		fclose(f);
		if (zmq_send(s, buf ? buf : "", len, 0) < 0) {
			fprintf(stderr, "zsend: %s\n", zmq_strerror(zmq_errno()));
			rc = 1;
		}
		free(buf);
	}
	zmq_close(s); /* linger: the queued messages go out before the context ends */
	zmq_ctx_term(ctx);
	return rc;
}
