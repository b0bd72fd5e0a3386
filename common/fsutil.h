/* fsutil - durable file operations: make directories, write a file atomically
 * (temp file, fsync, rename, fsync of the directory), a growable string
 * buffer with JSON/CSV escaping for the files the pipeline writes, and the
 * 64-bit FNV-1a hash its fingerprints are made with. */
#ifndef BHXH_FSUTIL_H
#define BHXH_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

/* fs_mkdirs - mkdir -p with mode 0750; 0 or -1. */
int fs_mkdirs(const char *path);

/* fs_write_atomic - replace path with data so readers see old or new, never half. */
int fs_write_atomic(const char *path, const char *data, size_t len);

/* fs_replace - the same without fsync: for files that are rewritten often and
 * need not survive a crash of the machine (status files). */
int fs_replace(const char *path, const char *data, size_t len);

/* fs_fsync_dir - fsync the directory holding path (after a rename). */
int fs_fsync_dir(const char *path);

/* fs_move - rename src to dst (same file system) and fsync both directories. */
int fs_move(const char *src, const char *dst);

/* fs_name_prefix - how many bytes of name to keep so that at most max bytes
 * remain without cutting a UTF-8 character. */
size_t fs_name_prefix(const char *name, size_t max);

/* FS_FNV1A_INIT - the offset basis a 64-bit FNV-1a hash starts from. */
#define FS_FNV1A_INIT 14695981039346656037ULL

/* fs_fnv1a - 64-bit FNV-1a over n bytes at p, continuing from h
 * (FS_FNV1A_INIT for a new hash). Not cryptographic: for fingerprints and
 * hash tables, never against an adversary. */
uint64_t fs_fnv1a(uint64_t h, const void *p, size_t n);

typedef struct {
	char *data;
	size_t len, cap;
} sb_t;

void sb_init(sb_t *b);
void sb_free(sb_t *b);
void sb_add(sb_t *b, const char *s);
void sb_addn(sb_t *b, const char *s, size_t n);
void sb_addf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sb_json_str - add s as a JSON string literal (quoted, escaped); NULL -> null. */
void sb_json_str(sb_t *b, const char *s);
/* sb_csv_field - add s as a CSV field, quoted when it holds , " CR or LF. */
void sb_csv_field(sb_t *b, const char *s);

#endif
