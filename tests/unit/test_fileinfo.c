/*
 * test_fileinfo — digests against published test vectors (RFC 1321 for
 * MD5, FIPS 180 examples for SHA-1/SHA-256), fed whole and in every split,
 * file type by content, slot exhaustion, and a pool with nothing to
 * compute.
 */
#include <string.h>

#include "check.h"
#include "fileinfo.h"

static const struct {
	const char *in;
	const char *md5, *sha1, *sha256;
} vectors[] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72", "a9993e364706816aba3e25717850c26c9cd0d89d",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "8215ef0796a20bcaaae116d3876c664a", "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

int main(void)
{
	struct fileinfo_config cfg = { .md5 = true, .sha1 = true, .sha256 = true,
				       .magic = true, .slots = 2 };
	char err[256];
	struct fileinfo_pool *p = fileinfo_pool_new(&cfg, err, sizeof(err));
	struct fileinfo_result r;

	CHECK(p != NULL);
	if (!p)
		return check_summary("test_fileinfo");
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		size_t n = strlen(vectors[v].in);

		/* Whole, then split at every offset: the same digests. */
		for (size_t cut = 0; cut <= n; cut++) {
			struct fileinfo_file *f = fileinfo_open(p);
			uint64_t before = fileinfo_pool_stats(p)->bytes;

			fileinfo_update(p, f, vectors[v].in, cut);
			fileinfo_update(p, f, vectors[v].in + cut, n - cut);
			fileinfo_close(p, f, &r);
			CHECK_EQ_U(fileinfo_pool_stats(p)->bytes - before, n);
			CHECK_STR(r.md5, vectors[v].md5);
			CHECK_STR(r.sha1, vectors[v].sha1);
			CHECK_STR(r.sha256, vectors[v].sha256);
		}
	}

	/* Type by content: a PNG signature and a DOS/PE executable header. */
	{
		static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
		struct fileinfo_file *f = fileinfo_open(p);

		fileinfo_update(p, f, png, sizeof(png) - 1);
		fileinfo_close(p, f, &r);
		CHECK(strncmp(r.magic, "PNG image data", 14) == 0);
	}
	{
		unsigned char mz[256] = { 'M', 'Z' };
		struct fileinfo_file *f = fileinfo_open(p);

		fileinfo_update(p, f, mz, sizeof(mz));
		fileinfo_close(p, f, &r);
		CHECK(strstr(r.magic, "executable") != NULL || strstr(r.magic, "MS-DOS") != NULL);
	}

	/* Two slots: a third open file is refused and counted; a closed
	 * slot is reused. */
	{
		struct fileinfo_file *a = fileinfo_open(p), *b = fileinfo_open(p);
		struct fileinfo_file *c = fileinfo_open(p);

		CHECK(a && b && !c);
		CHECK_EQ_U(fileinfo_pool_stats(p)->no_slot, 1);
		fileinfo_update(p, c, "x", 1);   /* NULL file: ignored */
		fileinfo_close(p, a, &r);
		c = fileinfo_open(p);
		CHECK(c == a);
		fileinfo_close(p, b, &r);
		fileinfo_close(p, c, &r);
	}
	fileinfo_pool_free(p);

	/* Nothing to compute (--file-hash none --no-file-magic): slots are
	 * still handed out and bytes counted, the results are empty. */
	{
		struct fileinfo_config none = { .slots = 1 };
		struct fileinfo_file *f;

		p = fileinfo_pool_new(&none, err, sizeof(err));
		CHECK(p != NULL);
		if (!p)
			return check_summary("test_fileinfo");
		f = fileinfo_open(p);
		CHECK(f != NULL);
		fileinfo_update(p, f, "abc", 3);
		fileinfo_update(p, f, "de", 2);
		fileinfo_close(p, f, &r);
		CHECK_EQ_U(fileinfo_pool_stats(p)->bytes, 5);
		CHECK_EQ_U(fileinfo_pool_stats(p)->files, 1);
		CHECK_STR(r.md5, "");
		CHECK_STR(r.sha256, "");
		CHECK_STR(r.magic, "");
		fileinfo_pool_free(p);
	}
	return check_summary("test_fileinfo");
}
