// fuzz-sources: src/proto.c
// fuzz-ldflags: -levent
/*
 * libFuzzer target for the startup phase of a client connection: the
 * input is everything a client sends before it is logged in, framed the
 * way client.c handle_startup() frames it (proto_frame_startup(), then
 * proto_parse_startup() on an exactly-sized heap copy of the body, so
 * AddressSanitizer flags any read past the packet).  SSLRequest and
 * GSSENCRequest let the loop go on, like the proxy answering 'N'; any
 * other packet or error ends it.  Checked on the side: every parameter
 * name and value lies inside the body and is NUL-terminated there, they
 * tile the body in order (client.c copies names[0] .. end of the last
 * value as one block), and the CancelRequest/encryption codes come with
 * their exact lengths.  Owns nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pgsteer.h's MAX_STARTUP_PACKET; pgsteer.h itself pulls in the daemon. */
#define FUZZ_MAX_STARTUP_PACKET 10000

/* The parameters must be NUL-terminated strings inside BODY, back to back. */
static void check_params(const char *body, size_t blen, const struct startup_packet *sp)
{
	const char *expect = body + 4;

	if (sp->n_params < 0 || sp->n_params > 64)
		abort();
	for (int i = 0; i < sp->n_params; i++) {
		const char *n = sp->names[i], *v = sp->values[i];

		if (n != expect || n < body + 4 || n >= body + blen)
			abort();
		if (memchr(n, '\0', (size_t)(body + blen - n)) == NULL)
			abort();
		if (v != n + strlen(n) + 1 || v >= body + blen)
			abort();
		if (memchr(v, '\0', (size_t)(body + blen - v)) == NULL)
			abort();
		if (n[0] == '\0')
			abort();	/* an empty name is the terminator, never a parameter */
		expect = v + strlen(v) + 1;
	}
	/* what is left is exactly the terminating NUL */
	if (expect != body + blen - 1 || *expect != '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (size - pos >= 4) {
		struct startup_packet sp;
		enum proto_frame f;
		const char *err;
		uint32_t len;
		char *body;

		f = proto_frame_startup(data + pos, size - pos, FUZZ_MAX_STARTUP_PACKET, &len);
		if (f == PROTO_FRAME_BAD_LENGTH) {
			if (len >= 8 && len <= FUZZ_MAX_STARTUP_PACKET)
				abort();
			return 0;
		}
		if (f == PROTO_FRAME_NEED_MORE) {
			if (len <= size - pos)
				abort();
			return 0;
		}
		if (f != PROTO_FRAME_OK || len < 8 || len > size - pos)
			abort();
		body = malloc(len - 4);
		if (body == NULL)
			return 0;
		memcpy(body, data + pos + 4, len - 4);
		err = proto_parse_startup(body, len - 4, &sp);
		if (err == NULL) {
			if (sp.code == PROTO_CANCEL_CODE && len != 16)
				abort();
			if ((sp.code == PROTO_SSL_CODE || sp.code == PROTO_GSSENC_CODE) && len != 8)
				abort();
			if (sp.code != PROTO_CANCEL_CODE && sp.code != PROTO_SSL_CODE &&
			    sp.code != PROTO_GSSENC_CODE) {
				if ((sp.code >> 16) != 3)
					abort();
				check_params(body, len - 4, &sp);
			}
		} else if (err[0] == '\0') {
			abort();
		}
		free(body);
		pos += len;
		if (err != NULL || (sp.code != PROTO_SSL_CODE && sp.code != PROTO_GSSENC_CODE))
			return 0;
	}
	return 0;
}
