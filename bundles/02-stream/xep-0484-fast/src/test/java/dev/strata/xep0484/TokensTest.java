package dev.strata.xep0484;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.osgi.service.event.Event;

import dev.strata.api.Jid;
import dev.strata.api.auth.FastTokens;
import dev.strata.testkit.Configs;
import dev.strata.testkit.MemoryStore;

class TokensTest {
    static final Jid ALICE = Jid.of("alice@example.org");
    static final String PHONE = "d4565fa7-4d72-4749-b3d3-740edbf87770";
    static final String NONE = "HT-SHA-256-NONE";

    final MutableClock clock = new MutableClock();
    final MemoryStore store = new MemoryStore();
    final Tokens tokens = new Tokens(Configs.of(Tokens.Config.class, Map.of()), store, clock);

    static byte[] initiator(FastTokens.Token t, byte[] cb) {
        return Tokens.hmac(t.secret(), "Initiator", cb);
    }

    FastTokens.Outcome login(FastTokens.Token t, boolean invalidate) {
        return tokens.verify(ALICE, PHONE, NONE, initiator(t, new byte[0]), Map.of(), invalidate);
    }

    FastTokens.Token issue() {
        return tokens.issue(ALICE, new FastTokens.Client(PHONE, "Conversations", "Pixel"), NONE);
    }

    @Test
    void channelBindingMechanismsAreOfferedOnlyWhereTheConnectionHasTheBinding() {
        assertThat(tokens.mechanisms(Set.of())).containsExactly(NONE);
        assertThat(tokens.mechanisms(Set.of("tls-exporter", "tls-server-end-point"))).containsExactly("HT-SHA-256-EXPR", "HT-SHA-256-ENDP", NONE);
    }

    @Test
    void aTokenLogsInAndTheServerProvesItKnowsTheTokenToo() {
        FastTokens.Token t = issue();
        assertThat(login(t, false)).isInstanceOfSatisfying(FastTokens.Accepted.class, a -> {
            assertThat(a.responderHash()).isEqualTo(Tokens.hmac(t.secret(), "Responder", new byte[0]));
            assertThat(a.next()).as("fresh token: no rotation").isNull();
        });
        assertThat(tokens.devices(ALICE)).singleElement().satisfies(d -> {
            assertThat(d.client().software()).isEqualTo("Conversations");
            assertThat(d.lastUsed()).isEqualTo(clock.instant());
        });
    }

    @Test
    void aWrongTokenAnotherMechanismOrAnotherClientIsRefused() {
        FastTokens.Token t = issue();
        assertThat(tokens.verify(ALICE, PHONE, NONE, new byte[32], Map.of(), false)).isInstanceOfSatisfying(FastTokens.Refused.class,
                r -> assertThat(r.condition()).isEqualTo("not-authorized"));
        byte[] cb = {1, 2, 3};
        assertThat(tokens.verify(ALICE, PHONE, "HT-SHA-256-EXPR", initiator(t, cb), Map.of("tls-exporter", cb), false))
                .as("tokens are bound to their mechanism (§4.3)").isInstanceOf(FastTokens.Refused.class);
        assertThat(tokens.verify(ALICE, "0e1f2b40-0000-4000-8000-000000000000", NONE, initiator(t, new byte[0]), Map.of(), false))
                .as("replayed from another device").isInstanceOfSatisfying(FastTokens.Refused.class, r -> assertThat(r.condition()).isEqualTo("credentials-expired"));
        assertThat(login(t, false)).isInstanceOf(FastTokens.Accepted.class);
    }

    @Test
    void anExpiredTokenIsCredentialsExpiredWithAText() {
        FastTokens.Token t = issue();
        clock.advance(Duration.ofDays(22));
        assertThat(login(t, false)).isInstanceOfSatisfying(FastTokens.Refused.class, r -> {
            assertThat(r.condition()).isEqualTo("credentials-expired");
            assertThat(r.text()).contains("expired");
        });
    }

    @Test
    void nearItsExpiryATokenIsRotatedAndTheOldOneWorksUntilTheNewOneIsUsed() {
        FastTokens.Token t = issue();
        clock.advance(Duration.ofDays(15));
        FastTokens.Token next = ((FastTokens.Accepted) login(t, false)).next();
        assertThat(next).isNotNull();
        assertThat(next.expiry()).isAfter(t.expiry());
        // the client lost the success with the new token: the old one still works, and no second new one is made
        assertThat(login(t, false)).isInstanceOfSatisfying(FastTokens.Accepted.class, a -> assertThat(a.next()).isNull());
        assertThat(login(next, false)).isInstanceOf(FastTokens.Accepted.class);
        assertThat(login(t, false)).as("a newer token was used: the older one is gone (§4.4)").isInstanceOf(FastTokens.Refused.class);
    }

    @Test
    void aNewTokenRequestRevokesTheUnusedOne() {
        FastTokens.Token first = issue();
        FastTokens.Token second = issue();
        assertThat(login(first, false)).isInstanceOf(FastTokens.Refused.class);
        assertThat(login(second, false)).isInstanceOf(FastTokens.Accepted.class);
    }

    @Test
    void invalidateRevokesCommandsRevokeAndAPasswordChangeRevokesAll() {
        FastTokens.Token t = issue();
        assertThat(login(t, true)).isInstanceOf(FastTokens.Accepted.class);
        assertThat(login(t, false)).isInstanceOf(FastTokens.Refused.class);

        t = issue();
        assertThat(tokens.revoke(ALICE, PHONE)).isTrue();
        assertThat(login(t, false)).isInstanceOf(FastTokens.Refused.class);
        assertThat(tokens.revoke(ALICE, PHONE)).isFalse();

        t = issue();
        tokens.handleEvent(new Event("strata/account/PASSWORD_CHANGED", Map.of("jid", ALICE.toString())));
        assertThat(login(t, false)).isInstanceOf(FastTokens.Refused.class);
        assertThat(tokens.devices(ALICE)).isEmpty();
    }

    @Test
    void aDeletedAccountsTokensAreForgottenWithItsDocuments() {
        FastTokens.Token t = issue();
        assertThat(login(t, false)).isInstanceOf(FastTokens.Accepted.class);
        store.delete(ALICE, Tokens.STORE, store.keys(ALICE, Tokens.STORE)); // as account deletion does with every store
        tokens.handleEvent(new Event("strata/account/DELETED", Map.of("jid", ALICE.toString())));
        assertThat(login(t, false)).as("no token survives in memory").isInstanceOf(FastTokens.Refused.class);
    }

    @Test
    void theDeviceCommandsListAndRevoke() {
        issue();
        DeviceCommands commands = new DeviceCommands(tokens);
        assertThat(commands.devices("alice@example.org")).contains(PHONE, "Conversations", "Pixel", NONE, "never");
        assertThat(commands.revoke("alice@example.org", PHONE.toUpperCase())).contains("Revoked");
        assertThat(commands.devices("alice@example.org")).contains("no clients");
    }

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-12-04T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
