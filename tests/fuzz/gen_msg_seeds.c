/* gen_msg_seeds - write the seed corpus of fuzz_msg: messages of every type
 * of the current message format (MSG_VERSION), encoded with msg_encode.
 *
 *   make msg-seeds        (builds bin/tests/gen_msg_seeds and runs it)
 *   bin/tests/gen_msg_seeds DIR
 *
 * Writes DIR/<name>.bin for each message below, checking that each one
 * decodes again. Run it again whenever common/msg.h changes the format, and
 * commit the result (tests/fuzz/corpus/msg/). The values are small but real
 * looking: a batch of a participant file with a good and a rejected row, a
 * file end with unknown columns and one aborted, acks, finding events, file
 * outcomes and control commands with their answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char *s_dir;
static int s_count;

/* s_write - encode m, check that it decodes, write it to DIR/name.bin. */
static void
s_write(const char *name, const msg_t *m)
{
	char *buf = NULL, path[4096], err[256];
	size_t len = 0;
	msg_t back;
	FILE *f;

	if (msg_encode(m, &buf, &len) != 0) {
		fprintf(stderr, "gen_msg_seeds: %s: cannot encode\n", name);
		exit(1);
	}
	if (msg_decode(buf, len, &back, err, sizeof(err)) != 0 || back.type != m->type || back.id != m->id) {
		fprintf(stderr, "gen_msg_seeds: %s: does not decode again: %s\n", name, err);
		exit(1);
	}
	msg_free(&back);
	snprintf(path, sizeof(path), "%s/%s.bin", s_dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen_msg_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(buf);
	s_count++;
}

int
main(int argc, char **argv)
{
	static char *fields[] = { "insurance_no", "full_name", "org_unit", "period", "scheme", "wage_basis" };
	static char *good[] = { "0123456789", "Nguyễn Văn An", "058", "2017-03", "compulsory", "4500000" };
	static char *canon[] = { "0123456789", "Nguyễn Văn An", "058", "2017-03", "compulsory", "4500000" };
	static char *unknown[] = { "ghi_chu", "Ghi chú" };
	static char *args_status[] = { "--json" };
	static char *args_two[] = { "bhxh", "participant_2017-04.csv" };
	msg_row_t rows[2] = {
		{ .line = 2, .nvalues = 6, .values = good },
		{ .line = 3, .nvalues = 0, .values = NULL, .err_code = "E_PERIOD", .err_field = "period",
		  .err_vi = "Kỳ không hợp lệ: \"2017-13\"", .err_en = "invalid period: \"2017-13\"" },
	};
	msg_row_t vrows[1] = { { .line = 2, .nvalues = 6, .values = canon } };
	msg_row_t filerow[1] = { { .line = 0, .err_code = "E_FILE_CHANGED" } };
	uint64_t ids[] = { 1, 2, 3, 64, 18446744073709551615ull };
	msg_event_t ev[3] = {
		{ "not_enrolled", "4700123456", "058", "2017-03", "major", "new", "Công ty TNHH Hòa Bình", 12, 0, "2017-01", "", 0, 12 },
		{ "behind_target", "ORG:bhxh", "060", "2017-03", "warning", "escalated", "Huyện Ba Bể", 16.36, 50, "2017-03", "", 0, 0 },
		{ "arrears", "TA0012A", "", "2017-02", "critical", "resolved", "", -1.5, 3, "2016-11", "remedied", 125000000, 14 },
	};
	msg_t m;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_msg_seeds DIR\n");
		return 2;
	}
	s_dir = argv[1];

	/* batches: from ingest (a good row and a rejected one), validated, empty, one whole-file error */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_BATCH;
	m.id = 1;
	m.u.batch = (msg_batch_t){ .file_id = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		.file_no = 7, .seq = 0, .validated = 0, .agency = "bhxh", .rtype = "participant", .nfields = 6,
		.fields = fields, .nrows = 2, .rows = rows };
	s_write("batch", &m);
	m.id = 2;
	m.u.batch.seq = 1;
	m.u.batch.validated = 1;
	m.u.batch.nrows = 1;
	m.u.batch.rows = vrows;
	s_write("batch_validated", &m);
	m.id = 3;
	m.u.batch.seq = 4294967295u;
	m.u.batch.file_no = 18446744073709551615ull;
	m.u.batch.nrows = 0;
	m.u.batch.rows = NULL;
	m.u.batch.nfields = 0;
	m.u.batch.fields = NULL;
	s_write("batch_empty", &m);
	m.id = 4;
	m.u.batch.seq = 0;
	m.u.batch.file_no = 1;
	m.u.batch.nrows = 1;
	m.u.batch.rows = filerow;
	s_write("batch_file_error", &m);

	/* file ends: a plain one with unknown columns, an aborted one */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_FILE_END;
	m.id = 10;
	m.u.end = (msg_file_end_t){ .file_id = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		.file_no = 7, .agency = "bhxh", .rtype = "participant", .name = "participant_2017-03.csv",
		.received_at = 1491004800123456, .nbatches = 2, .rows_read = 3, .nunknown = 2,
		.unknown_columns = unknown, .abort_code = NULL };
	s_write("file_end", &m);
	m.id = 11;
	m.u.end.nunknown = 0;
	m.u.end.unknown_columns = NULL;
	m.u.end.abort_code = "E_FILE_CHANGED";
	m.u.end.received_at = -1;
	s_write("file_end_abort", &m);

	/* acks: several ids, none */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_ACK;
	m.id = 20;
	m.u.ack = (msg_ack_t){ .nids = 5, .ids = ids };
	s_write("ack", &m);
	m.id = 21;
	m.u.ack.nids = 0;
	m.u.ack.ids = NULL;
	s_write("ack_empty", &m);

	/* events: a change with three events, an empty change */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_EVENTS;
	m.id = 30;
	m.u.events = (msg_events_t){ .seq = 42, .nevents = 3, .events = ev };
	s_write("events", &m);
	m.id = 31;
	m.u.events.seq = 0;
	m.u.events.nevents = 0;
	m.u.events.events = NULL;
	s_write("events_empty", &m);

	/* file outcomes: applied, quarantined with a code */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_FILE_DONE;
	m.id = 40;
	m.u.done = (msg_file_done_t){ .file_id = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		.file_no = 7, .agency = "bhxh", .status = "applied", .code = NULL };
	s_write("file_done", &m);
	m.id = 41;
	m.u.done.status = "quarantined";
	m.u.done.code = "E_FILE_CHANGED";
	s_write("file_done_code", &m);

	/* control requests and answers */
	memset(&m, 0, sizeof(m));
	m.type = MSG_T_CTL_REQ;
	m.id = 50;
	m.u.req = (msg_ctl_req_t){ .cmd = "status", .nargs = 1, .args = args_status };
	s_write("ctl_req", &m);
	m.id = 51;
	m.u.req = (msg_ctl_req_t){ .cmd = "resend", .nargs = 2, .args = args_two };
	s_write("ctl_req_args", &m);
	m.id = 52;
	m.u.req = (msg_ctl_req_t){ .cmd = "ping", .nargs = 0, .args = NULL };
	s_write("ctl_req_noargs", &m);

	memset(&m, 0, sizeof(m));
	m.type = MSG_T_CTL_REP;
	m.id = 60;
	m.u.rep = (msg_ctl_rep_t){ .code = 0, .body = "{\"state\": \"running\", \"msgs\": 12}" };
	s_write("ctl_rep", &m);
	m.id = 61;
	m.u.rep = (msg_ctl_rep_t){ .code = 2, .body = "database is locked" };
	s_write("ctl_rep_fail", &m);

	{
		char *units[MSG_SUMMARY_UNIT_COLS] = { "06", "Tỉnh Bắc Kạn", "", "5200", "6", "4", "0.12", "0.08",
			"20.00", "10.00", "0.10", "" };
		char *emp[MSG_SUMMARY_EMPLOYER_COLS] = { "arrears", "DV00123", "Công ty Ngân Sơn", "062", "critical",
			"12", "30", "125000000", "2016-05" };
		char *ag[MSG_SUMMARY_AGENCY_COLS] = { "bhxh", "participant", "2017-03" };

		memset(&m, 0, sizeof(m));
		m.type = MSG_T_SUMMARY;
		m.id = 70;
		m.u.summary = (msg_summary_t){ "2017-03", 1491004800000LL, { MSG_SUMMARY_UNIT_COLS, 1, units },
			{ MSG_SUMMARY_EMPLOYER_COLS, 1, emp }, { MSG_SUMMARY_AGENCY_COLS, 1, ag } };
		s_write("summary", &m);
	}

	printf("gen_msg_seeds: %d messages of format %d in %s\n", s_count, MSG_VERSION, s_dir);
	return 0;
}
