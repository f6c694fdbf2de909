/*
 * config — defaults and small parsers for the command line (config.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void config_port_map(struct mt_config *c)
{
	memset(c->smtp_port_map, 0, sizeof(c->smtp_port_map));
	for (unsigned i = 0; i < c->smtp_port_count; i++)
		c->smtp_port_map[c->smtp_ports[i] >> 3] |= (uint8_t)(1u << (c->smtp_ports[i] & 7));
}

void config_defaults(struct mt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_dir = ".";
	c->smtp_ports[0] = 25;
	c->smtp_ports[1] = 587;
	c->smtp_ports[2] = 2525;
	c->smtp_port_count = 3;
	config_port_map(c);
	reasm_config_default(&c->reasm);
	c->pool_block_size = 4096;
	c->pool_blocks = 65536;        /* 256 MiB of parser blocks at most */
	c->max_line = 4000;
	c->max_rcpt = 1000;            /* capped by what one parser block holds */
	c->max_app_flows = c->reasm.max_flows;
}

int config_parse_ports(struct mt_config *c, const char *list)
{
	const char *p = list;
	unsigned n = 0;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 1 || v > 65535 || n >= CONFIG_MAX_PORTS)
			return -EINVAL;
		c->smtp_ports[n++] = (uint16_t)v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	if (n == 0)
		return -EINVAL;
	c->smtp_port_count = n;
	config_port_map(c);
	return 0;
}

