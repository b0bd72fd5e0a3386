/* notify - the systemd notification protocol (sd_notify(3)), without libsystemd.
 *
 * Under a unit of Type=notify systemd sets NOTIFY_SOCKET (a unix datagram
 * socket, a path or '@' for the abstract namespace) and, with WatchdogSec=,
 * WATCHDOG_USEC (and WATCHDOG_PID). Outside systemd every call does nothing.
 *
 *   notify_init(1)                 read (and unset, so that children do not
 *                                  inherit them) the variables
 *   notify_send("READY=1")         ready; "STATUS=...", "STOPPING=1", "WATCHDOG=1"
 *   notify_watchdog(now_ms)        WATCHDOG=1 if half the interval has passed
 *
 * Sending never blocks and never fails the caller: a lost datagram only
 * makes systemd know less. */
#ifndef BHXH_NOTIFY_H
#define BHXH_NOTIFY_H

#include <stdint.h>

/* notify_init - read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; with
 * unset_env, remove them from the environment. Returns 1 if there is a
 * socket to notify, else 0. */
int notify_init(int unset_env);

/* notify_send - one datagram of newline-separated assignments ("READY=1\nSTATUS=...");
 * 0 when sent (or nothing to notify), -1 on error. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* notify_status - "STATUS=" and the formatted text, each control character
 * in it replaced by '?' (one line, whatever a value holds). */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* notify_watchdog_ms - the watchdog interval for this process in ms, 0 if none. */
int64_t notify_watchdog_ms(void);

/* notify_watchdog - send WATCHDOG=1 when half the interval has passed since
 * the last one (now in ms of any monotonic clock); call from the main loop. */
void notify_watchdog(int64_t now);

#endif
