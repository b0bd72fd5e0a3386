/* log - one-line log records on stderr: time, program, pid, level, message.
 * A record is always one line: whatever a value holds is escaped (log_escape).
 *
 * Personal data (citizen IDs, insurance numbers) must never be passed here. */
#ifndef BHXH_LOG_H
#define BHXH_LOG_H

#include <stddef.h>

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* log_init - set the program name and the most verbose level printed. */
void log_init(const char *prog, int level);

/* log_level_parse - "error", "warn", "info", "debug" -> level, or -1. */
int log_level_parse(const char *s);
void log_set_level(int level);   /* -1: unchanged */

/* log_reopen - reopen the log file onto stdout and stderr (after logrotate
 * moved it): path, or $BHXH_LOG_FILE when path is NULL (the supervisor sets
 * it for each worker it starts). Nothing when neither names a file; 0 or -1. */
int log_reopen(const char *path);

/* log_escape - value as one line of text into out (NUL-terminated, cut at
 * size): control characters (C0, DEL, C1), U+2028/U+2029 and bytes that
 * are not UTF-8 become \xNN, a backslash \\; other UTF-8 is kept. Returns
 * the length written. log_msg applies it to every message. */
size_t log_escape(char *out, size_t size, const char *value);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
