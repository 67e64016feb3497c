package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * XEP-0313 against the assembled server, on H2 and on PostgreSQL: what a client receives carries
 * the stanza-id its archive pages return, in order; the archive survives a restart; paging and
 * its errors work as the XEP says; and deleting the account deletes its archive.
 */
class MamIT {
    private static final int MESSAGES = 60;

    @Test
    void theArchiveOnH2() throws Exception {
        Path home = StrataServer.freshHome("mam-it");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            archiveScenario(s);
        }
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "STRATA_TEST_PG_URL", matches = ".+")
    void theArchiveOnPostgresql() throws Exception {
        Path home = StrataServer.freshHome("mam-pg-it");
        Path cfg = home.resolve("config/stack/06-storage/strata.storage.jdbc.cfg");
        Files.writeString(cfg, """
                url = ${env:STRATA_TEST_PG_URL}
                user = ${env:STRATA_TEST_PG_USER}
                password = ${env:STRATA_TEST_PG_PASSWORD}
                """);
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            StrataServer.await(Duration.ofSeconds(30), "the PostgreSQL database", () -> s.log().contains("Database " + System.getenv("STRATA_TEST_PG_URL") + " ready"));
            archiveScenario(s);
        }
    }

    private static List<String> all(String regex, String xml) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(xml);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** One page: the result ids, and the fin. */
    private record Page(List<String> ids, List<String> bodies, String fin) {
    }

    private static Page page(Raw fay, String id, String query) throws Exception {
        fay.send("<iq type='set' id='" + id + "'>" + query + "</iq>");
        String got = fay.await("the answer to " + id, x -> x.contains("id=\"" + id + "\""));
        int iq = got.indexOf("<iq ");
        String results = iq < 0 ? got : got.substring(0, iq);
        return new Page(all("<result [^>]*\\sid=\"([^\"]+)\"", results), all("<body>([^<]*)</body>", results), got.substring(Math.max(iq, 0)));
    }

    private static void archiveScenario(StrataServer s) throws Exception {
        for (String user : List.of("erin", "fay")) {
            s.ssh("user:delete " + user + "@localhost"); // a previous run's, on a database that outlives the test
            assertThat(s.ssh("user:add " + user + "@localhost " + user + "-Pw-1").exit()).isZero();
        }
        List<String> live;
        try (Raw fay = Raw.bound(s, "fay", "phone"); Raw erin = Raw.bound(s, "erin", "laptop")) {
            fay.send("<iq type='get' id='disco' to='fay@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            assertThat(fay.await("disco#info", x -> x.contains("id=\"disco\""))).as("the account advertises MAM")
                    .contains("var=\"urn:xmpp:mam:2\"").contains("var=\"urn:xmpp:mam:2#extended\"");
            fay.send("<iq type='set' id='prefs'><prefs xmlns='urn:xmpp:mam:2' default='always'/></iq><presence/>");
            assertThat(fay.await("prefs set", x -> x.contains("id=\"prefs\""))).contains("default=\"always\"");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < MESSAGES; i++) {
                sb.append("<message type='chat' to='fay@localhost' id='o").append(i).append("'><body>b").append(i)
                        .append("</body><origin-id xmlns='urn:xmpp:sid:0' id='o").append(i).append("'/></message>");
            }
            erin.send(sb.toString());
            String received = fay.await("the messages", x -> all("<body>(b\\d+)</body>", x).size() >= MESSAGES);
            live = all("<stanza-id xmlns=\"urn:xmpp:sid:0\" id=\"([^\"]+)\" by=\"fay@localhost\"", received);
            assertThat(live).as("every received message carries the archive's stanza-id").hasSize(MESSAGES);

            String with = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
                    + "<field var='with'><value>erin@localhost</value></field></x>";
            List<String> paged = new ArrayList<>();
            String after = null;
            for (int n = 0; n < 3; n++) {
                Page p = page(fay, "q" + n, "<query xmlns='urn:xmpp:mam:2' queryid='f" + n + "'>" + with + "<set xmlns='http://jabber.org/protocol/rsm'><max>25</max>"
                        + (after == null ? "" : "<after>" + after + "</after>") + "</set></query>");
                paged.addAll(p.ids());
                assertThat(p.fin()).contains("<fin xmlns=\"urn:xmpp:mam:2\"");
                if (n < 2) assertThat(p.fin()).as("page %s", n).doesNotContain("complete=\"true\"");
                else assertThat(p.fin()).as("the last page").contains("complete=\"true\"");
                after = p.ids().getLast();
            }
            assertThat(paged).as("pages of 25, 25 and 10 hold what was received, in order").containsExactlyElementsOf(live);

            Page unknown = page(fay, "bad", "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>424242424242</after></set></query>");
            assertThat(unknown.fin()).contains("type=\"error\"").contains("<item-not-found");
            Page field = page(fay, "bad2", "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='colour'><value>red</value></field></x></query>");
            assertThat(field.fin()).contains("type=\"error\"").contains("<bad-request").contains("colour");
        }

        s.stop();
        s.start();
        try (Raw fay = Raw.bound(s, "fay", "phone")) {
            Page last = page(fay, "last", "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>5</max><before/></set></query>");
            assertThat(last.ids()).as("after a restart, the newest page").containsExactlyElementsOf(live.subList(MESSAGES - 5, MESSAGES));
            assertThat(last.bodies()).containsExactly("b55", "b56", "b57", "b58", "b59");
        }
        assertThat(s.ssh("user:delete fay@localhost").exit()).isZero();
        assertThat(s.ssh("user:add fay@localhost fay-Pw-2").exit()).isZero();
        try (Raw again = StreamManagementIT.Raw.boundWith(s, "fay", "fay-Pw-2", "phone")) {
            Page none = page(again, "none", "<query xmlns='urn:xmpp:mam:2'/>");
            assertThat(none.ids()).as("the name inherits no archive").isEmpty();
            assertThat(none.fin()).contains("complete=\"true\"");
        }
    }
}
