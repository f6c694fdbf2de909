/*
 * anomaly — the registry of anomaly names mailtap logs.
 *
 * Every name a parser can raise is listed here once, in the order the
 * README documents them; the id of a name is its index. A worker counts
 * every occurrence per name (the stats event's mailtap.anomalies object)
 * and a flow logs each name once (a 128-bit set per flow): an attacker
 * repeating a malformed line a million times makes one event and a
 * counter of a million, never a million events.
 *
 * A name that is not in the table (a parser raising something new that
 * was not registered) is counted and logged as itself under the id
 * ANOMALY_OTHER; tests/tools/check_anomaly_names.py fails the build's
 * tests when a parser's name is missing here or from the README.
 */
#ifndef MT_ANOMALY_H
#define MT_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#define ANOMALY_MAX 128

/* Index of name in the registry; ANOMALY_OTHER if unknown. */
unsigned anomaly_id(const char *name);
/* Registry size (ids 0 .. anomaly_count()-1; ANOMALY_OTHER is the last). */
unsigned anomaly_count(void);
const char *anomaly_name(unsigned id);
extern const unsigned ANOMALY_OTHER;

/*
 * The names rules may use in app-layer-event, for sig_set_event_names:
 * "smtp.NAME" for each application anomaly (SMTP, STARTTLS, sender checks,
 * MIME; not the TCP and IP ones, which are no application's), then
 * Suricata's SMTP event names that have an equivalent here, mapped to it
 * (canon[i]; NULL: names[i] itself). Built once, static storage.
 */
void anomaly_event_names(const char *const **names, const char *const **canon,
			 unsigned *n);
/* Whether the anomaly is raised on the server's side (a reply): its
 * app-layer event is matched in the to_client direction. */
bool anomaly_from_server(const char *name);

/* Per-flow "already logged" set. */
struct anomaly_seen {
	uint64_t bits[ANOMALY_MAX / 64];
};

/* Mark id in the set; true if it was not there yet. */
static inline bool anomaly_first(struct anomaly_seen *s, unsigned id)
{
	uint64_t bit = 1ull << (id & 63), *w = &s->bits[(id / 64) % (ANOMALY_MAX / 64)];

	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}

#endif
