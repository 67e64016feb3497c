package dev.strata.accounts.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.strata.api.auth.LoginThrottle.Verdict;
import dev.strata.testkit.Configs;

class LockoutsTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Lockouts throttle = new Lockouts(Configs.of(Lockouts.Config.class, Map.of("free.per.account.address", 3,
            "free.per.account", 6, "free.per.address", 10, "delay.first", 2, "delay.max", 60, "forget.after", 600)), now::get);

    private void fail(String address, String account, int times) {
        for (int i = 0; i < times; i++) throttle.failed(address, account);
    }

    @Test
    void freeFailuresThenLocksThatDoubleUpToTheMaximum() {
        fail("192.0.2.1", "alice@example.org", 3);
        assertThat(throttle.check("192.0.2.1", "alice@example.org")).isEqualTo(Verdict.ALLOWED);
        fail("192.0.2.1", "alice@example.org", 1);
        Verdict v = throttle.check("192.0.2.1", "alice@example.org");
        assertThat(v.allowed()).isFalse();
        assertThat(v.retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(v.reason()).isEqualTo("Too many failed logins for alice@example.org from 192.0.2.1; try again in 2 s");
        fail("192.0.2.1", "alice@example.org", 1);
        assertThat(throttle.check("192.0.2.1", "alice@example.org").retryAfter()).isEqualTo(Duration.ofSeconds(4));
        fail("192.0.2.1", "alice@example.org", 10);
        assertThat(throttle.check("192.0.2.1", "alice@example.org").retryAfter()).isEqualTo(Duration.ofSeconds(60));
        now.addAndGet(60_000);
        assertThat(throttle.check("192.0.2.1", "alice@example.org")).as("a lock passes").isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void anAccountsFailuresDoNotLockAnotherAccountOnTheSameAddress() {
        fail("192.0.2.1", "alice@example.org", 5);
        assertThat(throttle.check("192.0.2.1", "alice@example.org").allowed()).isFalse();
        assertThat(throttle.check("192.0.2.1", "bob@example.org")).isEqualTo(Verdict.ALLOWED);
        assertThat(throttle.check("198.51.100.7", "alice@example.org")).as("alice elsewhere: under the per-account count").isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void guessingFromManyAddressesLocksTheAccountAndOneAddressGuessingManyAccountsLocksTheAddress() {
        for (int i = 0; i < 7; i++) throttle.failed("192.0.2." + i, "alice@example.org");
        assertThat(throttle.check("203.0.113.9", "alice@example.org").reason()).startsWith("Too many failed logins for alice@example.org;");
        for (int i = 0; i < 11; i++) throttle.failed("198.51.100.7", "user" + i + "@example.org");
        assertThat(throttle.check("198.51.100.7", "bob@example.org").reason()).startsWith("Too many failed logins from 198.51.100.7;");
        assertThat(throttle.check("198.51.100.7", null).allowed()).isFalse();
    }

    @Test
    void aSuccessForgetsTheAccountOnItsAddressAndFailuresAreForgottenAfterAWhile() {
        fail("192.0.2.1", "alice@example.org", 3);
        throttle.succeeded("192.0.2.1", "alice@example.org");
        fail("192.0.2.1", "alice@example.org", 3);
        assertThat(throttle.check("192.0.2.1", "alice@example.org")).isEqualTo(Verdict.ALLOWED);
        now.addAndGet(601_000);
        fail("192.0.2.1", "alice@example.org", 3);
        assertThat(throttle.check("192.0.2.1", "alice@example.org")).isEqualTo(Verdict.ALLOWED);
        assertThat(throttle.lockouts()).extracting(l -> l.failures()).containsOnly(3);
    }

    @Test
    void clearLiftsEveryLockOfAnAddressOrAnAccount() {
        fail("192.0.2.1", "alice@example.org", 5);
        fail("192.0.2.1", "bob@example.org", 5);
        assertThat(throttle.lockouts()).hasSize(5).first().satisfies(l -> assertThat(l.lockedUntil()).isNotNull());
        assertThat(throttle.clear("Alice@Example.org")).isEqualTo(2);
        assertThat(throttle.check("192.0.2.1", "alice@example.org")).isEqualTo(Verdict.ALLOWED);
        assertThat(throttle.check("192.0.2.1", "bob@example.org").allowed()).isFalse();
        assertThat(throttle.clear("192.0.2.1")).isEqualTo(2);
        assertThat(throttle.check("192.0.2.1", "bob@example.org")).isEqualTo(Verdict.ALLOWED);
        assertThat(throttle.clear("bob@example.org")).isEqualTo(1);
        assertThat(throttle.lockouts()).isEmpty();
    }
}
