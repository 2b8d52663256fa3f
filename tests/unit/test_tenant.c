/*
 * Unit tests of tenancy's pure parts: the placement map, tenant names,
 * startup options, the cluster choice for TENANT CREATE, NOTIFY payloads,
 * the migration plan and step list, the TENANT admin grammar, and the
 * [tenancy] keys of the config loader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "admin.h"
#include "config.h"
#include "metadata.h"
#include "tenant.h"

static void collect(void *arg, const struct tenant_entry *e)
{
	char *out = arg;
	strcat(out, e->id);
	strcat(out, ",");
}

static void test_map_put_get_del_and_growth(void **state)
{
	struct tenant_map *m = tenant_map_new();
	char id[32], order[256] = "";

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "t%04d", i);
		struct tenant_entry *e = tenant_map_put(m, id);
		assert_non_null(e);
		assert_int_equal(e->cluster_index, -1);
		e->generation = i;
	}
	assert_int_equal(tenant_map_count(m), 1000);
	assert_ptr_equal(tenant_map_put(m, "t0007"), tenant_map_get(m, "t0007"));	/* no duplicate */
	assert_int_equal(tenant_map_count(m), 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "t%04d", i);
		assert_int_equal(tenant_map_get(m, id)->generation, i);
	}
	assert_null(tenant_map_get(m, "t1000"));
	assert_true(tenant_map_del(m, "t0500"));
	assert_false(tenant_map_del(m, "t0500"));
	assert_null(tenant_map_get(m, "t0500"));
	assert_int_equal(tenant_map_count(m), 999);
	tenant_map_clear(m);
	assert_int_equal(tenant_map_count(m), 0);
	/* iteration is sorted by id: SHOW TENANTS is stable */
	tenant_map_put(m, "zeta");
	tenant_map_put(m, "alpha");
	tenant_map_put(m, "mu");
	tenant_map_foreach_sorted(m, collect, order);
	assert_string_equal(order, "alpha,mu,zeta,");
	/* ids longer than a NAME are refused, not truncated */
	char longid[80];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_null(tenant_map_put(m, longid));
	tenant_map_free(m);
}

static void test_tenant_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "acme", true }, { "Acme_01", true }, { "a.b-c", true }, { "", false },
		{ "has space", false }, { "semi;colon", false }, { "quote'", false },
		{ "slash/", false }, { "é", false },
		{ "123456789012345678901234567890123456789012345678901234567890123", true },
		{ "1234567890123456789012345678901234567890123456789012345678901234", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(tenant_name_valid(cases[i].name), cases[i].ok);
}

static void test_startup_options(void **state)
{
	static const struct {
		const char *options;
		int result;
		const char *tenant;	/* or the start of the reason */
	} cases[] = {
		{ "-c pgsteer.tenant=acme", 1, "acme" },
		{ "-cpgsteer.tenant=acme", 1, "acme" },
		{ "--pgsteer.tenant=acme", 1, "acme" },
		{ "-c search_path=app -c pgsteer.tenant=beta", 1, "beta" },
		{ "  -c   pgsteer.tenant=beta  -c work_mem=64MB ", 1, "beta" },
		{ "-c pgsteer.tenant=a -c pgsteer.tenant=b", 1, "b" },		/* the last wins */
		{ "-c PGSTEER.TENANT=acme", 1, "acme" },			/* GUC names fold */
		{ "-c search_path=app", 0, "" },
		{ "-c pgsteer.tenantx=acme", 0, "" },
		{ "", 0, "" },
		{ "-c", 0, "" },
		{ "-c pgsteer.tenant=", -1, "invalid tenant name" },
		{ "-c pgsteer.tenant=a\\ b", -1, "invalid tenant name" },	/* escaped space */
		{ "-c pgsteer.tenant=x/y", -1, "invalid tenant name" },
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = '\0';
		int r = tenant_from_options(cases[i].options, out, sizeof(out));
		assert_int_equal(r, cases[i].result);
		assert_true(strncmp(out, cases[i].tenant, strlen(cases[i].tenant)) == 0);
	}
}

static void test_pick_cluster_fewest_tenants(void **state)
{
	int counts[4] = { 5, 2, 2, 0 };
	bool usable[4] = { true, true, true, false };

	(void)state;
	assert_int_equal(tenant_pick_cluster(4, counts, usable), 1);	/* tie: config order */
	usable[1] = false;
	assert_int_equal(tenant_pick_cluster(4, counts, usable), 2);
	usable[3] = true;
	assert_int_equal(tenant_pick_cluster(4, counts, usable), 3);
	memset(usable, 0, sizeof(usable));
	assert_int_equal(tenant_pick_cluster(4, counts, usable), -1);
	assert_int_equal(tenant_pick_cluster(0, counts, usable), -1);
}

static void test_notify_payloads(void **state)
{
	struct tenant_notify n;

	(void)state;
	tenant_parse_notify("tenant acme", &n);
	assert_int_equal(n.kind, TN_TENANT);
	assert_string_equal(n.name, "acme");
	tenant_parse_notify("node main2", &n);
	assert_int_equal(n.kind, TN_NODE);
	assert_string_equal(n.name, "main2");
	tenant_parse_notify("ack acme 7 host one:6432", &n);
	assert_int_equal(n.kind, TN_ACK);
	assert_string_equal(n.name, "acme");
	assert_int_equal(n.generation, 7);
	assert_string_equal(n.instance, "host one:6432");	/* instance names may hold spaces */
	static const char *const bad[] = {
		"", "tenant", "tenant a b", "ack acme", "ack acme x inst", "ack acme 0 inst",
		"ack acme 3", "frobnicate x", "node",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tenant_parse_notify(bad[i], &n);
		assert_int_equal(n.kind, TN_BAD);
	}
}

static void test_migration_plan(void **state)
{
	int first, last, n;
	char err[200];
	const struct metadata_step *steps = metadata_steps(&n);
	int current = metadata_current_version();

	(void)state;
	/* steps are numbered 1..N without gaps: each upgrades exactly one version */
	for (int i = 0; i < n; i++) {
		assert_int_equal(steps[i].version, i + 1);
		assert_true(strlen(steps[i].description) > 0 && !strchr(steps[i].description, '\''));
	}
	assert_int_equal(current, n);
	assert_int_equal(metadata_plan(0, &first, &last, err, sizeof(err)), 0);	/* absent: all */
	assert_int_equal(first, 1);
	assert_int_equal(last, current);
	assert_int_equal(metadata_plan(1, &first, &last, err, sizeof(err)), 0);	/* old */
	assert_int_equal(first, 2);
	assert_int_equal(last, current);
	assert_int_equal(metadata_plan(current, &first, &last, err, sizeof(err)), 0);
	assert_true(first > last);						/* current: none */
	assert_int_equal(metadata_plan(current + 1, &first, &last, err, sizeof(err)), -1);
	char want[128];
	snprintf(want, sizeof(want), "incompatible metadata schema version %d (this build supports %d)",
		 current + 1, current);
	assert_string_equal(err, want);
	assert_int_equal(metadata_plan(-1, &first, &last, err, sizeof(err)), -1);
}

static void test_tenant_admin_grammar(void **state)
{
	static const struct {
		const char *sql;
		int rc;
		enum admin_cmd cmd;
		const char *tenant;
		const char *name;
	} cases[] = {
		{ "TENANT CREATE acme", 0, ADMIN_TENANT_CREATE, "acme", "" },
		{ "tenant create acme on other;", 0, ADMIN_TENANT_CREATE, "acme", "other" },
		{ "TENANT CREATE 'it''s' ON \"Other\"", 0, ADMIN_TENANT_CREATE, "it's", "Other" },
		{ "TENANT LOCATE Acme", 0, ADMIN_TENANT_LOCATE, "Acme", "" },
		{ "TENANT MOVE acme TO other -- now", 0, ADMIN_TENANT_MOVE, "acme", "other" },
		{ "TENANT DROP \"acme\"", 0, ADMIN_TENANT_DROP, "acme", "" },
		{ "TENANT MOVE acme", -1, ADMIN_TENANT_MOVE, "", "" },
		{ "TENANT MOVE acme ON other", -1, ADMIN_TENANT_MOVE, "", "" },
		{ "TENANT", -1, ADMIN_EMPTY, "", "" },
		{ "TENANT RENAME a", -1, ADMIN_EMPTY, "", "" },
		{ "TENANT DROP", -1, ADMIN_TENANT_DROP, "", "" },
		{ "TENANT DROP a b", -1, ADMIN_TENANT_DROP, "", "" },
		{ "TENANT CREATE ''", -1, ADMIN_TENANT_CREATE, "", "" },
	};
	struct admin_command cmd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = admin_parse(cases[i].sql, &cmd);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(cmd.cmd, cases[i].cmd);
			assert_string_equal(cmd.tenant, cases[i].tenant);
			assert_string_equal(cmd.name, cases[i].name);
		} else {
			assert_non_null(cmd.sqlstate);
			assert_true(strlen(cmd.message) > 0);
		}
	}
	assert_true(admin_cmd_read_only(ADMIN_TENANT_LOCATE));
	assert_false(admin_cmd_read_only(ADMIN_TENANT_MOVE));
	assert_string_equal(admin_cmd_name(ADMIN_TENANT_MOVE), "TENANT MOVE");
}

/* WITH DATA, SCHEMA/DATABASE, CANCEL, CLEANUP, SHOW MOVES. */
static void test_tenant_data_grammar(void **state)
{
	static const struct {
		const char *sql;
		int rc;
		enum admin_cmd cmd;
		const char *tenant, *name;
		bool with_data;
		enum admin_data_kind kind;
		const char *data_name;
	} cases[] = {
		{ "TENANT MOVE acme TO eu", 0, ADMIN_TENANT_MOVE, "acme", "eu", false, ADMIN_DATA_NONE, "" },
		{ "TENANT MOVE acme TO eu WITH DATA", 0, ADMIN_TENANT_MOVE, "acme", "eu", true, ADMIN_DATA_NONE, "" },
		{ "tenant move acme to eu with data schema \"Acme\";", 0, ADMIN_TENANT_MOVE, "acme", "eu", true,
		  ADMIN_DATA_SCHEMA, "Acme" },
		{ "TENANT MOVE acme TO eu WITH DATA DATABASE acme_db", 0, ADMIN_TENANT_MOVE, "acme", "eu", true,
		  ADMIN_DATA_DATABASE, "acme_db" },
		{ "TENANT CREATE acme ON main SCHEMA acme", 0, ADMIN_TENANT_CREATE, "acme", "main", false,
		  ADMIN_DATA_SCHEMA, "acme" },
		{ "TENANT CREATE acme DATABASE acme_db", 0, ADMIN_TENANT_CREATE, "acme", "", false,
		  ADMIN_DATA_DATABASE, "acme_db" },
		{ "TENANT MOVE acme CANCEL", 0, ADMIN_TENANT_MOVE_CANCEL, "acme", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT CLEANUP acme", 0, ADMIN_TENANT_CLEANUP, "acme", "", false, ADMIN_DATA_NONE, "" },
		{ "SHOW MOVES", 0, ADMIN_SHOW_MOVES, "", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT MOVE acme TO eu WITH", -1, ADMIN_TENANT_MOVE, "", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT MOVE acme TO eu WITH DATA SCHEMA", -1, ADMIN_TENANT_MOVE, "", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT MOVE acme TO eu WITH DATA TABLE t", -1, ADMIN_TENANT_MOVE, "", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT MOVE acme CANCEL now", -1, ADMIN_TENANT_MOVE, "", "", false, ADMIN_DATA_NONE, "" },
		{ "TENANT CLEANUP", -1, ADMIN_TENANT_CLEANUP, "", "", false, ADMIN_DATA_NONE, "" },
	};
	struct admin_command cmd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = admin_parse(cases[i].sql, &cmd);
		assert_int_equal(rc, cases[i].rc);
		if (rc != 0) {
			assert_string_equal(cmd.sqlstate, "42601");
			continue;
		}
		assert_int_equal(cmd.cmd, cases[i].cmd);
		assert_string_equal(cmd.tenant, cases[i].tenant);
		assert_string_equal(cmd.name, cases[i].name);
		assert_int_equal(cmd.with_data, cases[i].with_data);
		assert_int_equal(cmd.data_kind, cases[i].kind);
		assert_string_equal(cmd.data_name, cases[i].data_name);
	}
	assert_true(admin_cmd_read_only(ADMIN_SHOW_MOVES));
	assert_false(admin_cmd_read_only(ADMIN_TENANT_MOVE_CANCEL));
	assert_false(admin_cmd_read_only(ADMIN_TENANT_CLEANUP));
	assert_string_equal(admin_cmd_name(ADMIN_TENANT_CLEANUP), "TENANT CLEANUP");
}

static struct config *load(const char *tenancy, char *err, size_t len)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "[pgsteer]\n[cluster.main]\n[node.main1]\ncluster = main\nhost = 127.0.0.1\n"
		 "[tenancy]\n%s", tenancy);
	return config_load_string("t.ini", text, err, len);
}

static void test_tenancy_config_keys(void **state)
{
	char err[512];
	struct config *cfg;

	(void)state;
	cfg = load("metadata_cluster = main\nunknown_tenant = default\nmetadata_database = meta\n"
		   "instance_name = east-1\ndatabase_pattern = ^(?<tenant>[a-z0-9_]+)_app$\n"
		   "move_timeout = 2s\n", err, sizeof(err));
	assert_non_null(cfg);
	assert_int_equal(cfg->unknown_tenant, UNKNOWN_TENANT_DEFAULT);
	assert_string_equal(cfg->metadata_database, "meta");
	assert_string_equal(cfg->instance_name, "east-1");
	assert_int_equal(cfg->move_timeout_ms, 2000);
	config_free(cfg);
	cfg = load("metadata_cluster = main\n", err, sizeof(err));
	assert_int_equal(cfg->unknown_tenant, UNKNOWN_TENANT_REJECT);	/* the default */
	config_free(cfg);
	/* a pattern must compile and name the group "tenant": FILE:LINE errors */
	assert_null(load("metadata_cluster = main\ndatabase_pattern = ^(?<tenant>[a-z+$\n", err, sizeof(err)));
	assert_non_null(strstr(err, "t.ini:8:"));
	assert_non_null(strstr(err, "PCRE2 error"));
	assert_null(load("metadata_cluster = main\nuser_pattern = ^(?<name>.+)$\n", err, sizeof(err)));
	assert_non_null(strstr(err, "t.ini:8:"));
	assert_non_null(strstr(err, "(?<tenant>...)"));
	assert_null(load("metadata_cluster = main\nunknown_tenant = maybe\n", err, sizeof(err)));
	assert_non_null(strstr(err, "t.ini:8:"));
	assert_null(load("metadata_cluster = nowhere\n", err, sizeof(err)));
	assert_non_null(strstr(err, "nowhere"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_put_get_del_and_growth),
		cmocka_unit_test(test_tenant_names),
		cmocka_unit_test(test_startup_options),
		cmocka_unit_test(test_pick_cluster_fewest_tenants),
		cmocka_unit_test(test_notify_payloads),
		cmocka_unit_test(test_migration_plan),
		cmocka_unit_test(test_tenant_admin_grammar),
		cmocka_unit_test(test_tenant_data_grammar),
		cmocka_unit_test(test_tenancy_config_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
