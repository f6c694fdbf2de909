/*
 * driver.c — runs a libFuzzer target over files without libFuzzer, so the
 * regression inputs (every crash or hang ever found, plus seeds) replay in
 * the normal test suite and under ASan/UBSan. Arguments are files or
 * directories (read one level deep).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned ran;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	ran++;
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;

			while (d && (e = readdir(d))) {
				char p[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
				if (run_file(p) != 0)
					failed++;
			}
			if (d)
				closedir(d);
		} else if (run_file(argv[i]) != 0) {
			failed++;
		}
	}
	/* An empty corpus means the test checks nothing: fail loudly. */
	if (ran == 0) {
		fprintf(stderr, "no inputs replayed\n");
		return 1;
	}
	printf("fuzz-regress: %u passed, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
