/* deliver - the delivery threads: one per network channel (e-mail, webhook),
 * each with its own libcurl easy and multi handles. A thread does nothing
 * but the attempt: it never touches SQLite, the sockets or the
 * configuration. The worker's main thread hands it a job holding copies of
 * everything the attempt needs, over a queue guarded by a mutex and a
 * condition variable; the thread puts the finished job on the results list
 * and writes to an eventfd that the worker's poll loop watches. */
#include "alert.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

typedef struct {
	struct deliver *d;
	int channel;          /* DELIVER_EMAIL or DELIVER_WEBHOOK */
	pthread_t thread;
	int started;
	pthread_cond_t cv;    /* a job was queued, or stop */
	deliver_job_t *head, *tail;
	CURL *easy;
	CURLM *multi;
} s_chan_t;

struct deliver {
	pthread_mutex_t mu;   /* guards the queues and the results */
	s_chan_t chan[DELIVER_NCHAN];
	deliver_job_t *done_head, *done_tail;
	int efd;
	atomic_int stop;
	send_smtp_conf_t smtp;
};

/* s_dup - strdup that keeps NULL. */
static char *
s_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* s_append - add job at the tail of a list. */
static void
s_append(deliver_job_t **head, deliver_job_t **tail, deliver_job_t *job)
{
	job->next = NULL;
	if (*tail != NULL)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
}

/* s_run - a delivery thread: take a job, attempt it, hand back the result. */
static void *
s_run(void *arg)
{
	s_chan_t *ch = arg;
	struct deliver *d = ch->d;
	send_ctx_t x = { ch->easy, ch->multi, &d->stop, CURL_SOCKET_BAD };

	for (;;) {
		deliver_job_t *job;
		uint64_t one = 1;

		pthread_mutex_lock(&d->mu);
		while (ch->head == NULL && !atomic_load(&d->stop))
			pthread_cond_wait(&ch->cv, &d->mu);
		if (atomic_load(&d->stop)) {
			pthread_mutex_unlock(&d->mu);
			return NULL;
		}
		job = ch->head;
		ch->head = job->next;
		if (ch->head == NULL)
			ch->tail = NULL;
		pthread_mutex_unlock(&d->mu);
		job->err[0] = '\0';
		if (job->channel == DELIVER_EMAIL)
			job->result = send_smtp(&x, &d->smtp, job->rcpt, job->body, job->err, sizeof(job->err));
		else
			job->result = send_webhook(&x, job->url, job->secret, job->timeout_ms, job->body, job->nid,
			    job->err, sizeof(job->err));
		pthread_mutex_lock(&d->mu);
		s_append(&d->done_head, &d->done_tail, job);
		pthread_mutex_unlock(&d->mu);
		while (write(d->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
}

/* deliver_start - copy the SMTP settings, make each thread's handles, start
 * the threads with every signal blocked (signals stay the main thread's). */
deliver_t *
deliver_start(const cfg_alert_t *c)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	sigset_t all, old;
	int rc = 0;

	d->smtp = (send_smtp_conf_t){ s_dup(c->smtp.url), s_dup(c->smtp.user), s_dup(c->smtp.password),
		s_dup(c->smtp.from), s_dup(c->smtp.ca_file), c->smtp.starttls, c->smtp.timeout_ms };
	atomic_init(&d->stop, 0);
	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&d->mu, NULL);
	for (int i = 0; i < DELIVER_NCHAN; i++) {
		s_chan_t *ch = &d->chan[i];

		ch->d = d;
		ch->channel = i;
		pthread_cond_init(&ch->cv, NULL);
		ch->easy = curl_easy_init();
		ch->multi = curl_multi_init();
	}
	if (d->efd < 0) {
		log_error("cannot make the delivery threads' eventfd: %s", strerror(errno));
		deliver_free(&d);
		return NULL;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < DELIVER_NCHAN && rc == 0; i++) {
		s_chan_t *ch = &d->chan[i];

		if (ch->easy == NULL || ch->multi == NULL)
			rc = ENOMEM;
		else if ((rc = pthread_create(&ch->thread, NULL, s_run, ch)) == 0)
			ch->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start the delivery threads: %s", strerror(rc));
		deliver_stop(d);
		deliver_free(&d);
		return NULL;
	}
	return d;
}

/* deliver_fd - readable while finished jobs wait. */
int
deliver_fd(const deliver_t *d)
{
	return d != NULL ? d->efd : -1;
}

/* deliver_submit - queue job for its channel's thread, which owns it until
 * deliver_results hands it back. */
void
deliver_submit(deliver_t *d, deliver_job_t *job)
{
	s_chan_t *ch = &d->chan[job->channel];

	pthread_mutex_lock(&d->mu);
	s_append(&ch->head, &ch->tail, job);
	pthread_cond_signal(&ch->cv);
	pthread_mutex_unlock(&d->mu);
}

/* deliver_results - the finished jobs, oldest first (a list through next),
 * and the eventfd cleared. */
deliver_job_t *
deliver_results(deliver_t *d)
{
	deliver_job_t *list;
	uint64_t n;

	while (read(d->efd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&d->mu);
	list = d->done_head;
	d->done_head = d->done_tail = NULL;
	pthread_mutex_unlock(&d->mu);
	return list;
}

/* deliver_stop - interrupt the attempts in progress (they end SEND_ABORTED)
 * and join the threads; jobs still queued are never attempted. */
void
deliver_stop(deliver_t *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	atomic_store(&d->stop, 1);
	for (int i = 0; i < DELIVER_NCHAN; i++)
		pthread_cond_signal(&d->chan[i].cv);
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < DELIVER_NCHAN; i++) {
		if (d->chan[i].multi != NULL)
			curl_multi_wakeup(d->chan[i].multi);
		if (d->chan[i].started)
			pthread_join(d->chan[i].thread, NULL);
		d->chan[i].started = 0;
	}
}

/* deliver_job_free - a job and its copies. */
void
deliver_job_free(deliver_job_t *job)
{
	if (job == NULL)
		return;
	free(job->rcpt);
	free(job->body);
	free(job->url);
	free(job->secret);
	free(job->receiver);
	free(job);
}

/* deliver_free - after deliver_stop: free the handles, the queued and
 * finished jobs not taken, and the settings. */
void
deliver_free(deliver_t **dp)
{
	struct deliver *d = *dp;

	if (d == NULL)
		return;
	for (int i = 0; i < DELIVER_NCHAN; i++) {
		s_chan_t *ch = &d->chan[i];

		while (ch->head != NULL) {
			deliver_job_t *next = ch->head->next;

			deliver_job_free(ch->head);
			ch->head = next;
		}
		if (ch->multi != NULL)
			curl_multi_cleanup(ch->multi);
		if (ch->easy != NULL)
			curl_easy_cleanup(ch->easy);
		pthread_cond_destroy(&ch->cv);
	}
	while (d->done_head != NULL) {
		deliver_job_t *next = d->done_head->next;

		deliver_job_free(d->done_head);
		d->done_head = next;
	}
	pthread_mutex_destroy(&d->mu);
	if (d->efd >= 0)
		close(d->efd);
	free(d->smtp.url);
	free(d->smtp.user);
	free(d->smtp.password);
	free(d->smtp.from);
	free(d->smtp.ca_file);
	free(d);
	*dp = NULL;
}
