/* supervise - start, watch and stop the workers of one var dir (see supervise.h).
 *
 * The supervisor forks each worker with exec (so ZeroMQ contexts and SQLite
 * handles are always created after the fork, in the child's own program),
 * sends its stdout/stderr to VAR/log/NAME.log, and restarts a worker that
 * exits unasked. A worker that dies within 2 seconds of its start is
 * restarted after a delay that doubles up to 30 seconds (as Postfix's master
 * throttles a failing service).
 *
 * One set of workers per var dir: the supervisor holds VAR/run/supervisor.lock
 * and each worker VAR/run/NAME.lock (fcntl locks, released by the kernel
 * when the process dies, whose holder's pid F_GETLK tells). Workers die with
 * their supervisor (PR_SET_PDEATHSIG); a new supervisor first stops any
 * worker still holding a lock of its var dir, and `down` stops every one. */
#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "curve.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"
#include "metrics_http.h"
#include "outbox.h"
#include "worker.h"
#include "xalloc.h"

#define MAX_CHILDREN 72
#define UP_TIMEOUT_MS 30000
#define STATUS_TIMEOUT_MS 2000 /* how long `status` waits for all the answers */

typedef struct {
	char prog[32];    /* bhxh-ingest ... */
	char name[48];    /* ingest, validate-2 ... */
	int instance;
	pid_t pid;
	int64_t started_ms;
	int64_t restart_at;
	int delay_ms;
	unsigned restarts;
	long last_exit;
	long long last_exit_at;
} s_child_t;

static volatile sig_atomic_t s_stop, s_chld, s_hup;

static void
s_on_term(int sig)
{
	(void)sig;
	s_stop = 1;
}

static void
s_on_chld(int sig)
{
	(void)sig;
	s_chld = 1;
}

static void
s_on_hup(int sig)
{
	(void)sig;
	s_hup = 1;
}

/* s_children - the workers the configuration asks for. */
static int
s_children(const config_t *c, s_child_t *ch)
{
	int n = 0, nv = c->validate.instances;

	ch[n++] = (s_child_t){ .prog = "bhxh-ingest", .name = "ingest" };
	for (int i = 1; i <= nv; i++) {
		ch[n] = (s_child_t){ .prog = "bhxh-validate", .instance = nv > 1 ? i : 0 };
		if (nv > 1)
			snprintf(ch[n].name, sizeof(ch[n].name), "validate-%d", i);
		else
			snprintf(ch[n].name, sizeof(ch[n].name), "validate");
		n++;
	}
	ch[n++] = (s_child_t){ .prog = "bhxh-aggregate", .name = "aggregate" };
	ch[n++] = (s_child_t){ .prog = "bhxh-alert", .name = "alert" };
	return n;
}

/* s_select - the workers of the configuration named in only ("ingest,validate",
 * NULL for all; "validate" names every instance, "validate-2" one) into ch,
 * in the configuration's order; their number, or -1 after saying why. */
static int
s_select(const config_t *c, const char *only, s_child_t *ch)
{
	s_child_t all[MAX_CHILDREN];
	int n = s_children(c, all), m = 0, pick[MAX_CHILDREN] = { 0 };
	char *copy, *tok, *save = NULL;

	if (only == NULL) {
		memcpy(ch, all, sizeof(all[0]) * (size_t)n);
		return n;
	}
	copy = xstrdup(only);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (int i = 0; i < n; i++)
			if (strcmp(all[i].name, tok) == 0 ||
			    (strcmp(tok, "validate") == 0 && strcmp(all[i].prog, "bhxh-validate") == 0))
				pick[i] = found = 1;
		if (!found) {
			fprintf(stderr, "bhxhctl: '%s' is not a worker of this configuration (", tok);
			for (int i = 0; i < n; i++)
				fprintf(stderr, "%s%s", i ? ", " : "", all[i].name);
			fprintf(stderr, ")\n");
			free(copy);
			return -1;
		}
	}
	free(copy);
	for (int i = 0; i < n; i++)
		if (pick[i])
			ch[m++] = all[i];
	if (m == 0)
		fprintf(stderr, "bhxhctl: --only names no worker\n");
	return m > 0 ? m : -1;
}

/* s_ask_t - one status request, asked from its own thread so that every
 * worker is asked at once and the whole takes one timeout at most. */
typedef struct {
	char ep[300];
	bus_curve_t cv;
	const unsigned char *server_key;
	int timeout_ms;
	int rc;
	int64_t code;
	char *body;
	char err[160];
	pthread_t th;
	int started;
} s_ask_t;

static void *
s_ask_thread(void *arg)
{
	s_ask_t *a = arg;

	a->rc = bus_request_curve(a->ep, &a->cv, a->server_key, "status", NULL, 0, a->timeout_ms, &a->code, &a->body,
	    a->err, sizeof(a->err));
	return NULL;
}

/* s_curve_for - for a tcp control address: the operator's key pair (the
 * file BHXH_OPERATOR_KEY names, else KEYS/operator.key) and the worker's
 * public key; 0, or -1 with why. Nothing to do for ipc. */
static int
s_curve_for(const config_t *c, const char *var, const char *worker, const char *ep, bus_curve_t *cv,
    const unsigned char **server, char *err, size_t errsz)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* the metrics server asks from its threads */
	static bus_curve_t cached;
	static int loaded;
	const cfg_peer_keys_t *pk;
	const char *env = getenv("BHXH_OPERATOR_KEY");
	char path[4200], why[600];

	*server = NULL;
	if (strncmp(ep, "tcp://", 6) != 0)
		return 0;
	if ((pk = cfg_peer_keys(c->endpoints, worker)) == NULL) {
		snprintf(err, errsz, "no key for %s in endpoints.curve.public", worker);
		return -1;
	}
	*server = pk->keys[0];
	pthread_mutex_lock(&lock);
	if (!loaded) {
		if (env != NULL && env[0] != '\0')
			snprintf(path, sizeof(path), "%s", env);
		else if (c->endpoints->keys_dir != NULL)
			snprintf(path, sizeof(path), "%s/operator.key", c->endpoints->keys_dir);
		else
			snprintf(path, sizeof(path), "%s/keys/operator.key", var);
		if (curve_key_read(path, cached.pub, cached.sec, why, sizeof(why)) != 0) {
			pthread_mutex_unlock(&lock);
			snprintf(err, errsz, "operator key: %s", why);
			return -1;
		}
		loaded = 1;
	}
	*cv = cached;
	pthread_mutex_unlock(&lock);
	return 0;
}

/* s_ask_all - "status" to each of ch at its control address, all at once;
 * a[i].rc is 0 when worker i answered (its body malloc'd). */
static void
s_ask_all(const config_t *c, const char *var, const s_child_t *ch, int n, int timeout_ms, s_ask_t *a)
{
	for (int i = 0; i < n; i++) {
		a[i] = (s_ask_t){ .timeout_ms = timeout_ms, .rc = -1 };
		snprintf(a[i].err, sizeof(a[i].err), "no answer");
		if (bus_worker_endpoint(a[i].ep, sizeof(a[i].ep), c->endpoints, var, ch[i].name, EP_CONTROL_CONNECT) != 0) {
			snprintf(a[i].err, sizeof(a[i].err), "var dir path too long");
			continue;
		}
		if (s_curve_for(c, var, ch[i].name, a[i].ep, &a[i].cv, &a[i].server_key, a[i].err, sizeof(a[i].err)) != 0)
			continue;
		a[i].started = pthread_create(&a[i].th, NULL, s_ask_thread, &a[i]) == 0;
		if (!a[i].started) /* no thread: ask from here */
			s_ask_thread(&a[i]);
	}
	for (int i = 0; i < n; i++)
		if (a[i].started)
			pthread_join(a[i].th, NULL);
}

/* s_log - a line in VAR/log/supervisor.log (our stderr). */
static void
s_log(const char *fmt, const char *a, long b)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ supervisor[%d]: ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid());
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/* s_spawn - fork and exec one worker. */
static void
s_spawn(s_child_t *ch, const char *cfgpath, const char *var, const char *bindir)
{
	char prog[4200], logp[4200], inst[16];
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/%s", bindir, ch->prog);
	snprintf(logp, sizeof(logp), "%s/log/%s.log", var, ch->name);
	snprintf(inst, sizeof(inst), "%d", ch->instance);
	pid_t parent = getpid();

	pid = fork();
	if (pid == 0) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		sigset_t none;

		/* die with the supervisor, even if it is killed without a word */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(1);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			setenv("BHXH_LOG_FILE", logp, 1); /* reopened on SIGHUP (log_reopen) */
		}
		execl(prog, ch->prog, "--config", cfgpath, "--var-dir", var, "--instance", inst, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	ch->pid = pid;
	ch->started_ms = now_ms();
	ch->restart_at = 0;
	if (pid < 0)
		s_log("cannot fork %s: %ld", ch->name, errno);
}

/* s_reap - collect exited children and schedule their restart. */
static void
s_reap(s_child_t *ch, int n)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < n; i++) {
			if (ch[i].pid != pid)
				continue;
			ch[i].pid = 0;
			if (s_stop)
				break;
			if (now_ms() - ch[i].started_ms < 2000)
				ch[i].delay_ms = ch[i].delay_ms ? (ch[i].delay_ms * 2 > 30000 ? 30000 : ch[i].delay_ms * 2) : 1000;
			else
				ch[i].delay_ms = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_LOCKED && ch[i].delay_ms < 2000)
				ch[i].delay_ms = 2000; /* another of its name is still stopping */
			ch[i].restart_at = now_ms() + ch[i].delay_ms;
			ch[i].restarts++;
			ch[i].last_exit = WIFEXITED(status) ? (long)WEXITSTATUS(status) : -(long)WTERMSIG(status);
			ch[i].last_exit_at = (long long)time(NULL);
			s_log("%s exited (status %ld); restarting", ch[i].name, ch[i].last_exit);
		}
	}
}

static pid_t s_read_pid(const char *path);
static int s_all_ready(const config_t *c, const char *var, const s_child_t *ch, int n, int verbose);
static void s_restarts(const char *sup, const char *name, char *out, size_t size);

/* s_lock_path - VAR/run/NAME.lock. */
static void
s_lock_path(char *buf, size_t size, const char *var, const char *name)
{
	snprintf(buf, size, "%s/run/%s.lock", var, name);
}

/* supervise_lock_holder - the pid holding the lock file at path, 0 if none. */
pid_t
supervise_lock_holder(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CLOEXEC);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	close(fd);
	return pid;
}

/* s_take_lock - hold VAR/run/supervisor.lock for the process's life; its fd, or -1. */
static int
s_take_lock(const char *var)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4200];
	int fd;

	s_lock_path(path, sizeof(path), var, "supervisor");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* s_stop_pids - SIGTERM each pid, wait up to 20 s, then SIGKILL what is left. */
static void
s_stop_pids(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int64_t deadline = now_ms() + 20000;;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		int alive = 0;

		for (int i = 0; i < n; i++) {
			if (pids[i] > 0 && kill(pids[i], 0) != 0)
				pids[i] = 0;
			alive += pids[i] > 0;
		}
		if (alive == 0)
			return;
		if (now_ms() > deadline) {
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGKILL);
		}
		nanosleep(&ts, NULL);
	}
}

/* s_stop_lock_holders - stop every process holding a worker lock in VAR/run
 * (the supervisor's own excepted); returns how many there were. */
static int
s_stop_lock_holders(const char *var)
{
	char dir[4200];
	pid_t pids[MAX_CHILDREN];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/run", var);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAX_CHILDREN) {
		size_t len = strlen(de->d_name);
		char path[4500];
		pid_t pid;

		if (len < 6 || strcmp(de->d_name + len - 5, ".lock") != 0 || strcmp(de->d_name, "supervisor.lock") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((pid = supervise_lock_holder(path)) > 0 && pid != getpid())
			pids[n++] = pid;
	}
	closedir(d);
	s_stop_pids(pids, n);
	return n;
}

/* s_write_state - VAR/run/supervisor.status: each worker's pid, restarts and last exit. */
static void
s_write_state(const char *var, const s_child_t *ch, int n)
{
	char path[4200];
	sb_t b;

	sb_init(&b);
	sb_addf(&b, "{\"pid\":%d,\"time\":%lld,\"workers\":[", (int)getpid(), (long long)time(NULL));
	for (int i = 0; i < n; i++) {
		sb_addf(&b, "%s{\"name\":", i ? "," : "");
		sb_json_str(&b, ch[i].name);
		sb_addf(&b, ",\"pid\":%d,\"restarts\":%u,\"last_exit\":%ld,\"last_exit_at\":%lld}", (int)ch[i].pid,
		    ch[i].restarts, ch[i].last_exit, ch[i].last_exit_at);
	}
	sb_add(&b, "]}\n");
	snprintf(path, sizeof(path), "%s/run/supervisor.status", var);
	fs_replace(path, b.data, b.len);
	sb_free(&b);
}

/* s_metrics_start - the metrics server of metrics.listen, its threads started
 * with the supervisor's signals blocked (they are this thread's to take); on
 * failure logged and tried again 10 s later (*retry_at). */
static metrics_http_t *
s_metrics_start(const config_t *c, const char *var, const sigset_t *block, int64_t *retry_at)
{
	metrics_http_t *m;
	sigset_t old;
	char err[300];

	pthread_sigmask(SIG_BLOCK, block, &old);
	m = metrics_http_start(c, var, c->metrics.listen, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (m == NULL) {
		s_log("metrics server: %s; trying again in %ld s", err, 10);
		*retry_at = now_ms() + 10000;
	} else {
		s_log("metrics server on http://%s/metrics and /healthz", c->metrics.listen, 0);
	}
	return m;
}

/* supervise_run - the supervisor's loop. */
int
supervise_run(const config_t *c, const char *cfgpath, const char *var, const char *bindir, int daemonized,
    const char *only)
{
	s_child_t ch[MAX_CHILDREN];
	int n = s_select(c, only, ch), lock, orphans;
	char path[4200], pidbuf[32];
	metrics_http_t *metrics = NULL;
	int64_t metrics_at = 0;
	struct sigaction sa = { 0 };
	sigset_t block, old;
	unsigned long long changes = 0, written = ~0ULL;
	int notify = notify_init(1), ready = 0; /* systemd (Type=notify): READY=1 once all answer */
	int64_t next_ask = 0;

	if (n < 0)
		return 2;
	umask(027);
	snprintf(path, sizeof(path), "%s/log", var);
	fs_mkdirs(path);
	snprintf(path, sizeof(path), "%s/run", var);
	if (fs_mkdirs(path) != 0 || chmod(path, 0700) != 0) {
		fprintf(stderr, "bhxhctl: cannot prepare %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((lock = s_take_lock(var)) < 0) {
		s_lock_path(path, sizeof(path), var, "supervisor");
		fprintf(stderr, "bhxhctl: a supervisor (pid %d) already runs for var dir %s\n",
		    (int)supervise_lock_holder(path), var);
		return 1;
	}
	if ((orphans = s_stop_lock_holders(var)) > 0)
		s_log("stopped %s (%ld) left running by an earlier supervisor", "workers", orphans);
	snprintf(path, sizeof(path), "%s/run/supervisor.pid", var);
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	fs_write_atomic(path, pidbuf, strlen(pidbuf));
	sa.sa_handler = s_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = s_on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = s_on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (c->metrics.listen != NULL) /* before the workers: up returns with it listening */
		metrics = s_metrics_start(c, var, &block, &metrics_at);
	for (int i = 0; i < n; i++)
		s_spawn(&ch[i], cfgpath, var, bindir);
	s_log("started %s workers (%ld)", only != NULL ? only : "all", n);
	while (!s_stop) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		sigprocmask(SIG_BLOCK, &block, &old);
		if (!s_stop && !s_chld && !s_hup)
			pselect(0, NULL, NULL, NULL, &ts, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		s_chld = 0;
		s_reap(ch, n);
		notify_watchdog(now_ms());
		if (s_hup) {
			/* logrotate moved the logs: reopen ours, and each worker its own */
			int told = 0;
			char logp[4200];

			s_hup = 0;
			snprintf(logp, sizeof(logp), "%s/log/supervisor.log", var);
			if (daemonized)
				log_reopen(logp);
			for (int i = 0; i < n; i++)
				told += ch[i].pid > 0 && kill(ch[i].pid, SIGHUP) == 0;
			s_log("SIGHUP: logs reopened, %s told to reload (%ld)", "workers", told);
		}
		if (notify && !ready && now_ms() >= next_ask) {
			ready = s_all_ready(c, var, ch, n, 0);
			next_ask = now_ms() + 500;
			if (ready) {
				notify_send("READY=1\nSTATUS=%d workers answer", n);
				s_log("every worker answers: told %s (%ld workers)", "systemd", n);
			}
		}
		if (s_read_pid(path) != getpid()) {
			/* the var dir was removed */
			s_log("%s no longer names this supervisor; stopping", path, 0);
			s_stop = 1;
		}
		for (int i = 0; i < n && !s_stop; i++)
			if (ch[i].pid == 0 && now_ms() >= ch[i].restart_at)
				s_spawn(&ch[i], cfgpath, var, bindir);
		if (c->metrics.listen != NULL && metrics == NULL && now_ms() >= metrics_at && !s_stop)
			metrics = s_metrics_start(c, var, &block, &metrics_at);
		changes = 0;
		for (int i = 0; i < n; i++)
			changes = changes * 31 + (unsigned long long)ch[i].pid + ch[i].restarts;
		if (changes != written) {
			int running = 0, last = -1;
			unsigned restarts = 0;

			s_write_state(var, ch, n);
			written = changes;
			for (int i = 0; i < n; i++) {
				running += ch[i].pid > 0;
				restarts += ch[i].restarts;
				if (ch[i].restarts > 0 && (last < 0 || ch[i].last_exit_at > ch[last].last_exit_at))
					last = i;
			}
			if (ready && last < 0)
				notify_status("%d of %d workers running", running, n);
			else if (ready)
				notify_status("%d of %d workers running; %u restart%s, the last of %s (exit status %ld)", running,
				    n, restarts, restarts > 1 ? "s" : "", ch[last].name, ch[last].last_exit);
		}
	}
	notify_send("STOPPING=1\nSTATUS=stopping the workers");
	metrics_http_stop(&metrics);
	s_log("stopping %s (%ld workers)", "all", n);
	for (int i = 0; i < n; i++)
		if (ch[i].pid > 0)
			kill(ch[i].pid, SIGTERM);
	for (int64_t deadline = now_ms() + 20000;;) {
		int alive = 0;
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		s_reap(ch, n);
		for (int i = 0; i < n; i++)
			alive += ch[i].pid > 0;
		if (alive == 0)
			break;
		if (now_ms() > deadline) {
			for (int i = 0; i < n; i++)
				if (ch[i].pid > 0)
					kill(ch[i].pid, SIGKILL);
		}
		nanosleep(&ts, NULL);
	}
	s_write_state(var, ch, n);
	if (s_read_pid(path) == getpid())
		unlink(path);
	s_log("stopped%s", "", 0);
	close(lock);
	return 0;
}

/* s_read_pid - the pid in a file, 0 if none or not alive. */
static pid_t
s_read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

/* s_supervisor_pid - the running supervisor of var: the lock's holder. */
static pid_t
s_supervisor_pid(const char *var)
{
	char path[4200];

	s_lock_path(path, sizeof(path), var, "supervisor");
	return supervise_lock_holder(path);
}

/* s_json_field - a scalar value from one of our JSON objects ("" if absent). */
static void
s_json_field(const char *json, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (json == NULL || (p = strstr(json, pat)) == NULL)
		return;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p && *p != '"' && i + 4 < size; p++) {
			if (*p == '\\' && p[1] == 'u' && strspn(p + 2, "0123456789abcdefABCDEF") >= 4) {
				unsigned c = (unsigned)strtoul((char[]){ p[2], p[3], p[4], p[5], 0 }, NULL, 16);

				/* as UTF-8; a control character (escaped on purpose) stays visible as '?' */
				if (c < 0x20 || c == 0x7f)
					out[i++] = '?';
				else if (c < 0x80)
					out[i++] = (char)c;
				else if (c < 0x800) {
					out[i++] = (char)(0xc0 | (c >> 6));
					out[i++] = (char)(0x80 | (c & 0x3f));
				} else {
					out[i++] = (char)(0xe0 | (c >> 12));
					out[i++] = (char)(0x80 | ((c >> 6) & 0x3f));
					out[i++] = (char)(0x80 | (c & 0x3f));
				}
				p += 5;
				continue;
			}
			if (*p == '\\' && p[1]) {
				p++;
				out[i++] = *p == 'n' ? ' ' : *p == 't' ? ' ' : *p == 'r' ? ' ' : *p;
				continue;
			}
			out[i++] = *p;
		}
	} else {
		for (; *p && *p != ',' && *p != '}' && i + 1 < size; p++)
			out[i++] = *p;
	}
	out[i] = '\0';
	if (strcmp(out, "null") == 0)
		out[0] = '\0';
}

/* s_slurp - a small file of var's run/ folder, malloc'd, or NULL. */
static char *
s_slurp(const char *var, const char *name)
{
	char path[4200], *txt = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/%s", var, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (getdelim(&txt, &len, '\0', f) < 0) {
		free(txt);
		txt = NULL;
	}
	fclose(f);
	return txt;
}

/* supervise_ask - one control request to a worker at its control address
 * (configured, else in var); 0 with code and a malloc'd body, or -1 (err
 * says why). */
int
supervise_ask(const config_t *c, const char *var, const char *worker, const char *cmd, char *const *args, int nargs,
    int timeout_ms, int64_t *code, char **body, char *err, size_t errsz)
{
	char ep[300];
	bus_curve_t cv;
	const unsigned char *server;
	int rc;

	*body = NULL;
	if (bus_worker_endpoint(ep, sizeof(ep), c->endpoints, var, worker, EP_CONTROL_CONNECT) != 0) {
		snprintf(err, errsz, "var dir path too long");
		return -1;
	}
	if (s_curve_for(c, var, worker, ep, &cv, &server, err, errsz) != 0)
		return -1;
	rc = bus_request_curve(ep, &cv, server, cmd, args, nargs, timeout_ms, code, body, err, errsz);
	memset(&cv, 0, sizeof(cv));
	return rc;
}

/* supervise_collect - every worker of the configuration asked "status" at
 * once; its restarts from supervisor.status (-1 when not listed there). */
int
supervise_collect(const config_t *c, const char *var, int timeout_ms, supervise_answer_t *out)
{
	s_child_t ch[MAX_CHILDREN];
	s_ask_t *a = xcalloc(MAX_CHILDREN, sizeof(*a));
	int n = s_children(c, ch);
	char *supst = s_slurp(var, "supervisor.status");

	s_ask_all(c, var, ch, n, timeout_ms, a);
	for (int i = 0; i < n; i++) {
		char rs[32];

		out[i] = (supervise_answer_t){ .body = a[i].rc == 0 && a[i].code == 0 ? a[i].body : NULL, .restarts = -1 };
		if (out[i].body == NULL)
			free(a[i].body);
		snprintf(out[i].name, sizeof(out[i].name), "%s", ch[i].name);
		snprintf(out[i].ep, sizeof(out[i].ep), "%s", a[i].ep);
		snprintf(out[i].err, sizeof(out[i].err), "%s", a[i].rc == 0 && a[i].code != 0 ? "refused the request"
		    : a[i].err);
		s_restarts(supst, ch[i].name, rs, sizeof(rs));
		if (rs[0] >= '0' && rs[0] <= '9')
			out[i].restarts = atoll(rs);
		memset(&a[i].cv, 0, sizeof(a[i].cv));
	}
	free(a);
	free(supst);
	return n;
}

/* s_all_ready - every worker of ch answers "status" at its control address. */
static int
s_all_ready(const config_t *c, const char *var, const s_child_t *ch, int n, int verbose)
{
	s_ask_t a[MAX_CHILDREN];
	int ready = 0;

	s_ask_all(c, var, ch, n, 300, a);
	for (int i = 0; i < n; i++) {
		char state[32], why[512];

		if (a[i].rc == 0 && a[i].code == 0) {
			ready++;
		} else if (verbose) {
			char file[128], *txt;

			snprintf(file, sizeof(file), "%s.status", ch[i].name);
			txt = s_slurp(var, file);
			s_json_field(txt, "state", state, sizeof(state));
			s_json_field(txt, "last_error", why, sizeof(why));
			fprintf(stderr, "  %s: not answering at %s (%s)%s%s (see %s/log/%s.log)\n", ch[i].name, a[i].ep,
			    a[i].err, why[0] ? "; last error: " : "", why, var, ch[i].name);
			free(txt);
		}
		free(a[i].body);
	}
	return ready == n;
}

/* supervise_exec - become worker name (exec, same pid: for a systemd unit
 * per worker); returns only on failure. list: print the names instead. */
int
supervise_exec(const config_t *c, const char *cfgpath, const char *var, const char *bindir, const char *name, int list)
{
	s_child_t ch[MAX_CHILDREN];
	int n = list ? s_children(c, ch) : s_select(c, name, ch);
	char prog[4200], inst[16];

	if (n < 0)
		return 2;
	if (list) {
		for (int i = 0; i < n; i++)
			printf("%s\n", ch[i].name);
		return 0;
	}
	if (n != 1 || strcmp(ch[0].name, name) != 0) {
		fprintf(stderr, "bhxhctl: worker: '%s' names %d workers of this configuration; name one (", name, n);
		for (int i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", ch[i].name);
		fprintf(stderr, ")\n");
		return 2;
	}
	snprintf(prog, sizeof(prog), "%s/%s", bindir, ch[0].prog);
	snprintf(inst, sizeof(inst), "%d", ch[0].instance);
	execl(prog, ch[0].prog, "--config", cfgpath, "--var-dir", var, "--instance", inst, (char *)NULL);
	fprintf(stderr, "bhxhctl: cannot run %s: %s\n", prog, strerror(errno));
	return 127;
}

/* supervise_up - daemonise a supervisor and wait until the workers are ready. */
int
supervise_up(const config_t *c, const char *cfgpath, const char *var, const char *bindir, const char *only)
{
	s_child_t ch[MAX_CHILDREN];
	int n = s_select(c, only, ch);
	char path[4200];
	pid_t pid;

	if (n < 0)
		return 2;
	if ((pid = s_supervisor_pid(var)) > 0) {
		printf("pipeline already running (supervisor pid %d, var dir %s)\n", (int)pid, var);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/log", var);
	fs_mkdirs(path);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int fd;

		setsid();
		if (fork() != 0)
			_exit(0);
		snprintf(path, sizeof(path), "%s/log/supervisor.log", var);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		_exit(supervise_run(c, cfgpath, var, bindir, 1, only));
	}
	waitpid(pid, NULL, 0);
	for (int64_t deadline = now_ms() + UP_TIMEOUT_MS; now_ms() < deadline;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (s_supervisor_pid(var) > 0 && s_all_ready(c, var, ch, n, 0)) {
			printf("pipeline up: var dir %s, config %s%s%s\n", var, cfgpath, only != NULL ? ", workers " : "",
			    only != NULL ? only : "");
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "bhxhctl: workers not ready after %d s:\n", UP_TIMEOUT_MS / 1000);
	s_all_ready(c, var, ch, n, 1);
	return 1;
}

/* s_ppid - the parent of pid (from /proc), 0 if unknown. */
static pid_t
s_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL && sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return ppid;
}

/* supervise_reload - SIGHUP to the supervisor of the var dir (it reopens
 * its log and passes the signal to its workers) and to every other worker
 * running for the var dir on this host (each reopens its log and rereads
 * endpoints and keys, see worker.h); 0 if at least one worker was told. */
int
supervise_reload(const char *var)
{
	char dir[4200];
	struct dirent *de;
	int n = 0;
	DIR *d;
	pid_t sup = s_supervisor_pid(var);

	if (sup > 0 && kill(sup, SIGHUP) != 0)
		sup = 0;

	snprintf(dir, sizeof(dir), "%s/run", var);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);
			char path[4500];
			pid_t pid;

			if (len < 6 || strcmp(de->d_name + len - 5, ".lock") != 0 ||
			    strcmp(de->d_name, "supervisor.lock") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if ((pid = supervise_lock_holder(path)) > 0 && ((sup > 0 && s_ppid(pid) == sup) || kill(pid, SIGHUP) == 0)) {
				printf("%.*s (pid %d): asked to reload\n", (int)(len - 5), de->d_name, (int)pid);
				n++;
			}
		}
		closedir(d);
	}
	if (n == 0)
		fprintf(stderr, "bhxhctl: no worker runs for var dir %s on this host\n", var);
	return n > 0 ? 0 : 1;
}

/* supervise_down - stop the supervisor, then any worker of the var dir still
 * running (left by a supervisor that was killed); wait until all are gone. */
int
supervise_down(const char *var)
{
	pid_t pid = s_supervisor_pid(var);
	int orphans;

	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int64_t deadline = now_ms() + 30000; kill(pid, 0) == 0;) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			if (now_ms() > deadline) {
				fprintf(stderr, "bhxhctl: supervisor %d did not stop in 30 s\n", (int)pid);
				return 1;
			}
			nanosleep(&ts, NULL);
		}
	}
	orphans = s_stop_lock_holders(var);
	if (pid == 0 && orphans == 0) {
		printf("pipeline not running (var dir %s)\n", var);
		return 0;
	}
	if (orphans > 0)
		printf("stopped %d worker%s left without a supervisor\n", orphans, orphans > 1 ? "s" : "");
	printf("pipeline stopped (var dir %s)\n", var);
	return 0;
}

/* s_clock - HH:MM:SS local time of unix seconds t ("-" for 0). */
static void
s_clock(char *buf, size_t size, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, size, time(NULL) - tt > 86400 ? "%Y-%m-%d %H:%M" : "%H:%M:%S", &tm);
}

/* s_restarts - a worker's restarts and last exit from supervisor.status. */
static void
s_restarts(const char *sup, const char *name, char *out, size_t size)
{
	char pat[96];
	const char *p;

	snprintf(out, size, "-");
	snprintf(pat, sizeof(pat), "{\"name\":\"%s\",", name);
	if (sup == NULL || (p = strstr(sup, pat)) == NULL)
		return;
	s_json_field(p, "restarts", out, size);
}

/* s_runs_here - whether the supervisor of var runs (or last ran) worker name:
 * it is listed in supervisor.status. With no such file (no supervisor ever
 * ran here) every worker counts as local, as on one host. */
static int
s_runs_here(const char *sup, const char *name)
{
	char pat[96];

	if (sup == NULL)
		return 1;
	snprintf(pat, sizeof(pat), "{\"name\":\"%s\",", name);
	return strstr(sup, pat) != NULL;
}

/* supervise_status - each worker's answer to "status" at its control
 * address, every configured worker asked at once (2 s at most in all); a
 * local worker that does not answer is shown with its last status file, a
 * remote one (not run by this var dir's supervisor) as unreachable. */
int
supervise_status(const config_t *c, const char *var, int json)
{
	s_child_t ch[MAX_CHILDREN];
	s_ask_t a[MAX_CHILDREN];
	int n = s_children(c, ch), bad = 0;
	pid_t sup = s_supervisor_pid(var);
	char *supst = s_slurp(var, "supervisor.status");
	sb_t notes;

	s_ask_all(c, var, ch, n, STATUS_TIMEOUT_MS, a);
	sb_init(&notes);
	sb_add(&notes, "");
	if (json) {
		sb_t v;

		sb_init(&v);
		sb_json_str(&v, var);
		printf("{\"supervisor\": %d, \"var_dir\": %s, \"workers\": [\n", (int)sup, v.data);
		sb_free(&v);
	}
	else
		printf("supervisor: %s", sup ? "running" : "not running");
	if (!json && sup)
		printf(" (pid %d)", (int)sup);
	if (!json)
		printf(", var dir %s\n\n%-12s %8s %-11s %-9s %9s %9s %7s %8s %4s\n", var, "worker", "pid", "state", "since",
		    "msgs_in", "msgs_out", "outbox", "restarts", "bad");
	for (int i = 0; i < n; i++) {
		char pid[32], state[32], since[32], in[32], out[32], ob[32], badm[32], why[512], le[512],
		    lat[32], rs[32], when[32];
		char *body = a[i].body;
		int answered = a[i].rc == 0, here = s_runs_here(supst, ch[i].name);

		a[i].body = NULL;
		s_restarts(supst, ch[i].name, rs, sizeof(rs));
		if (json) {
			sb_t e;

			printf("%s  ", i ? ",\n" : "");
			if (answered) {
				printf("%s", body);
				s_json_field(body, "state", state, sizeof(state));
				bad += strcmp(state, "ready") != 0 && strcmp(state, "busy") != 0;
			} else {
				sb_init(&e);
				sb_add(&e, "{\"name\": ");
				sb_json_str(&e, ch[i].name);
				sb_addf(&e, ", \"state\": \"%s\", \"why\": ", here ? "not answering" : "unreachable");
				sb_json_str(&e, a[i].err);
				sb_add(&e, ", \"control\": ");
				sb_json_str(&e, a[i].ep);
				sb_add(&e, "}");
				printf("%s", e.data);
				sb_free(&e);
				bad++;
			}
			free(body);
			continue;
		}
		if (!answered && here) {
			char file[128];

			snprintf(file, sizeof(file), "%s.status", ch[i].name);
			body = s_slurp(var, file);
		}
		s_json_field(body, "pid", pid, sizeof(pid));
		s_json_field(body, "state", state, sizeof(state));
		s_json_field(body, "since", since, sizeof(since));
		s_json_field(body, "msgs_in", in, sizeof(in));
		s_json_field(body, "msgs_out", out, sizeof(out));
		s_json_field(body, "outbox", ob, sizeof(ob));
		s_json_field(body, "bad_msgs", badm, sizeof(badm));
		s_json_field(body, "why", why, sizeof(why));
		s_json_field(body, "last_error", le, sizeof(le));
		s_json_field(body, "last_error_at", lat, sizeof(lat));
		s_clock(when, sizeof(when), atoll(since));
		if (!answered && !here) {
			bad++;
			snprintf(state, sizeof(state), "unreachable");
			sb_addf(&notes, "%s: unreachable at %s (%s within %d s); it does not run under this var dir's"
			    " supervisor: check its host, its supervisor there and the network\n", ch[i].name, a[i].ep,
			    a[i].err, STATUS_TIMEOUT_MS / 1000);
		} else if (!answered) {
			bad++;
			snprintf(state, sizeof(state), "%s", pid[0] && kill(atoi(pid), 0) == 0 ? "silent" : "down");
			sb_addf(&notes, "%s: not answering on its control socket %s (%s)%s\n", ch[i].name, a[i].ep, a[i].err,
			    body ? "; the figures are from its last status file" : "");
		}
		if (!here)
			snprintf(rs, sizeof(rs), "remote");
		printf("%-12s %8s %-11s %-9s %9s %9s %7s %8s %4s\n", ch[i].name, pid[0] ? pid : "-",
		    state[0] ? state : "-", when, in[0] ? in : "-", out[0] ? out : "-", ob[0] ? ob : "-", rs,
		    badm[0] ? badm : "-");
		if (answered && strcmp(state, "ready") != 0 && strcmp(state, "busy") != 0)
			bad++;
		if (why[0])
			sb_addf(&notes, "%s: %s since %s: %s\n", ch[i].name, state, when, why);
		if (le[0]) {
			s_clock(when, sizeof(when), atoll(lat));
			sb_addf(&notes, "%s: last error at %s: %s\n", ch[i].name, when, le);
		}
		if (answered) {
			char refused[32], forbidden[32];

			s_json_field(body, "refused_connections", refused, sizeof(refused));
			s_json_field(body, "forbidden_msgs", forbidden, sizeof(forbidden));
			if (atoll(refused) > 0 || atoll(forbidden) > 0)
				sb_addf(&notes, "%s: %lld connections refused (keys not allowed there), %lld messages dropped"
				    " from peers that may not send them, since it started (see its log)\n", ch[i].name,
				    atoll(refused), atoll(forbidden));
			s_json_field(body, "restart_needed", le, sizeof(le));
			if (le[0])
				sb_addf(&notes, "%s: changed by a reload, in effect when it restarts: %s\n", ch[i].name, le);
			s_json_field(body, "deliveries_failing", refused, sizeof(refused));
			s_json_field(body, "dead_letters", forbidden, sizeof(forbidden));
			if (atoll(refused) > 0 || atoll(forbidden) > 0)
				sb_addf(&notes, "%s: %lld deliver%s failing, %lld dead letter%s so far (see its log and"
				    " docs/ALERTING.md, \"Delivery\")\n", ch[i].name, atoll(refused), atoll(refused) == 1 ? "y is"
				    : "ies are", atoll(forbidden), atoll(forbidden) == 1 ? "" : "s");
		}
		free(body);
	}
	if (json)
		printf("\n]}\n");
	else if (notes.len > 0)
		printf("\n%s", notes.data);
	sb_free(&notes);
	free(supst);
	return sup && bad == 0 ? 0 : 1;
}
