/*
 * Unit tests for proto.c: startup packet parsing (the first thing an
 * untrusted client controls), header peeking across buffer chains, and
 * message builders checked byte for byte against the protocol layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "proto.h"

/* Build a startup body: version + name/value pairs + terminator. */
static size_t make_startup(char *buf, uint32_t version, const char *const *kv)
{
	size_t n = 4;
	proto_put_u32((uint8_t *)buf, version);
	for (int i = 0; kv && kv[i]; i++) {
		size_t l = strlen(kv[i]) + 1;
		memcpy(buf + n, kv[i], l);
		n += l;
	}
	buf[n++] = '\0';
	return n;
}

static void test_startup_ok(void **state)
{
	char buf[256];
	const char *kv[] = { "user", "alice", "database", "app", "application_name", "", NULL };
	struct startup_packet sp;
	size_t n = make_startup(buf, PROTO_V3, kv);

	(void)state;
	assert_null(proto_parse_startup(buf, n, &sp));
	assert_int_equal(sp.code, PROTO_V3);
	assert_int_equal(sp.n_params, 3);
	assert_string_equal(sp.names[0], "user");
	assert_string_equal(sp.values[0], "alice");
	assert_string_equal(sp.values[1], "app");
	assert_string_equal(sp.values[2], "");
}

static void test_startup_bad_layouts(void **state)
{
	char buf[256];
	struct startup_packet sp;
	const char *kv[] = { "user", "alice", NULL };
	size_t n = make_startup(buf, PROTO_V3, kv);

	(void)state;
	/* missing final terminator */
	assert_non_null(proto_parse_startup(buf, n - 1, &sp));
	/* name without value */
	const char *odd[] = { "user", NULL };
	n = make_startup(buf, PROTO_V3, odd);
	assert_non_null(proto_parse_startup(buf, n, &sp));
	/* too short */
	assert_non_null(proto_parse_startup(buf, 3, &sp));
	/* version 2.0 */
	n = make_startup(buf, 2u << 16, kv);
	assert_non_null(proto_parse_startup(buf, n, &sp));
	/* only a version: no terminator at all */
	assert_non_null(proto_parse_startup(buf, 4, &sp));
	/* an empty name is the terminator, so it must be last (found by fuzz_startup) */
	static const char empty_name[] = "\0\3\0\0" "\0\0" "user\0x\0";
	assert_non_null(proto_parse_startup((char *)empty_name, sizeof(empty_name), &sp));
	static const char zeros[21] = { 0, 3, 0, 0 };
	assert_non_null(proto_parse_startup((char *)zeros, sizeof(zeros), &sp));
}

/* Startup framing judges the length word before the body arrives. */
static void test_frame_startup(void **state)
{
	uint8_t w[4];
	uint32_t len;

	(void)state;
	proto_put_u32(w, 8);
	assert_int_equal(proto_frame_startup(w, 4, 10000, &len), PROTO_FRAME_NEED_MORE);
	assert_int_equal(proto_frame_startup(w, 8, 10000, &len), PROTO_FRAME_OK);
	assert_int_equal(len, 8);
	proto_put_u32(w, 7);
	assert_int_equal(proto_frame_startup(w, 100, 10000, &len), PROTO_FRAME_BAD_LENGTH);
	proto_put_u32(w, 0xFFFFFFF8u);	/* -8 */
	assert_int_equal(proto_frame_startup(w, 4, 10000, &len), PROTO_FRAME_BAD_LENGTH);
	proto_put_u32(w, 10001);
	assert_int_equal(proto_frame_startup(w, 4, 10000, &len), PROTO_FRAME_BAD_LENGTH);
	/* frontend messages: type, then bounds, then completeness */
	assert_int_equal(proto_frame_frontend(0, 8, 100, 4096), PROTO_FRAME_BAD_TYPE);
	assert_int_equal(proto_frame_frontend('Q', 3, 100, 4096), PROTO_FRAME_BAD_LENGTH);
	assert_int_equal(proto_frame_frontend('Q', 0x80000000u, 100, 4096), PROTO_FRAME_BAD_LENGTH);
	assert_int_equal(proto_frame_frontend('Q', 9, 9, 4096), PROTO_FRAME_NEED_MORE);
	assert_int_equal(proto_frame_frontend('Q', 9, 10, 4096), PROTO_FRAME_OK);
}

/* SASLInitialResponse: mechanism, int32 length, exactly that much data. */
static void test_parse_sasl_initial(void **state)
{
	static const char ok[] = "SCRAM-SHA-256\0\0\0\0\3abc";
	static const char neg[] = "SCRAM-SHA-256\0\377\377\377\377";
	const char *mech, *data;
	size_t dlen;

	(void)state;
	assert_null(proto_parse_sasl_initial(ok, sizeof(ok) - 1, &mech, &data, &dlen));
	assert_string_equal(mech, "SCRAM-SHA-256");
	assert_int_equal(dlen, 3);
	assert_memory_equal(data, "abc", 3);
	assert_non_null(proto_parse_sasl_initial(ok, sizeof(ok) - 2, &mech, &data, &dlen));
	assert_non_null(proto_parse_sasl_initial(neg, sizeof(neg) - 1, &mech, &data, &dlen));
	assert_non_null(proto_parse_sasl_initial("SCRAM", 5, &mech, &data, &dlen));
	assert_non_null(proto_parse_sasl_initial("S\0\0\0", 4, &mech, &data, &dlen));
}

static void test_startup_special_codes(void **state)
{
	uint8_t buf[12];
	struct startup_packet sp;

	(void)state;
	proto_put_u32(buf, PROTO_SSL_CODE);
	assert_null(proto_parse_startup((char *)buf, 4, &sp));
	assert_int_equal(sp.code, PROTO_SSL_CODE);
	assert_non_null(proto_parse_startup((char *)buf, 8, &sp));
	proto_put_u32(buf, PROTO_CANCEL_CODE);
	proto_put_u32(buf + 4, 1234);
	proto_put_u32(buf + 8, 0xdeadbeef);
	assert_null(proto_parse_startup((char *)buf, 12, &sp));
	assert_int_equal(sp.cancel_pid, 1234);
	assert_int_equal((uint32_t)sp.cancel_key, 0xdeadbeefu);
	assert_non_null(proto_parse_startup((char *)buf, 8, &sp));
}

static void test_too_many_params(void **state)
{
	char buf[4096];
	const char *kv[2 * 70 + 1];
	struct startup_packet sp;
	char names[70][8];

	(void)state;
	for (int i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "p%d", i);
		kv[2 * i] = names[i];
		kv[2 * i + 1] = "v";
	}
	kv[140] = NULL;
	size_t n = make_startup(buf, PROTO_V3, kv);
	assert_non_null(proto_parse_startup(buf, n, &sp));
}

static void test_peek_header_across_chains(void **state)
{
	struct evbuffer *b = evbuffer_new();
	uint8_t type;
	uint32_t len;

	(void)state;
	evbuffer_add(b, "Q\0\0", 3);
	assert_false(proto_peek_header(b, 0, &type, &len));
	evbuffer_add(b, "\0\x0d", 2);	/* separate chain */
	assert_true(proto_peek_header(b, 0, &type, &len));
	assert_int_equal(type, 'Q');
	assert_int_equal(len, 13);
	evbuffer_add(b, "select 1\0Z\0\0\0\x05I", 15);
	assert_true(proto_peek_header(b, 14, &type, &len));
	assert_int_equal(type, 'Z');
	assert_int_equal(len, 5);
	assert_false(proto_peek_header(b, 17, &type, &len));
	evbuffer_free(b);
}

/* Headers in place in the first chain, and straddling chains (references are chains of their own). */
static void test_peek_header_in_place_and_straddling(void **state)
{
	static const char a[] = "Z\0\0\0\x05IC\0\0", b2[] = "\0\x0bSELECT\0";
	struct evbuffer *b = evbuffer_new();
	uint8_t type;
	uint32_t len;

	(void)state;
	evbuffer_add_reference(b, a, sizeof(a) - 1, NULL, NULL);	/* Z(5) I, then C's first 3 bytes */
	evbuffer_add_reference(b, b2, sizeof(b2) - 1, NULL, NULL);
	assert_true(proto_peek_header(b, 0, &type, &len));		/* in place */
	assert_int_equal(type, 'Z');
	assert_int_equal(len, 5);
	assert_true(proto_peek_header(b, 6, &type, &len));		/* 3 bytes here, 2 in the next chain */
	assert_int_equal(type, 'C');
	assert_int_equal(len, 11);
	assert_false(proto_peek_header(b, 6 + 1 + 11 - 4, &type, &len)); /* past the end */
	evbuffer_free(b);
}

static void test_error_roundtrip(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct error_fields ef;
	uint8_t type;
	uint32_t len;

	(void)state;
	proto_add_error(b, "FATAL", "28P01", "password authentication failed for user \"x\"", NULL);
	assert_true(proto_peek_header(b, 0, &type, &len));
	assert_int_equal(type, 'E');
	assert_int_equal(evbuffer_get_length(b), 1 + len);
	uint8_t *p = evbuffer_pullup(b, -1);
	proto_parse_error(p + 5, len - 4, &ef);
	assert_string_equal(ef.severity, "FATAL");
	assert_string_equal(ef.sqlstate, "28P01");
	assert_string_equal(ef.message, "password authentication failed for user \"x\"");
	evbuffer_free(b);
}

static void test_parse_error_truncated(void **state)
{
	/* a field without terminator must not be read past the end */
	const uint8_t body[] = { 'C', '0', '8', 'P' };
	struct error_fields ef;

	(void)state;
	proto_parse_error(body, sizeof(body), &ef);
	assert_string_equal(ef.sqlstate, "08P");
}

static void test_builders_layout(void **state)
{
	struct evbuffer *b = evbuffer_new();
	const char *names[] = { "user", "database", NULL };
	const char *values[] = { "bob", "db", NULL };

	(void)state;
	proto_add_ready(b, 'T');
	assert_int_equal(evbuffer_get_length(b), 6);
	assert_memory_equal(evbuffer_pullup(b, -1), "Z\0\0\0\x05T", 6);
	evbuffer_drain(b, 6);

	proto_add_startup(b, names, values);
	/* 4 len + 4 version + "user\0bob\0database\0db\0" (21) + 1 */
	assert_int_equal(evbuffer_get_length(b), 30);
	uint8_t *p = evbuffer_pullup(b, -1);
	assert_int_equal(proto_get_u32(p), 30);
	assert_int_equal(proto_get_u32(p + 4), PROTO_V3);
	evbuffer_drain(b, 30);

	proto_add_cancel(b, 42, 7);
	assert_int_equal(evbuffer_get_length(b), 16);
	p = evbuffer_pullup(b, -1);
	assert_int_equal(proto_get_u32(p + 4), PROTO_CANCEL_CODE);
	assert_int_equal(proto_get_u32(p + 8), 42);
	evbuffer_drain(b, 16);

	const char *cols[] = { "a", "b" };
	const uint32_t oids[] = { 25, 20 };
	const char *vals[] = { "x", NULL };
	proto_add_row_description(b, 2, cols, oids);
	proto_add_data_row(b, 2, vals);
	uint8_t type;
	uint32_t len;
	assert_true(proto_peek_header(b, 0, &type, &len));
	assert_int_equal(type, 'T');
	assert_int_equal(len, 4 + 2 + (2 + 18) * 2);
	assert_true(proto_peek_header(b, 1 + len, &type, &len));
	assert_int_equal(type, 'D');
	assert_int_equal(len, 4 + 2 + 4 + 1 + 4);
	evbuffer_free(b);
}

/* A Query's text as Parse/Bind/Describe portal/Execute/Sync, byte for byte. */
static void test_query_as_batch(void **state)
{
	static const uint8_t want[] =
		"P\0\0\0\x10" "\0" "SELECT 1\0" "\0\0"	/* unnamed, no parameter types */
		"B\0\0\0\x0c" "\0" "\0" "\0\0" "\0\0" "\0\0"	/* no formats, values; text */
		"D\0\0\0\x06" "P\0"
		"E\0\0\0\x09" "\0" "\0\0\0\0"
		"S\0\0\0\x04";
	struct evbuffer *b = evbuffer_new();

	(void)state;
	proto_add_query_as_batch(b, "SELECT 1", sizeof("SELECT 1"));
	assert_int_equal(evbuffer_get_length(b), sizeof(want) - 1);
	assert_memory_equal(evbuffer_pullup(b, -1), want, sizeof(want) - 1);
	evbuffer_free(b);
}

static void test_frontend_types(void **state)
{
	(void)state;
	assert_true(proto_is_frontend_type('Q'));
	assert_true(proto_is_frontend_type('X'));
	assert_true(proto_is_frontend_type('d'));
	assert_false(proto_is_frontend_type(0));
	assert_false(proto_is_frontend_type('Z'));
	assert_false(proto_is_frontend_type('R'));
	assert_false(proto_is_frontend_type(0xff));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_ok),
		cmocka_unit_test(test_startup_bad_layouts),
		cmocka_unit_test(test_startup_special_codes),
		cmocka_unit_test(test_frame_startup),
		cmocka_unit_test(test_parse_sasl_initial),
		cmocka_unit_test(test_too_many_params),
		cmocka_unit_test(test_peek_header_across_chains),
		cmocka_unit_test(test_peek_header_in_place_and_straddling),
		cmocka_unit_test(test_error_roundtrip),
		cmocka_unit_test(test_parse_error_truncated),
		cmocka_unit_test(test_builders_layout),
		cmocka_unit_test(test_query_as_batch),
		cmocka_unit_test(test_frontend_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
