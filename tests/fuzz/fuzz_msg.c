/* fuzz_msg - libFuzzer harness for the message decoder (common/msg.c).
 *
 * Feeds arbitrary bytes to msg_decode. Whatever decodes must encode again,
 * decode again to the same type and id, and re-encode to the same bytes (the
 * encoding of a decoded message is canonical). Crashes, leaks and sanitizer
 * reports are findings; so is any of these checks failing (abort).
 *
 *   clang -fsanitize=fuzzer,address -Icommon tests/fuzz/fuzz_msg.c common/msg.c -lmsgpackc
 *   ./a.out -max_len=65536 corpus/ */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s_check - abort (a finding) unless cond holds. */
static void s_check(int cond)
{
	if (!cond)
		abort();
}

/* LLVMFuzzerTestOneInput - decode, then encode/decode/encode round trip. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const msg_t zero;
	msg_t m, m2;
	char err[256];
	char *buf = NULL;
	char *buf2 = NULL;
	size_t len = 0;
	size_t len2 = 0;

	if (msg_decode((const char *)data, size, &m, err, sizeof(err)) == -1) {
		/* a failed decode leaves nothing behind and says why */
		s_check(memcmp(&m, &zero, sizeof(m)) == 0);
		s_check(err[0] != '\0');
		return 0;
	}

	s_check(msg_encode(&m, &buf, &len) == 0);
	s_check(msg_decode(buf, len, &m2, err, sizeof(err)) == 0);
	s_check(m2.version == m.version);
	s_check(m2.type == m.type);
	s_check(m2.id == m.id);
	s_check(msg_encode(&m2, &buf2, &len2) == 0);
	s_check(len2 == len && memcmp(buf, buf2, len) == 0);

	msg_free(&m);
	msg_free(&m2);
	free(buf);
	free(buf2);
	return 0;
}
