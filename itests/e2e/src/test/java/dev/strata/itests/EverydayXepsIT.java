package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.iqlast.LastActivityManager;
import org.jivesoftware.smackx.xdata.packet.DataForm;
import org.jivesoftware.smackx.iqprivate.PrivateDataManager;
import org.jivesoftware.smackx.iqprivate.packet.DefaultPrivateData;
import org.jivesoftware.smackx.iqversion.VersionManager;
import org.jivesoftware.smackx.time.EntityTimeManager;
import org.jivesoftware.smackx.vcardtemp.VCardManager;
import org.jivesoftware.smackx.vcardtemp.packet.VCard;
import org.jxmpp.jid.impl.JidCreate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/** The everyday server XEPs with Smack: XEP-0092 version, XEP-0202 time, XEP-0049 private storage, XEP-0054 vCard. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EverydayXepsIT {
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("everyday-it");
        assertThat(StrataServer.register(home, home.resolve("data"), "romeo", "localhost", "Romeo-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, home.resolve("data"), "juliet", "localhost", "Juliet-pw-1").exit()).isZero();
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private XMPPTCPConnection login(String user, String password) throws Exception {
        return Clients.smack(server, user, password, "everyday");
    }

    @Test
    void versionTimeAndDiscoFeatures() throws Exception {
        XMPPTCPConnection c = login("romeo", "Romeo-pw-1");
        try {
            var domain = JidCreate.domainBareFrom("localhost");
            var version = VersionManager.getInstanceFor(c).getVersion(domain);
            assertThat(version.getName()).isEqualTo("Strata");
            assertThat(version.getVersion()).startsWith("0.1.0");
            assertThat(version.getOs()).as("hidden by default").isNull();
            var time = EntityTimeManager.getInstanceFor(c).getTime(domain);
            assertThat(Duration.between(time.getTime().toInstant(), Instant.now()).abs()).isLessThan(Duration.ofMinutes(1));
            var info = ServiceDiscoveryManager.getInstanceFor(c).discoverInfo(domain);
            for (String f : new String[] {"jabber:iq:version", "urn:xmpp:time", "jabber:iq:private", "vcard-temp", "jabber:iq:last"}) {
                assertThat(info.containsFeature(f)).as(f).isTrue();
            }
            // XEP-0157: the serverinfo form, admin addresses defaulting to the configured admins
            DataForm form = DataForm.from(info, "http://jabber.org/network/serverinfo");
            assertThat(form).isNotNull();
            assertThat(form.getField("admin-addresses").getValuesAsString()).containsExactly("xmpp:admin@localhost");
            // XEP-0012 §5: the server's uptime
            long uptime = LastActivityManager.getInstanceFor(c).getLastActivity(domain).getIdleTime();
            assertThat(uptime).isBetween(0L, 3600L);
        } finally {
            c.disconnect();
        }
    }

    @Test
    void privateStorageRoundTripsAndStaysPrivate() throws Exception {
        XMPPTCPConnection c = login("romeo", "Romeo-pw-1");
        try {
            PrivateDataManager pdm = PrivateDataManager.getInstanceFor(c);
            DefaultPrivateData prefs = new DefaultPrivateData("prefs", "urn:example:prefs");
            prefs.setValue("theme", "dark"); // Smack does not escape DefaultPrivateData values
            pdm.setPrivateData(prefs);
        } finally {
            c.disconnect();
        }
        XMPPTCPConnection again = login("romeo", "Romeo-pw-1");
        try {
            var read = (DefaultPrivateData) PrivateDataManager.getInstanceFor(again).getPrivateData("prefs", "urn:example:prefs");
            assertThat(read.getValue("theme")).isEqualTo("dark");
            var absent = (DefaultPrivateData) PrivateDataManager.getInstanceFor(again).getPrivateData("none", "urn:example:none");
            assertThat(absent.getNames()).isEmpty();
        } finally {
            again.disconnect();
        }
    }

    @Test
    void vcardsAreSetByTheirOwnerAndReadByAnyone() throws Exception {
        XMPPTCPConnection romeo = login("romeo", "Romeo-pw-1");
        XMPPTCPConnection juliet = login("juliet", "Juliet-pw-1");
        try {
            VCard card = new VCard();
            card.setNickName("Romeo");
            card.setEmailHome("romeo@example.com");
            VCardManager.getInstanceFor(romeo).saveVCard(card);
            assertThat(VCardManager.getInstanceFor(romeo).loadVCard().getNickName()).isEqualTo("Romeo");
            VCard seen = VCardManager.getInstanceFor(juliet).loadVCard(JidCreate.entityBareFrom("romeo@localhost"));
            assertThat(seen.getNickName()).isEqualTo("Romeo");
            assertThat(seen.getEmailHome()).isEqualTo("romeo@example.com");
            assertThatThrownBy(() -> VCardManager.getInstanceFor(juliet).loadVCard(JidCreate.entityBareFrom("nobody@localhost")))
                    .isInstanceOfSatisfying(XMPPException.XMPPErrorException.class,
                            e -> assertThat(e.getStanzaError().getCondition().toString()).isEqualTo("service-unavailable"));
        } finally {
            romeo.disconnect();
            juliet.disconnect();
        }
    }

    /** Reading or writing another user's private data or vCard is refused. */
    @Test
    void anotherUsersDataIsForbidden() throws Exception {
        try (var romeo = RawXmppClient.login(server.c2sPort, false, "romeo", "Romeo-pw-1", ScramHash.SHA_256, null)) {
            assertThat(Clients.exchange(romeo, "<iq type='set' id='own'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'>"
                    + "<theme>dark</theme></prefs></query></iq>")).contains("type=\"result\"");
        }
        try (var l = RawXmppClient.login(server.c2sPort, false, "juliet", "Juliet-pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).isTrue();
            String privateGet = Clients.exchange(l, "<iq type='get' to='romeo@localhost' id='p1'><query xmlns='jabber:iq:private'>"
                    + "<prefs xmlns='urn:example:prefs'/></query></iq>");
            assertThat(privateGet).contains("type=\"error\"", "<forbidden xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>").doesNotContain("dark");
            String vcardSet = Clients.exchange(l, "<iq type='set' to='romeo@localhost' id='v1'><vCard xmlns='vcard-temp'><NICKNAME>Mallory</NICKNAME></vCard></iq>");
            assertThat(vcardSet).contains("type=\"error\"", "<forbidden xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>");
            String reserved = Clients.exchange(l, "<iq type='set' id='r1'><query xmlns='jabber:iq:private'><vCard xmlns='vcard-temp'/></query></iq>");
            assertThat(reserved).contains("<not-acceptable xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>");
        }
    }

    /** XEP-0115 §6.3: the server's capabilities in its stream features, verifiable against its disco#info for node#ver. */
    @Test
    void serverCapabilitiesAreAdvertisedAndVerifiable() throws Exception {
        XMPPTCPConnection c = login("romeo", "Romeo-pw-1");
        try {
            org.jivesoftware.smackx.caps.packet.CapsExtension caps = c.getFeature(
                    new javax.xml.namespace.QName("http://jabber.org/protocol/caps", "c"));
            assertThat((Object) caps).as("<c/> in the stream features").isNotNull();
            assertThat(caps.getHash()).isEqualTo("sha-1");
            var domain = JidCreate.domainBareFrom("localhost");
            var info = ServiceDiscoveryManager.getInstanceFor(c).discoverInfo(domain, caps.getNode() + "#" + caps.getVer());
            assertThat(info.containsFeature("urn:xmpp:ping")).isTrue();
            assertThat(org.jivesoftware.smackx.caps.EntityCapsManager.verifyDiscoverInfoVersion(caps.getVer(), caps.getHash(), info))
                    .as("Smack computes the same ver").isTrue();
        } finally {
            c.disconnect();
        }
    }
}
