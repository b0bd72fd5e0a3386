/* msg - the one codec for every message that crosses a ZeroMQ socket.
 *
 * Wire format: a msgpack array [version, type, id, body]. `version` is
 * MSG_VERSION; `type` one of msg_type_t; `id` a 64-bit number unique per
 * sender and stable across resends (receivers use it for acknowledgements);
 * `body` a msgpack array whose shape depends on the type (see msg.c).
 *
 * Decoding trusts nothing: unknown versions and types, wrong shapes, trailing
 * bytes and any declared array/map/string length larger than the bytes left
 * are rejected before anything is allocated from them. */
#ifndef BHXH_MSG_H
#define BHXH_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MSG_VERSION 2
#define MSG_MAX_SIZE (64u * 1024u * 1024u) /* ZMQ_MAXMSGSIZE on every receiver */

typedef enum {
	MSG_T_BATCH = 1,    /* rows of one file: ingest -> validate -> aggregate */
	MSG_T_FILE_END = 2, /* the file is complete: ingest -> validate -> aggregate */
	MSG_T_ACK = 3,      /* receiver -> sender: these ids are durably stored */
	MSG_T_EVENTS = 4,   /* finding state changes: aggregate -> alert */
	MSG_T_FILE_DONE = 5, /* how a file ended: aggregate -> ingest */
	MSG_T_CTL_REQ = 6,  /* a command on a worker's control socket: bhxhctl -> worker */
	MSG_T_CTL_REP = 7,  /* its answer: worker -> bhxhctl */
	MSG_T_SUMMARY = 8   /* the figures of the monthly summary: aggregate -> alert */
} msg_type_t;

/* One more error of a rejected row, besides its first (err_* of msg_row_t). */
typedef struct {
	char *code;
	char *field;     /* may be NULL */
	char *vi;
	char *en;
} msg_err_t;

#define MSG_ROW_MAX_MORE 15 /* more errors of one row: with the first, 16 in all */

/* One data row. values[i] belongs to batch.fields[i]; an empty cell is "".
 * A rejected row has err_code set (and values may be absent: nvalues 0);
 * its other errors, if any, are in more[0..nmore-1]. */
typedef struct {
	uint32_t line;   /* line where the row starts; the header is line 1 */
	uint32_t nvalues;
	char **values;   /* NUL-terminated UTF-8 */
	char *err_code;  /* NULL when the row is good */
	char *err_field; /* may be NULL */
	char *err_vi;    /* message for the clerk, Vietnamese */
	char *err_en;    /* the same in English */
	uint32_t nmore;  /* at most MSG_ROW_MAX_MORE */
	msg_err_t *more;
} msg_row_t;

typedef struct {
	char *file_id;   /* SHA-256 of the file, lower-case hex */
	uint64_t file_no; /* ingest's file number; (file_no, file_id) names the file */
	uint32_t seq;    /* 0-based batch number within the file */
	uint8_t validated; /* 0 from ingest, 1 once validate has checked it */
	char *agency;
	char *rtype;     /* record type, e.g. "participant" */
	uint32_t nfields;
	char **fields;   /* canonical field names, in column order */
	uint32_t nrows;
	msg_row_t *rows;
} msg_batch_t;

typedef struct {
	char *file_id;
	uint64_t file_no;   /* ingest's gapless file number: aggregate applies files in this order */
	char *agency;
	char *rtype;
	char *name;         /* file name as dropped */
	int64_t received_at; /* unix time in microseconds (names the receipt) */
	uint32_t nbatches;  /* batches 0..nbatches-1 make the file */
	uint64_t rows_read;
	uint32_t nunknown;
	char **unknown_columns;
	char *abort_code;   /* NULL, or why the file must be rejected whole (E_FILE_CHANGED) */
	char *encoding;     /* the encoding the file was read in ("UTF-8", "WINDOWS-1258", ...);
	                     * NULL from an older sender */
	uint32_t nheadings; /* pairs: headings[2i] a field, headings[2i+1] the clerk's heading */
	char **headings;    /* of its column in the file (as written, NFC); 0 from an older sender */
	uint8_t dry_run;    /* 1: a dry run (submit --dry-run): check it as if it were applied, render
	                     * its receipt, apply nothing (status checked) */
} msg_file_end_t;

typedef struct {
	uint32_t nids;
	uint64_t *ids;
} msg_ack_t;

/* A change of a finding's state (docs/DOMAIN.md §6). */
typedef struct {
	char *kind;      /* not_enrolled, arrears, ... */
	char *subject;   /* tax code, unit code, agent code, ORG:scheme, AGENCY:TYPE */
	char *org_unit;  /* may be "" */
	char *period;    /* YYYY-MM */
	char *severity;  /* info, warning, major, critical */
	char *state;     /* new, escalated, resolved */
	char *name;      /* employer/agent/unit display name, may be "" */
	double value;
	double threshold;
	char *since;     /* first month of the run of months it has held in, may be "" */
	char *reason;    /* of a resolution: "remedied" (a later month shows the problem
	                  * gone) or "no_longer_found" (data of its month arrived or were
	                  * corrected); "" otherwise */
	double amount;   /* money at stake in VND (arrears owed), 0 when none */
	double workers;  /* workers concerned (employees, insured), 0 when not counted */
} msg_event_t;

typedef struct {
	uint64_t seq;    /* the aggregate's change number: events of one change share it */
	uint32_t nevents;
	msg_event_t *events;
} msg_events_t;

/* How a file ended at the aggregate, so that ingest counts only applied
 * files as repeats, with the file's receipt, which ingest writes into the
 * agency's outbox on its own host (the aggregate writes no file of it). */
typedef struct {
	char *file_id;
	uint64_t file_no;
	char *agency;
	char *status;    /* applied | rejected | quarantined | checked (a dry run) */
	char *code;      /* NULL, or the code that says why it was not applied */
	char *name;      /* the file name as dropped ("" from an older sender) */
	int64_t stamp;   /* unix microseconds that name the receipt (0 from an older sender) */
	char *receipt_json; /* the rendered receipt, or NULL when there is none */
	char *receipt_text; /* its text twin, or NULL */
	char *receipt_csv;  /* its rejected rows as CSV, or NULL when none */
} msg_file_done_t;

/* A command on a control socket: cmd and its arguments. */
typedef struct {
	char *cmd;
	uint32_t nargs;
	char **args;
} msg_ctl_req_t;

/* The answer: code 0 ok, 1 unknown command or bad arguments, 2 failed;
 * body is text for people or JSON, as the command says. */
typedef struct {
	int64_t code;
	char *body;
} msg_ctl_rep_t;

/* A table of text cells, row-major: cells[r * ncols + c]. */
typedef struct {
	uint32_t ncols, nrows;
	char **cells;
} msg_table_t;

/* Columns of the summary's tables (each table must have exactly these). */
#define MSG_SUMMARY_UNIT_COLS 12     /* code, name, parent, labor_force, bhxh, bhtn, bhxh_pct,
                                      * bhtn_pct, target_bhxh_pct, target_bhtn_pct,
                                      * prev_bhxh_pct, prev_bhtn_pct (the month before) */
#define MSG_SUMMARY_EMPLOYER_COLS 9  /* kind, subject, name, org_unit, severity, value,
                                      * workers, amount, since */
#define MSG_SUMMARY_AGENCY_COLS 3    /* agency, rtype, period: the latest month of that data */

/* What the monthly summary reports, as the aggregate last computed it; the
 * alert worker keeps the latest and never opens the aggregate's database. */
typedef struct {
	char *period;          /* latest month with a coverage figure, "" when none */
	int64_t generated_at;  /* ms since the epoch */
	msg_table_t units;     /* every unit of the tree, pre-order */
	msg_table_t employers; /* open final employer findings, largest first (capped) */
	msg_table_t agencies;  /* which data are in */
} msg_summary_t;

typedef struct {
	uint16_t version;
	msg_type_t type;
	uint64_t id;
	union {
		msg_batch_t batch;
		msg_file_end_t end;
		msg_ack_t ack;
		msg_events_t events;
		msg_file_done_t done;
		msg_ctl_req_t req;
		msg_ctl_rep_t rep;
		msg_summary_t summary;
	} u;
} msg_t;

/* msg_encode - serialise m into a malloc'd buffer; 0 or -1 (bad message). */
int msg_encode(const msg_t *m, char **buf, size_t *len);

/* msg_decode - parse buf into m (caller frees with msg_free); 0, or -1 with
 * a one-line reason in err. On failure m holds nothing to free. */
int msg_decode(const char *buf, size_t len, msg_t *m, char *err, size_t errsz);

/* msg_free - free everything msg_decode (or a caller using malloc'd strings) put in m. */
void msg_free(msg_t *m);

/* msg_type_name - "batch", "file_end", ... for logs. */
const char *msg_type_name(int type);

#endif
