/* send - one delivery attempt over SMTP (libcurl: STARTTLS or TLS by URL,
 * AUTH when a user is set), HTTP POST with an HMAC-SHA256 signature, or
 * files. Every network call has a connect and a total timeout, so an
 * attempt never holds the worker's poll loop for longer than that. */
#include "alert.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

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

/* send_smtp - MAIL FROM, RCPT TO each, DATA. */
int
send_smtp(const cfg_alert_t *c, char *const *to, int nto, const char *message, char *err, size_t errsz)
{
	CURL *h = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	s_reader_t r = { message, strlen(message), 0 };
	char from[300], ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (h == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", c->smtp.from);
	for (int i = 0; i < nto; i++)
		rcpt = curl_slist_append(rcpt, to[i]);
	curl_easy_setopt(h, CURLOPT_URL, c->smtp.url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, s_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &r);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->smtp.timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->smtp.timeout_ms);
	/* also bounds the wait for the reply to the end of DATA (default 120 s) */
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)((c->smtp.timeout_ms + 999) / 1000));
	if (strncmp(c->smtp.url, "smtps:", 6) != 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, c->smtp.starttls == 2 ? (long)CURLUSESSL_ALL
		    : c->smtp.starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	if (c->smtp.ca_file != NULL) /* verification stays on: only the trusted CAs change */
		curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp.ca_file);
	if (c->smtp.user != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp.user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp.password != NULL ? c->smtp.password : "");
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errsz, "smtp: %s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

/* send_webhook - POST body as JSON with X-BHXH-Signature: sha256=HEX; 2xx is success. */
int
send_webhook(const cfg_receiver_t *r, const char *body, long long nid, char *err, size_t errsz)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char line[200], mac[65], ebuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;

	if (h == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json; charset=utf-8");
	snprintf(line, sizeof(line), "X-BHXH-Notice: %lld", nid);
	hdr = curl_slist_append(hdr, line);
	if (r->webhook_secret != NULL && format_hmac_hex(r->webhook_secret, body, strlen(body), mac) == 0) {
		snprintf(line, sizeof(line), "X-BHXH-Signature: sha256=%s", mac);
		hdr = curl_slist_append(hdr, line);
	}
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, r->webhook_url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->webhook_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->webhook_timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		snprintf(err, errsz, "webhook: %s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		snprintf(err, errsz, "webhook: HTTP status %ld", status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc == CURLE_OK && status >= 200 && status <= 299 ? 0 : -1;
}

/* send_files - the JSON and the text twin, each atomically. */
int
send_files(const char *dir, long long nid, const char *json, const char *text, char *err, size_t errsz)
{
	char path[4200];

	if (fs_mkdirs(dir) != 0) {
		snprintf(err, errsz, "cannot create %s", dir);
		return -1;
	}
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
