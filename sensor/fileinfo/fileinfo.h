/*
 * fileinfo — what mailtap says about every file it sees in a message:
 * size, MD5/SHA1/SHA256 (OpenSSL libcrypto) and the file type by content
 * (libmagic), computed as the decoded bytes stream past, never from a
 * buffered copy of the file.
 *
 * One `struct fileinfo_pool` per worker holds a fixed number of slots, each
 * with its digest contexts created at start-up (OpenSSL allocates a
 * context's state on its first init and reuses it after), and, when
 * libmagic is on, the first bytes of the file. Slots are handed out in
 * order the first time, so one never used is never touched (a pool of
 * 1,024 with its 4 KiB heads touched at start cost 2 ms a run). Opening
 * a file takes a slot; an empty
 * pool is counted and the file goes unhashed, never an allocation.
 * A pool with nothing to compute (no digest, no libmagic) still hands out
 * slots, but its updates only count bytes: they do not touch the slot,
 * whose line is a cache miss for every chunk of every file otherwise
 * (2.8% of a run without digests, benchmarks/RESULTS.md).
 */
#ifndef MT_FILEINFO_H
#define MT_FILEINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILEINFO_MAGIC_BYTES 4096   /* what libmagic gets to see */
#define FILEINFO_MAGIC_MAX 128      /* longest type description kept */

struct fileinfo_config {
	bool md5, sha1, sha256;     /* which digests to compute */
	bool magic;                 /* file type by content */
	uint32_t slots;             /* files open at once per worker */
};

struct fileinfo_stats {
	uint64_t files;             /* opened */
	uint64_t no_slot;           /* pool empty: not hashed */
	uint64_t bytes;             /* bytes hashed */
	uint64_t magic_errors;      /* libmagic gave no answer */
};

/* The result of one file; strings are NUL-terminated, "" when not
 * computed. The digests also as bytes (valid when the string is not
 * empty), for whoever compares them (filemd5 lists). */
struct fileinfo_result {
	char md5[33], sha1[41], sha256[65];
	uint8_t md5_raw[16], sha1_raw[20], sha256_raw[32];
	char magic[FILEINFO_MAGIC_MAX];
};

struct fileinfo_pool;
struct fileinfo_file;

/* Start-up: returns NULL on failure with a reason in err (OpenSSL digest
 * missing, libmagic database not loadable). */
struct fileinfo_pool *fileinfo_pool_new(const struct fileinfo_config *cfg,
					char *err, size_t errlen);
void fileinfo_pool_free(struct fileinfo_pool *p);
const struct fileinfo_stats *fileinfo_pool_stats(const struct fileinfo_pool *p);

/* A slot for a new file, or NULL when every slot is in use (counted). */
struct fileinfo_file *fileinfo_open(struct fileinfo_pool *p);
/* The next bytes of the file. */
void fileinfo_update(struct fileinfo_pool *p, struct fileinfo_file *f,
		     const void *data, size_t len);
/* Finish: fill *out and give the slot back. */
void fileinfo_close(struct fileinfo_pool *p, struct fileinfo_file *f,
		    struct fileinfo_result *out);

#endif
