// fuzz-sources: src/proto.c
// fuzz-ldflags: -levent
/*
 * libFuzzer target for the framing of a logged-in client's byte stream.
 * The input's first byte picks where the stream is cut into evbuffer
 * chains of 1 to 64 bytes, at most about 64 of them (messages straddle
 * chain boundaries the way socket reads leave them); the rest is the
 * stream.  It is walked message by message with
 * proto_peek_header() at growing offsets and proto_frame_frontend(), the
 * way relay.c walks a client's input, and the bodies pgsteer looks into
 * are parsed: PasswordMessage as a SASLInitialResponse
 * (proto_parse_sasl_initial()), and any body as ErrorResponse fields
 * (proto_parse_error(), which reads server input of the same layout).
 * Checked on the side: the header peeked at an offset equals the bytes
 * there, framing agrees with its own rule, and parsed pointers stay inside
 * exactly-sized heap copies.  Owns nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small max_packet_size so the fuzzer can reach both sides of it. */
#define FUZZ_MAX_PACKET 4096

static void parse_bodies(uint8_t type, const uint8_t *msg, uint32_t len)
{
	size_t blen = len - 4;
	char *body = malloc(blen ? blen : 1);
	struct error_fields ef;

	if (body == NULL)
		return;
	memcpy(body, msg + PROTO_HEADER_LEN, blen);
	if (type == 'p') {
		const char *mech, *d;
		size_t dlen;

		if (proto_parse_sasl_initial(body, blen, &mech, &d, &dlen) == NULL) {
			if (mech != body || strlen(mech) >= blen)
				abort();
			if (d < body || d + dlen != body + blen)
				abort();
		}
	}
	proto_parse_error((const uint8_t *)body, blen, &ef);
	if (strnlen(ef.severity, sizeof(ef.severity)) == sizeof(ef.severity) ||
	    strnlen(ef.sqlstate, sizeof(ef.sqlstate)) == sizeof(ef.sqlstate) ||
	    strnlen(ef.message, sizeof(ef.message)) == sizeof(ef.message))
		abort();
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	size_t chunk, pos, off = 0;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 64;
	data++;
	size--;
	/* at most ~64 chains: thousands of 1-byte chains only make each run slow */
	if (chunk < size / 64)
		chunk = size / 64;
	in = evbuffer_new();
	if (in == NULL)
		return 0;
	/* separate chains: evbuffer_add of small pieces may coalesce, add_reference does not */
	for (pos = 0; pos < size; pos += chunk) {
		size_t n = size - pos < chunk ? size - pos : chunk;

		if (evbuffer_add_reference(in, data + pos, n, NULL, NULL) < 0)
			break;
	}
	for (;;) {
		uint8_t type;
		uint32_t len;
		enum proto_frame f;

		if (!proto_peek_header(in, off, &type, &len)) {
			if (off + PROTO_HEADER_LEN <= size)
				abort();
			break;
		}
		if (type != data[off] || len != proto_get_u32(data + off + 1))
			abort();
		f = proto_frame_frontend(type, len, size - off, FUZZ_MAX_PACKET);
		if (f == PROTO_FRAME_BAD_TYPE || f == PROTO_FRAME_BAD_LENGTH)
			break;
		if (f == PROTO_FRAME_NEED_MORE) {
			if ((size_t)len + 1 <= size - off)
				abort();
			break;
		}
		if (len < 4 || len > FUZZ_MAX_PACKET || off + 1 + len > size)
			abort();
		parse_bodies(type, data + off, len);
		off += 1 + (size_t)len;
	}
	evbuffer_free(in);
	return 0;
}
