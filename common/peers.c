/* peers - the table of who may send what to whom (see peers.h). */
#include "peers.h"
#include "msg.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *receiver;
	int type;
	const char *sender;
} s_table[] = {
	{ "ingest", MSG_T_FILE_DONE, "aggregate" },
	{ "validate", MSG_T_BATCH, "ingest" },
	{ "validate", MSG_T_FILE_END, "ingest" },
	{ "aggregate", MSG_T_BATCH, "validate" },
	{ "aggregate", MSG_T_FILE_END, "validate" },
	{ "alert", MSG_T_EVENTS, "aggregate" },
	{ "alert", MSG_T_SUMMARY, "aggregate" },
};

const char *
peers_role(const char *name, char *buf, unsigned size)
{
	size_t n = strlen(name);
	const char *dash = strrchr(name, '-');

	if (dash != NULL && dash[1] != '\0' && strspn(dash + 1, "0123456789") == strlen(dash + 1))
		n = (size_t)(dash - name);
	snprintf(buf, size, "%.*s", (int)n, name);
	return buf;
}

const char *
peers_allowed_sender(const char *receiver, int type)
{
	char r[32];

	peers_role(receiver, r, sizeof(r));
	for (size_t i = 0; i < sizeof(s_table) / sizeof(s_table[0]); i++)
		if (strcmp(s_table[i].receiver, r) == 0 && s_table[i].type == type)
			return s_table[i].sender;
	return NULL;
}

int
peers_may_send(const char *receiver, const char *sender, int type)
{
	const char *want = peers_allowed_sender(receiver, type);
	char s[32];

	if (want == NULL)
		return 0;
	return sender == NULL || strcmp(peers_role(sender, s, sizeof(s)), want) == 0;
}

int
peers_may_connect(const char *receiver, int control, const char *sender)
{
	char r[32], s[32];

	if (control)
		return strcmp(sender, "operator") == 0;
	peers_role(receiver, r, sizeof(r));
	peers_role(sender, s, sizeof(s));
	for (size_t i = 0; i < sizeof(s_table) / sizeof(s_table[0]); i++)
		if (strcmp(s_table[i].receiver, r) == 0 && strcmp(s_table[i].sender, s) == 0)
			return 1;
	return 0;
}
