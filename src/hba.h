/*
 * hba_file: host-based access rules in pg_hba.conf syntax, applied by
 * pgsteer to its own clients before authentication.  Pure: parsing text
 * into rules and matching a client against them; one file read in
 * hba_load(), no sockets, no globals, no clock.
 *
 * Supported, one rule per line:
 *   local      DATABASE USER          METHOD
 *   host       DATABASE USER ADDRESS  METHOD
 *   hostssl    DATABASE USER ADDRESS  METHOD
 *   hostnossl  DATABASE USER ADDRESS  METHOD
 * DATABASE and USER are comma-separated lists; "all" matches anything,
 * "sameuser" (DATABASE) matches a database named like the user,
 * "replication" (DATABASE) matches nothing (pgsteer does not proxy
 * replication connections); a double-quoted name is always literal.
 * ADDRESS is CIDR (127.0.0.1/32, ::1/128, 0.0.0.0/0), an address followed
 * by a netmask field (127.0.0.1 255.255.255.255), or "all".  METHOD is
 * trust, md5, scram-sha-256, cert (hostssl only: a client certificate
 * from client_tls_ca_file whose name is the user is the login) or
 * reject.  Options after the method, as PostgreSQL 15 takes them:
 * clientcert=verify-ca|verify-full (hostssl only: a verified certificate
 * is required as well as the method; verify-full also wants its name to
 * be the user; cert implies verify-full) and clientname=CN|DN (which name
 * of the certificate is compared, CN by default).  '#' starts a comment
 * outside quotes.  The first rule that matches decides; no match refuses.
 *
 * Refused with "FILE:LINE: message" rather than half-supported: +group
 * and @file names, samerole/samegroup, host names, samehost/samenet,
 * hostgssenc/hostnogssenc, every other method (password, peer, ident,
 * ldap, ...), and every other option (an ignored option could silently
 * weaken a rule).
 */
#ifndef PGSTEER_HBA_H
#define PGSTEER_HBA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum hba_conn_type {
	HBA_LOCAL,		/* Unix-domain socket */
	HBA_HOST,		/* TCP, with or without TLS */
	HBA_HOSTSSL,		/* TCP with TLS */
	HBA_HOSTNOSSL,		/* TCP without TLS */
};

enum hba_method {
	HBA_TRUST,
	HBA_MD5,
	HBA_SCRAM,
	HBA_CERT,
	HBA_REJECT,
};

/* clientcert=: what a rule demands of the client's certificate. */
enum hba_clientcert {
	HBA_CLIENTCERT_NONE,	/* nothing (a certificate may still be checked by the handshake) */
	HBA_CLIENTCERT_CA,	/* verify-ca: a certificate the CA verified */
	HBA_CLIENTCERT_FULL,	/* verify-full: that, and its name is the user */
};

/* clientname=: which name of the certificate is compared with the user. */
enum hba_clientname {
	HBA_CLIENTNAME_CN,
	HBA_CLIENTNAME_DN,
};

enum hba_name_kind {
	HBA_NAME_LITERAL,
	HBA_NAME_ALL,
	HBA_NAME_SAMEUSER,	/* database field only */
	HBA_NAME_REPLICATION,	/* database field only; never matches */
};

struct hba_name {
	enum hba_name_kind kind;
	char *name;		/* HBA_NAME_LITERAL only, else NULL */
};

struct hba_rule {
	int line;			/* in the file, for messages */
	enum hba_conn_type conn_type;
	struct hba_name *databases;
	int n_databases;
	struct hba_name *users;
	int n_users;
	bool any_address;		/* "all", or a local rule */
	int family;			/* AF_INET or AF_INET6 when !any_address */
	uint8_t addr[16];		/* network address, already masked */
	uint8_t mask[16];
	enum hba_method method;
	enum hba_clientcert clientcert;	/* HBA_CLIENTCERT_FULL for cert */
	enum hba_clientname clientname;
};

struct hba {
	char *path;			/* the file, for messages */
	struct hba_rule *rules;
	int n_rules;
};

/* What a rule is matched against. */
struct hba_client {
	const struct sockaddr *addr;	/* NULL or AF_UNIX: a local connection */
	bool tls;
	const char *user;
	const char *database;
};

/* Load PATH (a regular file); NULL with "PATH:LINE: message" in errbuf. */
struct hba *hba_load(const char *path, char *errbuf, size_t errlen);
/* Same from memory; NAME is used in messages. */
struct hba *hba_parse(const char *name, const char *text, char *errbuf, size_t errlen);
void hba_free(struct hba *h);

/* The first rule matching CL, or NULL: no rule, the client is refused. */
const struct hba_rule *hba_match(const struct hba *h, const struct hba_client *cl);

/*
 * The FATAL message for a client that RULE (a reject rule, or NULL for
 * no match) refuses, worded as PostgreSQL 15 words it:
 *   no pg_hba.conf entry for host "H", user "U", database "D", no encryption
 *   pg_hba.conf rejects connection for host "H", user "U", database "D", SSL encryption
 */
void hba_refusal_message(const struct hba_rule *rule, const struct hba_client *cl,
			 char *buf, size_t len);

/* "[local]" or the numeric address, as PostgreSQL shows a client host. */
void hba_format_host(const struct sockaddr *addr, char *buf, size_t len);

/* The first rule that needs passwords (md5 or scram-sha-256), or NULL. */
const struct hba_rule *hba_first_password_rule(const struct hba *h);
/* The first rule that needs a client certificate (cert, clientcert=), or NULL. */
const struct hba_rule *hba_first_certificate_rule(const struct hba *h);

const char *hba_method_name(enum hba_method m);

#endif
