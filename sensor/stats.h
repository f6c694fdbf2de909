/*
 * stats — the final (and periodic) `stats` event and the summary printed
 * on stderr at exit. Counters that Suricata also has keep Suricata's names
 * inside `stats` (so dashboards built for Suricata work); every counter
 * mailtap keeps, including those, is in the `mailtap` object beside it.
 */
#ifndef MT_STATS_H
#define MT_STATS_H

#include <stdio.h>

#include "capture.h"
#include "worker.h"

/* Build the stats event for one worker (and its capture source). */
json_t *stats_event(const struct worker *w, const struct capture_source *src,
		    uint64_t uptime_s);

/* One-paragraph human summary: packets, bytes, flows, SMTP sessions,
 * transactions, alerts, drops by reason. */
void stats_summary(FILE *out, const struct worker *w, const struct capture_source *src);

#endif
