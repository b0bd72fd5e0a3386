/* send - one delivery attempt over SMTP (libcurl: STARTTLS or TLS by URL,
 * AUTH when a user is set), HTTP POST with an HMAC-SHA256 signature, or
 * files. The network attempts run on a delivery thread (deliver.c) with that
 * thread's own libcurl handles; each has a connect, a total and a reply
 * timeout, and stops within a second when the thread is told to stop. The
 * outcome says whether trying again can help: an SMTP 5xx reply and an HTTP
 * 4xx other than 408 and 429 are refusals (permanent), anything else is
 * transient. */
#include "alert.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
	const char *data;
	size_t len, off;
} s_reader_t;

/* s_read - libcurl's upload callback over a buffer. */
static size_t
s_read(char *buf, size_t size, size_t nitems, void *arg)
{
	s_reader_t *r = arg;
	size_t n = size * nitems;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

/* s_discard - ignore a response body. */
static size_t
s_discard(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

/* s_reply - libcurl's debug callback: keep the server's last 4xx/5xx reply
 * line (never anything the client sent, so never a password), control
 * characters made spaces, in the buffer arg (SEND_REPLY_MAX bytes). */
static int
s_reply(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	char *out = arg;
	size_t n = 0;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size < 3 || (data[0] != '4' && data[0] != '5'))
		return 0;
	while (n < size && n + 1 < SEND_REPLY_MAX && data[n] != '\r' && data[n] != '\n') {
		out[n] = (unsigned char)data[n] < 0x20 || data[n] == 0x7f ? ' ' : data[n];
		n++;
	}
	out[n] = '\0';
	return 0;
}

/* s_open_socket - libcurl's socket, remembered so that a stop can shut it down. */
static curl_socket_t
s_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	send_ctx_t *x = arg;
	curl_socket_t fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd != CURL_SOCKET_BAD)
		x->sock = fd;
	return fd;
}

/* s_close_socket - libcurl is done with its socket. */
static int
s_close_socket(void *arg, curl_socket_t fd)
{
	send_ctx_t *x = arg;

	if (x->sock == fd)
		x->sock = CURL_SOCKET_BAD;
	return close(fd);
}

/* s_perform - run the easy handle through the thread's multi handle until it
 * is done or *stop is set (then CURLE_ABORTED_BY_CALLBACK). On a stop the
 * socket is shut down first: otherwise libcurl would say QUIT to a server
 * that may never answer, and wait for it. */
static CURLcode
s_perform(send_ctx_t *x)
{
	CURLcode rc = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left;

	x->sock = CURL_SOCKET_BAD;
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, s_open_socket);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETFUNCTION, s_close_socket);
	curl_easy_setopt(x->easy, CURLOPT_CLOSESOCKETDATA, x);
	if (curl_multi_add_handle(x->multi, x->easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (atomic_load(x->stop)) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(x->multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		/* at most a second at a time, so that a stop is seen; curl_multi_wakeup ends it at once */
		if (running && curl_multi_poll(x->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
	}
	while (!running && (msg = curl_multi_info_read(x->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == x->easy)
			rc = msg->data.result;
	if (rc == CURLE_ABORTED_BY_CALLBACK && x->sock != CURL_SOCKET_BAD)
		shutdown(x->sock, SHUT_RDWR);
	curl_multi_remove_handle(x->multi, x->easy);
	return rc;
}

/* send_smtp_outcome - a 5xx reply is a refusal; no reply or any other is transient. */
int
send_smtp_outcome(CURLcode rc, long code)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return SEND_ABORTED;
	if (rc == CURLE_OK)
		return SEND_OK;
	return code >= 500 && code <= 599 ? SEND_PERMANENT : SEND_TRANSIENT;
}

/* send_http_outcome - 2xx sent; 4xx but 408 and 429 refused; else transient. */
int
send_http_outcome(CURLcode rc, long status)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return SEND_ABORTED;
	if (rc != CURLE_OK)
		return SEND_TRANSIENT;
	if (status >= 200 && status <= 299)
		return SEND_OK;
	return status >= 400 && status <= 499 && status != 408 && status != 429 ? SEND_PERMANENT : SEND_TRANSIENT;
}

/* send_smtp - MAIL FROM, RCPT TO, DATA. */
int
send_smtp(send_ctx_t *x, const send_smtp_conf_t *c, const char *rcpt, const char *message, char *err, size_t errsz)
{
	CURL *h = x->easy;
	struct curl_slist *to = curl_slist_append(NULL, rcpt);
	s_reader_t r = { message, strlen(message), 0 };
	char from[300], ebuf[CURL_ERROR_SIZE] = "", reply[SEND_REPLY_MAX] = "";
	long code = 0;
	CURLcode rc;
	int outcome;

	if (to == NULL) {
		snprintf(err, errsz, "out of memory");
		return SEND_TRANSIENT;
	}
	curl_easy_reset(h);
	snprintf(from, sizeof(from), "<%s>", c->from);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, s_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &r);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L); /* one session per e-mail, as a new handle would */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* only to s_reply, which keeps the server's refusal */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, s_reply);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, reply);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	/* also bounds the wait for the reply to the end of DATA (default 120 s) */
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)((c->timeout_ms + 999) / 1000));
	if (strncmp(c->url, "smtps:", 6) != 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, c->starttls == 2 ? (long)CURLUSESSL_ALL
		    : c->starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	if (c->ca_file != NULL) /* verification stays on: only the trusted CAs change */
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->user != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
	}
	rc = s_perform(x);
	if (rc != CURLE_OK && rc != CURLE_ABORTED_BY_CALLBACK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	outcome = send_smtp_outcome(rc, code);
	if (outcome == SEND_ABORTED)
		snprintf(err, errsz, "interrupted: the worker stopped");
	else if (outcome != SEND_OK && reply[0] != '\0')
		snprintf(err, errsz, "%s%s", reply, send_smtp_hint(rc, code, c->starttls));
	else if (outcome != SEND_OK)
		snprintf(err, errsz, "%s%s", ebuf[0] ? ebuf : curl_easy_strerror(rc), send_smtp_hint(rc, code, c->starttls));
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(to);
	return outcome;
}

/* send_smtp_hint - what an operator can do about a failed SMTP attempt,
 * as a "; ..." suffix for the error (status, log, dead-letter notice), or "". */
const char *
send_smtp_hint(int rc, long code, int starttls)
{
	switch (rc) {
	case CURLE_USE_SSL_FAILED:
		return starttls == 2 ? "; the server offers no STARTTLS and smtp.starttls is 'required': use a relay"
		    " with TLS, or for a relay on this host set smtp.starttls: off (or BHXH_SMTP_STARTTLS=off)" : "";
	case CURLE_LOGIN_DENIED:
		return "; the server refused the login: check BHXH_SMTP_USER and BHXH_SMTP_PASSWORD";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "; the server's certificate is not trusted: check its name in smtp.url, or give its CA in"
		    " smtp.ca_file";
	case CURLE_SSL_CONNECT_ERROR:
		return "; the TLS handshake failed: the server's certificate may not be trusted (give its CA in"
		    " smtp.ca_file), or the port may not speak STARTTLS (smtp://, often 587) or TLS (smtps://, often 465)";
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
		return "; the mail server cannot be reached: check smtp.url (BHXH_SMTP_URL) and the network";
	default:
		break;
	}
	if (code == 530 || code == 535 || code == 534)
		return "; the server wants a login it did not get or refused: check BHXH_SMTP_USER and BHXH_SMTP_PASSWORD";
	if (code >= 550 && code <= 553)
		return "; the server refused the recipient or the sender: check the address in alerting.yaml and"
		    " smtp.from";
	return "";
}

/* send_webhook - POST body as JSON with X-BHXH-Signature: sha256=HEX; 2xx is success. */
int
send_webhook(send_ctx_t *x, const char *url, const char *secret, long long timeout_ms, const char *body,
    long long nid, char *err, size_t errsz)
{
	CURL *h = x->easy;
	struct curl_slist *hdr = NULL;
	char line[200], mac[65], ebuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	int outcome;

	curl_easy_reset(h);
	hdr = curl_slist_append(hdr, "Content-Type: application/json; charset=utf-8");
	snprintf(line, sizeof(line), "X-BHXH-Notice: %lld", nid);
	hdr = curl_slist_append(hdr, line);
	if (secret != NULL && format_hmac_hex(secret, body, strlen(body), mac) == 0) {
		snprintf(line, sizeof(line), "X-BHXH-Signature: sha256=%s", mac);
		hdr = curl_slist_append(hdr, line);
	}
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = s_perform(x);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	outcome = send_http_outcome(rc, status);
	if (outcome == SEND_ABORTED)
		snprintf(err, errsz, "interrupted: the worker stopped");
	else if (rc != CURLE_OK)
		snprintf(err, errsz, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	else if (outcome != SEND_OK)
		snprintf(err, errsz, "HTTP status %ld", status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
	return outcome;
}

/* send_files - the CSV list (if any), the JSON and the text twin, each atomically. */
int
send_files(const char *dir, long long nid, const char *json, const char *text, const char *csv, char *err,
    size_t errsz)
{
	char path[4200];

	if (fs_mkdirs(dir) != 0) {
		snprintf(err, errsz, "cannot create %s", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%06lld.csv", dir, nid);
	if (csv != NULL && csv[0] != '\0' && fs_write_atomic(path, csv, strlen(csv)) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%06lld.txt", dir, nid);
	if (fs_write_atomic(path, text, strlen(text)) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%06lld.json", dir, nid);
	if (fs_write_atomic(path, json, strlen(json)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errsz, "cannot write %s", path);
	return -1;
}
