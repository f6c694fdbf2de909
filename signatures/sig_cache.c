/*
 * sig_cache.c — compiled Hyperscan databases kept on disk, so that a
 * restart (or a reload) with the same rules loads its databases instead of
 * compiling them (sig.h: sig_set_cache_dir).
 *
 * Key. One entry per database, named by the SHA-256 of everything the
 * compiled bytes depend on: a format string, the mode, every pattern's
 * expression, flags, id and hs_expr_ext fields in order, hs_version(), the
 * host platform as hs_populate_platform() describes it (tune, CPU features:
 * Hyperscan compiles for the host) and the pointer size. Equal key, equal
 * database; anything else that changes is a different file, so an entry is
 * never "updated", only written, used, or aged out.
 *
 * File: DIR/<64 hex>.hsdb =
 *   "MTHSDB1\n" | key (32) | length of the blob (8, little-endian)
 *   | SHA-256 of the blob (32) | the blob (hs_serialize_database).
 * A file is trusted only when all of these agree, it is a regular file of
 * exactly header + length bytes (at most SIG_CACHE_MAX_FILE), owned by us
 * or root and not writable by group or others, and Hyperscan accepts the
 * blob (its own version, platform and mode checks). Anything else is a
 * miss plus an error, and the database is compiled and the file rewritten:
 * the cache can make a start faster, never make it fail, and a torn write
 * after a crash is just a miss (hence no fsync).
 *
 * Writes are atomic: a temporary ".<key>.XXXXXX" in the same directory,
 * renamed over the entry, so a concurrent start sees the old file or the
 * new one. Bound: after a successful build, entries (and leftover
 * temporaries) that the build did not use and that are older than
 * SIG_CACHE_KEEP_S are deleted; a hit refreshes an entry's time. Only
 * names of our exact form are ever touched in the directory.
 *
 * Start-up code only (called from sig_engine_build): plain malloc and
 * blocking I/O; every problem is counted in the engine and the first one
 * kept as a one-line note for the caller to print.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>
#include <openssl/evp.h>

#include "sig_internal.h"

#define SIG_CACHE_FORMAT "mailtap-hsdb-1"
#define SIG_CACHE_MAGIC "MTHSDB1\n"           /* 8 bytes, no NUL */
#define SIG_CACHE_HDR (8 + 32 + 8 + 32)
#define SIG_CACHE_MAX_FILE (UINT64_C(1) << 30) /* far above any real rule set */
#define SIG_CACHE_KEEP_S (7 * 86400)

/* e->cache_state bits. */
enum {
	SIG_CACHE_CHECKED = 1u << 0,          /* the directory was looked at */
	SIG_CACHE_OFF = 1u << 1,              /* unusable: no lookups, no writes */
	SIG_CACHE_NOWRITE = 1u << 2,          /* a write failed: no more writes */
};

/* Room for DIR/.<64 hex>.XXXXXX and DIR/<64 hex>.hsdb. */
#define SIG_CACHE_PATH_MAX (SIG_CACHE_DIR_MAX + 96)

static void cache_problem(struct sig_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Count a problem; keep the text of the first one of the build. */
static void cache_problem(struct sig_engine *e, const char *fmt, ...)
{
	va_list ap;

	e->cache_errors++;
	if (e->cache_note[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->cache_note, sizeof(e->cache_note), fmt, ap);
	va_end(ap);
}

/* ---- key ---------------------------------------------------------------- */

static int h_u64(EVP_MD_CTX *c, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return EVP_DigestUpdate(c, b, sizeof(b));
}

/* Length-prefixed, so that no two sequences of strings hash alike. */
static int h_str(EVP_MD_CTX *c, const char *p)
{
	size_t n = strlen(p);

	return h_u64(c, n) && EVP_DigestUpdate(c, p, n);
}

static int cache_key(const struct sig_cache_req *rq, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	hs_platform_info_t pl;
	unsigned olen = 0;
	int ok;

	if (!c)
		return -1;
	memset(&pl, 0, sizeof(pl));
	ok = hs_populate_platform(&pl) == HS_SUCCESS &&
		EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		h_str(c, SIG_CACHE_FORMAT) && h_u64(c, rq->mode) && h_u64(c, rq->n);
	for (unsigned i = 0; ok && i < rq->n; i++) {
		const hs_expr_ext_t *x = (const hs_expr_ext_t *)rq->ext[i];

		ok = h_str(c, rq->expr[i]) && h_u64(c, rq->flags[i]) && h_u64(c, rq->ids[i]) &&
			h_u64(c, x != NULL);
		if (ok && x)
			ok = h_u64(c, x->flags) && h_u64(c, x->min_offset) &&
				h_u64(c, x->max_offset) && h_u64(c, x->min_length) &&
				h_u64(c, x->edit_distance) && h_u64(c, x->hamming_distance);
	}
	ok = ok && h_str(c, hs_version()) && h_u64(c, pl.tune) &&
		h_u64(c, pl.cpu_features) && h_u64(c, sizeof(void *)) &&
		EVP_DigestFinal_ex(c, out, &olen) && olen == 32;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned olen = 0;

	return EVP_Digest(p, n, out, &olen, EVP_sha256(), NULL) && olen == 32 ? 0 : -1;
}

static void hex(const uint8_t key[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 15];
	}
	out[64] = '\0';
}

static bool is_hex64(const char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* ---- directory ---------------------------------------------------------- */

/* mkdir -p: each missing component with mode 0755. 0 or -errno. */
static int mkdir_p(const char *dir)
{
	char p[SIG_CACHE_DIR_MAX];
	size_t n = strlen(dir);
	struct stat st;

	if (n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue;               /* "a//b", trailing "/" */
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -errno;
		p[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int sig_set_cache_dir(struct sig_set *s, const char *dir)
{
	size_t n;
	int rc;

	if (!s)
		return -EINVAL;
	s->cache_dir[0] = '\0';
	s->cache_ro = false;
	if (!dir || !*dir)
		return 0;
	n = strlen(dir);
	if (n >= sizeof(s->cache_dir))
		return -ENAMETOOLONG;
	rc = mkdir_p(dir);
	if (rc != 0)
		return rc;
	memcpy(s->cache_dir, dir, n + 1);
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
		rc = errno == EROFS ? -EROFS : -EACCES;
		s->cache_ro = true;
	}
	sig_verdicts_load(s);
	return rc;
}

/* Whether lookups may go on in this build; looks at the directory once. A
 * directory anyone may write into without the sticky bit is refused: any
 * user could replace the databases we would load. */
static bool cache_usable(struct sig_engine *e, const char *dir)
{
	struct stat st;

	if (!(e->cache_state & SIG_CACHE_CHECKED)) {
		e->cache_state |= SIG_CACHE_CHECKED;
		int err = stat(dir, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;

		if (err) {
			cache_problem(e, "rules cache %s: %s; compiling without it", dir,
				      strerror(err));
			e->cache_state |= SIG_CACHE_OFF;
		} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
			cache_problem(e, "rules cache %s: writable by anyone; compiling without it",
				      dir);
			e->cache_state |= SIG_CACHE_OFF;
		}
	}
	return !(e->cache_state & SIG_CACHE_OFF);
}

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- lookup ------------------------------------------------------------- */

/*
 * The bytes of the cache file at path, if it is one to trust: a regular
 * file of at most max bytes, owned by us or root, writable by nobody else.
 * NULL with *why set (NULL: the file does not exist); the caller frees.
 * With touch, a file read refreshes its time (in use: not aged out).
 */
static uint8_t *read_trusted(const char *path, size_t min, uint64_t max, bool touch,
			     size_t *size, const char **why)
{
	uint8_t *buf = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*why = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < min ||
	    (uint64_t)st.st_size > max)
		*why = "not a cache entry (type or size)";
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		*why = "owned by another user";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		*why = "writable by others";
	else if (!(buf = malloc((size_t)st.st_size)))
		*why = "out of memory";
	else if (read_all(fd, buf, (size_t)st.st_size) != 0)
		*why = "truncated (read failed)";
	if (*why) {
		free(buf);
		buf = NULL;
	} else {
		*size = (size_t)st.st_size;
		if (touch)
			(void)futimens(fd, NULL);
	}
	close(fd);
	return buf;
}

/* The header of an entry (magic, key, blob length, blob checksum) against
 * the file's bytes; the blob's length in *len. NULL or the reason. */
static const char *entry_check(const uint8_t *buf, size_t size, const uint8_t key[32],
			       uint64_t *len)
{
	uint8_t sum[32];

	if (size < SIG_CACHE_HDR || memcmp(buf, SIG_CACHE_MAGIC, 8) != 0)
		return "not a mailtap cache entry";
	if (memcmp(buf + 8, key, 32) != 0)
		return "key does not match its name";
	*len = 0;
	for (int i = 7; i >= 0; i--)
		*len = (*len << 8) | buf[40 + i];
	if (*len != size - SIG_CACHE_HDR)
		return "truncated";
	if (sha256(buf + SIG_CACHE_HDR, (size_t)*len, sum) != 0 || memcmp(sum, buf + 48, 32) != 0)
		return "corrupt (checksum)";
	return NULL;
}

/*
 * Check a file's bytes against key and mode and deserialize the blob.
 * NULL with the reason in *why when it is not to be trusted.
 */
static hs_database_t *entry_decode(const uint8_t *buf, size_t size, const uint8_t key[32],
				   unsigned mode, const char **why)
{
	const char *blob = (const char *)buf + SIG_CACHE_HDR;
	uint64_t len = 0;
	char *info = NULL;
	size_t dsz = 0;
	hs_database_t *db = NULL;
	bool mode_ok;

	if ((*why = entry_check(buf, size, key, &len)) != NULL)
		return NULL;
	/* Hyperscan's own description: version, features, mode. */
	if (hs_serialized_database_info(blob, (size_t)len, &info) != HS_SUCCESS || !info) {
		*why = "not a Hyperscan database of this version";
		return NULL;
	}
	mode_ok = strstr(info, mode == HS_MODE_STREAM ? "Mode: STREAM" : "Mode: BLOCK") != NULL;
	free(info);
	if (!mode_ok) {
		*why = "wrong mode";
		return NULL;
	}
	if (hs_serialized_database_size(blob, (size_t)len, &dsz) != HS_SUCCESS ||
	    dsz == 0 || dsz > SIG_CACHE_MAX_FILE) {
		*why = "bad database size";
		return NULL;
	}
	if (hs_deserialize_database(blob, (size_t)len, &db) != HS_SUCCESS) {
		*why = "refused by Hyperscan (version or platform)";
		return NULL;
	}
	return db;
}

struct hs_database *sig_cache_load(struct sig_engine *e, const struct sig_set *s,
				   const struct sig_cache_req *rq, uint8_t key[32])
{
	char path[SIG_CACHE_PATH_MAX], name[65];
	const char *why = NULL;
	hs_database_t *db = NULL;
	uint8_t *buf;
	size_t size = 0;

	if (e->cache_state & SIG_CACHE_OFF)
		goto miss;
	if (cache_key(rq, key) != 0) {
		cache_problem(e, "rules cache: cannot compute a key (out of memory?); "
			      "compiling without it");
		e->cache_state |= SIG_CACHE_OFF;
		goto miss;
	}
	if (e->ncache_key < sizeof(e->cache_key) / sizeof(e->cache_key[0]))
		memcpy(e->cache_key[e->ncache_key++], key, 32);
	if (!cache_usable(e, s->cache_dir))
		goto miss;
	hex(key, name);
	snprintf(path, sizeof(path), "%s/%s.hsdb", s->cache_dir, name);
	/* a hit refreshes the file's time: in use, it does not age out (a
	 * refused one is rewritten anyway) */
	buf = read_trusted(path, SIG_CACHE_HDR, SIG_CACHE_MAX_FILE, true, &size, &why);
	if (!buf && !why)
		goto miss;              /* not there */
	if (buf)
		db = entry_decode(buf, size, key, rq->mode, &why);
	free(buf);
	if (!db) {
		cache_problem(e, "rules cache %s: %s; recompiled", path, why);
		goto miss;
	}
	e->cache_hits++;
	return (struct hs_database *)db;
miss:
	e->cache_misses++;
	return NULL;
}

/* ---- store -------------------------------------------------------------- */

/* Whether this build may write entries. */
static bool cache_writable(const struct sig_engine *e, const struct sig_set *s)
{
	return s->cache_dir[0] && !s->cache_ro &&
	       !(e->cache_state & (SIG_CACHE_OFF | SIG_CACHE_NOWRITE)) &&
	       (e->cache_state & SIG_CACHE_CHECKED);
}

/* Write the entry DIR/<key>.hsdb holding bytes[0..len): a temporary file
 * renamed over it. A failure is noted once and ends this build's writes. */
static void entry_write(struct sig_engine *e, const struct sig_set *s, const uint8_t key[32],
			const char *suffix, const void *bytes, size_t len)
{
	char tmp[SIG_CACHE_PATH_MAX], path[SIG_CACHE_PATH_MAX], name[65];
	uint8_t hdr[SIG_CACHE_HDR];
	int fd, err = 0;

	memcpy(hdr, SIG_CACHE_MAGIC, 8);
	memcpy(hdr + 8, key, 32);
	for (int i = 0; i < 8; i++)
		hdr[40 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	if (sha256(bytes, len, hdr + 48) != 0) {
		cache_problem(e, "rules cache %s: cannot checksum an entry; not cached",
			      s->cache_dir);
		return;
	}
	hex(key, name);
	snprintf(path, sizeof(path), "%s/%s%s", s->cache_dir, name, suffix);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", s->cache_dir, name);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		/* mkostemp makes it 0600: entries are plain readable files. */
		if (fchmod(fd, 0644) != 0 || write_all(fd, hdr, sizeof(hdr)) != 0 ||
		    write_all(fd, bytes, len) != 0)
			err = errno;
		if (close(fd) != 0 && !err)
			err = errno;
		if (!err && rename(tmp, path) != 0)
			err = errno;
		if (err)
			unlink(tmp);
	}
	if (err) {
		/* Most likely the same for every database: say it once. */
		cache_problem(e, "rules cache %s: cannot write: %s; not cached", s->cache_dir,
			      strerror(err));
		e->cache_state |= SIG_CACHE_NOWRITE;
	}
}

void sig_cache_store(struct sig_engine *e, const struct sig_set *s,
		     const uint8_t key[32], const struct hs_database *db)
{
	char *bytes = NULL;
	size_t len = 0;

	if (!cache_writable(e, s))
		return;
	if (hs_serialize_database((const hs_database_t *)db, &bytes, &len) != HS_SUCCESS ||
	    !bytes) {
		cache_problem(e, "rules cache %s: cannot serialize a database; not cached",
			      s->cache_dir);
		return;
	}
	entry_write(e, s, key, ".hsdb", bytes, len);
	free(bytes);
}

/* ---- verdicts ------------------------------------------------------------ */

/* At most this many remembered expressions (16 MiB of keys, far above a
 * real rule set's): past it new verdicts are not kept, and their
 * expressions are checked at every start, as without the file. */
#define SIG_VERDICTS_MAX (1u << 20)

/* The verdict file's key: its format and Hyperscan's version (a verdict
 * does not depend on the CPU, only on the library). */
static int verdicts_file_key(uint8_t key[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned olen = 0;
	int ok;

	if (!c)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) && h_str(c, "mailtap-verdicts-1") &&
		h_str(c, hs_version()) && h_u64(c, sizeof(void *)) &&
		EVP_DigestFinal_ex(c, key, &olen) && olen == 32;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

int sig_verdict_key(const char *re, unsigned flags, uint64_t min_off, uint64_t max_off,
		    bool stream, uint8_t key[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t full[32];
	unsigned olen = 0;
	int ok;

	if (!c)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) && h_str(c, hs_version()) &&
		h_str(c, re) && h_u64(c, flags) && h_u64(c, min_off) && h_u64(c, max_off) &&
		h_u64(c, stream) && EVP_DigestFinal_ex(c, full, &olen) && olen == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	memcpy(key, full, 16);
	return 0;
}

static bool key_zero(const uint8_t k[16])
{
	uint8_t z = 0;

	for (int i = 0; i < 16; i++)
		z |= k[i];
	return z == 0;
}

/* The slot of key k: where it is, or the free slot it would go to. */
static uint32_t vslot(const struct sig_set *s, const uint8_t k[16])
{
	uint32_t h;

	memcpy(&h, k, 4);
	for (h &= s->vcap - 1; !key_zero(s->vkey[h]) && memcmp(s->vkey[h], k, 16) != 0;
	     h = (h + 1) & (s->vcap - 1))
		;
	return h;
}

static void vmark(struct sig_set *s, uint32_t slot)
{
	if (!s->vused[slot]) {
		s->vused[slot] = 1;
		s->vnused++;
	}
}

bool sig_verdict_known(struct sig_set *s, const uint8_t key[16])
{
	uint32_t i;

	if (!s->vcap || key_zero(key))
		return false;
	i = vslot(s, key);
	if (key_zero(s->vkey[i]))
		return false;
	vmark(s, i);
	s->vhits++;
	return true;
}

/* Add without marking the set changed; its slot, or UINT32_MAX when out
 * of room or memory. */
static uint32_t vinsert(struct sig_set *s, const uint8_t key[16])
{
	uint32_t i;

	if (key_zero(key) || s->vcount >= SIG_VERDICTS_MAX)
		return UINT32_MAX;
	if ((s->vcount + 1) * 2 > s->vcap) {
		uint32_t ncap = s->vcap ? s->vcap * 2 : 1024, ocap = s->vcap;
		uint8_t (*old)[16] = s->vkey, *oldu = s->vused;

		s->vkey = calloc(ncap, 16);
		s->vused = calloc(ncap, 1);
		if (!s->vkey || !s->vused) {
			free(s->vkey);
			free(s->vused);
			s->vkey = old;
			s->vused = oldu;
			return UINT32_MAX;
		}
		s->vcap = ncap;
		for (uint32_t j = 0; j < ocap; j++) {
			if (key_zero(old[j]))
				continue;
			i = vslot(s, old[j]);
			memcpy(s->vkey[i], old[j], 16);
			s->vused[i] = oldu[j];
		}
		free(old);
		free(oldu);
	}
	i = vslot(s, key);
	if (!key_zero(s->vkey[i]))
		return i;               /* already there */
	memcpy(s->vkey[i], key, 16);
	s->vcount++;
	return i;
}

void sig_verdict_add(struct sig_set *s, const uint8_t key[16])
{
	uint32_t before = s->vcount, i = vinsert(s, key);

	if (i == UINT32_MAX)
		return;
	vmark(s, i);
	if (s->vcount != before)
		s->vdirty = true;
}

unsigned sig_set_verdict_hits(const struct sig_set *s)
{
	return s ? s->vhits : 0;
}

void sig_verdicts_load(struct sig_set *s)
{
	char path[SIG_CACHE_PATH_MAX], name[65];
	const char *why;
	uint8_t key[32], *buf;
	uint64_t len = 0;
	size_t size = 0;

	if (!s->cache_dir[0] || verdicts_file_key(key) != 0)
		return;
	hex(key, name);
	snprintf(path, sizeof(path), "%s/%s.hsvd", s->cache_dir, name);
	buf = read_trusted(path, SIG_CACHE_HDR, SIG_CACHE_HDR + (uint64_t)SIG_VERDICTS_MAX * 16,
			   false, &size, &why);
	/* Anything wrong with it: the expressions are checked again (and
	 * the file rewritten after the build). */
	if (buf && !entry_check(buf, size, key, &len) && len % 16 == 0)
		for (uint64_t i = 0; i < len; i += 16)
			if (vinsert(s, buf + SIG_CACHE_HDR + i) == UINT32_MAX)
				break;
	free(buf);
}

void sig_verdicts_store(struct sig_engine *e, const struct sig_set *s)
{
	uint8_t key[32], (*keys)[16];
	uint32_t n = 0;

	if (verdicts_file_key(key) != 0)
		return;
	/* the file is this build's too: pruning keeps it */
	if (e->ncache_key < sizeof(e->cache_key) / sizeof(e->cache_key[0]))
		memcpy(e->cache_key[e->ncache_key++], key, 32);
	/* written when this build added verdicts or left loaded ones
	 * unused (another rule set's): those are not written back */
	if ((!s->vdirty && s->vnused == s->vcount) || !cache_writable(e, s))
		return;
	keys = malloc(((size_t)s->vnused + 1) * 16);
	if (!keys)
		return;
	for (uint32_t i = 0; i < s->vcap; i++)
		if (s->vused[i])
			memcpy(keys[n++], s->vkey[i], 16);
	entry_write(e, s, key, ".hsvd", keys, (size_t)n * 16);
	free(keys);
}

/* ---- prune -------------------------------------------------------------- */

/* "<64 hex>.hsdb" or "<64 hex>.hsvd" (the verdicts; *key_hex set), or
 * ".<64 hex>.XXXXXX" (a temporary). */
static bool our_name(const char *nm, const char **key_hex)
{
	size_t n = strlen(nm);

	*key_hex = NULL;
	if (n == 69 && is_hex64(nm) &&
	    (strcmp(nm + 64, ".hsdb") == 0 || strcmp(nm + 64, ".hsvd") == 0)) {
		*key_hex = nm;
		return true;
	}
	return n == 72 && nm[0] == '.' && is_hex64(nm + 1) && nm[65] == '.';
}

void sig_cache_prune(struct sig_engine *e, const struct sig_set *s)
{
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;

	if (!s->cache_dir[0] || s->cache_ro ||
	    (e->cache_state & (SIG_CACHE_OFF | SIG_CACHE_NOWRITE)) ||
	    !(e->cache_state & SIG_CACHE_CHECKED))
		return;
	d = opendir(s->cache_dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *kh;
		bool used = false;
		struct stat st;

		if (!our_name(de->d_name, &kh))
			continue;
		for (unsigned i = 0; kh && !used && i < e->ncache_key; i++) {
			char name[65];

			hex(e->cache_key[i], name);
			used = memcmp(name, kh, 64) == 0;
		}
		if (used || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < SIG_CACHE_KEEP_S)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);   /* best effort */
	}
	closedir(d);
}

/* ---- results ------------------------------------------------------------ */

void sig_engine_cache_stats(const struct sig_engine *e, unsigned *hits,
			    unsigned *misses, unsigned *errors)
{
	if (hits)
		*hits = e ? e->cache_hits : 0;
	if (misses)
		*misses = e ? e->cache_misses : 0;
	if (errors)
		*errors = e ? e->cache_errors : 0;
}

const char *sig_engine_cache_note(const struct sig_engine *e)
{
	return e ? e->cache_note : "";
}
