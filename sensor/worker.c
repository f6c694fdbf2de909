/*
 * worker — see worker.h. The packet loop: decode each frame of a burst and
 * hand TCP packets to the reassembler, which calls back into app_smtp.c;
 * between bursts, the move to newly published rules.
 */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Packets decoded ahead of reassembly in worker_burst(). */
#define WORKER_GROUP 16

int worker_init(struct worker *w, unsigned id, const struct mt_config *cfg,
		const struct sig_engine *engine, int eve_fd)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cfg = cfg;
	w->dopts.validate_checksums = cfg->validate_checksums;
	rc = mt_blockpool_init(&w->pool, cfg->pool_block_size, cfg->pool_blocks);
	if (rc)
		return rc;
	w->smtp_cfg.pool = &w->pool;
	w->smtp_cfg.max_line = cfg->max_line;
	w->smtp_cfg.max_command_len = cfg->max_command_len;
	w->smtp_cfg.max_reply_len = cfg->max_reply_len;
	w->smtp_cfg.max_text_line = cfg->max_text_line;
	/* A transaction's recipients live in one arena object, so one block
	 * bounds them: 170 with 4 KiB blocks (RFC 5321 section 4.5.3.1.8
	 * asks for at least 100). More are counted (rcpt_dropped). */
	uint32_t rcpt_fit = (cfg->pool_block_size - 16) / (uint32_t)sizeof(struct smtp_rcpt);

	w->smtp_cfg.max_rcpt = cfg->max_rcpt < rcpt_fit ? cfg->max_rcpt : rcpt_fit;
	w->smtp_cfg.max_tx_blocks = 64;
	w->smtp_cfg.on_event = app_smtp_event;
	w->smtp_cfg.user = w;
	/* calloc of a large array maps zero pages: untouched entries cost
	 * nothing until used (app_fresh carves them lazily). */
	w->app_mem = calloc(cfg->max_app_flows, sizeof(*w->app_mem));
	if (!w->app_mem)
		return -ENOMEM;
	rc = mime_ctx_init(&w->mime, NULL, &w->pool);
	if (rc)
		return rc;
	{
		struct fileinfo_config fc = { .md5 = cfg->hash_md5, .sha1 = cfg->hash_sha1,
					      .sha256 = cfg->hash_sha256,
					      .magic = cfg->file_magic, .slots = 1024 };
		/* the email digests (--email-md5): none wanted, no contexts */
		struct fileinfo_config bc = { .md5 = cfg->email_md5_body ||
						     cfg->email_md5_subject ||
						     cfg->email_md5_text,
					      .slots = 1024 };
		char err[256] = "";

		w->files = fileinfo_pool_new(&fc, err, sizeof(err));
		if (w->files)
			w->bodies = fileinfo_pool_new(&bc, err, sizeof(err));
		if (!w->files || !w->bodies) {
			/* libmagic's database or an OpenSSL digest missing is
			 * not "out of memory": say what it is. */
			fprintf(stderr, "mailtap: %s\n", err);
			return -ENOMEM;
		}
	}
	url_config_default(&w->url_cfg);
	if (cfg->url_schemes && url_config_set_schemes(&w->url_cfg, cfg->url_schemes) != 0)
		return -EINVAL;     /* main() checked it already */
	/* A per-process seed: URLs cannot be chosen to collide in the
	 * extractor's duplicate filter and hide one another. */
	if (getrandom(&w->url_cfg.hash_seed, sizeof(w->url_cfg.hash_seed), 0) !=
	    (ssize_t)sizeof(w->url_cfg.hash_seed))
		w->url_cfg.hash_seed = (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ull;
	w->sig = sig_thread_new(engine, cfg->max_app_flows, app_sig_alert, w);
	if (!w->sig)
		return -ENOMEM;
	/* Rate-limit windows (threshold) read the capture clock when a rule
	 * fires: nothing to do per packet. */
	sig_thread_set_clock(w->sig, &w->now_us);
	struct reasm_config rcfg = cfg->reasm;

	rcfg.worker_id = w->id;  /* in every flow id: unique across workers */
	w->reasm = reasm_create(&rcfg, &app_reasm_ops, w);
	if (!w->reasm)
		return -ENOMEM;
	w->defrag = defrag_create(&cfg->defrag);
	if (!w->defrag)
		return -ENOMEM;
	/* The pools a pager may populate ahead of use (prefault.h); with
	 * MT_POOL_MALLOC the block pool and the reassembler have none (each
	 * block is a malloc), and a NULL base adds nothing. */
	{
		struct reasm_region rr[2];
		unsigned nr = reasm_regions(w->reasm, rr, 2);

		mt_prefault_add(&w->prefault, w->pool.mem,
				(size_t)w->pool.block_size * w->pool.count, &w->pool.carved);
		mt_prefault_add(&w->prefault, w->app_mem,
				(size_t)cfg->max_app_flows * sizeof(*w->app_mem), &w->app_carved);
		for (unsigned i = 0; i < nr; i++)
			mt_prefault_add(&w->prefault, rr[i].base, rr[i].len, rr[i].hwm);
	}
	if (eve_buf_init(&w->side, -1, 16u << 10) != 0)
		return -ENOMEM;
	return eve_buf_init(&w->eve, eve_fd, 1u << 20);
}

int worker_reload_attach(struct worker *w, struct reload_ctl *c)
{
	int slot = reload_ctl_add_worker(c, app_sig_alert, w, &w->now_us,
					 w->cfg->max_app_flows, &w->sig_gen);

	if (slot < 0)
		return slot;
	w->rl = c;
	w->rl_slot = (unsigned)slot;
	return 0;
}

/* Sum a thread's counters into *sum: every field is a uint64_t counter. */
static void sig_stats_add(struct sig_thread_stats *sum, const struct sig_thread *t)
{
	_Static_assert(sizeof(struct sig_thread_stats) % sizeof(uint64_t) == 0,
		       "sig_thread_stats holds uint64_t counters only");
	const uint64_t *from = (const uint64_t *)sig_thread_get_stats(t);
	uint64_t *to = (uint64_t *)sum;

	for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
		to[i] += from[i];
}

void worker_sig_stats(const struct worker *w, struct sig_thread_stats *sum)
{
	*sum = w->sig_retired;
	if (w->sig)
		sig_stats_add(sum, w->sig);
	if (w->sig_old)
		sig_stats_add(sum, w->sig_old);
}

/* The worker is done with thread t of generation g: its counters are kept,
 * the thread goes back with the generation (freed off the packet path). */
static void sig_retire(struct worker *w, struct reload_gen *g, struct sig_thread *t)
{
	sig_stats_add(&w->sig_retired, t);
	reload_gen_release(w->rl, g, w->rl_slot, t);
}

void worker_sig_open(struct worker *w, struct app_flow *a)
{
	const struct flow *f = a->flow;
	struct sig_tuple tup;

	memcpy(tup.client, f->client.b, 16);
	memcpy(tup.server, f->server.b, 16);
	tup.client_port = f->client_port;
	tup.server_port = f->server_port;
	a->sig = sig_flow_open(w->sig, &tup);
	a->sigt = a->sig ? w->sig : NULL;
	if (a->sig)
		w->sig_flows++;
}

static void sig_forget(struct worker *w, struct app_flow *a);

void worker_sig_close(struct worker *w, struct app_flow *a)
{
	if (!a->sig)
		return;
	sig_flow_close(a->sigt, a->sig, a);
	sig_forget(w, a);
}

/* a->sig is gone: the generation it belonged to counts one flow less. */
static void sig_forget(struct worker *w, struct app_flow *a)
{
	if (a->sigt == w->sig)
		w->sig_flows--;
	else if (a->sigt == w->sig_old)
		w->sig_old_flows--;
	a->sig = NULL;
	a->sigt = NULL;
}

/*
 * A third generation arrived while flows are still open on the oldest one
 * the worker holds. Keeping every generation a long session started on
 * would let memory grow with each reload (a pool of max_app_flows flow
 * states per generation), so the oldest goes: the signature state of its
 * flows is closed without reporting (a condition anchored at the end of a
 * buffer must not fire at an end that is not one) and each such flow is
 * counted in reload_flows_reset. The flow goes on without signature state
 * for the rest of its transaction — no rule may see half a transaction,
 * since its conditions would miss what came before — and is opened again
 * on the current rules when its next transaction begins (app_smtp.c);
 * what it had matched on session buffers (smtp.helo) is lost. Sessions
 * closed both ways and kept only until their timeout are closed too, but
 * not counted.
 */
static void sig_reset_old(struct worker *w)
{
	struct sig_thread *t = w->sig_old;

	for (uint32_t i = 0; i < w->app_fresh && w->sig_old_flows; i++) {
		struct app_flow *a = &w->app_mem[i];

		if (!a->sig || a->sigt != t)
			continue;
		/* dropped, nothing decided: no end here is a buffer's end;
		 * alerts held for the message's end go out now, while the
		 * rules they name still exist */
		app_frame_flush(w, a);
		sig_flow_discard(t, a->sig);
		sig_forget(w, a);
		a->sig_reopen = true;
		/* A connection closed both ways only waits for its timeout:
		 * nothing of it was cut short. */
		if (a->flow->state != FLOW_STATE_CLOSED)
			w->st.reload_flows_reset++;
	}
	sig_retire(w, w->sig_old_gen, t);
	w->sig_old = NULL;
	w->sig_old_gen = NULL;
	w->sig_old_flows = 0;
}

/*
 * At a burst boundary: give back the previous generation once its last
 * flow has ended, and adopt the newest published one. Costs an acquire
 * load per burst when nothing changed; the threads were built by the
 * reload thread, so adopting is a pointer move.
 */
static void worker_sig_adopt(struct worker *w)
{
	struct reload_gen *g, *n;

	if (w->sig_old && !w->sig_old_flows) {
		sig_retire(w, w->sig_old_gen, w->sig_old);
		w->sig_old = NULL;
		w->sig_old_gen = NULL;
	}
	g = reload_gen_next(w->sig_gen);
	if (!g)
		return;
	/* Several reloads since the last look: the ones in between were
	 * never used here (read next before the release may free g). */
	while ((n = reload_gen_next(g)) != NULL) {
		reload_gen_release(w->rl, g, w->rl_slot, NULL);
		g = n;
	}
	if (w->sig_old)
		sig_reset_old(w);
	if (w->sig_flows) {
		w->sig_old = w->sig;
		w->sig_old_gen = w->sig_gen;
		w->sig_old_flows = w->sig_flows;
	} else {
		sig_retire(w, w->sig_gen, w->sig);
	}
	w->sig = reload_gen_thread(g, w->rl_slot);
	w->sig_gen = g;
	w->sig_flows = 0;
}

void worker_destroy(struct worker *w)
{
	if (w->reasm)
		reasm_destroy(w->reasm);
	defrag_destroy(w->defrag);
	if (w->rl) {
		/* Every generation from ours on, the unadopted ones too. */
		struct reload_gen *g = w->sig_gen, *n;

		if (w->sig_old)
			sig_retire(w, w->sig_old_gen, w->sig_old);
		n = reload_gen_next(g);
		sig_retire(w, g, w->sig);
		for (g = n; g; g = n) {
			n = reload_gen_next(g);
			reload_gen_release(w->rl, g, w->rl_slot, NULL);
		}
		w->sig = w->sig_old = NULL;
		w->rl = NULL;
	} else if (w->sig) {
		sig_thread_free(w->sig);
	}
	if (w->eve.buf)
		eve_buf_destroy(&w->eve);
	if (w->side.buf)
		eve_buf_destroy(&w->side);      /* fd -1: nothing is written */
	free(w->app_mem);
	fileinfo_pool_free(w->files);
	fileinfo_pool_free(w->bodies);
	if (w->mime.pool)
		mime_ctx_destroy(&w->mime);
	mt_blockpool_destroy(&w->pool);
}

/*
 * An IP fragment goes to the defragmenter. A datagram it completes is
 * decoded and processed as an ordinary packet, with the time and packet
 * number of the fragment that completed it, and the outer frame's VLAN
 * tags (the flow's). Its buffer goes back once reassembly returns: the
 * reassembler copies what it keeps.
 */
/*
 * An anomaly of a packet, not of a flow (IP fragments): counted by name
 * every time, and logged as an `anomaly` event of type "decode" with the
 * addresses — at most ANOMALY_EVENTS_BURST of one name at once, refilled
 * at ANOMALY_EVENTS_PER_S per second of capture time, so a flood of bad
 * fragments is a counter, not a flood of events (the repeats are counted
 * in anomalies_repeated).
 */
#define ANOMALY_EVENTS_BURST 100
#define ANOMALY_EVENTS_PER_S 10

unsigned worker_anomaly_count(struct worker *w, const char *name)
{
	unsigned id = anomaly_id(name);

	w->st.anomaly_count[id]++;
	return id;
}

void worker_anomaly_end(struct worker *w, struct jb *b, const char *type, const char *name,
			const char *layer, const char *app_proto)
{
	jb_obj(b, "anomaly");
	jb_str(b, "type", type);
	jb_str(b, "event", name);
	jb_str(b, "layer", layer);
	if (app_proto)
		jb_str(b, "app_proto", app_proto);
	jb_obj_end(b);
	jb_event_end(b);
	w->st.anomalies++;
}

/* An anomaly of a packet outside any flow (IP fragments). */
static void worker_packet_anomaly(struct worker *w, const struct mt_addr *src,
				  const struct mt_addr *dst, const char *name)
{
	unsigned id = worker_anomaly_count(w, name);
	uint64_t *last = &w->anom_bucket_us[id];
	uint32_t *tok = &w->anom_tokens[id];
	char ts[48], ip[64];
	struct jb b;

	if (!*last) {
		*tok = ANOMALY_EVENTS_BURST;
	} else if (w->now_us > *last) {
		uint64_t add = (w->now_us - *last) * ANOMALY_EVENTS_PER_S / 1000000u;

		*tok = add >= ANOMALY_EVENTS_BURST - *tok ? ANOMALY_EVENTS_BURST : *tok + (uint32_t)add;
	}
	*last = w->now_us ? w->now_us : 1;
	if (!*tok) {
		w->st.anomalies_repeated++;
		return;
	}
	(*tok)--;
	if (!w->cfg->eve_anomaly)
		return;         /* --eve-types: counted, not built */
	jb_begin(&b, &w->eve);
	eve_format_ts(w->now_us, ts, sizeof(ts));
	jb_str(&b, "timestamp", ts);
	jb_int(&b, "pcap_cnt", (int64_t)w->pkt_num);
	jb_str(&b, "event_type", "anomaly");
	jb_str(&b, "src_ip", mt_addr_format(src, ip, sizeof(ip)));
	jb_str(&b, "dest_ip", mt_addr_format(dst, ip, sizeof(ip)));
	worker_anomaly_end(w, &b, "decode", name, "defrag", NULL);
}

static void worker_fragment(struct worker *w, const struct decoded_pkt *p, uint64_t ts_us)
{
	const struct defrag_datagram *dg;
	struct decoded_pkt q;

	unsigned flags = defrag_insert(w->defrag, &p->frag, ts_us, &dg);

	/* Evasion signs (counted in the defragmenter's stats too) are
	 * anomaly events about the addresses: there is no flow yet. */
	for (unsigned a = 0; flags & ((1u << DEFRAG_ANOM_COUNT) - 1) && a < DEFRAG_ANOM_COUNT; a++)
		if (flags & DEFRAG_ANOM_BIT(a))
			worker_packet_anomaly(w, &p->frag.src, &p->frag.dst,
					      defrag_anomaly_name((enum defrag_anomaly)a));
	if (!dg)
		return;
	/* A datagram that is again a fragment (a second IPv6 Fragment
	 * header inside the first) is not reassembled twice. */
	if (decode_ip(dg->ip, dg->len, &w->dopts, &q, &w->dstats) == DECODE_OK) {
		q.vlan_count = p->vlan_count;
		memcpy(q.vlan, p->vlan, sizeof(q.vlan));
		reasm_packet(w->reasm, &q, ts_us);
	} else {
		w->st.decode_not_tcp++;
	}
	defrag_release(w->defrag, dg);
}

void worker_burst(struct worker *w, const struct mt_pkt *pkts, unsigned n)
{
	const int link = w->cfg->linktype;

	if (w->rl)
		worker_sig_adopt(w);
	/* In groups: decode all (decoding reads only the packet), hint the
	 * flow-table slots of the group, then hand the packets over in
	 * order with the flow of the packet two ahead being fetched. The
	 * flow lookups' cache misses (a tenth of a run's time otherwise)
	 * then overlap. */
	for (unsigned g = 0; g < n; g += WORKER_GROUP) {
		struct decoded_pkt p[WORKER_GROUP];
		enum decode_result r[WORKER_GROUP];
		uint32_t h[WORKER_GROUP];
		unsigned m = n - g < WORKER_GROUP ? n - g : WORKER_GROUP;

		for (unsigned i = 0; i < m; i++) {
			r[i] = decode_packet(link, pkts[g + i].data, pkts[g + i].caplen, &w->dopts,
					     &p[i], &w->dstats);
			if (r[i] == DECODE_OK) {
				h[i] = reasm_flow_hash(w->reasm, &p[i]);
				reasm_prefetch(w->reasm, h[i], REASM_PREFETCH_SLOT);
			}
		}
		for (unsigned i = 0; i < m; i++) {
			if (i + 2 < m && r[i + 2] == DECODE_OK)
				reasm_prefetch(w->reasm, h[i + 2], REASM_PREFETCH_FLOW);
			w->pkt_num++;
			if (pkts[g + i].ts_us > w->now_us)
				w->now_us = pkts[g + i].ts_us;
			if (r[i] == DECODE_FRAGMENT) {
				worker_fragment(w, &p[i], pkts[g + i].ts_us);
				continue;
			}
			if (r[i] != DECODE_OK) {
				w->st.decode_not_tcp++;
				continue;
			}
			reasm_packet_hashed(w->reasm, &p[i], h[i], pkts[g + i].ts_us);
		}
	}
	if (n) {
		reasm_expire(w->reasm, w->now_us);
		defrag_expire(w->defrag, w->now_us);
	}
}

void worker_idle(struct worker *w)
{
	if (w->rl)
		worker_sig_adopt(w);
	eve_flush(&w->eve);
}

void worker_finish(struct worker *w)
{
	defrag_flush_all(w->defrag);
	reasm_flush_all(w->reasm);
	eve_flush(&w->eve);
}
