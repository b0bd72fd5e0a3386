/* log - one-line log records on stderr (see log.h). Control characters in
 * a message are escaped, so no value can forge a log line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_prog[32] = "bhxh";
static int s_level = LOG_INFO;
static const char *const s_names[] = { "error", "warn", "info", "debug" };

/* log_init - set the program name and the most verbose level printed. */
void
log_init(const char *prog, int level)
{
	snprintf(s_prog, sizeof(s_prog), "%s", prog);
	s_level = level;
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

	if (level > s_level)
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
	for (const unsigned char *p = (const unsigned char *)msg; *p && n < (int)sizeof(line) - 6; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n += snprintf(line + n, sizeof(line) - (size_t)n, *p == '\\' ? "\\\\" : "\\x%02x", *p);
		else
			line[n++] = (char)*p;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
