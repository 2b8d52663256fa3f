/*
 * Protocol framing and message builders.  Every builder computes the
 * message length first and appends header and body with evbuffer_add, so a
 * message is never half-written.  Parsers never read past the length they
 * are given.  This file must stay free of sockets and connection state.
 */
#include <string.h>

#include "proto.h"

/* Types a client may send once logged in (PostgreSQL 15 frontend messages): one lookup. */
static const bool frontend_type[256] = {
	['B'] = true, ['C'] = true, ['d'] = true, ['c'] = true, ['f'] = true, ['D'] = true,
	['E'] = true, ['H'] = true, ['F'] = true, ['P'] = true, ['p'] = true, ['Q'] = true,
	['S'] = true, ['X'] = true,
};

bool proto_peek_header(struct evbuffer *buf, size_t offset, uint8_t *type, uint32_t *len)
{
	uint8_t tmp[PROTO_HEADER_LEN];
	const uint8_t *p = proto_peek_bytes(buf, offset, PROTO_HEADER_LEN, tmp);

	if (!p)
		return false;
	*type = p[0];
	*len = proto_get_u32(p + 1);
	return true;
}

/*
 * The relay looks at a dozen headers per transaction: one evbuffer_peek()
 * finds them in place and, when it does, also proves they are all there.
 */
const uint8_t *proto_peek_bytes(struct evbuffer *buf, size_t offset, size_t n, uint8_t *tmp)
{
	struct evbuffer_iovec v;
	struct evbuffer_ptr ptr;

	if (evbuffer_peek(buf, (ev_ssize_t)(offset + n), NULL, &v, 1) >= 1 && v.iov_len >= offset + n)
		return (const uint8_t *)v.iov_base + offset;
	if (evbuffer_get_length(buf) < offset + n ||
	    evbuffer_ptr_set(buf, &ptr, offset, EVBUFFER_PTR_SET) < 0 ||
	    evbuffer_copyout_from(buf, &ptr, tmp, n) != (ev_ssize_t)n)
		return NULL;
	return tmp;
}

size_t proto_window_load(struct proto_window *w, struct evbuffer *buf)
{
	struct evbuffer_iovec v;

	if (evbuffer_peek(buf, -1, NULL, &v, 1) >= 1) {
		w->p = v.iov_base;
		w->len = v.iov_len;
	} else {
		w->p = NULL;
		w->len = 0;
	}
	return evbuffer_get_length(buf);
}

bool proto_is_frontend_type(uint8_t type)
{
	return frontend_type[type];
}

const char *proto_parse_startup(char *body, size_t len, struct startup_packet *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 4)
		return "startup packet too short";
	out->code = proto_get_u32((const uint8_t *)body);
	if (out->code == PROTO_CANCEL_CODE) {
		if (len != 12)
			return "invalid cancel request length";
		out->cancel_pid = (int32_t)proto_get_u32((const uint8_t *)body + 4);
		out->cancel_key = (int32_t)proto_get_u32((const uint8_t *)body + 8);
		return NULL;
	}
	if (out->code == PROTO_SSL_CODE || out->code == PROTO_GSSENC_CODE)
		return len == 4 ? NULL : "invalid encryption request length";
	if ((out->code >> 16) != 3)
		return "unsupported frontend protocol";

	/* name\0value\0 ... \0 */
	size_t pos = 4;
	if (len == 4 || body[len - 1] != '\0')
		return "invalid startup packet layout: expected terminator as last byte";
	while (pos < len - 1) {
		const char *name = body + pos;
		size_t nlen = strnlen(name, len - pos);
		/*
		 * An empty name is the list's terminator (as in PostgreSQL's
		 * ProcessStartupPacket), so it must be the last byte; found by
		 * fuzz_startup: "\0\0..." used to yield parameters named "".
		 */
		if (nlen == 0)
			return "invalid startup packet layout: expected terminator as last byte";
		if (pos + nlen >= len - 1)
			return "invalid startup packet layout: missing value";
		const char *value = name + nlen + 1;
		size_t vlen = strnlen(value, len - pos - nlen - 1);
		if (pos + nlen + 1 + vlen >= len)
			return "invalid startup packet layout: unterminated value";
		if (out->n_params >= (int)(sizeof(out->names) / sizeof(out->names[0])))
			return "too many startup parameters";
		out->names[out->n_params] = name;
		out->values[out->n_params] = value;
		out->n_params++;
		pos += nlen + 1 + vlen + 1;
	}
	if (pos != len - 1)
		return "invalid startup packet layout";
	return NULL;
}

enum proto_frame proto_frame_startup(const uint8_t lenword[4], size_t avail, uint32_t max_len,
				     uint32_t *len)
{
	*len = proto_get_u32(lenword);
	/* 8: the length word and a 4-byte code; anything shorter is no packet */
	if (*len < 8 || *len > max_len)
		return PROTO_FRAME_BAD_LENGTH;
	return avail < *len ? PROTO_FRAME_NEED_MORE : PROTO_FRAME_OK;
}

enum proto_frame proto_frame_frontend(uint8_t type, uint32_t len, size_t avail, uint64_t max_len)
{
	if (!proto_is_frontend_type(type))
		return PROTO_FRAME_BAD_TYPE;
	if (len < 4 || len > max_len)
		return PROTO_FRAME_BAD_LENGTH;
	return avail < 1 + (size_t)len ? PROTO_FRAME_NEED_MORE : PROTO_FRAME_OK;
}

const char *proto_parse_sasl_initial(const char *body, size_t len, const char **mech,
				     const char **data, size_t *dlen)
{
	size_t mlen = strnlen(body, len);
	uint32_t n;

	if (mlen >= len || len - mlen - 1 < 4)
		return "invalid SASL initial response";
	n = proto_get_u32((const uint8_t *)body + mlen + 1);
	if (n != len - mlen - 1 - 4)
		return "malformed SASL initial response length";
	*mech = body;
	*data = body + mlen + 1 + 4;
	*dlen = n;
	return NULL;
}

/* Copy a field into a fixed buffer, truncating. */
static void copy_field(char *dst, size_t dstlen, const uint8_t *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void proto_parse_error(const uint8_t *body, size_t len, struct error_fields *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len && body[pos] != 0) {
		uint8_t code = body[pos++];
		const uint8_t *val = body + pos;
		const uint8_t *end = memchr(val, 0, len - pos);
		size_t vlen = end ? (size_t)(end - val) : len - pos;
		switch (code) {
		case 'S':
			copy_field(out->severity, sizeof(out->severity), val, vlen);
			break;
		case 'C':
			copy_field(out->sqlstate, sizeof(out->sqlstate), val, vlen);
			break;
		case 'M':
			copy_field(out->message, sizeof(out->message), val, vlen);
			break;
		default:
			break;
		}
		pos += vlen + 1;
	}
}

/* Append the 5-byte header for a message with BODY_LEN bytes of body. */
static void add_header(struct evbuffer *buf, uint8_t type, size_t body_len)
{
	uint8_t hdr[PROTO_HEADER_LEN];
	hdr[0] = type;
	proto_put_u32(hdr + 1, (uint32_t)(body_len + 4));
	evbuffer_add(buf, hdr, sizeof(hdr));
}

static void add_u32(struct evbuffer *buf, uint32_t v)
{
	uint8_t b[4];
	proto_put_u32(b, v);
	evbuffer_add(buf, b, 4);
}

static void add_u16(struct evbuffer *buf, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	evbuffer_add(buf, b, 2);
}

static void add_cstr(struct evbuffer *buf, const char *s)
{
	evbuffer_add(buf, s, strlen(s) + 1);
}

/* Error and notice bodies share the field layout. */
static void add_fields(struct evbuffer *buf, uint8_t type, const char *severity,
		       const char *sqlstate, const char *message, const char *hint)
{
	size_t body = 0;
	body += 2 + strlen(severity);		/* S */
	body += 2 + strlen(severity);		/* V */
	body += 2 + strlen(sqlstate);		/* C */
	body += 2 + strlen(message);		/* M */
	if (hint)
		body += 2 + strlen(hint);	/* H */
	body += 1;				/* terminator */
	add_header(buf, type, body);
	evbuffer_add(buf, "S", 1);
	add_cstr(buf, severity);
	evbuffer_add(buf, "V", 1);
	add_cstr(buf, severity);
	evbuffer_add(buf, "C", 1);
	add_cstr(buf, sqlstate);
	evbuffer_add(buf, "M", 1);
	add_cstr(buf, message);
	if (hint) {
		evbuffer_add(buf, "H", 1);
		add_cstr(buf, hint);
	}
	evbuffer_add(buf, "", 1);
}

void proto_add_error(struct evbuffer *buf, const char *severity, const char *sqlstate,
		     const char *message, const char *hint)
{
	add_fields(buf, 'E', severity, sqlstate, message, hint);
}

void proto_add_notice(struct evbuffer *buf, const char *message)
{
	add_fields(buf, 'N', "NOTICE", "00000", message, NULL);
}

void proto_add_auth(struct evbuffer *buf, uint32_t code, const void *data, size_t len)
{
	add_header(buf, 'R', 4 + len);
	add_u32(buf, code);
	if (len)
		evbuffer_add(buf, data, len);
}

void proto_add_param_status(struct evbuffer *buf, const char *name, const char *value)
{
	add_header(buf, 'S', strlen(name) + 1 + strlen(value) + 1);
	add_cstr(buf, name);
	add_cstr(buf, value);
}

void proto_add_backend_key(struct evbuffer *buf, int32_t pid, int32_t key)
{
	add_header(buf, 'K', 8);
	add_u32(buf, (uint32_t)pid);
	add_u32(buf, (uint32_t)key);
}

void proto_add_ready(struct evbuffer *buf, char status)
{
	add_header(buf, 'Z', 1);
	evbuffer_add(buf, &status, 1);
}

void proto_add_query(struct evbuffer *buf, const char *sql)
{
	add_header(buf, 'Q', strlen(sql) + 1);
	add_cstr(buf, sql);
}

void proto_add_password(struct evbuffer *buf, const char *password)
{
	add_header(buf, 'p', strlen(password) + 1);
	add_cstr(buf, password);
}

void proto_add_sasl_initial(struct evbuffer *buf, const char *mech, const char *data, size_t len)
{
	add_header(buf, 'p', strlen(mech) + 1 + 4 + len);
	add_cstr(buf, mech);
	add_u32(buf, (uint32_t)len);
	evbuffer_add(buf, data, len);
}

void proto_add_sasl_response(struct evbuffer *buf, const char *data, size_t len)
{
	add_header(buf, 'p', len);
	evbuffer_add(buf, data, len);
}

void proto_add_cancel(struct evbuffer *buf, int32_t pid, int32_t key)
{
	add_u32(buf, 16);
	add_u32(buf, PROTO_CANCEL_CODE);
	add_u32(buf, (uint32_t)pid);
	add_u32(buf, (uint32_t)key);
}

void proto_add_ssl_request(struct evbuffer *buf)
{
	add_u32(buf, 8);
	add_u32(buf, PROTO_SSL_CODE);
}

void proto_add_terminate(struct evbuffer *buf)
{
	add_header(buf, 'X', 0);
}

void proto_add_startup(struct evbuffer *buf, const char *const *names, const char *const *values)
{
	size_t len = 4 + 4 + 1;
	for (int i = 0; names[i]; i++)
		len += strlen(names[i]) + 1 + strlen(values[i]) + 1;
	add_u32(buf, (uint32_t)len);
	add_u32(buf, PROTO_V3);
	for (int i = 0; names[i]; i++) {
		add_cstr(buf, names[i]);
		add_cstr(buf, values[i]);
	}
	evbuffer_add(buf, "", 1);
}

void proto_add_row_description(struct evbuffer *buf, int ncols, const char *const *names,
			       const uint32_t *type_oids)
{
	size_t len = 2;
	for (int i = 0; i < ncols; i++)
		len += strlen(names[i]) + 1 + 18;
	add_header(buf, 'T', len);
	add_u16(buf, (uint16_t)ncols);
	for (int i = 0; i < ncols; i++) {
		uint32_t oid = type_oids ? type_oids[i] : 25;	/* text */
		int16_t typlen = -1;
		if (oid == 20)
			typlen = 8;
		else if (oid == 23)
			typlen = 4;
		else if (oid == 16)
			typlen = 1;
		else if (oid == 701)
			typlen = 8;
		add_cstr(buf, names[i]);
		add_u32(buf, 0);			/* table oid */
		add_u16(buf, 0);			/* column attnum */
		add_u32(buf, oid);
		add_u16(buf, (uint16_t)typlen);
		add_u32(buf, 0xFFFFFFFFu);		/* typmod -1 */
		add_u16(buf, 0);			/* text format */
	}
}

void proto_add_data_row(struct evbuffer *buf, int ncols, const char *const *values)
{
	size_t len = 2;
	for (int i = 0; i < ncols; i++)
		len += 4 + (values[i] ? strlen(values[i]) : 0);
	add_header(buf, 'D', len);
	add_u16(buf, (uint16_t)ncols);
	for (int i = 0; i < ncols; i++) {
		if (!values[i]) {
			add_u32(buf, 0xFFFFFFFFu);
			continue;
		}
		size_t vl = strlen(values[i]);
		add_u32(buf, (uint32_t)vl);
		evbuffer_add(buf, values[i], vl);
	}
}

void proto_add_bind_execute(struct evbuffer *buf, const char *stmt, int nvalues, const char *const *values)
{
	size_t len = 1 + strlen(stmt) + 1 + 2 + 2 + 2;
	for (int i = 0; i < nvalues; i++)
		len += 4 + strlen(values[i]);
	add_header(buf, 'B', len);
	add_cstr(buf, "");		/* the unnamed portal */
	add_cstr(buf, stmt);
	add_u16(buf, 0);		/* parameters in text */
	add_u16(buf, (uint16_t)nvalues);
	for (int i = 0; i < nvalues; i++) {
		size_t vl = strlen(values[i]);
		add_u32(buf, (uint32_t)vl);
		evbuffer_add(buf, values[i], vl);
	}
	add_u16(buf, 0);		/* results in text */
	add_header(buf, 'E', 1 + 4);
	add_cstr(buf, "");
	add_u32(buf, 0);		/* all rows */
}

void proto_add_command_complete(struct evbuffer *buf, const char *tag)
{
	add_header(buf, 'C', strlen(tag) + 1);
	add_cstr(buf, tag);
}

void proto_add_empty_query(struct evbuffer *buf)
{
	add_header(buf, 'I', 0);
}

void proto_add_bodyless(struct evbuffer *buf, uint8_t type)
{
	add_header(buf, type, 0);
}

void proto_add_parse(struct evbuffer *buf, const char *name, const void *body, size_t body_len)
{
	size_t nl = strlen(name) + 1;

	add_header(buf, 'P', nl + body_len);
	evbuffer_add(buf, name, nl);
	evbuffer_add(buf, body, body_len);
}

void proto_add_query_as_batch(struct evbuffer *buf, const char *sql, size_t n)
{
	add_header(buf, 'P', 1 + n + 2);
	add_cstr(buf, "");		/* the unnamed statement */
	evbuffer_add(buf, sql, n);	/* with its NUL */
	add_u16(buf, 0);		/* no parameter types */
	add_header(buf, 'B', 1 + 1 + 2 + 2 + 2);
	add_cstr(buf, "");		/* the unnamed portal */
	add_cstr(buf, "");		/* of the unnamed statement */
	add_u16(buf, 0);		/* no parameter formats */
	add_u16(buf, 0);		/* no parameters */
	add_u16(buf, 0);		/* results in text */
	proto_add_close_describe(buf, 'D', 'P', "");
	add_header(buf, 'E', 1 + 4);
	add_cstr(buf, "");
	add_u32(buf, 0);		/* all rows */
	proto_add_bodyless(buf, 'S');
}

void proto_add_close_describe(struct evbuffer *buf, uint8_t type, uint8_t what, const char *name)
{
	size_t nl = strlen(name) + 1;

	add_header(buf, type, 1 + nl);
	evbuffer_add(buf, &what, 1);
	evbuffer_add(buf, name, nl);
}
