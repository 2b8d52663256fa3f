/*
 * SQL controls addressed to pgsteer itself: SET pgsteer.x = v,
 * RESET pgsteer.x / RESET pgsteer.*, SHOW pgsteer.x.  They are answered
 * here and never forwarded to a server, over the simple protocol (one
 * Query) or the extended one (Parse/Bind/Describe/Execute ... Sync, as
 * drivers such as psycopg and JDBC send them).
 *
 * This file owns the names and values of the session settings; the router
 * reads them from client->route.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "control.h"
#include "log.h"
#include "pgsteer.h"
#include "carry.h"
#include "proto.h"

#define OID_TEXT 25

enum control_kind {
	CK_BOOL,
	CK_STRING,
	CK_READONLY,
};

struct control_var {
	const char *name;
	enum control_kind kind;
	size_t bool_off;	/* offsetof in struct route_session for CK_BOOL */
};

static const struct control_var control_vars[] = {
	{ "use_primary", CK_BOOL, offsetof(struct route_session, use_primary) },
	{ "use_replicas_for_reads", CK_BOOL, offsetof(struct route_session, use_replicas_for_reads) },
	{ "fallback_ambiguous", CK_BOOL, offsetof(struct route_session, fallback_ambiguous) },
	{ "sticky_key", CK_STRING, 0 },
	{ "tenant", CK_STRING, 0 },
	{ "last_route", CK_READONLY, 0 },
};

/* A local answer: the error to send (if any) and the SHOW value. */
struct control_outcome {
	const char *sqlstate;
	char message[300];
	char show_name[CLASSIFY_NAME_LEN + 8];
	char show_value[CLASSIFY_VALUE_LEN];
	const char *tag;	/* "SET", "RESET", "SHOW" */
};

static const struct control_var *find_var(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(control_vars); i++)
		if (strcmp(control_vars[i].name, name) == 0)
			return &control_vars[i];
	return NULL;
}

static bool *bool_field(struct client *c, const struct control_var *v)
{
	return (bool *)((char *)&c->route + v->bool_off);
}

static char **string_field(struct client *c, const struct control_var *v)
{
	return strcmp(v->name, "tenant") == 0 ? &c->tenant : &c->sticky_key;
}

/* Replace a heap string setting; "" unsets it. */
static bool set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value[0]) {
		copy = strdup(value);
		if (!copy)
			return false;
	}
	free(*field);
	*field = copy;
	return true;
}

/* Back to the defaults of the running config. */
void control_reset_all(struct client *c)
{
	c->route.use_primary = false;
	c->route.use_replicas_for_reads = false;
	c->route.fallback_ambiguous = rt.cfg->fallback_ambiguous;
	set_string(&c->sticky_key, "");
	/* pgsteer.tenant stays: it binds the session to a cluster (tenant.c) */
}

static void reset_var(struct client *c, const struct control_var *v)
{
	if (v->kind == CK_BOOL)
		*bool_field(c, v) = strcmp(v->name, "fallback_ambiguous") == 0 ?
				    rt.cfg->fallback_ambiguous : false;
	else if (v->kind == CK_STRING)
		set_string(string_field(c, v), "");
}

/* Apply the control in RES to C; fill OUT with what to answer. */
static void control_apply(struct client *c, const struct classify_result *res,
			  struct control_outcome *out)
{
	const struct control_var *v;

	memset(out, 0, sizeof(*out));
	if (res->control == CONTROL_RESET && strcmp(res->control_name, "*") == 0) {
		control_reset_all(c);
		out->tag = "RESET";
		return;
	}
	v = find_var(res->control_name);
	if (!v) {
		out->sqlstate = "42704";
		snprintf(out->message, sizeof(out->message),
			 "unrecognized configuration parameter \"pgsteer.%s\"", res->control_name);
		return;
	}
	if (strcmp(v->name, "tenant") == 0 &&
	    (res->control == CONTROL_SET || res->control == CONTROL_RESET) &&
	    !dataplane.tenant_control_check(c, res->control == CONTROL_SET ? res->control_value : "",
				  &out->sqlstate, out->message, sizeof(out->message)))
		return;		/* a session's tenant is fixed once it ran a statement */
	switch (res->control) {
	case CONTROL_SHOW:
		out->tag = "SHOW";
		snprintf(out->show_name, sizeof(out->show_name), "pgsteer.%s", v->name);
		if (v->kind == CK_BOOL)
			snprintf(out->show_value, sizeof(out->show_value), "%s",
				 *bool_field(c, v) ? "on" : "off");
		else if (v->kind == CK_STRING)
			snprintf(out->show_value, sizeof(out->show_value), "%s",
				 *string_field(c, v) ? *string_field(c, v) : "");
		else
			client_last_route(c, out->show_value, sizeof(out->show_value));
		return;
	case CONTROL_RESET:
		if (v->kind == CK_READONLY)
			goto readonly;
		reset_var(c, v);
		out->tag = "RESET";
		return;
	case CONTROL_SET:
		if (v->kind == CK_READONLY)
			goto readonly;
		if (v->kind == CK_BOOL) {
			bool b;
			if (!config_parse_bool(res->control_value, &b)) {
				out->sqlstate = "22023";
				snprintf(out->message, sizeof(out->message),
					 "parameter \"pgsteer.%s\" requires a Boolean value", v->name);
				return;
			}
			*bool_field(c, v) = b;
		} else if (!set_string(string_field(c, v), res->control_value)) {
			out->sqlstate = "53200";
			snprintf(out->message, sizeof(out->message), "out of memory");
			return;
		}
		out->tag = "SET";
		return;
	case CONTROL_NONE:
		break;
	}
	out->sqlstate = "42601";
	snprintf(out->message, sizeof(out->message), "malformed pgsteer control statement");
	return;
readonly:
	out->sqlstate = "55P02";
	snprintf(out->message, sizeof(out->message), "parameter \"pgsteer.%s\" cannot be changed",
		 v->name);
}

/* Result rows of a SHOW: RowDescription (when asked) and DataRow. */
static void add_show_rows(struct evbuffer *out, const struct control_outcome *o, bool describe)
{
	const char *names[1] = { o->show_name };
	const uint32_t oids[1] = { OID_TEXT };
	const char *vals[1] = { o->show_value };

	if (describe)
		proto_add_row_description(out, 1, names, oids);
	proto_add_data_row(out, 1, vals);
}

/*
 * Answer a control statement at the head of C's input.  FIRST_TYPE 'Q':
 * one Query.  Otherwise an extended-protocol batch up to its Sync; a batch
 * that is not complete yet is left for the next read.
 */
void control_answer(struct client *c, const struct classify_result *res, uint8_t first_type)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct control_outcome o;
	uint8_t type;
	uint32_t len;
	size_t off = 0;
	bool failed = false;

	if (first_type == 'Q') {
		proto_peek_header(in, 0, &type, &len);
		evbuffer_drain(in, 1 + (size_t)len);
		control_apply(c, res, &o);
		if (o.sqlstate) {
			proto_add_error(out, "ERROR", o.sqlstate, o.message, NULL);
		} else {
			if (o.show_name[0])
				add_show_rows(out, &o, true);
			proto_add_command_complete(out, o.tag);
		}
		proto_add_ready(out, c->tx_status);
		log_debug("C-%llu %s@%s: pgsteer control %s answered locally", (unsigned long long)c->id,
			  c->user, c->database, res->control_name);
		return;
	}

	/* Extended protocol: wait for the whole batch, then answer message by message. */
	for (;;) {
		if (!proto_peek_header(in, off, &type, &len))
			return;
		if (evbuffer_get_length(in) < off + 1 + len)
			return;
		off += 1 + len;
		if (type == 'S')
			break;
	}
	control_apply(c, res, &o);
	while (evbuffer_get_length(in) > 0 && proto_peek_header(in, 0, &type, &len)) {
		uint8_t head[6] = { 0 };
		evbuffer_copyout(in, head, len >= 5 ? 6 : 5);
		if ((type == 'P' || type == 'C') && !failed && !o.sqlstate) {
			/* a named control statement: the client may bind it again later */
			const char *msg = (const char *)evbuffer_pullup(in, 1 + (ev_ssize_t)len);
			if (type == 'P')
				carry_remember_parse(c, msg + 5, len - 4, res);
			else if (head[5] == 'S')
				carry_forget_name(c, msg + 6, len - 5);
		}
		evbuffer_drain(in, 1 + (size_t)len);
		if (type == 'S') {
			proto_add_ready(out, c->tx_status);
			break;
		}
		if (failed)
			continue;	/* after an error, skip to Sync like PostgreSQL */
		switch (type) {
		case 'P':
			if (o.sqlstate) {
				proto_add_error(out, "ERROR", o.sqlstate, o.message, NULL);
				failed = true;
			} else {
				proto_add_bodyless(out, '1');	/* ParseComplete */
			}
			break;
		case 'B':
			proto_add_bodyless(out, '2');		/* BindComplete */
			break;
		case 'D':
			if (head[5] == 'S')	/* statement: parameters first (none) */
				evbuffer_add(out, "t\0\0\0\6\0\0", 7);
			if (o.show_name[0]) {
				const char *names[1] = { o.show_name };
				const uint32_t oids[1] = { OID_TEXT };
				proto_add_row_description(out, 1, names, oids);
			} else {
				proto_add_bodyless(out, 'n');	/* NoData */
			}
			break;
		case 'E':
			if (o.show_name[0])
				add_show_rows(out, &o, false);
			proto_add_command_complete(out, o.tag);
			break;
		case 'C':
			proto_add_bodyless(out, '3');		/* CloseComplete */
			break;
		default:
			break;	/* Flush and anything else: nothing to answer */
		}
	}
	log_debug("C-%llu %s@%s: pgsteer control %s answered locally (extended protocol)",
		  (unsigned long long)c->id, c->user, c->database, res->control_name);
}
