/* port/common/ram_store.c, the record store of ports without persistent
 * storage (the MPS2 boards), on its own instance. Named hal_ so that
 * tests/sh/cross_unit.sh runs it on the ARM boards too. */
#include <stdio.h>
#include <string.h>

#include "port/common/ram_store.h"
#include "tests/harness/harness.h"

static flm_ram_store_t store;

FLM_TEST(hal_ram_store_put_get_del)
{
    flm_ram_store_init(&store);
    uint8_t buf[FLM_RAM_STORE_RECORD_MAX + 1];
    size_t len = 0;
    FLM_CHECK_EQ(flm_ram_store_get(&store, "k", buf, sizeof buf, &len), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "k", "hello", 5), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "k", "world!", 6), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_get(&store, "k", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 6);
    FLM_CHECK(memcmp(buf, "world!", 6) == 0);
    FLM_CHECK_EQ(flm_ram_store_get(&store, "k", buf, 2, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(len, 6);
    FLM_CHECK_EQ(flm_ram_store_get(&store, "k", NULL, 0, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "empty", "", 0), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_get(&store, "empty", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 0);
    FLM_CHECK_EQ(flm_ram_store_del(&store, "k"), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_del(&store, "k"), FLM_ERR_NOT_FOUND);

    FLM_CHECK_EQ(flm_ram_store_put(&store, ".hidden", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "a/b", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "k", NULL, 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "big", buf, sizeof buf), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "max", buf, FLM_RAM_STORE_RECORD_MAX), FLM_OK);
}

FLM_TEST(hal_ram_store_full_and_stat)
{
    flm_ram_store_init(&store);
    flm_hal_store_stat_t st;
    FLM_CHECK_EQ(flm_ram_store_stat(&store, &st), FLM_OK);
    FLM_CHECK_EQ(st.records, 0);
    FLM_CHECK_EQ(st.max_records, FLM_RAM_STORE_RECORDS);
    FLM_CHECK_EQ(st.bytes_used, 0);
    FLM_CHECK_EQ(st.bytes_max, (uint64_t)FLM_RAM_STORE_RECORDS * FLM_RAM_STORE_RECORD_MAX);
    FLM_CHECK_EQ(st.record_max, FLM_RAM_STORE_RECORD_MAX);

    char key[16];
    for (unsigned i = 0; i < FLM_RAM_STORE_RECORDS; i++) {
        snprintf(key, sizeof key, "r%u", i);
        FLM_CHECK_EQ(flm_ram_store_put(&store, key, "abc", 3), FLM_OK);
    }
    FLM_CHECK_EQ(flm_ram_store_put(&store, "one-more", "x", 1), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "r0", "abcdef", 6), FLM_OK); /* replacing fits */
    FLM_CHECK_EQ(flm_ram_store_stat(&store, &st), FLM_OK);
    FLM_CHECK_EQ(st.records, FLM_RAM_STORE_RECORDS);
    FLM_CHECK_EQ(st.bytes_used, 3u * FLM_RAM_STORE_RECORDS + 3u);
    FLM_CHECK_EQ(flm_ram_store_del(&store, "r1"), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_put(&store, "one-more", "x", 1), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_stat(&store, NULL), FLM_ERR_ARG);
}

FLM_TEST(hal_ram_store_next_in_key_order)
{
    flm_ram_store_init(&store);
    static const char *const put[] = { "q.0010", "q.0002", "cfg", "q.0001" };
    for (size_t i = 0; i < sizeof put / sizeof put[0] && i < FLM_RAM_STORE_RECORDS; i++)
        FLM_CHECK_EQ(flm_ram_store_put(&store, put[i], "x", 1), FLM_OK);
    static const char *const want[] = { "q.0001", "q.0002", "q.0010" };
    char k[FLM_HAL_KEY_MAX + 1] = "";
    size_t n = 0;
    while (flm_ram_store_next(&store, "q.", k, k) == FLM_OK) {
        FLM_CHECK(n < sizeof want / sizeof want[0]);
        FLM_CHECK_MSG(strcmp(k, want[n]) == 0, "got %s, want %s", k, want[n]);
        n++;
    }
    FLM_CHECK_EQ(n, sizeof want / sizeof want[0]);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "", NULL, k), FLM_OK);
    FLM_CHECK(strcmp(k, "cfg") == 0);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "", "", k), FLM_OK);
    FLM_CHECK(strcmp(k, "cfg") == 0);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "z", NULL, k), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_ram_store_del(&store, "q.0002"), FLM_OK);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "q.", "q.0001", k), FLM_OK);
    FLM_CHECK(strcmp(k, "q.0010") == 0); /* a deleted key is not listed */
    FLM_CHECK_EQ(flm_ram_store_next(&store, ".", NULL, k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "q.", "bad key", k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ram_store_next(&store, "q.", NULL, NULL), FLM_ERR_ARG);
}
