/* backup - a consistent online copy of a worker's own database, asked for
 * on its control socket ("backup DIR", see `bhxhctl backup`).
 *
 * The copy is taken with SQLite's online backup API from the worker's own
 * connection, a few pages per turn of its loop, so the worker goes on taking
 * messages and files meanwhile; what it writes through that connection
 * while the copy runs goes into the copy too, so the copy is the database as
 * it stands when the last step ends. It is written as DIR/.NAME.db.tmp
 * (mode 0640), switched out of WAL mode (one self-contained file), fsynced,
 * and renamed to DIR/NAME.db; DIR must be an absolute path of an existing
 * directory and DIR/NAME.db must not exist. The answer (sent when the copy
 * is done) is one JSON object: worker, file, size, sha256, user_version,
 * pages, ms, time, and the worker's own fields (worker_ops.backup_note). */
#ifndef BHXH_BACKUP_H
#define BHXH_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "fsutil.h"

struct worker;

/* backup_start - begin a copy into the directory args[0]. Returns -1 when
 * the copy runs (the answer is sent by backup_step when it ends), else the
 * answer's code (1 bad arguments or refused, 2 failed) with out filled. */
int backup_start(struct worker *w, const unsigned char *rid, size_t ridlen, uint64_t req_id, char *const *args,
    int nargs, sb_t *out);

/* backup_running - a copy is under way (the loop should not sleep). */
int backup_running(void);

/* backup_step - copy the next pages, outside any transaction; when the copy
 * ends (done or failed) send the answer to whoever asked. */
void backup_step(struct worker *w);

/* backup_sha256_fd - SHA-256 (hex) and size of what fd holds from its start; 0 or -1. */
int backup_sha256_fd(int fd, char hex[65], long long *size);

/* backup_abort - the worker stops: drop the copy and say so. */
void backup_abort(struct worker *w);

#endif
