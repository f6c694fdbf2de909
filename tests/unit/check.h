/*
 * check.h — the unit-test harness: CHECK/CHECK_EQ macros that count and
 * report failures with file:line, and check_summary() that prints the
 * closing "N passed, N failed" line and returns the exit status.
 * Header-only; each test program is its own executable.
 */
#ifndef MT_CHECK_H
#define MT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned check_pass_, check_fail_;

#define CHECK(cond) do { \
	if (cond) check_pass_++; \
	else { check_fail_++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
				      __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_U(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ == b_) check_pass_++; \
	else { check_fail_++; fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", \
				      __FILE__, __LINE__, #a, #b, a_, b_); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && strcmp(a_, b_) == 0) check_pass_++; \
	else { check_fail_++; fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
				      __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

#define CHECK_MEM(a, alen, b, blen) do { \
	size_t al_ = (alen), bl_ = (blen); \
	if (al_ == bl_ && memcmp((a), (b), al_) == 0) check_pass_++; \
	else { check_fail_++; fprintf(stderr, "%s:%d: %s (%zu bytes) != %s (%zu bytes)\n", \
				      __FILE__, __LINE__, #a, al_, #b, bl_); } \
} while (0)

static inline int check_summary(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_pass_, check_fail_);
	return check_fail_ ? 1 : 0;
}

#endif
