/* How far apart two short names are, for "did you mean ...?" suggestions
 * (config keys, command-line options, commands). */
#ifndef FLM_STRDIST_H
#define FLM_STRDIST_H

#include <stddef.h>

/* Edit distance between [a, a + na) and [b, b + nb): insertions, deletions,
 * substitutions and swaps of two neighbours each count 1 (optimal string
 * alignment), letters compared case-blind. Returns `limit` when the
 * distance is limit or more, or a name is longer than FLM_STRDIST_MAX. */
#define FLM_STRDIST_MAX 64
size_t flm_strdist(const char *a, size_t na, const char *b, size_t nb, size_t limit);

#endif /* FLM_STRDIST_H */
