/*
 * libstrophe (Debian's libstrophe0) as it comes, for the end-to-end tests: connects with the
 * library's defaults (STARTTLS required, or direct TLS with "direct"), trusting only the server's
 * certificate, logs in, says it is online, and disconnects.
 *   strophe_client JID PASSWORD PORT starttls|direct CAFILE
 * Prints CONNECTED <jid> and SECURE <0|1>, then DONE; FAILED on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

static int connected = 0;

static void handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error, xmpp_stream_error_t *stream_error, void *userdata) {
    xmpp_ctx_t *ctx = (xmpp_ctx_t *)userdata;
    (void)stream_error;
    if (status == XMPP_CONN_CONNECT) {
        connected = 1;
        printf("CONNECTED %s\n", xmpp_conn_get_bound_jid(conn));
        printf("SECURE %d\n", xmpp_conn_is_secured(conn));
        fflush(stdout);
        xmpp_stanza_t *pres = xmpp_presence_new(ctx);
        xmpp_send(conn, pres);
        xmpp_stanza_release(pres);
        xmpp_disconnect(conn);
    } else {
        if (!connected) printf("FAILED %d\n", error);
        xmpp_stop(ctx);
    }
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s JID PASSWORD PORT starttls|direct CAFILE\n", argv[0]);
        return 2;
    }
    xmpp_initialize();
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, getenv("STROPHE_DEBUG") ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : NULL);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    long flags = strcmp(argv[4], "direct") == 0 ? XMPP_CONN_FLAG_LEGACY_SSL : XMPP_CONN_FLAG_MANDATORY_TLS;
    xmpp_conn_set_flags(conn, flags);
    xmpp_conn_set_jid(conn, argv[1]);
    xmpp_conn_set_pass(conn, argv[2]);
    xmpp_conn_set_cafile(conn, argv[5]);
    if (xmpp_connect_client(conn, "127.0.0.1", (unsigned short)atoi(argv[3]), handler, ctx) != XMPP_EOK) {
        printf("FAILED connect\n");
        return 1;
    }
    xmpp_run(ctx);
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    printf(connected ? "DONE\n" : "FAILED\n");
    return connected ? 0 : 1;
}
