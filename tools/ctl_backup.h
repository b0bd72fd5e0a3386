/* ctl_backup - `bhxhctl backup DIR` and `bhxhctl restore DIR` (docs/OPERATIONS.md,
 * "Backup and restore"). */
#ifndef BHXH_CTL_BACKUP_H
#define BHXH_CTL_BACKUP_H

#include "config.h"

/* ctl_backup - every worker copies its own database into dir on its own host
 * (control command "backup"), in the order ingest, validate, aggregate,
 * alert; dir/manifest.json says what was taken. Exit status: 0, 1 if a
 * worker failed or did not answer (named), 2 bad arguments. */
int ctl_backup(const config_t *c, const char *var, const char *dir);

/* ctl_restore - with the pipeline down, check the backups of dir against its
 * manifest (SHA-256, size, schema version, integrity_check), move the
 * current databases to VAR/db/pre-restore-STAMP/ and put the backups in
 * place (only: "ingest,validate", just those workers; NULL all). Exit status:
 * 0, 1 refused or failed (nothing changed unless said),
 * 2 bad arguments. */
int ctl_restore(const config_t *c, const char *var, const char *dir, const char *only);

#endif
