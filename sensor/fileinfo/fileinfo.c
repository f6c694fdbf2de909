/*
 * fileinfo — see fileinfo.h.
 */
#include "fileinfo.h"

#include <magic.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FI_MD5, FI_SHA1, FI_SHA256, FI_NDIGEST };

struct fileinfo_file {
	EVP_MD_CTX *ctx[FI_NDIGEST];
	uint32_t head_len;
	struct fileinfo_file *next_free;
	uint8_t *head;              /* FILEINFO_MAGIC_BYTES, with libmagic only */
};

struct fileinfo_pool {
	struct fileinfo_config cfg;
	EVP_MD *md[FI_NDIGEST];     /* fetched once: no lookup per file */
	magic_t magic;
	struct fileinfo_file *slots;
	uint8_t *heads;             /* the slots' head buffers (libmagic) */
	uint32_t fresh;             /* slots below this have been handed out */
	struct fileinfo_file *free_list;
	bool work;                  /* a digest or libmagic to feed */
	struct fileinfo_stats st;
};

static const char *const md_names[FI_NDIGEST] = { "MD5", "SHA1", "SHA256" };

static bool want(const struct fileinfo_config *c, int i)
{
	return i == FI_MD5 ? c->md5 : i == FI_SHA1 ? c->sha1 : c->sha256;
}

struct fileinfo_pool *fileinfo_pool_new(const struct fileinfo_config *cfg,
					char *err, size_t errlen)
{
	struct fileinfo_pool *p = calloc(1, sizeof(*p));

	if (!p)
		goto nomem;
	p->cfg = *cfg;
	if (p->cfg.slots == 0)
		p->cfg.slots = 1;
	p->slots = calloc(p->cfg.slots, sizeof(*p->slots));
	if (!p->slots)
		goto nomem;
	for (int i = 0; i < FI_NDIGEST; i++) {
		if (!want(cfg, i))
			continue;
		p->md[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
		if (!p->md[i]) {
			snprintf(err, errlen, "OpenSSL has no %s digest", md_names[i]);
			goto fail;
		}
	}
	/* Digest contexts are made now, so the packet path never allocates
	 * (OpenSSL's state exists before it is needed); the slots themselves
	 * are calloc'd and handed out in order (fresh), so a pool without
	 * digests touches only the slots it uses. */
	for (uint32_t s = 0; s < p->cfg.slots; s++) {
		struct fileinfo_file *f = &p->slots[s];

		for (int i = 0; i < FI_NDIGEST; i++) {
			if (!p->md[i])
				continue;
			f->ctx[i] = EVP_MD_CTX_new();
			if (!f->ctx[i] || !EVP_DigestInit_ex(f->ctx[i], p->md[i], NULL))
				goto nomem;
		}
	}
	if (cfg->magic) {
		p->heads = calloc(p->cfg.slots, FILEINFO_MAGIC_BYTES);
		if (!p->heads)
			goto nomem;
		p->magic = magic_open(MAGIC_NONE | MAGIC_ERROR);
		if (!p->magic || magic_load(p->magic, NULL) != 0) {
			snprintf(err, errlen, "libmagic: cannot load its database: %s",
				 p->magic ? magic_error(p->magic) : "out of memory");
			goto fail;
		}
	}
	p->work = p->magic != NULL;
	for (int i = 0; i < FI_NDIGEST; i++)
		p->work |= p->md[i] != NULL;
	return p;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	fileinfo_pool_free(p);
	return NULL;
}

void fileinfo_pool_free(struct fileinfo_pool *p)
{
	if (!p)
		return;
	for (uint32_t s = 0; p->slots && s < p->cfg.slots; s++)
		for (int i = 0; i < FI_NDIGEST; i++)
			EVP_MD_CTX_free(p->slots[s].ctx[i]);
	for (int i = 0; i < FI_NDIGEST; i++)
		EVP_MD_free(p->md[i]);
	if (p->magic)
		magic_close(p->magic);
	free(p->heads);
	free(p->slots);
	free(p);
}

const struct fileinfo_stats *fileinfo_pool_stats(const struct fileinfo_pool *p)
{
	return &p->st;
}

struct fileinfo_file *fileinfo_open(struct fileinfo_pool *p)
{
	struct fileinfo_file *f = p->free_list;

	if (f) {
		p->free_list = f->next_free;
	} else if (p->fresh < p->cfg.slots) {
		f = &p->slots[p->fresh];
		if (p->heads)
			f->head = p->heads + (size_t)p->fresh * FILEINFO_MAGIC_BYTES;
		p->fresh++;
	} else {
		p->st.no_slot++;
		return NULL;
	}
	f->head_len = 0;
	for (int i = 0; i < FI_NDIGEST; i++)
		if (f->ctx[i])
			EVP_DigestInit_ex(f->ctx[i], p->md[i], NULL);
	p->st.files++;
	return f;
}

void fileinfo_update(struct fileinfo_pool *p, struct fileinfo_file *f,
		     const void *data, size_t len)
{
	if (!f || len == 0)
		return;
	p->st.bytes += len;
	if (!p->work)
		return;
	for (int i = 0; i < FI_NDIGEST; i++)
		if (f->ctx[i])
			EVP_DigestUpdate(f->ctx[i], data, len);
	if (f->head && f->head_len < FILEINFO_MAGIC_BYTES) {
		size_t n = FILEINFO_MAGIC_BYTES - f->head_len;

		if (n > len)
			n = len;
		memcpy(f->head + f->head_len, data, n);
		f->head_len += (uint32_t)n;
	}
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void fileinfo_close(struct fileinfo_pool *p, struct fileinfo_file *f,
		    struct fileinfo_result *out)
{
	char *dst[FI_NDIGEST] = { out->md5, out->sha1, out->sha256 };
	uint8_t *raw[FI_NDIGEST] = { out->md5_raw, out->sha1_raw, out->sha256_raw };
	const size_t rawlen[FI_NDIGEST] = { sizeof(out->md5_raw), sizeof(out->sha1_raw),
					    sizeof(out->sha256_raw) };

	memset(out, 0, sizeof(*out));
	if (!f)
		return;
	for (int i = 0; i < FI_NDIGEST; i++) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned n = 0;

		if (f->ctx[i] && EVP_DigestFinal_ex(f->ctx[i], d, &n) && n == rawlen[i]) {
			memcpy(raw[i], d, n);
			hex(d, n, dst[i]);
		}
	}
	if (p->magic && f->head) {
		const char *m = magic_buffer(p->magic, f->head, f->head_len);

		if (m)
			snprintf(out->magic, sizeof(out->magic), "%s", m);
		else
			p->st.magic_errors++;
	}
	f->next_free = p->free_list;
	p->free_list = f;
}
