package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jxmpp.jid.parts.Localpart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StrataServer.Result;

/** XEP-0077 in-band registration with Smack's AccountManager: register, change password, cancel; and the policy switch. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistrationIT {
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("registration-it");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private XMPPTCPConnection connection() throws Exception {
        return Clients.smack(server);
    }

    @Test
    void registerChangePasswordAndCancelInBand() throws Exception {
        XMPPTCPConnection c = connection();
        AccountManager am = AccountManager.getInstance(c);
        assertThat(am.supportsAccountCreation()).isTrue();
        am.createAccount(Localpart.from("newbie"), "Newbie-pw-1");
        assertThatThrownBy(() -> am.createAccount(Localpart.from("newbie"), "other"))
                .isInstanceOfSatisfying(XMPPException.XMPPErrorException.class,
                        e -> assertThat(e.getStanzaError().getCondition().toString()).isEqualTo("conflict"));
        c.login("newbie", "Newbie-pw-1");
        am.changePassword("Newbie-pw-2");
        c.disconnect();
        assertThat(server.ssh("user:list").out()).contains("newbie@localhost");

        XMPPTCPConnection old = connection();
        assertThatThrownBy(() -> old.login("newbie", "Newbie-pw-1")).isInstanceOf(SASLErrorException.class);
        old.disconnect();

        XMPPTCPConnection again = connection();
        again.login("newbie", "Newbie-pw-2");
        AccountManager.getInstance(again).deleteAccount();
        StrataServer.await(Duration.ofSeconds(10), "the session to end", () -> !again.isConnected());
        assertThat(server.ssh("user:list").out()).doesNotContain("newbie");
        assertThat(server.log()).contains("Registered newbie@localhost in band from 127.0.0.1", "newbie@localhost cancelled its registration")
                .doesNotContain("Newbie-pw");
    }

    @Test
    void aConfiguredAdminNameCannotBeRegisteredInBand() throws Exception {
        // admins = admin@localhost by default, and a fresh server has no such account: whoever registered it would be admin
        assertThat(server.log()).contains("The configured admin admin@localhost has no account");
        XMPPTCPConnection c = connection();
        try {
            assertThatThrownBy(() -> AccountManager.getInstance(c).createAccount(Localpart.from("admin"), "Squatter-pw-1"))
                    .isInstanceOfSatisfying(XMPPException.XMPPErrorException.class, e -> {
                        assertThat(e.getStanzaError().getCondition().toString()).isEqualTo("conflict");
                        assertThat(e.getStanzaError().getDescriptiveText()).isEqualTo("The username is reserved");
                    });
        } finally {
            c.disconnect();
        }
        assertThat(server.ssh("user:list").out()).doesNotContain("admin@localhost");
    }

    @Test
    void registrationFollowsThePolicy() throws Exception {
        Result off = server.ssh("config:set strata.xep0077 allow.registration false");
        assertThat(off.exit()).as("%s", off).isZero();
        try {
            StrataServer.await(Duration.ofSeconds(10), "registration to be refused", () -> {
                try {
                    XMPPTCPConnection c = connection();
                    try {
                        AccountManager.getInstance(c).createAccount(Localpart.from("spammer"), "x");
                        return false;
                    } catch (XMPPException.XMPPErrorException e) {
                        return e.getStanzaError().getCondition().toString().equals("service-unavailable");
                    } finally {
                        c.disconnect();
                    }
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(server.ssh("user:list").out()).doesNotContain("spammer");
        } finally {
            assertThat(server.ssh("config:set strata.xep0077 allow.registration true").exit()).isZero();
        }
    }
}
