/*
 * Routing decisions (pure).  This first version implements the rule that
 * holds before replica monitoring exists: everything goes to the primary.
 * The replica rules (DESIGN.md "Routing rules") extend route_decide().
 */
#include "route.h"

void route_decide(const struct classify_result *stmt, const struct route_session *sess,
		  const struct route_snapshot *snap, struct route_decision *out)
{
	(void)stmt;
	out->target = ROUTE_PRIMARY;
	out->node = snap->primary;
	if (snap->primary < 0) {
		out->target = ROUTE_REFUSE;
		out->reason = "no primary known";
	} else if (sess->in_transaction) {
		out->reason = "inside a transaction: stays on the transaction's server";
	} else {
		out->reason = "replica routing not enabled: primary";
	}
}
