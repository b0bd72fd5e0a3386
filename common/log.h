/* log - one-line log records on stderr: time, program, pid, level, message.
 *
 * Personal data (citizen IDs, insurance numbers) must never be passed here. */
#ifndef BHXH_LOG_H
#define BHXH_LOG_H

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* log_init - set the program name and the most verbose level printed. */
void log_init(const char *prog, int level);

/* log_level_parse - "error", "warn", "info", "debug" -> level, or -1. */
int log_level_parse(const char *s);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
