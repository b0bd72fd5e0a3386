/* notify - the systemd notification protocol without libsystemd (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un s_addr;
static socklen_t s_addrlen;     /* 0: nothing to notify */
static int s_fd = -1;
static int64_t s_wd_ms;         /* the watchdog interval, 0 if none */
static int64_t s_wd_last = -1;  /* when the last WATCHDOG=1 went */

/* notify_init - the socket address and the watchdog interval from the environment. */
int
notify_init(int unset_env)
{
	const char *sock = getenv("NOTIFY_SOCKET"), *usec = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");
	size_t len;

	s_addrlen = 0;
	s_wd_ms = 0;
	if (sock != NULL && (sock[0] == '/' || sock[0] == '@') && (len = strlen(sock)) > 1 &&
	    len < sizeof(s_addr.sun_path)) {
		memset(&s_addr, 0, sizeof(s_addr));
		s_addr.sun_family = AF_UNIX;
		memcpy(s_addr.sun_path, sock, len);
		if (sock[0] == '@') /* abstract: a leading NUL, no terminating one */
			s_addr.sun_path[0] = '\0';
		else
			len++;
		s_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	if (usec != NULL && (wpid == NULL || atol(wpid) == (long)getpid())) {
		long long us = atoll(usec);

		if (us > 0)
			s_wd_ms = us / 1000 > 0 ? us / 1000 : 1;
	}
	if (unset_env) {
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
	}
	if (s_addrlen == 0)
		s_wd_ms = 0;
	return s_addrlen > 0;
}

/* notify_send - one datagram to NOTIFY_SOCKET. */
int
notify_send(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (s_addrlen == 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (s_fd < 0 && (s_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	while (sendto(s_fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&s_addr, s_addrlen) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* notify_status - STATUS= with control characters made visible as '?'. */
int
notify_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (s_addrlen == 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (unsigned char *p = (unsigned char *)buf; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return notify_send("STATUS=%s", buf);
}

/* notify_watchdog_ms - the interval, 0 if none. */
int64_t
notify_watchdog_ms(void)
{
	return s_wd_ms;
}

/* notify_watchdog - WATCHDOG=1 at half the interval. */
void
notify_watchdog(int64_t now)
{
	if (s_wd_ms <= 0 || (s_wd_last >= 0 && now - s_wd_last < s_wd_ms / 2))
		return;
	if (notify_send("WATCHDOG=1") == 0)
		s_wd_last = now;
}
