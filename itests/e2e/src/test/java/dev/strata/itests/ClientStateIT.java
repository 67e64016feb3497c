package dev.strata.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * XEP-0352 over real sockets: a scripted busy hour, compressed (ten contacts changing presence six
 * times each, typing and sending receipts, and two real messages), delivered to a phone that is
 * active and to one that says it is inactive. The inactive phone wakes up only for the two real
 * messages and its {@code <active/>}, gets fewer bytes (presence folded to the latest per contact),
 * and loses nothing: at {@code <active/>} it knows each contact's latest presence.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientStateIT {
    private static final int CONTACTS = 10;
    private static final int ROUNDS = 6;
    /** Reads more than this apart are separate wake-ups of the phone's radio. */
    private static final long BURST_GAP_NANOS = 12_000_000L;
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        List<String> users = new ArrayList<>(List.of("sleepy", "writer"));
        for (int i = 0; i < CONTACTS; i++) users.add("c" + i);
        Path home = StrataServer.freshHome("csi-it", users.toArray(String[]::new));
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    /** What the phone saw: bytes, and wake-ups (reads separated by a gap). */
    private record Seen(long bytes, int bursts, String text) {
    }

    private Seen busyHour(boolean inactive) throws Exception {
        List<Raw> contacts = new ArrayList<>();
        try (Raw phone = Raw.bound(server, "sleepy", "phone"); Raw writer = Raw.bound(server, "writer", "desk")) {
            for (int i = 0; i < CONTACTS; i++) contacts.add(Raw.bound(server, "c" + i, "x"));
            phone.send("<presence/>" + (inactive ? "<inactive xmlns='urn:xmpp:csi:0'/>" : ""));
            phone.send("<iq type='get' id='ready'><ping xmlns='urn:xmpp:ping'/></iq>");
            phone.await("ready", s -> s.contains("id=\"ready\""));
            List<long[]> reads = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            Thread reader = Thread.ofPlatform().start(() -> {
                byte[] buf = new byte[65536];
                try {
                    InputStream in = phone.login.socket().getInputStream();
                    phone.login.socket().setSoTimeout(100);
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            int n = in.read(buf);
                            if (n < 0) return;
                            synchronized (reads) {
                                reads.add(new long[] {System.nanoTime(), n});
                                text.append(new String(buf, 0, n, UTF_8));
                            }
                        } catch (SocketTimeoutException e) {
                            // poll
                        }
                    }
                } catch (Exception e) {
                    // the test ends the connection
                }
            });
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < CONTACTS; i++) {
                    Raw c = contacts.get(i);
                    c.send("<presence to='sleepy@localhost/phone'><show>away</show><status>round " + round + "</status></presence>");
                    Thread.sleep(25);
                    c.send("<message type='chat' to='sleepy@localhost/phone'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
                    Thread.sleep(25);
                    c.send("<message to='sleepy@localhost/phone' id='r" + round + "'><received xmlns='urn:xmpp:receipts' id='m" + round + "'/></message>");
                    Thread.sleep(25);
                }
                if (round == 2 || round == 5) writer.send("<message type='chat' to='sleepy@localhost/phone' id='real" + round + "'><body>wake up " + round + "</body></message>");
                Thread.sleep(25);
            }
            Thread.sleep(300);
            if (inactive) {
                phone.send("<active xmlns='urn:xmpp:csi:0'/>");
                Thread.sleep(300);
            }
            reader.interrupt();
            reader.join();
            long bytes = 0;
            int bursts = 0;
            long last = 0;
            synchronized (reads) {
                for (long[] r : reads) {
                    bytes += r[1];
                    if (r[0] - last > BURST_GAP_NANOS) bursts++;
                    last = r[0];
                }
                return new Seen(bytes, bursts, text.toString());
            }
        } finally {
            for (Raw c : contacts) c.close();
        }
    }

    @Test
    void anInactivePhoneWakesOnlyForWhatMattersAndLosesNothing() throws Exception {
        Seen active = busyHour(false);
        Seen inactive = busyHour(true);
        System.out.printf("[figure] XEP-0352, a busy hour compressed (%d contacts x %d presence changes, typing, receipts, 2 messages): "
                + "active client %d bytes in %d wake-ups; inactive client %d bytes in %d wake-ups%n",
                CONTACTS, ROUNDS, active.bytes(), active.bursts(), inactive.bytes(), inactive.bursts());
        assertThat(active.text()).contains("wake up 2").contains("wake up 5");
        assertThat(inactive.text()).as("nothing with a body is held back").contains("wake up 2").contains("wake up 5");
        for (int i = 0; i < CONTACTS; i++) {
            assertThat(inactive.text()).as("contact %s's latest presence arrived", i).contains("from=\"c" + i + "@localhost/x\"");
        }
        assertThat(inactive.text().split("<status>round " + (ROUNDS - 1) + "</status>", -1)).as("each contact's latest presence").hasSize(CONTACTS + 1);
        assertThat(inactive.bursts()).as("wake-ups: the two messages and <active/>, not every event").isLessThanOrEqualTo(4);
        assertThat(active.bursts()).as("an active client gets each event as it comes").isGreaterThan(50);
        assertThat(inactive.bytes()).as("folded presence").isLessThan(active.bytes() * 3 / 4);
    }
}
