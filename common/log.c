/* log - one-line log records on stderr (see log.h). Control characters in
 * a message are escaped, so no value can forge a log line. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_prog[32] = "bhxh";
static atomic_int s_level = LOG_INFO; /* set by a reload while other threads (ZAP) log */
static const char *const s_names[] = { "error", "warn", "info", "debug" };

/* log_init - set the program name and the most verbose level printed. */
void
log_init(const char *prog, int level)
{
	snprintf(s_prog, sizeof(s_prog), "%s", prog);
	atomic_store_explicit(&s_level, level, memory_order_relaxed);
}

/* log_set_level - the most verbose level printed from now on (-1: unchanged). */
void
log_set_level(int level)
{
	if (level >= 0)
		atomic_store_explicit(&s_level, level, memory_order_relaxed);
}

/* log_level_parse - level name to number, -1 when unknown. */
int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, s_names[i]) == 0)
			return i;
	return -1;
}

/* log_msg - print one record; the whole line goes out in one write. */
void
log_msg(int level, const char *fmt, ...)
{
	char line[2048], msg[1400];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	if (level > atomic_load_explicit(&s_level, memory_order_relaxed))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s[%d] %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(tv.tv_usec / 1000), s_prog, (int)getpid(), s_names[level]);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one record, one line: a control character in a value (a file name with
	 * a newline or an escape sequence) is written as \xNN, never raw */
	n += (int)log_escape(line + n, sizeof(line) - (size_t)n - 1, msg);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* s_utf8_len - the length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t
s_utf8_len(const unsigned char *p)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong or a surrogate */
	if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
		return 0; /* C1 controls (CSI...) and the line and paragraph separators: escaped */
	return len;
}

/* log_escape - a value as one line (see log.h). */
size_t
log_escape(char *out, size_t size, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0;

	if (size == 0)
		return 0;
	while (*p) {
		size_t len = s_utf8_len(p);

		if (len == 1 && (*p < 0x20 || *p == 0x7f))
			len = 0;
		if (len == 0) { /* escape every byte of what is not plain text */
			size_t bad = 1;

			if (*p >= 0xc2 && *p <= 0xf4) /* a whole C1 / separator sequence, not just its lead */
				while (bad < 3 && (p[bad] & 0xc0) == 0x80 && bad < (*p >= 0xe0 ? 3u : 2u))
					bad++;
			if (n + 4 * bad >= size)
				break;
			for (size_t i = 0; i < bad; i++)
				n += (size_t)snprintf(out + n, size - n, "\\x%02x", p[i]);
			p += bad;
		} else if (*p == '\\') {
			if (n + 2 >= size)
				break;
			out[n++] = '\\';
			out[n++] = '\\';
			p++;
		} else {
			if (n + len >= size)
				break;
			memcpy(out + n, p, len);
			n += len;
			p += len;
		}
	}
	out[n] = '\0';
	return n;
}

/* log_reopen - the log file again on stdout and stderr. */
int
log_reopen(const char *path)
{
	int fd;

	if (path == NULL)
		path = getenv("BHXH_LOG_FILE");
	if (path == NULL || path[0] == '\0')
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
		return -1;
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
