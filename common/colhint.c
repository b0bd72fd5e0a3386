/* colhint - column headings in receipts: the clerk's own, the closest
 * accepted one, the accepted ones of a missing field (see colhint.h). */
#include "colhint.h"
#include "text.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_MAX 32 /* words of a heading compared; the rest are ignored */
#define LEV_MAX 256  /* bytes of a folded heading compared by edit distance */

/* s_words - split a folded name (words separated by one space) in place. */
static int
s_words(char *s, char **w)
{
	int n = 0;

	for (char *p = strtok(s, " "); p != NULL && n < WORDS_MAX; p = strtok(NULL, " "))
		w[n++] = p;
	return n;
}

/* s_dice - twice the words shared over the words of both (each word of b
 * counted once). */
static double
s_dice(const char *a, const char *b)
{
	char *ca = xstrdup(a), *cb = xstrdup(b), *wa[WORDS_MAX], *wb[WORDS_MAX];
	char used[WORDS_MAX] = { 0 };
	int na = s_words(ca, wa), nb = s_words(cb, wb), common = 0;

	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (!used[j] && strcmp(wa[i], wb[j]) == 0) {
				used[j] = 1;
				common++;
				break;
			}
	free(ca);
	free(cb);
	return na + nb > 0 ? 2.0 * common / (na + nb) : 0.0;
}

/* s_levenshtein - edit distance of two byte strings (folded names are
 * ASCII but for letters without a plain form), at most LEV_MAX bytes each. */
static size_t
s_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[LEV_MAX + 1], cur[LEV_MAX + 1];

	if (la > LEV_MAX)
		la = LEV_MAX;
	if (lb > LEV_MAX)
		lb = LEV_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1, sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

/* colhint_similarity - the larger of word overlap and edit similarity. */
double
colhint_similarity(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), longer = la > lb ? la : lb;
	double dice, edit;

	if (longer == 0)
		return 0.0;
	if (longer > LEV_MAX)
		longer = LEV_MAX;
	dice = s_dice(a, b);
	edit = 1.0 - (double)s_levenshtein(a, b) / (double)longer;
	return dice > edit ? dice : edit;
}

/* colhint_closest - the best-scoring accepted heading of a field not taken. */
const char *
colhint_closest(const cfg_rtype_t *rt, const char *heading, const char *taken, int *field)
{
	char *key = text_fold_key(heading);
	const char *best = NULL;
	double best_score = COLHINT_MIN;

	*field = -1;
	if (key == NULL)
		return NULL;
	for (int i = 0; i < rt->nfields; i++) {
		const cfg_field_t *f = &rt->fields[i];

		if (taken != NULL && taken[i])
			continue;
		for (int j = -1; j < f->naliases; j++) {
			const char *cand = j < 0 ? f->name : f->aliases[j];
			char *ck = text_fold_key(cand);
			double s = ck != NULL ? colhint_similarity(key, ck) : 0.0;

			/* a tie goes to the heading met first: the field's name, then its aliases in order */
			if (s > best_score || (s == best_score && best == NULL)) {
				best_score = s;
				best = cand;
				*field = i;
			}
			free(ck);
		}
	}
	free(key);
	return best;
}

/* colhint_from_pairs - per-field headings from (field, heading) pairs. */
char **
colhint_from_pairs(const cfg_rtype_t *rt, uint32_t npairs, char *const *pairs)
{
	char **of;

	if (npairs == 0 || pairs == NULL)
		return NULL;
	of = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	for (uint32_t k = 0; k + 1 < npairs; k += 2) {
		int fi = config_field_index(rt, pairs[k]);

		if (fi >= 0 && pairs[k + 1][0] != '\0')
			of[fi] = pairs[k + 1];
	}
	return of;
}

/* colhint_build - headings, hints for unknown columns, missing fields. */
void
colhint_build(colhint_t *h, const cfg_rtype_t *rt, char *const *heading_of, int nunknown, char *const *unknown,
    int want_missing)
{
	char *taken = NULL;

	memset(h, 0, sizeof(*h));
	if (rt == NULL)
		return;
	h->column_of = xcalloc((size_t)rt->nfields + 1, sizeof(char *));
	if (heading_of != NULL) {
		taken = xcalloc((size_t)rt->nfields + 1, 1);
		for (int i = 0; i < rt->nfields; i++) {
			h->column_of[i] = heading_of[i];
			taken[i] = heading_of[i] != NULL;
		}
	}
	if (nunknown > 0) {
		h->hints = xcalloc((size_t)nunknown, sizeof(receipt_hint_t));
		for (int k = 0; k < nunknown; k++) {
			int fi;

			h->hints[k].closest = colhint_closest(rt, unknown[k], taken, &fi);
			h->hints[k].field = fi >= 0 ? rt->fields[fi].name : NULL;
		}
	}
	if (want_missing) {
		h->missing = xcalloc((size_t)rt->nfields + 1, sizeof(receipt_missing_t));
		for (int i = 0; i < rt->nfields; i++) {
			const cfg_field_t *f = &rt->fields[i];
			receipt_missing_t *m;

			if (!f->required || (taken != NULL && taken[i]))
				continue;
			m = &h->missing[h->nmissing++];
			m->field = f->name;
			m->naliases = f->naliases;
			m->aliases = f->aliases;
		}
	}
	free(taken);
}

/* colhint_free - release h. */
void
colhint_free(colhint_t *h)
{
	free(h->column_of);
	free(h->hints);
	free(h->missing);
	memset(h, 0, sizeof(*h));
}
