/* template - the empty files agencies fill (template.h): the headings, an
 * example row that passes the row checks, and their CSV and .xlsx forms. */
#include "template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "rowcheck.h"
#include "xalloc.h"

#define TPL_CANDIDATES 3 /* values tried per field, at most */
#define TPL_ROUNDS 8     /* checks of the row, at most */

/* tpl_heading - the first alias, else the name. */
const char *
tpl_heading(const cfg_field_t *f)
{
	return f->naliases > 0 && f->aliases[0][0] != '\0' ? f->aliases[0] : f->name;
}

/* tpl_text_column - codes, dates, words: text. */
int
tpl_text_column(const cfg_field_t *f)
{
	return f->type != FT_MONEY && f->type != FT_INT && f->type != FT_PCT && f->type != FT_YEAR;
}

/* s_org_unit - the first unit without children inside ag's scope (the
 * whole tree without one), or the scope itself. */
static const char *
s_org_unit(const config_t *c, const cfg_agency_t *ag)
{
	int root = ag != NULL && ag->scope != NULL ? config_unit_index(c, ag->scope) : 0;

	if (root < 0)
		root = 0;
	for (int u = root; u < c->nunits; u++)
		if (c->units[u].nchildren == 0 && config_unit_within(c, u, root))
			return c->units[u].code;
	return c->nunits > 0 ? c->units[root].code : "";
}

/* s_number - v as the shortest decimal with a comma (the Vietnamese mark). */
static char *
s_number(double v)
{
	char buf[64], *dot;

	snprintf(buf, sizeof(buf), "%.4f", v);
	while (strchr(buf, '.') != NULL && (buf[strlen(buf) - 1] == '0' || buf[strlen(buf) - 1] == '.'))
		buf[strlen(buf) - 1] = '\0';
	if ((dot = strchr(buf, '.')) != NULL)
		*dot = ',';
	return xstrdup(buf);
}

/* s_clamp - v within the field's bounds. */
static double
s_clamp(const cfg_field_t *f, double v)
{
	if (f->has_min && v < f->min)
		v = f->min;
	if (f->has_max && v > f->max)
		v = f->max;
	return v;
}

/* s_candidate - the k-th value tried for field f (malloc'd), or NULL when
 * there is none left. */
static char *
s_candidate(const config_t *c, const cfg_agency_t *ag, const cfg_field_t *f, int k, int year, int month)
{
	char buf[64];

	if (k > 0 && !f->required && f->type != FT_BOOL && f->type != FT_ENUM)
		return k == 1 ? xstrdup("") : NULL; /* an optional cell left empty breaks no rule */
	switch (f->type) {
	case FT_STRING: return k == 0 ? xstrdup("Đơn vị mẫu") : NULL;
	case FT_TAX_CODE: return k == 0 ? xstrdup("0300588569") : NULL;
	case FT_INSURANCE_NO: return k == 0 ? xstrdup("0612345678") : NULL;
	case FT_CITIZEN_ID: return k == 0 ? xstrdup("006089001234") : NULL;
	case FT_UNIT_CODE: return k == 0 ? xstrdup("TA0001") : NULL;
	case FT_CODE: return k == 0 ? xstrdup("DL0001") : NULL;
	case FT_ORG_UNIT: case FT_ORG_UNIT_LEAF: return k == 0 ? xstrdup(s_org_unit(c, ag)) : NULL;
	case FT_DATE:
		snprintf(buf, sizeof(buf), "15/%02d/%04d", month, year);
		return k == 0 ? xstrdup(buf) : NULL;
	case FT_PERIOD:
		snprintf(buf, sizeof(buf), "%02d/%04d", month, year);
		return k == 0 ? xstrdup(buf) : NULL;
	case FT_YEAR:
		snprintf(buf, sizeof(buf), "%04d", year);
		return k == 0 ? xstrdup(buf) : NULL;
	case FT_MONEY: return k == 0 ? xstrdup("15.000.000") : k == 1 ? xstrdup("0") : NULL;
	case FT_INT:
		/* a count of people: a unit's workers, or a district's labour force */
		snprintf(buf, sizeof(buf), "%.0f", s_clamp(f, k > 0 ? 0 : f->has_max && f->max >= 1e7 ? 25000 : 10));
		return k < 2 ? xstrdup(buf) : NULL;
	case FT_PCT: return k < 2 ? s_number(s_clamp(f, k == 0 ? 35.5 : 0)) : NULL;
	case FT_BOOL: return k == 0 ? xstrdup("có") : k == 1 ? xstrdup("không") : NULL;
	case FT_ENUM:
		if (k >= f->nvalues)
			return NULL;
		return xstrdup(f->value_aliases[k] != NULL && f->value_aliases[k][0] != NULL ? f->value_aliases[k][0]
		    : f->values[k]);
	}
	return NULL;
}

/* tpl_example - candidates by type, the next one for each field the row
 * checks refuse. */
int
tpl_example(const config_t *c, const cfg_agency_t *ag, const cfg_rtype_t *rt, int year, int month, char **values)
{
	int *k = xcalloc((size_t)rt->nfields + 1, sizeof(int));
	char **out = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	rowcheck_error_t errs[ROWCHECK_MAX_ERRORS];
	int rc = -1;

	for (int i = 0; i < rt->nfields; i++)
		values[i] = s_candidate(c, ag, &rt->fields[i], 0, year, month);
	for (int round = 0; round < TPL_ROUNDS; round++) {
		rowcheck_errors_t e = { errs, ROWCHECK_MAX_ERRORS, 0, 0 };
		int moved = 0;

		for (int i = 0; i < rt->nfields; i++)
			if (values[i] == NULL)
				values[i] = xstrdup("");
		if (rowcheck_row_all(c, ag, rt, values, out, &e) == 0) {
			for (int i = 0; i < rt->nfields; i++)
				free(out[i]);
			rc = 0;
			break;
		}
		for (unsigned n = 0; n < e.n; n++) {
			int fi = errs[n].field != NULL ? config_field_index(rt, errs[n].field) : -1;
			char *next;

			if (fi < 0 || k[fi] + 1 >= TPL_CANDIDATES)
				continue;
			if ((next = s_candidate(c, ag, &rt->fields[fi], k[fi] + 1, year, month)) == NULL)
				continue;
			k[fi]++;
			free(values[fi]);
			values[fi] = next;
			moved = 1;
		}
		if (!moved)
			break;
	}
	free(out);
	free(k);
	return rc;
}

void
tpl_free_values(const cfg_rtype_t *rt, char **values)
{
	for (int i = 0; i < rt->nfields; i++) {
		free(values[i]);
		values[i] = NULL;
	}
}

/* tpl_csv - BOM, header, example, CRLF. */
void
tpl_csv(sb_t *b, const cfg_rtype_t *rt, char *const *values)
{
	sb_add(b, "\xEF\xBB\xBF");
	for (int row = 0; row < 2; row++) {
		for (int i = 0; i < rt->nfields; i++) {
			if (i > 0)
				sb_add(b, ",");
			sb_csv_field(b, row == 0 ? tpl_heading(&rt->fields[i]) : values[i]);
		}
		sb_add(b, "\r\n");
	}
}

/* s_xml - s escaped for XML text and attributes; control characters dropped. */
static void
s_xml(sb_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_add(b, "&amp;"); break;
		case '<': sb_add(b, "&lt;"); break;
		case '>': sb_add(b, "&gt;"); break;
		case '"': sb_add(b, "&quot;"); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				sb_addn(b, s, 1);
		}
	}
}

/* s_col - the column letters of 0-based column i (A, B, ..., AA, ...). */
static void
s_col(char *buf, size_t size, int i)
{
	char tmp[8];
	int n = 0;

	for (i++; i > 0 && n < (int)sizeof(tmp); i = (i - 1) / 26)
		tmp[n++] = (char)('A' + (i - 1) % 26);
	for (int k = 0; k < n && (size_t)k + 1 < size; k++)
		buf[k] = tmp[n - 1 - k];
	buf[n < (int)size ? n : (int)size - 1] = '\0';
}

/* s_numeric - the canonical number of a numeric example ("15.000.000" ->
 * "15000000", "35,5" -> "35.5"), or NULL when v is no plain number. */
static char *
s_numeric(const cfg_field_t *f, const char *v)
{
	char *n = xcalloc(strlen(v) + 1, 1), *p = n;

	if (v[0] == '\0' || tpl_text_column(f)) {
		free(n);
		return NULL;
	}
	for (const char *s = v; *s; s++) {
		if (*s >= '0' && *s <= '9')
			*p++ = *s;
		else if (*s == ',' && f->type == FT_PCT)
			*p++ = '.';
		else if (*s == '-' && s == v)
			*p++ = '-';
		else if (!((*s == '.' || *s == ',' || *s == ' ') && f->type != FT_PCT)) {
			free(n);
			return NULL;
		}
	}
	return n;
}

/* s_sheet - the worksheet: frozen header row, column widths and styles
 * (text "@" for identifier columns), the header in bold, the example. */
static void
s_sheet(sb_t *b, const cfg_rtype_t *rt, char *const *values)
{
	char ref[16];

	sb_add(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	    "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\""
	    " state=\"frozen\"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/><cols>");
	for (int i = 0; i < rt->nfields; i++) {
		size_t w = strlen(tpl_heading(&rt->fields[i]));

		sb_addf(b, "<col min=\"%d\" max=\"%d\" width=\"%d\" customWidth=\"1\"%s/>", i + 1, i + 1,
		    w < 14 ? 16 : w > 40 ? 42 : (int)w + 2, tpl_text_column(&rt->fields[i]) ? " style=\"1\"" : "");
	}
	sb_add(b, "</cols><sheetData>");
	for (int row = 1; row <= 2; row++) {
		sb_addf(b, "<row r=\"%d\">", row);
		for (int i = 0; i < rt->nfields; i++) {
			const cfg_field_t *f = &rt->fields[i];
			const char *v = row == 1 ? tpl_heading(f) : values[i];
			char *num = row == 1 ? NULL : s_numeric(f, v);

			s_col(ref, sizeof(ref), i);
			if (num != NULL)
				sb_addf(b, "<c r=\"%s%d\"><v>%s</v></c>", ref, row, num);
			else if (v[0] != '\0' || row == 1) {
				sb_addf(b, "<c r=\"%s%d\" s=\"%d\" t=\"inlineStr\"><is><t>", ref, row,
				    row == 1 ? 2 : tpl_text_column(f) ? 1 : 0);
				s_xml(b, v);
				sb_add(b, "</t></is></c>");
			}
			free(num);
		}
		sb_add(b, "</row>");
	}
	sb_add(b, "</sheetData></worksheet>\n");
}

/* s_zip_add - one part of the package from a string (copied by libzip on close). */
static int
s_zip_add(zip_t *za, const char *name, const char *data)
{
	zip_source_t *src = zip_source_buffer(za, data, strlen(data), 0);

	if (src == NULL)
		return -1;
	if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
		zip_source_free(src);
		return -1;
	}
	return 0;
}

/* tpl_xlsx - [Content_Types].xml, the relationships, the workbook, the
 * styles and one sheet. */
int
tpl_xlsx(const char *path, const cfg_rtype_t *rt, char *const *values, char *err, size_t errsz)
{
	static const char types[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	    "<Override PartName=\"/xl/workbook.xml\""
	    " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
	    "<Override PartName=\"/xl/worksheets/sheet1.xml\""
	    " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
	    "<Override PartName=\"/xl/styles.xml\""
	    " ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
	    "</Types>\n";
	static const char rels[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	    "officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\n";
	static const char wbrels[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	    "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	    "styles\" Target=\"styles.xml\"/></Relationships>\n";
	/* xf 0: General; 1: text "@" (built-in format 49); 2: text in bold (the header) */
	static const char styles[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	    "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
	    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
	    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
	    "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
	    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
	    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
	    "<cellXfs count=\"3\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
	    "<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
	    "<xf numFmtId=\"49\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\""
	    " applyFont=\"1\"/></cellXfs>"
	    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
	    "</styleSheet>\n";
	sb_t wb, sheet;
	zip_t *za;
	int zerr = 0, rc = -1;
	char sheetname[32];

	snprintf(sheetname, sizeof(sheetname), "%.31s", rt->name); /* Excel allows 31 characters */
	sb_init(&wb);
	sb_init(&sheet);
	sb_add(&wb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
	    " xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"");
	s_xml(&wb, sheetname);
	sb_add(&wb, "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>\n");
	s_sheet(&sheet, rt, values);
	if ((za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr)) == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errsz, "%s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto out;
	}
	if (s_zip_add(za, "[Content_Types].xml", types) != 0 || s_zip_add(za, "_rels/.rels", rels) != 0 ||
	    s_zip_add(za, "xl/workbook.xml", wb.data) != 0 || s_zip_add(za, "xl/_rels/workbook.xml.rels", wbrels) != 0 ||
	    s_zip_add(za, "xl/styles.xml", styles) != 0 || s_zip_add(za, "xl/worksheets/sheet1.xml", sheet.data) != 0) {
		snprintf(err, errsz, "%s: %s", path, zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	if (zip_close(za) != 0) {
		snprintf(err, errsz, "%s: %s", path, zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	rc = 0;
out:
	sb_free(&wb);
	sb_free(&sheet);
	return rc;
}

/* tpl_write - hidden temporary beside path, flushed, renamed in without
 * replacing anything. */
int
tpl_write(const char *path, const char *format, const cfg_rtype_t *rt, char *const *values, char *err,
    size_t errsz)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash != NULL ? (size_t)(slash - path + 1) : 0;
	char *tmp = xcalloc(strlen(path) + 32, 1);
	int fd = -1, rc = -1, saved;

	snprintf(tmp, strlen(path) + 32, "%.*s.%s.%d.tmp", (int)dirlen, path, path + dirlen, (int)getpid());
	if (access(path, F_OK) == 0) {
		snprintf(err, errsz, "%s exists already; it is not replaced (give another name with --out)", path);
		errno = EEXIST;
		free(tmp);
		return -1;
	}
	if (strcmp(format, "xlsx") == 0) {
		if (tpl_xlsx(tmp, rt, values, err, errsz) != 0)
			goto fail;
		fd = open(tmp, O_RDONLY | O_CLOEXEC);
	} else {
		sb_t b;
		size_t off = 0;

		sb_init(&b);
		tpl_csv(&b, rt, values);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		while (fd >= 0 && off < b.len) {
			ssize_t n = write(fd, b.data + off, b.len - off);

			if (n < 0) {
				saved = errno;
				close(fd);
				fd = -1;
				errno = saved;
				break;
			}
			off += (size_t)n;
		}
		sb_free(&b);
	}
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		saved = errno;
		snprintf(err, errsz, saved == EEXIST ? "%s exists already; it is not replaced (give another name with --out)"
		    : "%s: cannot be written", path);
		if (saved != EEXIST)
			snprintf(err + strlen(err), errsz - strlen(err), " (%s)", strerror(saved));
		errno = saved;
		goto fail;
	}
	fs_fsync_dir(path);
	rc = 0;
	goto out;
fail:
	saved = errno;
	unlink(tmp);
	errno = saved;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}
