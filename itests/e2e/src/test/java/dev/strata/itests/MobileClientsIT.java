package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** slixmpp's own stream management, carbons and archive plugins, with their defaults, against the assembled server. */
class MobileClientsIT {
    @Test
    void slixmppResumesCopiesAndPagesTheArchive() throws Exception {
        Path home = StrataServer.freshHome("mobile-clients-it", "mona", "ned");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            StrataServer.Result r = StrataServer.run(List.of("/usr/bin/python3", Path.of("src/test/python/slix_mobile.py").toAbsolutePath().toString(),
                    Integer.toString(s.c2sPort), "-Pw-1", "mona", "ned"), Map.of(), Duration.ofSeconds(120));
            assertThat(r.out()).as("%s", r).contains("LOGGED-IN", "SM-ENABLED resumable", "SM-ACKED all",
                    "CARBON-RECEIVED to the phone original to the phone", "CARBON-SENT from the phone", "PHONE-EXTRA 0",
                    "RESUMED while you were cut off", "MAM archived 0|archived 1|archived 2|archived 3|archived 4", "DONE");
        }
    }
}
