/* fsutil - durable file operations, a string buffer and FNV-1a (see fsutil.h). */
#include "fsutil.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fs_mkdirs - create path and its parents. */
int
fs_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0750) != 0) {
		struct stat st;

		if (errno != EEXIST)
			return -1;
		if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR; /* a file is in the way */
			return -1;
		}
	}
	return 0;
}

/* fs_name_prefix - at most max bytes, ending on a UTF-8 character boundary. */
size_t
fs_name_prefix(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
		n--; /* name[n] continues a character: cut before that character */
	return n;
}

/* fs_fsync_dir - make a rename in path's directory durable. */
int
fs_fsync_dir(const char *path)
{
	char *tmp = xstrdup(path);
	int fd, rc = -1;

	if (tmp == NULL)
		return -1;
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(tmp);
	return rc;
}

/* s_write_replace - write a temp file beside path, optionally fsync, rename over path. */
static int
s_write_replace(const char *path, const char *data, size_t len, int durable)
{
	char tmp[4200];
	int fd;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (durable && fsync(fd) != 0)
		goto fail;
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if (durable)
		fs_fsync_dir(path);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* fs_write_atomic - replace path durably: temp file, fsync, rename, fsync of the directory. */
int
fs_write_atomic(const char *path, const char *data, size_t len)
{
	return s_write_replace(path, data, len, 1);
}

/* fs_replace - replace path atomically but without fsync. */
int
fs_replace(const char *path, const char *data, size_t len)
{
	return s_write_replace(path, data, len, 0);
}

/* fs_move - rename and make both directory entries durable. */
int
fs_move(const char *src, const char *dst)
{
	if (rename(src, dst) != 0)
		return -1;
	fs_fsync_dir(dst);
	fs_fsync_dir(src);
	return 0;
}

void
sb_init(sb_t *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
sb_free(sb_t *b)
{
	free(b->data);
	sb_init(b);
}

/* sb_addn - append n bytes; aborts on out of memory (nothing sane to do). */
void
sb_addn(sb_t *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sb_add(sb_t *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void
sb_addf(sb_t *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_addn(b, small, (size_t)n);
		return;
	}
	{
		char *big = xmalloc((size_t)n + 1);

		if (big == NULL)
			abort();
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		sb_addn(b, big, (size_t)n);
		free(big);
	}
}

/* s_utf8_len - length of the valid UTF-8 character at p (its first byte
 * >= 0x80), or 0 if it is not one (overlong, surrogate, beyond U+10FFFF,
 * truncated). */
static size_t
s_utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;

	if (n == 0 || c > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* sb_json_str - JSON string literal; control characters as \u00XX. */
void
sb_json_str(sb_t *b, const char *s)
{
	if (s == NULL) {
		sb_add(b, "null");
		return;
	}
	sb_add(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;

		switch (*p) {
		case '"': sb_add(b, "\\\""); break;
		case '\\': sb_add(b, "\\\\"); break;
		case '\n': sb_add(b, "\\n"); break;
		case '\r': sb_add(b, "\\r"); break;
		case '\t': sb_add(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				sb_addf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				sb_addn(b, (const char *)p, 1);
			} else if ((n = s_utf8_len(p)) > 0) {
				sb_addn(b, (const char *)p, n); /* a whole, valid UTF-8 character */
				p += n - 1;
			} else {
				sb_add(b, "\\ufffd"); /* JSON is UTF-8: a stray byte becomes the replacement character */
			}
		}
	}
	sb_add(b, "\"");
}

/* sb_csv_field - RFC 4180 field. */
void
sb_csv_field(sb_t *b, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		sb_add(b, s);
		return;
	}
	sb_add(b, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_add(b, "\"");
		sb_addn(b, p, 1);
	}
	sb_add(b, "\"");
}

/* fs_fnv1a - FNV-1a over bytes, continuing from h. */
uint64_t
fs_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}
