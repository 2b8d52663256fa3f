/*
 * Unit tests for the hba_file module (src/hba.c): the syntax it accepts,
 * the exact "FILE:LINE: message" of what it refuses, first-match-wins
 * matching as a table (rule file, client, expected line and method), and
 * PostgreSQL's wording of a refusal.  Pure except for the hba_load()
 * round trips through temporary files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>

#include "hba.h"

static char errbuf[512];

static struct hba *parse(const char *text)
{
	return hba_parse("hba.conf", text, errbuf, sizeof(errbuf));
}

/* A client address from text: "1.2.3.4", "::1", or "local". */
struct addr {
	struct sockaddr_storage ss;
};

static const struct sockaddr *make_addr(struct addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (strcmp(text, "local") == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		un->sun_family = AF_UNIX;
		return (const struct sockaddr *)un;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(40000);
		return (const struct sockaddr *)in;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	in6->sin6_family = AF_INET6;
	return (const struct sockaddr *)in6;
}

/* ---- accepted syntax ---- */

static void test_parse_basic(void **state)
{
	(void)state;
	struct hba *h = parse("# comment line\n"
			      "\n"
			      "   \t  # indented comment\n"
			      "local   all      all                    trust\n"
			      "host    db1,db2  u1,\"all\"  10.0.0.0/8  md5   # trailing comment\n"
			      "hostssl all      all       ::1/128      scram-sha-256\r\n"
			      "hostnossl sameuser all     all          reject\n"
			      "host    all      all       192.168.1.0 255.255.255.0 trust\n"
			      "host \"my db\",\"x#y\" \"a,b\" 0.0.0.0/0 trust");
	assert_non_null(h);
	assert_string_equal(errbuf, "");
	assert_int_equal(h->n_rules, 6);

	const struct hba_rule *r = &h->rules[0];
	assert_int_equal(r->line, 4);
	assert_int_equal(r->conn_type, HBA_LOCAL);
	assert_true(r->any_address);
	assert_int_equal(r->method, HBA_TRUST);

	r = &h->rules[1];
	assert_int_equal(r->line, 5);
	assert_int_equal(r->conn_type, HBA_HOST);
	assert_int_equal(r->n_databases, 2);
	assert_string_equal(r->databases[1].name, "db2");
	assert_int_equal(r->n_users, 2);
	assert_int_equal(r->users[1].kind, HBA_NAME_LITERAL);	/* "all" quoted is a name */
	assert_string_equal(r->users[1].name, "all");
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->method, HBA_MD5);

	r = &h->rules[2];
	assert_int_equal(r->conn_type, HBA_HOSTSSL);
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->method, HBA_SCRAM);

	r = &h->rules[3];
	assert_int_equal(r->databases[0].kind, HBA_NAME_SAMEUSER);
	assert_true(r->any_address);
	assert_int_equal(r->method, HBA_REJECT);

	r = &h->rules[4];
	assert_int_equal(r->mask[2], 0xFF);
	assert_int_equal(r->mask[3], 0);

	r = &h->rules[5];
	assert_int_equal(r->line, 9);
	assert_string_equal(r->databases[0].name, "my db");
	assert_string_equal(r->databases[1].name, "x#y");
	assert_int_equal(r->n_users, 1);
	assert_string_equal(r->users[0].name, "a,b");

	assert_non_null(hba_first_password_rule(h));
	assert_int_equal(hba_first_password_rule(h)->line, 5);
	hba_free(h);

	h = parse("host all all 0.0.0.0/0 trust\n");
	assert_null(hba_first_password_rule(h));
	assert_null(hba_first_certificate_rule(h));
	hba_free(h);
}

/* cert and the certificate options, as PostgreSQL 15 reads them. */
static void test_parse_certificates(void **state)
{
	(void)state;
	struct hba *h = parse("hostssl all alice all cert\n"
			      "hostssl all bob all cert clientname=DN\n"
			      "hostssl all carol all scram-sha-256 clientcert=verify-ca\n"
			      "hostssl all dave all md5 clientname=CN clientcert=verify-full\n"
			      "hostssl all all all trust\n");
	assert_non_null(h);
	assert_int_equal(h->n_rules, 5);
	assert_int_equal(h->rules[0].method, HBA_CERT);
	assert_int_equal(h->rules[0].clientcert, HBA_CLIENTCERT_FULL);	/* implied */
	assert_int_equal(h->rules[0].clientname, HBA_CLIENTNAME_CN);
	assert_int_equal(h->rules[1].clientname, HBA_CLIENTNAME_DN);
	assert_int_equal(h->rules[2].method, HBA_SCRAM);
	assert_int_equal(h->rules[2].clientcert, HBA_CLIENTCERT_CA);
	assert_int_equal(h->rules[3].method, HBA_MD5);
	assert_int_equal(h->rules[3].clientcert, HBA_CLIENTCERT_FULL);
	assert_int_equal(h->rules[4].clientcert, HBA_CLIENTCERT_NONE);
	assert_string_equal(hba_method_name(HBA_CERT), "cert");
	assert_int_equal(hba_first_certificate_rule(h)->line, 1);
	assert_int_equal(hba_first_password_rule(h)->line, 3);
	hba_free(h);
}

/* ---- refused syntax: exact messages ---- */

struct bad_case {
	const char *text;
	const char *error;
};

static const struct bad_case bad_cases[] = {
	{ "", "hba.conf: no rules (an empty hba_file would refuse every client)" },
	{ "# only\n\n", "hba.conf: no rules (an empty hba_file would refuse every client)" },
	{ "local all all trust\nhst all all all trust\n",
	  "hba.conf:2: invalid connection type \"hst\"" },
	{ "hostgssenc all all all trust\n",
	  "hba.conf:1: unsupported connection type \"hostgssenc\" (pgsteer supports local, host, "
	  "hostssl and hostnossl)" },
	{ "include other.conf\n",
	  "hba.conf:1: unsupported connection type \"include\" (pgsteer supports local, host, "
	  "hostssl and hostnossl)" },
	{ "host,local all all all trust\n",
	  "hba.conf:1: multiple values specified for connection type" },
	{ "host\n", "hba.conf:1: end-of-line before database specification" },
	{ "host all\n", "hba.conf:1: end-of-line before role specification" },
	{ "host all all\n", "hba.conf:1: end-of-line before IP address specification" },
	{ "host all all 127.0.0.1/32\n", "hba.conf:1: end-of-line before authentication method" },
	{ "local all all\n", "hba.conf:1: end-of-line before authentication method" },
	{ "host all +admins 127.0.0.1/32 trust\n",
	  "hba.conf:1: unsupported group name \"+admins\" (pgsteer does not know role membership): "
	  "list the users" },
	{ "host all @users.txt 127.0.0.1/32 trust\n",
	  "hba.conf:1: unsupported file inclusion \"@users.txt\": list the names in hba_file" },
	{ "host samerole all 127.0.0.1/32 trust\n",
	  "hba.conf:1: unsupported database keyword \"samerole\" (pgsteer does not know role "
	  "membership)" },
	{ "host all all db.example.com trust\n",
	  "hba.conf:1: unsupported address \"db.example.com\": host names are not supported, "
	  "use an address in CIDR form" },
	{ "host all all samenet trust\n",
	  "hba.conf:1: unsupported address \"samenet\": use an address in CIDR form" },
	{ "host all all 127.0.0.1/33 trust\n",
	  "hba.conf:1: invalid CIDR mask in address \"127.0.0.1/33\"" },
	{ "host all all ::1/129 trust\n", "hba.conf:1: invalid CIDR mask in address \"::1/129\"" },
	{ "host all all 127.0.0.1/ trust\n", "hba.conf:1: invalid CIDR mask in address \"127.0.0.1/\"" },
	{ "host all all 127.0.0.1/-1 trust\n",
	  "hba.conf:1: invalid CIDR mask in address \"127.0.0.1/-1\"" },
	{ "host all all 300.0.0.1/32 trust\n", "hba.conf:1: invalid IP address \"300.0.0.1/32\"" },
	{ "host all all 127.0.0.1,::1 trust\n",
	  "hba.conf:1: multiple values specified for host address" },
	{ "host all all 127.0.0.1 trust\n", "hba.conf:1: invalid IP mask \"trust\"" },
	{ "host all all 127.0.0.1 ::ffff:0 trust\n", "hba.conf:1: IP address and mask do not match" },
	{ "host all all 127.0.0.1 255.0.0.0\n", "hba.conf:1: end-of-line before authentication method" },
	{ "host all all all password\n",
	  "hba.conf:1: unsupported authentication method \"password\" (pgsteer supports trust, "
	  "md5, scram-sha-256, cert and reject)" },
	{ "local all all peer\n",
	  "hba.conf:1: unsupported authentication method \"peer\" (pgsteer supports trust, "
	  "md5, scram-sha-256, cert and reject)" },
	{ "host all all all md5,trust\n",
	  "hba.conf:1: multiple values specified for authentication type" },
	{ "host all all all cert\n",
	  "hba.conf:1: cert authentication is only supported on hostssl connections" },
	{ "host all all all md5 clientcert=verify-full\n",
	  "hba.conf:1: clientcert can only be configured for \"hostssl\" rows" },
	{ "hostssl all all all cert clientcert=verify-ca\n",
	  "hba.conf:1: clientcert only accepts \"verify-full\" when using \"cert\" authentication" },
	{ "hostssl all all all md5 clientcert=1\n",
	  "hba.conf:1: invalid value for clientcert: \"1\" (verify-ca or verify-full)" },
	{ "hostssl all all all md5 clientcert=no-verify\n",
	  "hba.conf:1: invalid value for clientcert: \"no-verify\" (verify-ca or verify-full)" },
	{ "hostssl all all all cert clientname=cn\n",
	  "hba.conf:1: invalid value for clientname: \"cn\" (CN or DN)" },
	{ "host all all all trust clientname=CN\n",
	  "hba.conf:1: clientname can only be configured for \"hostssl\" rows" },
	{ "hostssl all all all md5 clientcert=verify-ca clientname=DN\n",
	  "hba.conf:1: clientname needs cert authentication or clientcert=verify-full" },
	{ "hostssl all all all scram-sha-256 map=x\n",
	  "hba.conf:1: unsupported authentication option \"map\" (pgsteer takes clientcert and "
	  "clientname)" },
	{ "hostssl all all all cert clientcert\n",
	  "hba.conf:1: authentication option not in name=value format: clientcert" },
	{ "host \"all all 127.0.0.1/32 trust\n", "hba.conf:1: unterminated quoted string" },
	{ "host a,,b all all trust\n", "hba.conf:1: empty name in a comma-separated list" },
	{ "host all a,\n", "hba.conf:1: empty name in a comma-separated list" },
	{ "host a, b all 0.0.0.0/0 trust extra\n",	/* a space after a comma continues the list */
	  "hba.conf:1: authentication option not in name=value format: extra" },
	{ "host all u1, # comment\n", "hba.conf:1: empty name in a comma-separated list" },
};

static void test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct hba *h = parse(bad_cases[i].text);
		if (h || strcmp(errbuf, bad_cases[i].error) != 0)
			fail_msg("case %zu: %s\n  want: %s\n  got:  %s", i, bad_cases[i].text,
				 bad_cases[i].error, h ? "(loaded)" : errbuf);
		hba_free(h);
	}
}

/* ---- matching: first match wins ---- */

static const char match_rules[] =
	"hostssl  all        tlsonly     all            scram-sha-256\n"	/* 1 */
	"hostnossl all       tlsonly     all            reject\n"		/* 2 */
	"host     pgsteer    admin       127.0.0.1/32   md5\n"		/* 3 */
	"host     all        mallory     all            reject\n"		/* 4 */
	"host     secret     all         all            reject\n"		/* 5 */
	"host     sameuser   all         10.0.0.0/8     trust\n"		/* 6 */
	"host     app,\"all\" alice,bob  127.0.0.0/8    md5\n"		/* 7 */
	"host     replication all        all            trust\n"		/* 8 */
	"host     all        all         ::1/128        scram-sha-256\n"	/* 9 */
	"local    all        all                        trust\n"		/* 10 */
	"host     all        all         192.168.0.0 255.255.0.0 trust\n";	/* 11 */

struct match_case {
	const char *addr;
	bool tls;
	const char *user;
	const char *database;
	int line;		/* 0: no match */
	enum hba_method method;
};

static const struct match_case match_cases[] = {
	/* hostssl vs hostnossl */
	{ "127.0.0.1", true, "tlsonly", "app", 1, HBA_SCRAM },
	{ "127.0.0.1", false, "tlsonly", "app", 2, HBA_REJECT },
	/* the admin console database is a database like any other */
	{ "127.0.0.1", false, "admin", "pgsteer", 3, HBA_MD5 },
	{ "127.0.0.2", false, "admin", "pgsteer", 0, HBA_TRUST },
	/* reject by user, by database */
	{ "127.0.0.1", true, "mallory", "app", 4, HBA_REJECT },
	{ "127.0.0.1", false, "alice", "secret", 5, HBA_REJECT },
	/* sameuser, by address */
	{ "10.1.2.3", false, "carol", "carol", 6, HBA_TRUST },
	{ "10.1.2.3", false, "carol", "app", 0, HBA_TRUST },
	{ "11.1.2.3", false, "carol", "carol", 0, HBA_TRUST },
	/* lists, a quoted "all" is a database named all */
	{ "127.0.0.1", false, "bob", "app", 7, HBA_MD5 },
	{ "127.9.9.9", false, "alice", "all", 7, HBA_MD5 },
	{ "127.0.0.1", false, "eve", "app", 0, HBA_TRUST },
	{ "128.0.0.1", false, "alice", "app", 0, HBA_TRUST },
	/* replication never matches; IPv6; IPv4-mapped IPv6 is IPv4 */
	{ "::1", false, "eve", "replication", 9, HBA_SCRAM },
	{ "::2", false, "eve", "app", 0, HBA_TRUST },
	{ "::ffff:127.0.0.1", false, "bob", "app", 7, HBA_MD5 },
	/* local only for Unix sockets, and only local rules for them */
	{ "local", false, "tlsonly", "app", 10, HBA_TRUST },
	{ "local", false, "mallory", "app", 10, HBA_TRUST },
	/* address + netmask form */
	{ "192.168.200.1", false, "eve", "app", 11, HBA_TRUST },
	{ "192.169.0.1", false, "eve", "app", 0, HBA_TRUST },
};

static void test_match_table(void **state)
{
	(void)state;
	struct hba *h = parse(match_rules);
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *mc = &match_cases[i];
		struct addr a;
		struct hba_client cl = { make_addr(&a, mc->addr), mc->tls, mc->user, mc->database };
		const struct hba_rule *r = hba_match(h, &cl);
		int line = r ? r->line : 0;
		if (line != mc->line || (r && r->method != mc->method))
			fail_msg("case %zu (%s tls=%d %s@%s): want line %d %s, got line %d %s", i,
				 mc->addr, mc->tls, mc->user, mc->database, mc->line,
				 hba_method_name(mc->method), line, r ? hba_method_name(r->method) : "-");
	}
	hba_free(h);
}

static void test_cidr_masks_host_bits(void **state)
{
	(void)state;
	/* host bits in the rule are ignored, as PostgreSQL masks both sides */
	struct hba *h = parse("host all all 10.1.2.3/8 trust\nhost all all 0.0.0.0/0 reject\n"
			      "host all all ::/0 md5\n");
	struct addr a;
	struct hba_client cl = { make_addr(&a, "10.200.0.1"), false, "u", "d" };
	assert_int_equal(hba_match(h, &cl)->line, 1);
	cl.addr = make_addr(&a, "11.0.0.1");
	assert_int_equal(hba_match(h, &cl)->line, 2);
	cl.addr = make_addr(&a, "fe80::1");
	assert_int_equal(hba_match(h, &cl)->line, 3);
	hba_free(h);
}

/* ---- messages as PostgreSQL 15 words them ---- */

static void test_refusal_messages(void **state)
{
	(void)state;
	struct hba *h = parse("host all bad all reject\n");
	struct addr a;
	struct hba_client cl = { make_addr(&a, "127.0.0.1"), false, "u1", "db1" };
	char msg[512];

	hba_refusal_message(hba_match(h, &cl), &cl, msg, sizeof(msg));
	assert_string_equal(msg, "no pg_hba.conf entry for host \"127.0.0.1\", user \"u1\", "
			    "database \"db1\", no encryption");
	cl.user = "bad";
	cl.tls = true;
	hba_refusal_message(hba_match(h, &cl), &cl, msg, sizeof(msg));
	assert_string_equal(msg, "pg_hba.conf rejects connection for host \"127.0.0.1\", "
			    "user \"bad\", database \"db1\", SSL encryption");
	cl.addr = make_addr(&a, "::1");
	hba_refusal_message(NULL, &cl, msg, sizeof(msg));
	assert_string_equal(msg, "no pg_hba.conf entry for host \"::1\", user \"bad\", "
			    "database \"db1\", SSL encryption");
	cl.addr = make_addr(&a, "local");
	cl.tls = false;
	hba_refusal_message(NULL, &cl, msg, sizeof(msg));
	assert_string_equal(msg, "no pg_hba.conf entry for host \"[local]\", user \"bad\", "
			    "database \"db1\", no encryption");
	hba_free(h);
}

/* ---- files ---- */

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_hba_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char good[] = "host all all 127.0.0.1/32 trust\n";
	assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)(sizeof(good) - 1));

	struct hba *h = hba_load(path, errbuf, sizeof(errbuf));
	assert_non_null(h);
	assert_string_equal(h->path, path);
	assert_int_equal(h->n_rules, 1);
	hba_free(h);

	/* a NUL byte is an error with its line */
	assert_int_equal(write(fd, "\n\0", 2), 2);
	close(fd);
	char want[128];
	assert_null(hba_load(path, errbuf, sizeof(errbuf)));
	snprintf(want, sizeof(want), "%s:3: NUL byte in file", path);
	assert_string_equal(errbuf, want);
	unlink(path);

	assert_null(hba_load(path, errbuf, sizeof(errbuf)));
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(errbuf, want);

	/* a directory (or a FIFO, a device) is not an hba_file */
	assert_null(hba_load("/tmp", errbuf, sizeof(errbuf)));
	assert_string_equal(errbuf, "/tmp: not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_certificates),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_cidr_masks_host_bits),
		cmocka_unit_test(test_refusal_messages),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
