#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port/posix/hal_posix.h"
#include "tests/harness/harness.h"

FLM_TEST(hal_time_is_monotonic)
{
    FLM_CHECK_EQ(flm_hal_init(), FLM_OK);
    uint64_t a = flm_hal_time_us();
    flm_hal_sleep_ms(2);
    uint64_t b = flm_hal_time_us();
    FLM_CHECK(b >= a + 1500);
    FLM_CHECK(flm_hal_time_ms() >= a / 1000);
}

FLM_TEST(hal_entropy_fills_buffer)
{
    uint8_t a[32] = { 0 }, b[32] = { 0 };
    FLM_CHECK_EQ(flm_hal_entropy(a, sizeof a), FLM_OK);
    FLM_CHECK_EQ(flm_hal_entropy(b, sizeof b), FLM_OK);
    FLM_CHECK(memcmp(a, b, sizeof a) != 0);
}

FLM_TEST(hal_store_put_get_del)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/store", flm_test_tmpdir());
    FLM_CHECK_EQ(flm_hal_posix_set_store_dir(dir), FLM_OK);

    uint8_t buf[16];
    size_t len = 0;
    FLM_CHECK_EQ(flm_hal_store_get("q.0001", buf, sizeof buf, &len), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hal_store_put("q.0001", "hello", 5), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_get("q.0001", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 5);
    FLM_CHECK(memcmp(buf, "hello", 5) == 0);

    /* Overwrite is whole-record; a short buffer reports the full size. */
    FLM_CHECK_EQ(flm_hal_store_put("q.0001", "a longer record!", 16), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_get("q.0001", buf, 4, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(len, 16);
    FLM_CHECK(memcmp(buf, "a lo", 4) == 0);

    /* No temporary file is left behind by a completed put. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/.tmp-q.0001", dir);
    FLM_CHECK(access(tmp, F_OK) != 0);

    FLM_CHECK_EQ(flm_hal_store_put("empty", "", 0), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_get("empty", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 0);

    FLM_CHECK_EQ(flm_hal_store_del("q.0001"), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_del("q.0001"), FLM_ERR_NOT_FOUND);
}

FLM_TEST(hal_store_rejects_bad_keys)
{
    uint8_t buf[4];
    size_t len;
    FLM_CHECK_EQ(flm_hal_store_put("../etc/passwd", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_put(".hidden", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_put("", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_put("a/b", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_get("sp ace", buf, sizeof buf, &len), FLM_ERR_ARG);
    char longkey[FLM_HAL_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    FLM_CHECK_EQ(flm_hal_store_put(longkey, "x", 1), FLM_ERR_ARG);
}

FLM_TEST(hal_link_override)
{
    flm_hal_posix_set_link(0);
    FLM_CHECK(!flm_hal_link_up());
    flm_hal_posix_set_link(1);
    FLM_CHECK(flm_hal_link_up());
    flm_hal_posix_set_link(-1);
    (void)flm_hal_link_up(); /* detection must simply not crash */
}

FLM_TEST(hal_watchdog_counts_kicks)
{
    uint64_t k = flm_hal_posix_watchdog_kicks();
    flm_hal_watchdog_kick();
    FLM_CHECK_EQ(flm_hal_posix_watchdog_kicks(), k + 1);
}

static int listen_loopback(uint16_t *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return s;
}

FLM_TEST(hal_tcp_loopback_round_trip)
{
    uint16_t port;
    int ls = listen_loopback(&port);
    FLM_CHECK(ls >= 0);
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&c, "127.0.0.1", port, 1000), FLM_OK);
    int peer = accept(ls, NULL, NULL);
    FLM_CHECK(peer >= 0);

    flm_transport_t t;
    flm_hal_tcp_transport(&c, &t);
    FLM_CHECK_EQ(t.send(t.ctx, (const uint8_t *)"ping", 4, 1000), 4);
    char got[8] = { 0 };
    FLM_CHECK_EQ(read(peer, got, sizeof got), 4);
    FLM_CHECK(memcmp(got, "ping", 4) == 0);

    uint8_t buf[8];
    FLM_CHECK_EQ(t.recv(t.ctx, buf, sizeof buf, 20), FLM_ERR_TIMEOUT); /* nothing sent */
    FLM_CHECK_EQ(write(peer, "pong", 4), 4);
    FLM_CHECK_EQ(t.recv(t.ctx, buf, sizeof buf, 1000), 4);
    FLM_CHECK(memcmp(buf, "pong", 4) == 0);
    close(peer);
    FLM_CHECK_EQ(t.recv(t.ctx, buf, sizeof buf, 1000), FLM_ERR_NET_CLOSED);
    t.close(t.ctx);
    FLM_CHECK_EQ(c.fd, -1);
    close(ls);
}

FLM_TEST(hal_tcp_connect_errors)
{
    uint16_t port;
    int ls = listen_loopback(&port);
    FLM_CHECK(ls >= 0);
    close(ls); /* nobody listens there now */
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&c, "127.0.0.1", port, 1000), FLM_ERR_NET_CONNECT);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&c, "no-such-host.invalid", 443, 1000), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(flm_hal_tcp_send(&c, (const uint8_t *)"x", 1, 10), FLM_ERR_STATE);
}

FLM_TEST(hal_init_is_idempotent)
{
    FLM_CHECK_EQ(flm_hal_init(), FLM_OK);
    flm_hal_posix_set_link(0);
    flm_hal_watchdog_kick();
    uint64_t kicks = flm_hal_posix_watchdog_kicks();
    FLM_CHECK_EQ(flm_hal_init(), FLM_OK); /* a second init changes nothing */
    FLM_CHECK(!flm_hal_link_up());
    FLM_CHECK_EQ(flm_hal_posix_watchdog_kicks(), kicks);

    /* After deinit the next init reads the environment again. */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/env-store", flm_test_tmpdir());
    FLM_CHECK_EQ(setenv("FLM_STORE_DIR", dir, 1), 0);
    FLM_CHECK_EQ(setenv("FLM_LINK", "up", 1), 0);
    flm_hal_deinit();
    FLM_CHECK_EQ(flm_hal_init(), FLM_OK);
    unsetenv("FLM_STORE_DIR");
    unsetenv("FLM_LINK");
    FLM_CHECK(flm_hal_link_up());
    FLM_CHECK_EQ(flm_hal_store_put("env.k", "v", 1), FLM_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/env.k", dir);
    FLM_CHECK_EQ(access(path, F_OK), 0);
    flm_hal_posix_set_link(-1);
}

/* A fresh, empty store directory for one test. */
static void use_store(const char *name)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", flm_test_tmpdir(), name);
    flm_hal_posix_set_store_dir(dir);
    flm_hal_posix_set_store_limits(0, 0);
}

static void touch(const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", flm_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

FLM_TEST(hal_store_stat_counts_records)
{
    use_store("stat");
    flm_hal_store_stat_t st;
    FLM_CHECK_EQ(flm_hal_store_stat(&st), FLM_OK); /* not created yet: empty */
    FLM_CHECK_EQ(st.records, 0);
    FLM_CHECK_EQ(st.bytes_used, 0);
    FLM_CHECK(st.max_records > 0 && st.bytes_max > 0);
    FLM_CHECK_EQ(st.record_max, FLM_HAL_POSIX_STORE_RECORD_MAX);

    FLM_CHECK_EQ(flm_hal_store_put("a", "12345", 5), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_put("b", "123", 3), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_put("b", "1234567", 7), FLM_OK); /* replaced, not added */
    touch("stat/.tmp-c", "left by a power cut");                /* never a record */
    FLM_CHECK_EQ(flm_hal_store_stat(&st), FLM_OK);
    FLM_CHECK_EQ(st.records, 2);
    FLM_CHECK_EQ(st.bytes_used, 12);
    FLM_CHECK(st.bytes_max >= st.bytes_used && st.max_records >= st.records);
    FLM_CHECK_EQ(flm_hal_store_stat(NULL), FLM_ERR_ARG);

    static uint8_t big[FLM_HAL_POSIX_STORE_RECORD_MAX + 1];
    FLM_CHECK_EQ(flm_hal_store_put("huge", big, sizeof big), FLM_ERR_OVERFLOW);
}

FLM_TEST(hal_store_limits_refuse_when_full)
{
    use_store("full");
    flm_hal_posix_set_store_limits(2, 10);
    flm_hal_store_stat_t st;
    FLM_CHECK_EQ(flm_hal_store_stat(&st), FLM_OK);
    FLM_CHECK_EQ(st.max_records, 2);
    FLM_CHECK_EQ(st.bytes_max, 10);
    FLM_CHECK_EQ(st.record_max, 10);

    FLM_CHECK_EQ(flm_hal_store_put("q.1", "1234", 4), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_put("q.2", "1234", 4), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_put("q.3", "1", 1), FLM_ERR_STORE_FULL);       /* no record left */
    FLM_CHECK_EQ(flm_hal_store_put("q.2", "1234567", 7), FLM_ERR_STORE_FULL); /* 4 + 7 > 10 */
    FLM_CHECK_EQ(flm_hal_store_put("q.2", "123456", 6), FLM_OK);              /* 4 + 6 fits */
    FLM_CHECK_EQ(flm_hal_store_put("q.1", "12345678901", 11), FLM_ERR_OVERFLOW); /* never fits */

    /* A refused put left the old record whole. */
    uint8_t buf[16];
    size_t len;
    FLM_CHECK_EQ(flm_hal_store_get("q.2", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 6);
    FLM_CHECK_EQ(flm_hal_store_del("q.1"), FLM_OK);
    FLM_CHECK_EQ(flm_hal_store_put("q.3", "1", 1), FLM_OK); /* room again */
    flm_hal_posix_set_store_limits(0, 0);
}

FLM_TEST(hal_store_next_lists_keys_in_order)
{
    use_store("next");
    char k[FLM_HAL_KEY_MAX + 1] = "";
    FLM_CHECK_EQ(flm_hal_store_next("", k, k), FLM_ERR_NOT_FOUND); /* no directory yet */

    /* Inserted out of order, with keys around the prefix. */
    static const char *const put[] = { "q.0010", "q.0002", "cfg", "q.0001", "q-x", "q.", "r" };
    for (size_t i = 0; i < sizeof put / sizeof put[0]; i++)
        FLM_CHECK_EQ(flm_hal_store_put(put[i], "x", 1), FLM_OK);
    touch("next/.tmp-q.0003", "half-written");   /* a temporary: skipped */
    touch("next/q.0004 bad", "not a key");        /* a stray file: skipped */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/next/q.0005", flm_test_tmpdir());
    FLM_CHECK_EQ(mkdir(sub, 0700), 0);            /* a directory: skipped */

    static const char *const want[] = { "q.", "q.0001", "q.0002", "q.0010" };
    size_t n = 0;
    while (flm_hal_store_next("q.", k, k) == FLM_OK) {
        FLM_CHECK(n < sizeof want / sizeof want[0]);
        FLM_CHECK_MSG(strcmp(k, want[n]) == 0, "got %s, want %s", k, want[n]);
        n++;
    }
    FLM_CHECK_EQ(n, sizeof want / sizeof want[0]);

    FLM_CHECK_EQ(flm_hal_store_next("", NULL, k), FLM_OK);
    FLM_CHECK(strcmp(k, "cfg") == 0);
    FLM_CHECK_EQ(flm_hal_store_next("", "cfg", k), FLM_OK);
    FLM_CHECK(strcmp(k, "q-x") == 0); /* bytewise: '-' sorts before '.' */
    FLM_CHECK_EQ(flm_hal_store_next("", "q.0010", k), FLM_OK);
    FLM_CHECK(strcmp(k, "r") == 0);
    FLM_CHECK_EQ(flm_hal_store_next("", "r", k), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hal_store_next("q.0002", NULL, k), FLM_OK);
    FLM_CHECK(strcmp(k, "q.0002") == 0); /* a key is its own prefix */

    FLM_CHECK_EQ(flm_hal_store_next(".tmp", NULL, k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_next("a/b", NULL, k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_next("q.", "../x", k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_next(NULL, NULL, k), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_store_next("q.", NULL, NULL), FLM_ERR_ARG);
}

/* ---- listen / accept ---------------------------------------------------- */

/* Connect to ourselves through the listener and talk both ways. */
static void check_loopback_server(const char *listen_host, const char *connect_host)
{
    flm_hal_tcp_listener_t l;
    flm_hal_tcp_listener_init(&l);
    FLM_CHECK_EQ(flm_hal_tcp_listener_port(&l), 0);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&l, listen_host, 0, 4), FLM_OK);
    uint16_t port = flm_hal_tcp_listener_port(&l);
    FLM_CHECK(port != 0); /* the ephemeral port chosen */

    flm_hal_tcp_t client, server;
    flm_hal_tcp_init(&client);
    flm_hal_tcp_init(&server);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&client, connect_host, port, 1000), FLM_OK);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &server, 1000), FLM_OK);
    FLM_CHECK(server.fd >= 0);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &server, 0), FLM_ERR_STATE); /* server still open */

    /* The accepted connection is an ordinary one: transport view included. */
    flm_transport_t t;
    flm_hal_tcp_transport(&server, &t);
    FLM_CHECK_EQ(flm_hal_tcp_send(&client, (const uint8_t *)"ping", 4, 1000), 4);
    uint8_t buf[8];
    FLM_CHECK_EQ(t.recv(t.ctx, buf, sizeof buf, 1000), 4);
    FLM_CHECK(memcmp(buf, "ping", 4) == 0);
    FLM_CHECK_EQ(t.recv(t.ctx, buf, sizeof buf, 20), FLM_ERR_TIMEOUT);
    FLM_CHECK_EQ(t.send(t.ctx, (const uint8_t *)"pong", 4, 1000), 4);
    FLM_CHECK_EQ(flm_hal_tcp_recv(&client, buf, sizeof buf, 1000), 4);
    FLM_CHECK(memcmp(buf, "pong", 4) == 0);
    t.close(t.ctx);
    FLM_CHECK_EQ(server.fd, -1);
    FLM_CHECK_EQ(flm_hal_tcp_recv(&client, buf, sizeof buf, 1000), FLM_ERR_NET_CLOSED);
    flm_hal_tcp_close(&client);

    /* Closing the listener leaves nobody at the port. */
    flm_hal_tcp_listener_close(&l);
    FLM_CHECK_EQ(flm_hal_tcp_listener_port(&l), 0);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &server, 0), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&client, connect_host, port, 1000), FLM_ERR_NET_CONNECT);
    flm_hal_tcp_listener_close(&l); /* twice is harmless */
}

FLM_TEST(hal_tcp_listen_accept_ipv4)
{
    check_loopback_server("127.0.0.1", "127.0.0.1");
}

FLM_TEST(hal_tcp_listen_accept_localhost)
{
    check_loopback_server("localhost", "localhost");
}

FLM_TEST(hal_tcp_listen_accept_ipv6)
{
    /* Containers often run without IPv6 on loopback. */
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool have = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    if (!have)
        FLM_SKIP("no IPv6 loopback here");
    check_loopback_server("::1", "::1");
}

FLM_TEST(hal_tcp_accept_times_out)
{
    flm_hal_tcp_listener_t l;
    flm_hal_tcp_listener_init(&l);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&l, "127.0.0.1", 0, 1), FLM_OK);
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    uint64_t t0 = flm_hal_time_ms();
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &c, 50), FLM_ERR_TIMEOUT);
    uint64_t spent = flm_hal_time_ms() - t0;
    FLM_CHECK_MSG(spent >= 45 && spent < 1000, "waited %llu ms", (unsigned long long)spent);
    FLM_CHECK_EQ(c.fd, -1);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &c, 0), FLM_ERR_TIMEOUT); /* 0: just a look */
    flm_hal_tcp_listener_close(&l);
}

FLM_TEST(hal_tcp_listen_errors)
{
    flm_hal_tcp_listener_t a, b;
    flm_hal_tcp_listener_init(&a);
    flm_hal_tcp_listener_init(&b);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&a, "127.0.0.1", 0, 4), FLM_OK);
    uint16_t port = flm_hal_tcp_listener_port(&a);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&b, "127.0.0.1", port, 4), FLM_ERR_NET_LISTEN); /* in use */
    FLM_CHECK_EQ(b.fd, -1);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&a, "127.0.0.1", 0, 4), FLM_ERR_STATE); /* already listening */
    flm_hal_tcp_listener_close(&a);

    /* Closed, the port is free at once (SO_REUSEADDR). */
    FLM_CHECK_EQ(flm_hal_tcp_listen(&b, "127.0.0.1", port, 4), FLM_OK);
    flm_hal_tcp_listener_close(&b);

    FLM_CHECK_EQ(flm_hal_tcp_listen(&b, "192.0.2.1", 0, 4), FLM_ERR_NET_LISTEN); /* not ours */
    FLM_CHECK_EQ(flm_hal_tcp_listen(&b, "example.com", 0, 4), FLM_ERR_ARG);     /* a name */
    FLM_CHECK_EQ(flm_hal_tcp_listen(&b, NULL, 0, 4), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_tcp_listen(NULL, "127.0.0.1", 0, 4), FLM_ERR_ARG);
    flm_hal_tcp_t c;
    flm_hal_tcp_init(&c);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&b, &c, 0), FLM_ERR_STATE);
}

FLM_TEST(hal_caps_of_posix)
{
    FLM_CHECK(FLM_HAL_HAS_NET && FLM_HAL_HAS_NET_SERVER && FLM_HAL_HAS_STORAGE_PERSISTENT &&
              FLM_HAL_HAS_ENTROPY);
}

/* A power cut during a put, at every byte k of the new record: what is
 * left on disk is the temporary the put was writing (k bytes of it) beside
 * the old record. After the restart the record reads whole and old, the
 * torn temporary is neither listed nor counted, and the next put wins. */
FLM_TEST(hal_store_write_cut_at_byte_k)
{
    use_store("cut");
    static const char old_v[] = "old value, whole", new_v[] = "the new value of the record";
    for (size_t k = 0; k <= sizeof new_v - 1; k += 3) {
        FLM_CHECK_EQ(flm_hal_store_put("rec", old_v, sizeof old_v - 1), FLM_OK);
        char path[600];
        snprintf(path, sizeof path, "%s/cut/.tmp-rec", flm_test_tmpdir());
        FILE *f = fopen(path, "wb");
        FLM_CHECK(f != NULL);
        FLM_CHECK(fwrite(new_v, 1, k, f) == k);
        fclose(f);
        /* The restart: the platform comes up again over the same directory. */
        use_store("cut");
        char buf[64];
        size_t len = 0;
        FLM_CHECK_EQ(flm_hal_store_get("rec", buf, sizeof buf, &len), FLM_OK);
        FLM_CHECK(len == sizeof old_v - 1 && memcmp(buf, old_v, len) == 0);
        char key[FLM_HAL_KEY_MAX + 1];
        FLM_CHECK_EQ(flm_hal_store_next("", NULL, key), FLM_OK);
        FLM_CHECK(strcmp(key, "rec") == 0);
        FLM_CHECK_EQ(flm_hal_store_next("", "rec", key), FLM_ERR_NOT_FOUND);
        flm_hal_store_stat_t st;
        FLM_CHECK_EQ(flm_hal_store_stat(&st), FLM_OK);
        FLM_CHECK_EQ(st.records, 1);
        FLM_CHECK_EQ(flm_hal_store_put("rec", new_v, sizeof new_v - 1), FLM_OK);
        FLM_CHECK_EQ(flm_hal_store_get("rec", buf, sizeof buf, &len), FLM_OK);
        FLM_CHECK(len == sizeof new_v - 1 && memcmp(buf, new_v, len) == 0);
    }
    FLM_CHECK_EQ(flm_hal_store_del("rec"), FLM_OK);
}

FLM_TEST(hal_tcp_wait_on_many)
{
    flm_hal_tcp_listener_t l;
    flm_hal_tcp_listener_init(&l);
    FLM_CHECK_EQ(flm_hal_tcp_listen(&l, "127.0.0.1", 0, 4), FLM_OK);
    uint16_t port = flm_hal_tcp_listener_port(&l);
    bool lr = true, ready[3] = { true, true, true };

    /* nothing: a timeout of about the time asked, every flag cleared */
    flm_hal_tcp_t a, b, sa, sb;
    flm_hal_tcp_init(&a);
    flm_hal_tcp_init(&b);
    flm_hal_tcp_init(&sa);
    flm_hal_tcp_init(&sb);
    flm_hal_tcp_t *conns[3] = { &sa, NULL, &sb };
    uint64_t t0 = flm_hal_time_ms();
    FLM_CHECK_EQ(flm_hal_tcp_wait(&l, conns, 3, 40, &lr, ready), FLM_ERR_TIMEOUT);
    FLM_CHECK(flm_hal_time_ms() - t0 >= 35);
    FLM_CHECK(!lr && !ready[0] && !ready[1] && !ready[2]);

    /* a connection waiting: the listener is ready */
    FLM_CHECK_EQ(flm_hal_tcp_connect(&a, "127.0.0.1", port, 1000), FLM_OK);
    FLM_CHECK_EQ(flm_hal_tcp_wait(&l, conns, 3, 1000, &lr, ready), FLM_OK);
    FLM_CHECK(lr && !ready[0] && !ready[2]);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &sa, 0), FLM_OK);
    FLM_CHECK_EQ(flm_hal_tcp_connect(&b, "127.0.0.1", port, 1000), FLM_OK);
    FLM_CHECK_EQ(flm_hal_tcp_accept(&l, &sb, 1000), FLM_OK);

    /* bytes on the second one only */
    FLM_CHECK_EQ(flm_hal_tcp_send(&b, (const uint8_t *)"x", 1, 1000), 1);
    FLM_CHECK_EQ(flm_hal_tcp_wait(&l, conns, 3, 1000, &lr, ready), FLM_OK);
    FLM_CHECK(!lr && !ready[0] && !ready[1] && ready[2]);
    uint8_t buf[4];
    FLM_CHECK_EQ(flm_hal_tcp_recv(&sb, buf, sizeof buf, 0), 1);

    /* a peer that hangs up wakes the wait too, and recv says so */
    flm_hal_tcp_close(&a);
    FLM_CHECK_EQ(flm_hal_tcp_wait(NULL, conns, 3, 1000, NULL, ready), FLM_OK);
    FLM_CHECK(ready[0] && !ready[2]);
    FLM_CHECK_EQ(flm_hal_tcp_recv(&sa, buf, sizeof buf, 0), FLM_ERR_NET_CLOSED);

    /* closed entries are not waited on; too many is refused */
    flm_hal_tcp_close(&sa);
    FLM_CHECK_EQ(flm_hal_tcp_wait(NULL, conns, 3, 10, NULL, ready), FLM_ERR_TIMEOUT);
    FLM_CHECK_EQ(flm_hal_tcp_wait(NULL, conns, FLM_HAL_WAIT_MAX + 1, 0, NULL, ready), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_hal_tcp_wait(NULL, NULL, 0, 0, NULL, NULL), FLM_ERR_TIMEOUT);
    flm_hal_tcp_close(&b);
    flm_hal_tcp_close(&sb);
    flm_hal_tcp_listener_close(&l);
}
