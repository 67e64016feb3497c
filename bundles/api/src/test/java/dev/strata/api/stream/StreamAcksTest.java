package dev.strata.api.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.strata.api.xml.Element;

class StreamAcksTest {
    private static Element message(int n) {
        return Element.builder("message", "jabber:client").attribute("id", "m" + n).build();
    }

    @Test
    void acknowledgedStanzasLeaveTheQueueInOrder() {
        StreamAcks acks = new StreamAcks("id", Duration.ofSeconds(300), 500, 1000);
        for (int i = 0; i < 5; i++) acks.sent(message(i));
        assertThat(acks.ack(2)).isEqualTo(2);
        assertThat(acks.unacked()).extracting(e -> e.attribute("id")).containsExactly("m2", "m3", "m4");
        assertThat(acks.ack(2)).as("an ack repeated acknowledges nothing more").isZero();
        assertThat(acks.ack(5)).isEqualTo(3);
        assertThat(acks.pending()).isZero();
    }

    @Test
    void anAckOfMoreThanWasSentIsRefusedAndChangesNothing() {
        StreamAcks acks = new StreamAcks("id", Duration.ofSeconds(300), 500, 1000);
        acks.sent(message(0));
        assertThatThrownBy(() -> acks.ack(2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only 1 were sent");
        assertThatThrownBy(() -> acks.ack(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> acks.ack(1L << 32)).isInstanceOf(IllegalArgumentException.class);
        assertThat(acks.pending()).isOne();
    }

    @Test
    void countsWrapAroundAt2To32() throws Exception {
        StreamAcks acks = new StreamAcks("id", Duration.ofSeconds(300), 500, 1000);
        // as if 2^32 - 2 stanzas had gone both ways and been acknowledged
        set(acks, "acked", 0xFFFF_FFFEL);
        set(acks, "handled", 0xFFFF_FFFEL);
        for (int i = 0; i < 4; i++) acks.sent(message(i));
        assertThat(acks.ack(0xFFFF_FFFFL)).isOne();
        assertThat(acks.ack(0)).as("h wrapped from 4294967295 to 0").isOne();
        assertThat(acks.ack(2)).isEqualTo(2);
        acks.handled();
        acks.handled();
        assertThat(acks.h()).isZero();
        acks.handled();
        assertThat(acks.h()).isOne();
    }

    @Test
    void theServerAsksOnceWhenEnoughArePendingAndAgainAfterAnAck() {
        StreamAcks acks = new StreamAcks("id", Duration.ofSeconds(300), 500, 3);
        assertThat(acks.sent(message(0))).isEqualTo(StreamAcks.Sent.COUNTED);
        assertThat(acks.sent(message(1))).isEqualTo(StreamAcks.Sent.COUNTED);
        assertThat(acks.sent(message(2))).isEqualTo(StreamAcks.Sent.REQUEST);
        assertThat(acks.sent(message(3))).isEqualTo(StreamAcks.Sent.COUNTED);
        acks.ack(1);
        assertThat(acks.sent(message(4))).isEqualTo(StreamAcks.Sent.REQUEST);
    }

    @Test
    void theQueueIsBounded() {
        StreamAcks acks = new StreamAcks(null, Duration.ofSeconds(300), 2, 100);
        acks.sent(message(0));
        acks.sent(message(1));
        assertThat(acks.sent(message(2))).isEqualTo(StreamAcks.Sent.FULL);
        assertThat(acks.pending()).isEqualTo(2);
        assertThat(acks.resumable()).isFalse();
        assertThat(acks.resumeTimeout()).isZero();
        assertThat(acks.drain()).extracting(u -> u.stanza().attribute("id")).containsExactly("m0", "m1");
        assertThat(acks.pending()).isZero();
    }

    @Test
    void aClientThatAcksHasTimeForABurstPastMaxUnacked() throws Exception {
        StreamAcks acks = new StreamAcks(null, Duration.ofSeconds(300), 2, 100, Duration.ofSeconds(60));
        assertThat(acks.hardMax()).isEqualTo(20);
        for (int i = 0; i < 5; i++) assertThat(acks.sent(message(i))).as("stanza %d of a burst", i).isNotEqualTo(StreamAcks.Sent.FULL);
        long now = System.currentTimeMillis();
        assertThat(acks.overdue(now)).as("the oldest is younger than the ack timeout").isFalse();
        assertThat(acks.overdue(now + 61_000)).as("a minute later, unacknowledged still").isTrue();
        acks.ack(4);
        assertThat(acks.overdue(now + 61_000)).as("acknowledged down to %d, max 2", acks.pending()).isFalse();
        for (int i = 5; i < 24; i++) acks.sent(message(i));
        assertThat(acks.pending()).isEqualTo(20);
        assertThat(acks.sent(message(24))).as("ten times max.unacked at any age").isEqualTo(StreamAcks.Sent.FULL);
    }

    @Test
    void anAckThatLeavesTheClientPastMaxUnackedIsFollowedByAnotherRequest() {
        StreamAcks acks = new StreamAcks(null, Duration.ofSeconds(300), 2, 100, Duration.ofSeconds(60));
        for (int i = 0; i < 5; i++) acks.sent(message(i));
        acks.ack(1);
        assertThat(acks.askAgain()).as("4 unacknowledged, max 2").isTrue();
        acks.ack(3);
        assertThat(acks.askAgain()).as("2 unacknowledged, max 2").isFalse();
    }

    @Test
    void pastMaxUnackedForLongerThanTheAckTimeoutTheSessionEnds() throws Exception {
        StreamAcks acks = new StreamAcks(null, Duration.ofSeconds(300), 2, 100, Duration.ofMillis(1));
        acks.sent(message(0));
        acks.sent(message(1));
        Thread.sleep(5);
        assertThat(acks.sent(message(2))).isEqualTo(StreamAcks.Sent.FULL);
        assertThat(acks.pending()).isEqualTo(2);
        assertThat(new StreamAcks(null, Duration.ZERO, 2, 100).hardMax()).as("without an ack timeout max.unacked is the limit").isEqualTo(2);
    }

    private static void set(StreamAcks acks, String field, long value) throws Exception {
        Field f = StreamAcks.class.getDeclaredField(field);
        f.setAccessible(true);
        f.setLong(acks, value);
    }
}
