/*
 * stats — see stats.h.
 */
#include "stats.h"

#include <inttypes.h>

#define J(v) json_integer((json_int_t)(v))

static json_t *reasm_json(const struct reasm_stats *r)
{
	json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"flows_created", J(r->flows_created), "flows_active", J(r->flows_active),
		"flows_refused", J(r->flows_refused), "flows_closed", J(r->flows_closed),
		"flows_timeout", J(r->flows_timeout), "flows_evicted", J(r->flows_evicted),
		"flows_shutdown", J(r->flows_shutdown), "flows_no_memory", J(r->flows_no_memory),
		"midstream", J(r->midstream), "pkts", J(r->pkts),
		"segs_in_order", J(r->segs_in_order), "segs_ooo", J(r->segs_ooo),
		"segs_retransmitted", J(r->segs_retransmitted), "overlaps", J(r->overlaps),
		"overlaps_different", J(r->overlaps_different),
		"ooo_drop_flow_cap", J(r->ooo_drop_flow_cap), "ooo_drop_total_cap", J(r->ooo_drop_total_cap),
		"gaps", J(r->gaps), "gap_bytes", J(r->gap_bytes),
		"bytes_delivered", J(r->bytes_delivered), "ooo_bytes_peak", J(r->ooo_bytes_peak),
		"rst", J(r->rst), "data_after_close", J(r->data_after_close),
		"seq_out_of_window", J(r->seq_out_of_window), "ooo_bytes_held", J(r->ooo_bytes_held),
		"syn_on_established", J(r->syn_on_established));

	json_object_set_new(o, "flows_bypassed", J(r->flows_bypassed));
	json_object_set_new(o, "bytes_bypassed", J(r->bytes_bypassed));
	{
		static const char *const names[] = {
			"overlaps_replaced", "port_reuse", "simultaneous_open", "rst_invalid",
			"window_exceeded", "window_bytes_dropped", "keepalives",
			"zero_window_probes", "urgent", "urgent_bytes_removed",
			"snapped_segments", "snapped_bytes", "history_bytes_held",
			"history_no_memory", "history_evicted_bytes", "anomalies", "gaps_acked",
		};
		const uint64_t v[] = {
			r->overlaps_replaced, r->port_reuse, r->simultaneous_open, r->rst_invalid,
			r->window_exceeded, r->window_bytes_dropped, r->keepalives,
			r->zero_window_probes, r->urgent, r->urgent_bytes_removed,
			r->snapped_segments, r->snapped_bytes, r->history_bytes_held,
			r->history_no_memory, r->history_evicted_bytes, r->anomalies, r->gaps_acked,
		};

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			json_object_set_new(o, names[i], J(v[i]));
	}
	return o;
}

json_t *stats_event(const struct worker *w, const struct capture_source *src,
		    uint64_t uptime_s)
{
	const struct decode_stats *d = &w->dstats;
	const struct reasm_stats *r = reasm_get_stats(w->reasm);
	const struct smtp_stats *s = &w->smtp_stats;
	struct sig_thread_stats gsum;
	const struct sig_thread_stats *g = &gsum;
	json_t *o = json_object(), *st, *ext, *dec;
	char ts[48];
	uint64_t invalid = d->result[DECODE_TRUNCATED] + d->result[DECODE_INVALID] +
			   d->result[DECODE_BAD_CHECKSUM];

	/* Every rules generation's thread, the freed ones included. */
	worker_sig_stats(w, &gsum);

	eve_format_ts(w->now_us, ts, sizeof(ts));
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "event_type", json_string("stats"));

	st = json_pack("{s:o,s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o},"
		       "s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o},s:{s:{s:o,s:o},s:{s:o}},s:{s:o}}",
		"uptime", J(uptime_s),
		"decoder", "pkts", J(d->pkts), "bytes", J(d->bytes), "invalid", J(invalid),
			"ipv4", J(d->ipv4), "ipv6", J(d->ipv6), "tcp", J(d->tcp), "vlan", J(d->vlan),
		"flow", "total", J(r->flows_created), "active", J(r->flows_active),
			"tcp", J(r->flows_created),
		"tcp", "sessions", J(r->flows_created), "midstream_pickups", J(r->midstream),
			"overlap", J(r->overlaps), "overlap_diff_data", J(r->overlaps_different),
			"reassembly_gap", J(r->gaps), "rst", J(r->rst),
			"segment_memcap_drop", J(r->ooo_drop_flow_cap + r->ooo_drop_total_cap),
		/* As Suricata counts them: flows by their application protocol
		 * (implicit TLS is "tls"), transactions logged. */
		"app_layer", "flow", "smtp", J(w->st.smtp_sessions - w->st.implicit_tls),
			"tls", J(w->st.implicit_tls), "tx", "smtp", J(w->st.smtp_tx_logged),
		"detect", "alert", J(w->st.alerts));
	{
		/* Tunnels and IP defragmentation, under Suricata's names. */
		json_t *dj = json_object_get(st, "decoder");
		const struct defrag_stats *fs = defrag_get_stats(w->defrag);

		json_object_set_new(dj, "mpls", J(d->tunnel[DECODE_TUNNEL_MPLS]));
		json_object_set_new(dj, "gre", J(d->tunnel[DECODE_TUNNEL_GRE] +
						 d->tunnel[DECODE_TUNNEL_ERSPAN]));
		json_object_set_new(dj, "erspan", J(d->tunnel[DECODE_TUNNEL_ERSPAN]));
		json_object_set_new(dj, "vxlan", J(d->tunnel[DECODE_TUNNEL_VXLAN]));
		json_object_set_new(dj, "geneve", J(d->tunnel[DECODE_TUNNEL_GENEVE]));
		json_object_set_new(dj, "ipv4_in_ipv4", J(d->ipip[0]));
		json_object_set_new(dj, "ipv6_in_ipv4", J(d->ipip[1]));
		json_object_set_new(dj, "ipv4_in_ipv6", J(d->ipip[2]));
		json_object_set_new(dj, "ipv6_in_ipv6", J(d->ipip[3]));
		json_object_set_new(st, "defrag", json_pack(
			"{s:{s:o,s:o},s:{s:o,s:o},s:o,s:o,s:o}",
			"ipv4", "fragments", J(fs->frags_ipv4), "reassembled", J(fs->reassembled_ipv4),
			"ipv6", "fragments", J(fs->frags_ipv6), "reassembled", J(fs->reassembled_ipv6),
			"max_trackers_reached", J(fs->evicted),
			"max_frags_reached", J(fs->drop_no_memory),
			"memuse", J(fs->bytes_held)));
	}
	json_object_set_new(o, "stats", st);

	dec = json_object();
	for (int i = 0; i < DECODE_RESULT_COUNT; i++)
		json_object_set_new(dec, decode_result_name((enum decode_result)i), J(d->result[i]));
	json_object_set_new(dec, "ip_options", J(d->ip_options));
	json_object_set_new(dec, "ipv6_ext_headers", J(d->ipv6_ext_headers));
	json_object_set_new(dec, "tunnel_too_deep", J(d->tunnel_too_deep));
	json_object_set_new(dec, "snapped", J(d->snapped));
	json_object_set_new(dec, "snapped_bytes", J(d->snapped_bytes));
	json_object_set_new(dec, "mpls_pseudowire", J(d->mpls_pw));
	json_object_set_new(dec, "frag_invalid", J(d->frag_invalid));
	json_object_set_new(dec, "frag_trimmed", J(d->frag_trimmed));
	json_object_set_new(dec, "frag_atomic", J(d->frag_atomic));
	ext = json_pack("{s:{s:o,s:o,s:o,s:o,s:o},s:o,s:o,"
			"s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o},"
			"s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o},"
			"s:{s:{s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o,s:o,s:o,s:o}},"
			"s:{s:o,s:o,s:o,s:o}}",
		"capture", "packets", J(src->stats.packets), "bytes", J(src->stats.bytes),
			"snapped", J(src->stats.snapped), "bad_records", J(src->stats.bad_records),
			"truncated_file", J(src->stats.truncated_file),
		"decode", dec,
		"reassembly", reasm_json(r),
		"smtp", "sessions", J(s->sessions), "commands", J(s->commands),
			"replies", J(s->replies), "transactions", J(s->transactions),
			"pipelined", J(s->pipelined), "unmatched_replies", J(s->unmatched_replies),
			"pending_overflow", J(s->pending_overflow), "lines_too_long", J(s->lines_too_long),
			"no_memory", J(s->no_memory), "gaps", J(s->gaps), "anomalies", J(s->anomalies),
			"bdat_chunks", J(s->bdat_chunks), "bdat_bytes", J(s->bdat_bytes),
			"auth", J(s->auth), "auth_success", J(s->auth_success),
			"auth_failure", J(s->auth_failure), "unknown_commands", J(s->unknown_commands),
			"ehlo_caps_cut", J(s->ehlo_caps_cut),
		"signatures", "scans", J(g->scans), "bytes_scanned", J(g->bytes_scanned),
			"matches", J(g->matches), "alerts", J(g->alerts),
			"flows_no_state", J(g->flows_no_state), "streams_no_state", J(g->streams_no_state),
			"match_state_full", J(g->match_state_full), "scan_errors", J(g->scan_errors),
			"pcre_limit", J(g->pcre_limit),
		"pools", "blocks", "size", J(w->pool.block_size), "count", J(w->pool.count),
				"in_use", J(w->pool.in_use), "peak", J(w->pool.peak),
				"exhausted", J(w->pool.exhausted),
			"app_flows", "count", J(w->cfg->max_app_flows), "in_use", J(w->app_in_use),
				"peak", J(w->app_peak), "exhausted", J(w->st.app_no_memory),
				"held_segments", J(w->st.hold_segments),
				"held_flushes", J(w->st.hold_flushes),
		"output", "events", J(w->eve.events), "alerts", J(w->st.alerts),
			"write_errors", J(w->eve.write_errors), "dump_errors", J(w->eve.dump_errors));
	{
		const struct mime_stats *m = &w->mime.stats;
		const struct fileinfo_stats *fs = fileinfo_pool_stats(w->files);
		const struct fileinfo_stats *bs = fileinfo_pool_stats(w->bodies);
		json_t *an = json_object();

		for (int i = 0; i < MIME_ANOM_COUNT; i++)
			json_object_set_new(an, mime_anomaly_name((enum mime_anomaly)i),
					    J(m->anomalies[i]));
		json_object_set_new(ext, "mime", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			"messages", J(m->messages), "entities", J(m->entities),
			"files", J(m->files), "headers", J(m->headers),
			"bytes_in", J(m->bytes_in), "body_bytes", J(m->body_bytes),
			"encoded_words", J(m->encoded_words),
			"charset_unknown", J(m->charset_unknown), "anomalies", an));
		{
			/* Every occurrence of every anomaly, by name (anomaly.h);
			 * events: the ones logged (once per name per flow). */
			json_t *by = json_object();

			for (unsigned i = 0; i < anomaly_count(); i++)
				json_object_set_new(by, anomaly_name(i), J(w->st.anomaly_count[i]));
			json_object_set_new(ext, "anomalies", json_pack("{s:o,s:o,s:o}",
				"events", J(w->st.anomalies), "repeated", J(w->st.anomalies_repeated),
				"by_name", by));
		}
		json_object_set_new(ext, "files", json_pack("{s:o,s:o,s:o,s:o,s:o}",
			"events", J(w->st.files), "hashed", J(fs->files),
			"no_slot", J(fs->no_slot), "bytes", J(fs->bytes),
			"magic_errors", J(fs->magic_errors)));
		/* the email digests' pool (subject, text and body MD5s) */
		json_object_set_new(ext, "email", json_pack("{s:o,s:o,s:o}",
			"hashed", J(bs->files), "no_slot", J(bs->no_slot), "bytes", J(bs->bytes)));
		{
			const struct tls_stats *t = &w->tls_stats;

			json_object_set_new(ext, "tls", json_pack(
				"{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
				"events", J(w->st.tls_logged), "cleartext", J(w->st.tls_cleartext),
				"connections", J(t->connections), "client_hellos", J(t->client_hellos),
				"server_hellos", J(t->server_hellos), "not_tls", J(t->not_tls),
				"sslv2", J(t->sslv2), "alert", J(t->alert), "gave_up", J(t->gave_up),
				"bad_record", J(t->bad_record), "appdata_early", J(t->appdata_early)));
		}
		{
			/* the signature engine's limits and windows (sig.h) */
			const struct { const char *name; uint64_t v; } sc[] = {
				{ "threshold_suppressed", g->threshold_suppressed },
				{ "threshold_evicted", g->threshold_evicted },
				{ "base64_decodes", g->base64_decodes },
				{ "base64_no_slot", g->base64_no_slot },
				{ "suppressed", g->suppressed },
				{ "pcre_window", g->pcre_window },
				{ "probe_split", g->probe_split },
				{ "delay_full", g->delay_full },
				{ "match_pos_full", g->match_pos_full },
				{ "frame_alerts_unheld", w->st.frame_alerts_unheld },
			};
			json_t *sj = json_object_get(ext, "signatures");

			for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
				json_object_set_new(sj, sc[i].name, J(sc[i].v));
		}
		{
			/* Rule reloads (reload.h): published, refused, and
			 * flows whose signature state one had to close. */
			json_t *sj = json_object_get(ext, "signatures");
			uint64_t reloads = 0, failures = 0;

			if (w->rl)
				reload_ctl_counters(w->rl, &reloads, &failures);
			json_object_set_new(sj, "reloads", J(reloads));
			json_object_set_new(sj, "reload_failures", J(failures));
			json_object_set_new(sj, "reload_flows_reset", J(w->st.reload_flows_reset));
			json_object_set_new(sj, "rules_generation",
					    J(w->rl && w->sig_gen ? reload_gen_id(w->sig_gen) : 1));
		}
		json_object_set_new(json_object_get(ext, "smtp"), "midstream",
				    J(w->st.smtp_midstream));
		json_object_set_new(json_object_get(ext, "smtp"), "command_notes_dropped",
				    J(w->st.command_notes_dropped));
		json_object_set_new(json_object_get(ext, "smtp"), "email_done_dropped",
				    J(w->st.email_done_dropped));
		json_object_set_new(json_object_get(ext, "smtp"), "midstream_lines",
				    J(w->smtp_stats.midstream_lines));
		json_object_set_new(ext, "probe", json_pack("{s:o,s:o,s:o}",
			"flows", J(w->st.probe_flows), "confirmed", J(w->st.probe_confirmed),
			"rejected", J(w->st.probe_rejected)));
		json_object_set_new(ext, "urls", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
			"parts", J(w->st.url_parts), "found", J(w->st.urls),
			"over_cap", J(w->st.url_over_cap), "truncated", J(w->st.url_truncated),
			"no_memory", J(w->st.url_no_mem), "defanged", J(w->st.url_defanged)));
	}
	/* The limits in force, as resolved at start-up. */
	json_object_set_new(ext, "limits", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"max_flows", J(w->cfg->reasm.max_flows),
		"max_ooo_bytes", J(w->cfg->reasm.max_ooo_bytes),
		"max_ooo_bytes_per_flow", J(w->cfg->reasm.max_ooo_bytes_per_flow),
		"max_app_flows", J(w->cfg->max_app_flows),
		"max_line", J(w->smtp_cfg.max_line),
		"max_command_line", J(w->smtp_cfg.max_command_len),
		"max_reply_line", J(w->smtp_cfg.max_reply_len),
		"max_text_line", J(w->smtp_cfg.max_text_line),
		"max_rcpt", J(w->smtp_cfg.max_rcpt),
		"parser_blocks", J(w->pool.count)));
	{
		json_t *lim = json_object_get(ext, "limits");

		json_object_set_new(lim, "timeout_new", J(w->cfg->reasm.timeout_new_us / 1000000));
		json_object_set_new(lim, "timeout_established",
				    J(w->cfg->reasm.timeout_established_us / 1000000));
		json_object_set_new(lim, "timeout_closed", J(w->cfg->reasm.timeout_closed_us / 1000000));
		json_object_set_new(lim, "tcp_policy", json_string(reasm_policy_name(w->cfg->reasm.policy_default)));
		json_object_set_new(lim, "tcp_policy_networks", J(w->cfg->reasm.n_policy_nets));
		json_object_set_new(lim, "urgent_policy",
				    json_string(reasm_urgent_policy_name(w->cfg->reasm.urgent_policy)));
		json_object_set_new(lim, "window_policy",
				    json_string(reasm_window_policy_name(w->cfg->reasm.window_policy)));
		json_object_set_new(lim, "defrag_policy",
				    json_string(defrag_policy_name(w->cfg->defrag.default_policy)));
		json_object_set_new(lim, "max_ooo_segments", J(w->cfg->reasm.max_ooo_segments));
	}
	{
		const struct defrag_stats *fs = defrag_get_stats(w->defrag);
		json_t *an = json_object();

		for (int i = 0; i < DEFRAG_ANOM_COUNT; i++)
			json_object_set_new(an, defrag_anomaly_name((enum defrag_anomaly)i),
					    J(fs->anomaly[i]));
		json_object_set_new(ext, "defrag", json_pack(
			"{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
			"fragments", J(fs->frags), "atomic", J(fs->atomic),
			"datagrams", J(fs->datagrams_created), "reassembled", J(fs->reassembled),
			"reassembled_bytes", J(fs->reassembled_bytes), "overlaps", J(fs->overlaps),
			"overlaps_different", J(fs->overlaps_different), "evicted", J(fs->evicted),
			"expired", J(fs->expired), "flushed", J(fs->flushed), "lost", J(fs->lost),
			"drop_no_memory", J(fs->drop_no_memory),
			"drop_datagram_cap", J(fs->drop_datagram_cap),
			"drop_invalid", J(fs->drop_invalid), "drop_given_up", J(fs->drop_given_up),
			"drop_no_output", J(fs->drop_no_output),
			"datagrams_active", J(fs->datagrams_active), "bytes_held", J(fs->bytes_held),
			"anomalies", an));
		json_object_set_new(json_object_get(ext, "defrag"), "bytes_peak", J(fs->bytes_peak));
	}
	json_object_set_new(o, "mailtap", ext);
	return o;
}

void stats_summary(FILE *out, const struct worker *w, const struct capture_source *src)
{
	const struct reasm_stats *r = reasm_get_stats(w->reasm);
	const struct decode_stats *d = &w->dstats;

	fprintf(out, "mailtap: packets %" PRIu64 ", bytes %" PRIu64 ", flows %" PRIu64
		", smtp sessions %" PRIu64 ", transactions %" PRIu64 ", alerts %" PRIu64 "\n",
		d->pkts, d->bytes, r->flows_created, w->st.smtp_sessions,
		w->st.smtp_tx_logged, w->st.alerts);
	/* Losses and limits, only when there are some. */
	if (d->result[DECODE_TRUNCATED] || d->result[DECODE_INVALID] ||
	    d->result[DECODE_BAD_CHECKSUM] || d->result[DECODE_FRAGMENT])
		fprintf(out, "mailtap: undecoded: truncated %" PRIu64 ", invalid %" PRIu64
			", bad checksum %" PRIu64 ", fragments %" PRIu64 "\n",
			d->result[DECODE_TRUNCATED], d->result[DECODE_INVALID],
			d->result[DECODE_BAD_CHECKSUM], d->result[DECODE_FRAGMENT]);
	if (r->gaps || r->ooo_drop_flow_cap || r->ooo_drop_total_cap || r->flows_evicted ||
	    r->flows_no_memory || w->st.app_no_memory || w->pool.exhausted)
		fprintf(out, "mailtap: limits: gaps %" PRIu64 " (%" PRIu64 " bytes), ooo drops %" PRIu64
			", flows evicted %" PRIu64 ", no flow memory %" PRIu64
			", no session memory %" PRIu64 ", parser pool empty %" PRIu64 "\n",
			r->gaps, r->gap_bytes, r->ooo_drop_flow_cap + r->ooo_drop_total_cap,
			r->flows_evicted, r->flows_no_memory, w->st.app_no_memory,
			w->pool.exhausted);
	if (src->stats.truncated_file || src->stats.bad_records)
		fprintf(out, "mailtap: the capture file ends inside a damaged or truncated record;"
			" packets before it were processed\n");
}
