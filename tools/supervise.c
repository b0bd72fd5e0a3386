/* supervise - start, watch and stop the workers of one var dir (see supervise.h).
 *
 * The supervisor forks each worker with exec (so ZeroMQ contexts and SQLite
 * handles are always created after the fork, in the child's own program),
 * sends its stdout/stderr to VAR/log/NAME.log, and restarts a worker that
 * exits unasked. A worker that dies within 2 seconds of its start is
 * restarted after a delay that doubles up to 30 seconds (as Postfix's master
 * throttles a failing service). */
#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "outbox.h"

#define MAX_CHILDREN 72
#define UP_TIMEOUT_MS 30000

typedef struct {
	char prog[32];    /* bhxh-ingest ... */
	char name[48];    /* ingest, validate-2 ... */
	int instance;
	pid_t pid;
	int64_t started_ms;
	int64_t restart_at;
	int delay_ms;
	unsigned restarts;
} s_child_t;

static volatile sig_atomic_t s_stop, s_chld;

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
	pid = fork();
	if (pid == 0) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
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
			ch[i].restart_at = now_ms() + ch[i].delay_ms;
			ch[i].restarts++;
			s_log("%s exited (status %ld); restarting", ch[i].name,
			    WIFEXITED(status) ? (long)WEXITSTATUS(status) : -(long)WTERMSIG(status));
		}
	}
}

static pid_t s_read_pid(const char *path);

/* supervise_run - the supervisor's loop. */
int
supervise_run(const config_t *c, const char *cfgpath, const char *var, const char *bindir, int daemonized)
{
	s_child_t ch[MAX_CHILDREN];
	int n = s_children(c, ch);
	char path[4200], pidbuf[32];
	struct sigaction sa = { 0 };
	sigset_t block, old;

	(void)daemonized;
	snprintf(path, sizeof(path), "%s/log", var);
	fs_mkdirs(path);
	snprintf(path, sizeof(path), "%s/run", var);
	fs_mkdirs(path);
	snprintf(path, sizeof(path), "%s/run/supervisor.pid", var);
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	fs_write_atomic(path, pidbuf, strlen(pidbuf));
	sa.sa_handler = s_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = s_on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	for (int i = 0; i < n; i++)
		s_spawn(&ch[i], cfgpath, var, bindir);
	s_log("started %s workers (%ld)", "all", n);
	while (!s_stop) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		sigprocmask(SIG_BLOCK, &block, &old);
		if (!s_stop && !s_chld)
			pselect(0, NULL, NULL, NULL, &ts, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		s_chld = 0;
		s_reap(ch, n);
		if (s_read_pid(path) != getpid()) {
			/* the var dir was removed, or another supervisor took it over */
			s_log("%s no longer names this supervisor; stopping", path, 0);
			s_stop = 1;
		}
		for (int i = 0; i < n && !s_stop; i++)
			if (ch[i].pid == 0 && now_ms() >= ch[i].restart_at)
				s_spawn(&ch[i], cfgpath, var, bindir);
	}
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
	if (s_read_pid(path) == getpid())
		unlink(path);
	s_log("stopped%s", "", 0);
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

/* s_status_field - a value from a status file's JSON ("" if absent). */
static void
s_status_field(const char *json, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p && *p != '"' && i + 1 < size; p++) {
			if (*p == '\\' && p[1])
				p++;
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

/* s_read_status - the status file of a worker into buf; 0 or -1. */
static int
s_read_status(const char *var, const char *name, char *buf, size_t size)
{
	char path[4200];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/run/%s.status", var, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* s_running - a state in which a worker does its work ("degraded": it runs,
 * but something it depends on fails, e.g. the alert worker's deliveries). */
static int
s_running(const char *state)
{
	return strcmp(state, "ready") == 0 || strcmp(state, "degraded") == 0;
}

/* s_all_ready - every worker has a status "ready" (or "degraded") with a live pid written after since. */
static int
s_all_ready(const config_t *c, const char *var, time_t since, int verbose)
{
	s_child_t ch[MAX_CHILDREN];
	int n = s_children(c, ch), ready = 0;

	for (int i = 0; i < n; i++) {
		char buf[4096], state[32], pid[32], t[32], err[512];

		if (s_read_status(var, ch[i].name, buf, sizeof(buf)) != 0) {
			if (verbose)
				fprintf(stderr, "  %s: no status yet (see %s/log/%s.log)\n", ch[i].name, var, ch[i].name);
			continue;
		}
		s_status_field(buf, "state", state, sizeof(state));
		s_status_field(buf, "pid", pid, sizeof(pid));
		s_status_field(buf, "time", t, sizeof(t));
		s_status_field(buf, "last_error", err, sizeof(err));
		if (s_running(state) && atoll(t) >= (long long)since && kill(atoi(pid), 0) == 0)
			ready++;
		else if (verbose)
			fprintf(stderr, "  %s: %s%s%s (see %s/log/%s.log)\n", ch[i].name, state[0] ? state : "not ready",
			    err[0] ? ": " : "", err, var, ch[i].name);
	}
	return ready == n;
}

/* supervise_up - daemonise a supervisor and wait until the workers are ready. */
int
supervise_up(const config_t *c, const char *cfgpath, const char *var, const char *bindir)
{
	char path[4200];
	time_t since = time(NULL);
	pid_t pid;

	snprintf(path, sizeof(path), "%s/run/supervisor.pid", var);
	if ((pid = s_read_pid(path)) > 0) {
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
		_exit(supervise_run(c, cfgpath, var, bindir, 1));
	}
	waitpid(pid, NULL, 0);
	for (int64_t deadline = now_ms() + UP_TIMEOUT_MS; now_ms() < deadline;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (s_all_ready(c, var, since, 0)) {
			printf("pipeline up: var dir %s, config %s\n", var, cfgpath);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "bhxhctl: workers not ready after %d s:\n", UP_TIMEOUT_MS / 1000);
	s_all_ready(c, var, since, 1);
	return 1;
}

/* supervise_down - SIGTERM the supervisor; wait until it has gone. */
int
supervise_down(const char *var)
{
	char path[4200];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/run/supervisor.pid", var);
	if ((pid = s_read_pid(path)) == 0) {
		printf("pipeline not running (var dir %s)\n", var);
		return 0;
	}
	kill(pid, SIGTERM);
	for (int64_t deadline = now_ms() + 30000; kill(pid, 0) == 0;) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (now_ms() > deadline) {
			fprintf(stderr, "bhxhctl: supervisor %d did not stop in 30 s\n", (int)pid);
			return 1;
		}
		nanosleep(&ts, NULL);
	}
	printf("pipeline stopped (var dir %s)\n", var);
	return 0;
}

/* supervise_status - one line per worker status file. */
int
supervise_status(const char *var)
{
	char dir[4200], path[4200];
	struct dirent *de;
	DIR *d;
	pid_t sup;

	snprintf(path, sizeof(path), "%s/run/supervisor.pid", var);
	sup = s_read_pid(path);
	printf("supervisor: %s", sup ? "running" : "not running");
	if (sup)
		printf(" (pid %d)", (int)sup);
	printf(", var dir %s\n\n%-12s %8s %-8s %10s %10s %7s  %s\n", var, "worker", "pid", "state", "msgs_in",
	    "msgs_out", "outbox", "last_error");
	snprintf(dir, sizeof(dir), "%s/run", var);
	if ((d = opendir(dir)) == NULL)
		return sup ? 0 : 1;
	while ((de = readdir(d)) != NULL) {
		char name[256], buf[4096], pid[32], state[32], in[32], out[32], ob[32], err[512], why[300];
		size_t n = strlen(de->d_name);

		if (n < 8 || strcmp(de->d_name + n - 7, ".status") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 7), de->d_name);
		if (s_read_status(var, name, buf, sizeof(buf)) != 0)
			continue;
		s_status_field(buf, "pid", pid, sizeof(pid));
		s_status_field(buf, "state", state, sizeof(state));
		s_status_field(buf, "msgs_in", in, sizeof(in));
		s_status_field(buf, "msgs_out", out, sizeof(out));
		s_status_field(buf, "outbox", ob, sizeof(ob));
		s_status_field(buf, "last_error", err, sizeof(err));
		s_status_field(buf, "why", why, sizeof(why));
		if (s_running(state) && kill(atoi(pid), 0) != 0)
			snprintf(state, sizeof(state), "dead");
		printf("%-12s %8s %-8s %10s %10s %7s  %s\n", name, pid, state, in, out, ob, err[0] ? err : "-");
		if (why[0] != '\0' && strcmp(state, "dead") != 0)
			printf("%-12s %8s %s\n", "", "", why);
	}
	closedir(d);
	return sup ? 0 : 1;
}
