/* curve - CURVE key files and the ZAP handler (see curve.h). */
#include "curve.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_MAX_DOMAINS 4
#define S_KEYFILE_MAX 4096

/* s_z85_field - the quoted Z85 value after "NAME =" in text into out (32
 * bytes); 0 or -1. */
static int
s_z85_field(const char *text, const char *field, unsigned char *out)
{
	const char *p = text;
	size_t fl = strlen(field);

	while ((p = strstr(p, field)) != NULL) {
		const char *q = p + fl;
		char z[41];

		if (p != text && p[-1] != '\n') {
			p = q;
			continue;
		}
		q += strspn(q, " \t");
		if (*q++ != '=')
			return -1;
		q += strspn(q, " \t");
		if (*q++ != '"' || strlen(q) < 41 || q[40] != '"')
			return -1;
		memcpy(z, q, 40);
		z[40] = '\0';
		return zmq_z85_decode(out, z) != NULL ? 0 : -1;
	}
	return -1;
}

int
curve_key_read(const char *path, unsigned char *pub, unsigned char *sec, char *why, size_t whysz)
{
	char text[S_KEYFILE_MAX + 1], zs[41], zp[41], zstated[41];
	unsigned char stated[32];
	struct stat st;
	ssize_t n;
	/* O_NONBLOCK: a FIFO put in a key's place must not hold the worker
	 * waiting for a writer; it is refused below like any other non-file */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0) {
		snprintf(why, whysz, "%s: %s (make one with `bhxhctl keygen`)", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, whysz, "%s: owned by user %u, not by this process's user (%u), who could replace the key;"
		    " refused: chown it", path, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(why, whysz, "%s: a secret key that its group or others may use (mode %03o); refused:"
		    " run `chmod 600 %s`", path, (unsigned)(st.st_mode & 0777), path);
		close(fd);
		return -1;
	}
	n = read(fd, text, S_KEYFILE_MAX);
	close(fd);
	if (n < 0) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return -1;
	}
	text[n] = '\0';
	if (s_z85_field(text, "secret-key", sec) != 0) {
		snprintf(why, whysz, "%s: no secret-key = \"...\" line of 40 Z85 characters", path);
		return -1;
	}
	zmq_z85_encode(zs, sec, 32);
	if (zmq_curve_public(zp, zs) != 0 || zmq_z85_decode(pub, zp) == NULL) {
		snprintf(why, whysz, "%s: the secret key is not a CURVE key", path);
		return -1;
	}
	if (s_z85_field(text, "public-key", stated) == 0 && memcmp(stated, pub, 32) != 0) {
		zmq_z85_encode(zstated, stated, 32);
		snprintf(why, whysz, "%s: public-key %s does not belong to its secret key (that is %s)", path, zstated, zp);
		return -1;
	}
	memset(zs, 0, sizeof(zs));
	return 0;
}

int
curve_key_write(const char *path, const char *name, char *pub_z85, char *why, size_t whysz)
{
	char sec[41], text[512];
	time_t now = time(NULL);
	struct tm tm;
	int fd, len;

	if (zmq_curve_keypair(pub_z85, sec) != 0) {
		snprintf(why, whysz, "cannot make a key pair: %s", zmq_strerror(errno));
		return -1;
	}
	gmtime_r(&now, &tm);
	len = snprintf(text, sizeof(text), "# CURVE key of %s, made %04d-%02d-%02d. Secret: keep it mode 0600,"
	    " readable by the pipeline's user only.\npublic-key = \"%s\"\nsecret-key = \"%s\"\n", name,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, pub_z85, sec);
	memset(sec, 0, sizeof(sec));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(why, whysz, "%s: %s%s", path, strerror(errno), errno == EEXIST ? " (a key is never overwritten:"
		    " move the old one away first)" : "");
		memset(text, 0, sizeof(text));
		return -1;
	}
	if (write(fd, text, (size_t)len) != len || fsync(fd) != 0) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		memset(text, 0, sizeof(text));
		return -1;
	}
	memset(text, 0, sizeof(text));
	return close(fd);
}

typedef struct {
	char name[32];
	unsigned char key[32];
} s_entry_t;

typedef struct {
	char domain[16];
	s_entry_t *e;
	int n;
} s_list_t;

struct zap {
	void *sock;
	pthread_t thread;
	atomic_int stop;
	atomic_uint_fast64_t refused;
	pthread_mutex_t mu;
	s_list_t lists[S_MAX_DOMAINS];
	int nlists;
	s_entry_t *known;
	int nknown;
	int64_t window;            /* log rate limit: at most 10 lines a minute */
	unsigned logged, quiet;
};

/* s_copy - n entries into a fresh array. */
static s_entry_t *
s_copy(const zap_entry_t *in, int n)
{
	s_entry_t *e = xcalloc((size_t)n + 1, sizeof(*e));

	for (int i = 0; i < n; i++) {
		snprintf(e[i].name, sizeof(e[i].name), "%s", in[i].name);
		memcpy(e[i].key, in[i].key, 32);
	}
	return e;
}

void
zap_set(zap_t *z, const char *domain, const zap_entry_t *allowed, int n)
{
	s_entry_t *e = s_copy(allowed, n), *old = NULL;
	int i;

	pthread_mutex_lock(&z->mu);
	for (i = 0; i < z->nlists; i++)
		if (strcmp(z->lists[i].domain, domain) == 0)
			break;
	if (i == z->nlists && z->nlists < S_MAX_DOMAINS)
		snprintf(z->lists[z->nlists++].domain, sizeof(z->lists[0].domain), "%s", domain);
	if (i < z->nlists) {
		old = z->lists[i].e;
		z->lists[i].e = e;
		z->lists[i].n = n;
	} else {
		old = e;
	}
	pthread_mutex_unlock(&z->mu);
	free(old);
}

void
zap_set_known(zap_t *z, const zap_entry_t *known, int m)
{
	s_entry_t *e = s_copy(known, m), *old;

	pthread_mutex_lock(&z->mu);
	old = z->known;
	z->known = e;
	z->nknown = m;
	pthread_mutex_unlock(&z->mu);
	free(old);
}

uint64_t
zap_refused(const zap_t *z)
{
	return z != NULL ? (uint64_t)atomic_load(&((zap_t *)z)->refused) : 0;
}

/* s_decide - the name of key if allowed on domain (into user), else 0 and
 * why into why. Caller holds no lock. */
static int
s_decide(zap_t *z, const char *domain, const unsigned char *key, char *user, size_t usersz, char *why,
    size_t whysz)
{
	int ok = 0;
	const char *known = NULL;

	pthread_mutex_lock(&z->mu);
	for (int i = 0; i < z->nlists && !ok; i++) {
		if (strcmp(z->lists[i].domain, domain) != 0)
			continue;
		for (int k = 0; k < z->lists[i].n; k++)
			if (memcmp(z->lists[i].e[k].key, key, 32) == 0) {
				snprintf(user, usersz, "%s", z->lists[i].e[k].name);
				ok = 1;
				break;
			}
	}
	if (!ok) {
		char zk[41];

		for (int k = 0; k < z->nknown; k++)
			if (memcmp(z->known[k].key, key, 32) == 0)
				known = z->known[k].name;
		zmq_z85_encode(zk, key, 32);
		if (known != NULL)
			snprintf(why, whysz, "the key of %.31s, which may not connect to the %.15s socket", known, domain);
		else
			snprintf(why, whysz, "key %.8s... is not listed in endpoints.curve.public", zk);
	}
	pthread_mutex_unlock(&z->mu);
	return ok;
}

/* s_log_refusal - at most 10 lines a minute, then a count. */
static void
s_log_refusal(zap_t *z, const char *address, const char *why)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec;
	if (now - z->window >= 60) {
		if (z->quiet > 0)
			log_warn("%u more connections refused without a log line in the last minute", z->quiet);
		z->window = now;
		z->logged = z->quiet = 0;
	}
	if (z->logged >= 10) {
		z->quiet++;
		return;
	}
	z->logged++;
	log_warn("refused a connection from %s: %s", address, why);
}

/* s_frame - receive one frame into buf (at most size bytes kept); its
 * length, or -1. *more says whether frames follow. */
static int
s_frame(void *s, char *buf, size_t size, int *more)
{
	size_t sz = sizeof(*more);
	int n = zmq_recv(s, buf, size, 0);

	if (n < 0)
		return -1;
	if (zmq_getsockopt(s, ZMQ_RCVMORE, more, &sz) != 0)
		*more = 0;
	return n > (int)size ? (int)size : n;
}

/* s_handle - one ZAP request and its reply. */
static void
s_handle(zap_t *z)
{
	char f[7][256] = { { 0 } }, user[64] = "", why[200] = "";
	int len[7] = { 0 }, nf = 0, more = 1, ok = 0;

	while (more && nf < 7) {
		if ((len[nf] = s_frame(z->sock, f[nf], sizeof(f[nf]) - 1, &more)) < 0)
			return;
		f[nf][len[nf]] = '\0';
		nf++;
	}
	while (more) { /* frames beyond the protocol */
		char junk[64];

		if (s_frame(z->sock, junk, sizeof(junk), &more) < 0)
			return;
	}
	if (nf == 7 && strcmp(f[0], "1.0") == 0 && strcmp(f[5], "CURVE") == 0 && len[6] == 32)
		ok = s_decide(z, f[2], (const unsigned char *)f[6], user, sizeof(user), why, sizeof(why));
	else
		snprintf(why, sizeof(why), "not a CURVE client (mechanism %.20s)", nf > 5 ? f[5] : "?");
	if (!ok) {
		atomic_fetch_add(&z->refused, 1);
		s_log_refusal(z, nf > 3 && f[3][0] ? f[3] : "an unknown address", why);
	}
	zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(z->sock, f[1], (size_t)len[1], ZMQ_SNDMORE);
	zmq_send(z->sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
	zmq_send(z->sock, ok ? "OK" : "not allowed", ok ? 2 : 11, ZMQ_SNDMORE);
	zmq_send(z->sock, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(z->sock, "", 0, 0);
}

/* s_run - the handler thread: answer until asked to stop. */
static void *
s_run(void *arg)
{
	zap_t *z = arg;

	while (!atomic_load(&z->stop)) {
		zmq_pollitem_t it = { z->sock, 0, ZMQ_POLLIN, 0 };

		if (zmq_poll(&it, 1, 100) > 0 && (it.revents & ZMQ_POLLIN))
			s_handle(z);
	}
	return NULL;
}

zap_t *
zap_start(void *ctx)
{
	zap_t *z = xcalloc(1, sizeof(*z));
	int linger = 0;

	pthread_mutex_init(&z->mu, NULL);
	z->sock = zmq_socket(ctx, ZMQ_REP);
	if (z->sock == NULL || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_bind(z->sock, S_ZAP_ENDPOINT) != 0) {
		log_error("cannot start the CURVE access check (%s): %s", S_ZAP_ENDPOINT, zmq_strerror(errno));
		goto fail;
	}
	if (pthread_create(&z->thread, NULL, s_run, z) != 0) {
		log_error("cannot start the CURVE access check thread");
		goto fail;
	}
	return z;
fail:
	if (z->sock != NULL)
		zmq_close(z->sock);
	pthread_mutex_destroy(&z->mu);
	free(z);
	return NULL;
}

void
zap_stop(zap_t **zp)
{
	zap_t *z = *zp;

	if (z == NULL)
		return;
	atomic_store(&z->stop, 1);
	pthread_join(z->thread, NULL);
	zmq_close(z->sock);
	for (int i = 0; i < z->nlists; i++)
		free(z->lists[i].e);
	free(z->known);
	pthread_mutex_destroy(&z->mu);
	free(z);
	*zp = NULL;
}
