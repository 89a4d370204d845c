/* Test support: ../shared's stories260K + tok512 converted in memory by the
 * real converter and opened with flm_model_open. */
#ifndef FLM_TEST_STORIES_H
#define FLM_TEST_STORIES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

typedef struct {
    flm_model_t model;
    uint8_t *image;   /* malloc'd (malloc alignment suits flm_model_open) */
} flm_test_stories_t;

/* false if ../shared is absent or anything fails (the test then skips or fails). */
bool flm_test_stories_open(flm_test_stories_t *s);
void flm_test_stories_close(flm_test_stories_t *s);

#endif
