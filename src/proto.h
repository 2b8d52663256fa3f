/*
 * PostgreSQL v3 wire protocol: message framing constants, builders that
 * append messages to an evbuffer, and parsers for the few messages pgsteer
 * must look into.  No sockets, no state: pure functions over buffers.
 */
#ifndef PGSTEER_PROTO_H
#define PGSTEER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#define PROTO_V3 196608			/* 3.0 */
#define PROTO_CANCEL_CODE 80877102
#define PROTO_SSL_CODE 80877103
#define PROTO_GSSENC_CODE 80877104
#define PROTO_HEADER_LEN 5		/* type byte + int32 length */

/* Authentication request codes. */
#define AUTH_REQ_OK 0
#define AUTH_REQ_PASSWORD 3
#define AUTH_REQ_MD5 5
#define AUTH_REQ_SASL 10
#define AUTH_REQ_SASL_CONT 11
#define AUTH_REQ_SASL_FIN 12

/* A parsed startup packet (points into caller-owned memory). */
struct startup_packet {
	uint32_t code;			/* protocol version or special request code */
	int n_params;
	const char *names[64];
	const char *values[64];
	/* CancelRequest */
	int32_t cancel_pid;
	int32_t cancel_key;
};

/* Fields of an ErrorResponse/NoticeResponse we care about. */
struct error_fields {
	char severity[16];
	char sqlstate[6];
	char message[256];
};

static inline uint32_t proto_get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void proto_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Peek the header of the message at OFFSET in BUF.  Returns false when
 * fewer than 5 bytes are available there.  *len is the protocol length
 * (includes itself, excludes the type byte).
 */
bool proto_peek_header(struct evbuffer *buf, size_t offset, uint8_t *type, uint32_t *len);

/*
 * The N bytes at OFFSET in BUF: in place when its first chain holds them
 * (one recv, one chain: nearly always), else copied into TMP (N bytes).
 * NULL when fewer are there.  Valid until BUF changes.
 */
const uint8_t *proto_peek_bytes(struct evbuffer *buf, size_t offset, size_t n, uint8_t *tmp);

/*
 * The front of an evbuffer as one contiguous run (its first chain), for a
 * walk over many headers: those inside it are read in place, with no
 * libevent call each.  Valid until the buffer changes: reload it after
 * every drain, move or pullup.
 */
struct proto_window {
	const uint8_t *p;
	size_t len;		/* bytes at P */
};

/* Load W with BUF's front; returns BUF's whole length. */
size_t proto_window_load(struct proto_window *w, struct evbuffer *buf);

/* proto_peek_bytes(), through W when W holds the bytes. */
static inline const uint8_t *proto_window_bytes(const struct proto_window *w, struct evbuffer *buf,
						size_t offset, size_t n, uint8_t *tmp)
{
	if (offset + n <= w->len)
		return w->p + offset;
	return proto_peek_bytes(buf, offset, n, tmp);
}

/* Is TYPE a message a client may send after startup? */
bool proto_is_frontend_type(uint8_t type);

/*
 * Parse a startup packet body (after the length word; LEN bytes, the last
 * must be NUL for parameter packets).  Returns NULL on success or a static
 * error message.  Values point into BODY.
 */
const char *proto_parse_startup(char *body, size_t len, struct startup_packet *out);

/* Outcome of framing one message at the head of a client's input. */
enum proto_frame {
	PROTO_FRAME_NEED_MORE,		/* not all of it has arrived yet */
	PROTO_FRAME_OK,			/* complete: *len is valid */
	PROTO_FRAME_BAD_TYPE,		/* not a message a client may send */
	PROTO_FRAME_BAD_LENGTH,		/* length word out of bounds */
};

/*
 * Frame a startup-phase packet (StartupMessage, SSLRequest, CancelRequest
 * ...): LENWORD is its first 4 bytes, AVAIL how many bytes of it have
 * arrived.  The length is judged before waiting for the body, so a huge or
 * negative length word is refused at once.  *len: the whole packet,
 * length word included.
 */
enum proto_frame proto_frame_startup(const uint8_t lenword[4], size_t avail, uint32_t max_len,
				     uint32_t *len);

/*
 * Frame a typed message (type byte, int32 length) given its header fields
 * and the bytes available from its type byte on: the rule every reader of
 * client input applies (a known frontend type, 4 <= len <= MAX_LEN).
 */
enum proto_frame proto_frame_frontend(uint8_t type, uint32_t len, size_t avail, uint64_t max_len);

/*
 * Split a SASLInitialResponse body (mechanism\0, int32 length, data; LEN
 * bytes): *mech points at the NUL-terminated mechanism, *data and *dlen
 * give the client-first message (a length of -1, "no data", is refused).
 * NULL on success or a static error message.
 */
const char *proto_parse_sasl_initial(const char *body, size_t len, const char **mech,
				     const char **data, size_t *dlen);

/* Parse an ErrorResponse/NoticeResponse body. */
void proto_parse_error(const uint8_t *body, size_t len, struct error_fields *out);

/* ---- builders (append to BUF) ---- */
void proto_add_error(struct evbuffer *buf, const char *severity, const char *sqlstate,
		     const char *message, const char *hint);
void proto_add_notice(struct evbuffer *buf, const char *message);
void proto_add_auth(struct evbuffer *buf, uint32_t code, const void *data, size_t len);
void proto_add_param_status(struct evbuffer *buf, const char *name, const char *value);
void proto_add_backend_key(struct evbuffer *buf, int32_t pid, int32_t key);
void proto_add_ready(struct evbuffer *buf, char status);
void proto_add_query(struct evbuffer *buf, const char *sql);
void proto_add_password(struct evbuffer *buf, const char *password);
void proto_add_sasl_initial(struct evbuffer *buf, const char *mech, const char *data, size_t len);
void proto_add_sasl_response(struct evbuffer *buf, const char *data, size_t len);
void proto_add_cancel(struct evbuffer *buf, int32_t pid, int32_t key);
void proto_add_ssl_request(struct evbuffer *buf);
void proto_add_terminate(struct evbuffer *buf);
/* StartupMessage with NULL-terminated name/value arrays. */
void proto_add_startup(struct evbuffer *buf, const char *const *names, const char *const *values);

/* Simple result sets (admin console, SHOW pgsteer.*). */
void proto_add_row_description(struct evbuffer *buf, int ncols, const char *const *names,
			       const uint32_t *type_oids);
void proto_add_data_row(struct evbuffer *buf, int ncols, const char *const *values);
void proto_add_command_complete(struct evbuffer *buf, const char *tag);
void proto_add_empty_query(struct evbuffer *buf);
/* A message without a body: ParseComplete '1', BindComplete '2', CloseComplete '3', NoData 'n'. */
void proto_add_bodyless(struct evbuffer *buf, uint8_t type);
/* Bind of statement STMT to the unnamed portal with NVALUES text VALUES, then Execute of it. */
void proto_add_bind_execute(struct evbuffer *buf, const char *stmt, int nvalues, const char *const *values);
/*
 * A simple Query's statement SQL (N bytes with its NUL) as an extended
 * batch: Parse of the unnamed statement, Bind of the unnamed portal (no
 * parameters, text results), Describe of the portal, Execute, Sync.
 */
void proto_add_query_as_batch(struct evbuffer *buf, const char *sql, size_t n);
/* Parse NAME; BODY is the rest of a Parse body (query\0 int16 n int32 oids[n]). */
void proto_add_parse(struct evbuffer *buf, const char *name, const void *body, size_t body_len);
/* Close or Describe (TYPE 'C'/'D') of statement ('S') or portal ('P') NAME. */
void proto_add_close_describe(struct evbuffer *buf, uint8_t type, uint8_t what, const char *name);

#endif
