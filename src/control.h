/*
 * SET/RESET/SHOW pgsteer.* (control.c): answered by pgsteer, never
 * forwarded.
 */
#ifndef PGSTEER_CONTROL_H
#define PGSTEER_CONTROL_H

#include <stdint.h>

#include "pgsteer.h"

void control_answer(struct client *c, const struct classify_result *res, uint8_t first_type);
void control_reset_all(struct client *c);

#endif
