/*
 * The reference for defrag's overlap policies, shared by test_defrag's
 * randomized test and fuzz_decode_reasm: whether a new fragment covering
 * [no, ne) wins the overlap with a held piece [eo, ee) under policy
 * (written again here from defrag.h's table, not taken from defrag.c).
 */
#ifndef MAILTAP_TEST_DEFRAG_MODEL_H
#define MAILTAP_TEST_DEFRAG_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "defrag.h"

static inline bool model_new_wins(int policy, uint32_t eo, uint32_t ee, uint32_t no,
				  uint32_t ne)
{
	switch (policy) {
	case DEFRAG_POLICY_FIRST: return false;
	case DEFRAG_POLICY_LAST: return true;
	case DEFRAG_POLICY_LINUX: return no <= eo;
	case DEFRAG_POLICY_BSD: return no < eo;
	case DEFRAG_POLICY_BSD_RIGHT: return ee < ne || (ee == ne && no <= eo);
	case DEFRAG_POLICY_WINDOWS: return no < eo && ee < ne;
	default: return no < eo && ee <= ne;     /* solaris */
	}
}

#endif
