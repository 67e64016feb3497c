package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.bench.Loopback;
import dev.strata.itests.StrataServer.Result;
import dev.strata.itests.StreamManagementIT.Raw;

/**
 * What the server says about itself is true: {@code bin/strata start} with the client port taken
 * does not report "started" and exit 0, {@code status} and {@code module:list} show the failed
 * listener, and a stop with clients connected logs no ERROR.
 */
class OperatorTruthIT {

    @Test
    void aTakenPortFailsStartStatusAndModuleList() throws Exception {
        Path home = StrataServer.freshHome("operator-truth-it");
        Map<String, String> env = new HashMap<>(StrataServer.loopbackPorts());
        int ssh = Loopback.freePort();
        env.put("STRATA_SSH_PORT", Integer.toString(ssh));
        env.put("STRATA_DATA_PATH", home.resolve("data").toString());
        int c2s = Integer.parseInt(env.get("STRATA_C2S_PORT"));
        String strata = home.resolve("bin/strata").toString();
        try (ServerSocket taken = new ServerSocket(c2s, 1, InetAddress.getLoopbackAddress())) {
            Result start = StrataServer.run(List.of(strata, "start"), env, Duration.ofSeconds(150));
            try {
                assertThat(start.exit()).as("%s", start).isEqualTo(1);
                assertThat(start.err()).contains("127.0.0.1:" + c2s).contains("Address already in use").contains("strata stop");
                Result status = StrataServer.run(List.of(strata, "status"), env, Duration.ofSeconds(30));
                assertThat(status.exit()).as("%s", status).isEqualTo(1);
                assertThat(status.out()).contains("not everything works").contains("127.0.0.1:" + c2s);
                Result list = StrataServer.run(List.of(strata, "shell", "module:list"), env, Duration.ofSeconds(60));
                assertThat(list.out()).containsPattern("\\btransport\\s+\\S+\\s+FAILED\\b").contains("transport: Cannot listen on 127.0.0.1:" + c2s);
            } finally {
                Result stop = StrataServer.run(List.of(strata, "stop"), env, Duration.ofSeconds(60));
                assertThat(stop.exit()).as("%s", stop).isZero();
            }
        }
        // the port free again: a clean start, and status says so
        Result start = StrataServer.run(List.of(strata, "start"), env, Duration.ofSeconds(150));
        try {
            assertThat(start.exit()).as("%s", start).isZero();
            assertThat(start.out()).contains("strata: started");
            assertThat(StrataServer.run(List.of(strata, "status"), env, Duration.ofSeconds(30)).exit()).isZero();
        } finally {
            assertThat(StrataServer.run(List.of(strata, "stop"), env, Duration.ofSeconds(60)).exit()).isZero();
        }
    }

    @Test
    void aStopWithClientsConnectedLogsNoError() throws Exception {
        Path home = StrataServer.freshHome("clean-stop-it", "alice", "bob");
        StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of());
        try (Raw alice = Raw.bound(s, "alice", "desk"); Raw bob = Raw.bound(s, "bob", "phone")) {
            alice.send("<presence/>");
            bob.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>");
            bob.await("SM enabled", x -> x.contains("<enabled"));
            assertThat(s.ssh("session:kick alice@localhost/desk").exit()).isZero();
            alice.await("the kick", x -> x.contains("</stream:stream>"));
            s.stop();
        }
        String log = s.log();
        assertThat(log).contains("Strata started in");
        // each session's end says what happened to it
        assertThat(log).contains("Session ended: alice@localhost/desk (stream error policy-violation: Disconnected by an administrator)");
        // bob's session is resumable (XEP-0198) yet ends at once: no session waits for a connection through a shutdown
        // (by the stream error, or after the transport closed its connection first: the order of the two varies)
        assertThat(log.lines().filter(l -> l.contains("Session ended: bob@localhost/phone (")).toList()).singleElement().asString()
                .endsWith("The server is shutting down)");
        assertThat(log).doesNotContain("sessions had not ended");
        assertThat(log.lines().filter(l -> l.contains(" ERROR ")).toList()).as("ERROR lines of a stop with clients connected").isEmpty();
    }
}
