/* kinds - the table of finding kinds and operator kinds (kinds.h). */
#include "kinds.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

#define EV_M(t) { t, KIND_EV_MONTH }
#define EV_Y(t) { t, KIND_EV_YEAR }

/* What a local committee is asked for every employer finding: the plan has
 * it direct and supervise the bodies under it (III.6). No level word: the
 * committee may be a district's or a commune's (a tree without districts). */
#define DISTRICT_EMPLOYER_VI "Chỉ đạo, giám sát các cơ quan, đơn vị trên địa bàn đôn đốc doanh nghiệp thực hiện đúng quy định về BHXH"
#define DISTRICT_EMPLOYER_EN "Direct and supervise the bodies of the area in bringing the employer into line"

static const kind_t s_kinds[] = {
	{ "not_enrolled", KIND_FINDING, 1,
	  "Doanh nghiệp chưa tham gia BHXH", "Employer not enrolled in social insurance",
	  2, { EV_M("tax_employer"), EV_M("insured_unit") },
	  "Cần dữ liệu lao động của cơ quan thuế (tax_employer) và dữ liệu đơn vị tham gia của BHXH (insured_unit) của tháng",
	  "Needs Tax's employer data (tax_employer) and Social Security's unit data (insured_unit) of the month",
	  "số người lao động", "employees", "người lao động", "workers",
	  "Xác minh và yêu cầu doanh nghiệp đăng ký tham gia BHXH, BHTN cho người lao động",
	  "Verify and require the employer to enrol its workers in social and unemployment insurance",
	  4, {
	    { ROLE_SOCIAL_SECURITY, "Đôn đốc doanh nghiệp đăng ký tham gia BHXH, BHTN cho người lao động; đề nghị thanh tra nếu trốn đóng",
	      "Urge the employer to enrol its workers in social and unemployment insurance; ask for an inspection if it evades" },
	    { ROLE_LABOUR_INSPECTION, "Thanh tra, kiểm tra doanh nghiệp về hành vi trốn đóng BHXH, xử lý vi phạm theo quy định",
	      "Inspect the employer for evading social insurance and sanction what is found" },
	    { ROLE_DISTRICT_COMMITTEE, DISTRICT_EMPLOYER_VI, DISTRICT_EMPLOYER_EN },
	    { ROLE_TRADE_UNION, "Thay mặt người lao động yêu cầu doanh nghiệp tham gia BHXH; khởi kiện nếu quyền lợi của người lao động bị vi phạm",
	      "Act on the workers' behalf: demand their enrolment, and bring a case if their rights are harmed" } }, 0 },
	{ "under_declared", KIND_FINDING, 1,
	  "Doanh nghiệp đóng BHXH không đủ số lao động", "Employer under-declares its workers",
	  2, { EV_M("tax_employer"), EV_M("insured_unit") },
	  "Cần dữ liệu lao động của cơ quan thuế (tax_employer) và dữ liệu đơn vị tham gia của BHXH (insured_unit) của tháng",
	  "Needs Tax's employer data (tax_employer) and Social Security's unit data (insured_unit) of the month",
	  "số người lao động chưa được đóng BHXH", "workers not insured", "người lao động", "workers",
	  "Yêu cầu doanh nghiệp đóng BHXH cho đủ số người lao động", "Require the employer to insure all its workers",
	  4, {
	    { ROLE_SOCIAL_SECURITY, "Đối chiếu danh sách lao động, đôn đốc doanh nghiệp đóng đủ cho mọi người lao động thuộc diện bắt buộc",
	      "Check the employer's list of workers and urge it to insure every worker who must be insured" },
	    { ROLE_LABOUR_INSPECTION, "Thanh tra, kiểm tra doanh nghiệp về việc đóng BHXH không đủ số người lao động",
	      "Inspect the employer for leaving workers uninsured" },
	    { ROLE_DISTRICT_COMMITTEE, DISTRICT_EMPLOYER_VI, DISTRICT_EMPLOYER_EN },
	    { ROLE_TRADE_UNION, "Thay mặt người lao động yêu cầu doanh nghiệp đóng BHXH cho đủ người lao động",
	      "Act on the workers' behalf: demand that every worker be insured" } }, 0 },
	{ "arrears", KIND_FINDING, 1,
	  "Đơn vị nợ đóng BHXH", "Unit in arrears",
	  1, { EV_M("insured_unit") },
	  "Cần dữ liệu đơn vị tham gia của BHXH (insured_unit) của tháng",
	  "Needs Social Security's unit data (insured_unit) of the month",
	  "số tháng nợ đóng", "months in arrears", "tháng", "months",
	  "Đôn đốc đơn vị nộp đủ số tiền nợ đóng BHXH", "Urge the unit to pay what it owes",
	  4, {
	    { ROLE_SOCIAL_SECURITY, "Thu hồi số tiền nợ đóng BHXH, BHTN; đề nghị thanh tra nếu đơn vị cố tình nợ",
	      "Recover the arrears; ask for an inspection if the unit owes on purpose" },
	    { ROLE_LABOUR_INSPECTION, "Thanh tra, kiểm tra đơn vị nợ đóng BHXH kéo dài, xử lý vi phạm theo quy định",
	      "Inspect the unit for its long arrears and sanction what is found" },
	    { ROLE_DISTRICT_COMMITTEE, "Chỉ đạo, giám sát việc thu hồi nợ đóng BHXH của đơn vị",
	      "Direct and supervise the recovery of the unit's arrears" },
	    { ROLE_TRADE_UNION, "Thay mặt người lao động khởi kiện đơn vị nợ đóng BHXH làm ảnh hưởng quyền lợi người lao động",
	      "Bring a case on the workers' behalf against the unit whose arrears harm them" } }, 0 },
	{ "low_wage_basis", KIND_FINDING, 1,
	  "Tiền lương đóng BHXH thấp hơn lương tối thiểu vùng", "Wage basis below the regional minimum",
	  1, { EV_M("insured_unit") },
	  "Cần dữ liệu đơn vị tham gia của BHXH (insured_unit) của tháng",
	  "Needs Social Security's unit data (insured_unit) of the month",
	  "tiền lương đóng BHXH bình quân một người", "wage basis per insured person", "đồng", "VND",
	  "Yêu cầu đơn vị điều chỉnh tiền lương đóng BHXH", "Require the unit to correct its wage basis",
	  3, {
	    { ROLE_SOCIAL_SECURITY, "Yêu cầu đơn vị điều chỉnh tiền lương đóng BHXH và truy thu phần còn thiếu",
	      "Require the unit to correct its wage basis and collect what is owed" },
	    { ROLE_LABOUR_INSPECTION, "Thanh tra, kiểm tra tiền lương làm căn cứ đóng BHXH của đơn vị",
	      "Inspect the wages the unit declares as the basis of its contributions" },
	    { ROLE_DISTRICT_COMMITTEE, DISTRICT_EMPLOYER_VI, DISTRICT_EMPLOYER_EN } }, 0 },
	{ "unregistered", KIND_FINDING, 1,
	  "Mã số thuế không có trong đăng ký doanh nghiệp", "Tax code not in the business registry",
	  2, { EV_M("tax_employer"), EV_M("insured_unit") },
	  "Cần dữ liệu lao động của cơ quan thuế (tax_employer) và dữ liệu đơn vị tham gia của BHXH (insured_unit) của tháng",
	  "Needs Tax's employer data (tax_employer) and Social Security's unit data (insured_unit) of the month",
	  "số người lao động đã khai báo", "workers declared", "người lao động", "workers",
	  "Đối chiếu với Sở Kế hoạch và Đầu tư và xác minh doanh nghiệp",
	  "Check with the Department of Planning and Investment and verify the employer",
	  0, { { 0, NULL, NULL } }, 0 },
	{ "idle_agent", KIND_FINDING, 1,
	  "Đại lý thu không phát triển người tham gia", "Collection agent with no participants",
	  1, { EV_M("participant") },
	  "Cần dữ liệu người tham gia của BHXH (participant) của tháng",
	  "Needs Social Security's participant data (participant) of the month",
	  "số tháng không có người tham gia mới", "months without a participant", "tháng", "months",
	  "Rà soát, hỗ trợ hoặc thay thế đại lý thu", "Review, support or replace the collection agent",
	  0, { { 0, NULL, NULL } }, 0 },
	{ "behind_target", KIND_FINDING, 1,
	  "Tỷ lệ bao phủ thấp hơn chỉ tiêu", "Coverage behind target",
	  2, { EV_M("participant"), EV_Y("labor_force") },
	  "Cần dữ liệu người tham gia (participant) của tháng và lực lượng lao động (labor_force) của năm",
	  "Needs the participant data (participant) of the month and the labour force (labor_force) of its year",
	  "tỷ lệ bao phủ", "coverage", "%", "%",
	  "Đẩy mạnh phát triển người tham gia BHXH, BHTN để đạt chỉ tiêu",
	  "Step up enrolment in social and unemployment insurance to meet the target",
	  3, {
	    { ROLE_DISTRICT_COMMITTEE, "Chỉ đạo, giám sát các cơ quan, đơn vị trên địa bàn đẩy mạnh phát triển người tham gia BHXH để đạt chỉ tiêu",
	      "Direct and supervise the bodies of the area in enrolling more people to meet the target" },
	    { ROLE_SOCIAL_SECURITY, "Tăng cường phát triển người tham gia BHXH bắt buộc và tự nguyện trên địa bàn",
	      "Enrol more people in compulsory and voluntary insurance in the area" },
	    { ROLE_LABOUR_INSPECTION, "Tăng cường thanh tra, kiểm tra việc tham gia BHXH của doanh nghiệp trên địa bàn",
	      "Inspect more of the area's employers for their social insurance" } }, 0 },
	{ "off_track", KIND_FINDING, 1,
	  "Không đạt mục tiêu năm {goal_year} theo xu hướng", "Off track for the {goal_year} goal",
	  2, { EV_M("participant"), EV_Y("labor_force") },
	  "Cần dữ liệu người tham gia (participant) của tháng và lực lượng lao động (labor_force) của năm; mục tiêu năm {goal_year}: {goal_bhxh_pct}% tham gia BHXH, {goal_bhtn_pct}% tham gia BHTN",
	  "Needs the participant data (participant) of the month and the labour force (labor_force) of its year; the {goal_year} goal: {goal_bhxh_pct}% in social insurance, {goal_bhtn_pct}% in unemployment insurance",
	  "tỷ lệ bao phủ dự báo", "projected coverage", "%", "%",
	  "Xây dựng giải pháp để đạt mục tiêu năm {goal_year}", "Plan measures to reach the {goal_year} goal",
	  3, {
	    { ROLE_DISTRICT_COMMITTEE, "Chỉ đạo, giám sát các cơ quan, đơn vị trên địa bàn có giải pháp để đạt mục tiêu năm {goal_year}",
	      "Direct and supervise the bodies of the area in measures to reach the {goal_year} goal" },
	    { ROLE_SOCIAL_SECURITY, "Tăng cường phát triển người tham gia BHXH bắt buộc và tự nguyện để đạt mục tiêu năm {goal_year}",
	      "Enrol more people in compulsory and voluntary insurance to reach the {goal_year} goal" },
	    { ROLE_LABOUR_INSPECTION, "Tăng cường thanh tra, kiểm tra việc tham gia BHXH của doanh nghiệp trên địa bàn",
	      "Inspect more of the area's employers for their social insurance" } }, 0 },
	{ "missing_data", KIND_FINDING, 1,
	  "Chưa nộp dữ liệu đúng hạn", "Data not submitted on time",
	  0, { { NULL, 0 } },
	  "Không cần dữ liệu nào: chính việc thiếu dữ liệu sau hạn nộp là phát hiện",
	  "Needs no data: the lack of data after its deadline is the finding",
	  "số ngày trễ hạn", "days late", "ngày", "days",
	  "Gửi dữ liệu còn thiếu càng sớm càng tốt", "Send the missing data as soon as possible",
	  0, { { 0, NULL, NULL } }, 0 },
	{ "quarantined_file", KIND_OPERATOR, 1,
	  "Tệp dữ liệu bị cách ly, chưa áp dụng", "Data file quarantined, not applied",
	  0, { { NULL, 0 } }, "", "",
	  "số thứ tự tệp", "file number", "", "",
	  "Xem xét và quyết định áp dụng lại hoặc bỏ tệp (bhxhctl quarantine list)",
	  "Review the file and retry or drop it (bhxhctl quarantine list)",
	  0, { { 0, NULL, NULL } }, 0 },
	{ "feed_stopped", KIND_OPERATOR, 1,
	  "Không cơ quan nào gửi dữ liệu của một tháng đã quá hạn nộp", "No agency has sent data for a month past its deadline",
	  0, { { NULL, 0 } },
	  "Không cần dữ liệu nào: không có dữ liệu nào của tháng sau hạn nộp; bộ phận vận hành được báo một lần",
	  "Needs no data: no data of the month came by its deadline; the operator is told once",
	  "số ngày quá hạn", "days past the deadline", "ngày", "days",
	  "Kiểm tra đường truyền dữ liệu và liên hệ các cơ quan gửi dữ liệu",
	  "Check the data feed and contact the agencies that send data",
	  0, { { 0, NULL, NULL } }, 1 },
	{ "dead_letter", KIND_OPERATOR, 0,
	  "Thông báo không gửi được", "Notice could not be delivered",
	  0, { { NULL, 0 } }, "", "",
	  "số lần thử", "attempts", "lần", "attempts",
	  "Kiểm tra địa chỉ hoặc máy chủ nhận; gửi lại thông báo bằng cách khác nếu cần",
	  "Check the address or the receiving server; send the notice another way if needed",
	  0, { { 0, NULL, NULL } }, 0 },
};

#define NKINDS ((int)(sizeof(s_kinds) / sizeof(s_kinds[0])))

const kind_t *
kind_find(const char *name)
{
	for (int i = 0; name != NULL && i < NKINDS; i++)
		if (strcmp(s_kinds[i].name, name) == 0)
			return &s_kinds[i];
	return NULL;
}

int
kind_count(void)
{
	return NKINDS;
}

const kind_t *
kind_at(int i)
{
	return i >= 0 && i < NKINDS ? &s_kinds[i] : NULL;
}

/* s_pct - a percentage as the reports print it. */
static void
s_pct(sb_t *out, double v)
{
	char b[64];

	report_number(b, sizeof(b), v);
	sb_add(out, b);
}

void
kind_expand(const config_t *c, const char *tmpl, sb_t *out)
{
	const char *p = tmpl != NULL ? tmpl : "";

	while (*p) {
		const char *brace = strchr(p, '{');

		if (brace == NULL) {
			sb_add(out, p);
			return;
		}
		sb_addn(out, p, (size_t)(brace - p));
		p = brace;
		if (c != NULL && strncmp(p, "{goal_year}", 11) == 0) {
			sb_addf(out, "%d", c->goal.year);
			p += 11;
		} else if (c != NULL && strncmp(p, "{goal_bhxh_pct}", 15) == 0) {
			s_pct(out, c->goal.bhxh_pct);
			p += 15;
		} else if (c != NULL && strncmp(p, "{goal_bhtn_pct}", 15) == 0) {
			s_pct(out, c->goal.bhtn_pct);
			p += 15;
		} else {
			sb_addn(out, p, 1);
			p++;
		}
	}
}

void
kind_label(const config_t *c, const char *name, int vi, sb_t *out)
{
	const kind_t *k = kind_find(name);

	if (k == NULL)
		sb_add(out, name != NULL ? name : "");
	else
		kind_expand(c, vi ? k->vi : k->en, out);
}

void
kind_action(const config_t *c, const char *name, alert_role_t role, int vi, sb_t *out)
{
	const kind_t *k = kind_find(name);

	if (k == NULL)
		return;
	for (int i = 0; i < k->nactions; i++)
		if (k->actions[i].role == role) {
			kind_expand(c, vi ? k->actions[i].vi : k->actions[i].en, out);
			return;
		}
	kind_expand(c, vi ? k->action_vi : k->action_en, out);
}

int
kind_needs(const kind_t *k, const char *rtype, kind_ev_when_t when)
{
	for (int i = 0; k != NULL && i < k->nevidence; i++)
		if (strcmp(k->evidence[i].rtype, rtype) == 0 && k->evidence[i].when == when)
			return 1;
	return 0;
}

const char *
kind_severity_vi(const char *severity)
{
	static const char *const vi[] = { "thông tin", "cảnh báo", "nghiêm trọng", "rất nghiêm trọng" };
	int r = alert_severity_rank(severity);

	return r >= 0 ? vi[r] : severity;
}

const char *
kind_severity_en(const char *severity)
{
	static const char *const en[] = { "info", "warning", "major", "critical" };
	int r = alert_severity_rank(severity);

	return r >= 0 ? en[r] : severity;
}

/* kind_rtype_name - what a record type holds, in words a clerk uses (the
 * evidence of the kinds above is named in these); rtype itself if unknown. */
const char *
kind_rtype_name(const char *rtype, int vi)
{
	static const char *const map[][3] = {
		{ "participant", "danh sách người tham gia", "insured people" },
		{ "insured_unit", "danh sách đơn vị tham gia BHXH", "insured units" },
		{ "tax_employer", "danh sách doanh nghiệp khai thuế (số lao động)", "employers and their workers (tax)" },
		{ "enterprise", "danh bạ đăng ký doanh nghiệp", "business registry" },
		{ "labor_force", "lực lượng lao động", "labour force" },
		{ "target", "chỉ tiêu bao phủ", "coverage targets" },
		{ "collection_agent", "danh sách đại lý thu", "collection agents" },
	};

	for (size_t i = 0; rtype != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], rtype) == 0)
			return map[i][vi ? 1 : 2];
	return rtype != NULL ? rtype : "";
}

/* kind_rtype_vi - kind_rtype_name in Vietnamese. */
const char *
kind_rtype_vi(const char *rtype)
{
	return kind_rtype_name(rtype, 1);
}
