package dev.strata.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;

/** A router that records what it is given: routed (client-sent) and delivered stanzas, and requests (never answered). */
public final class RecordingRouter implements Router {
    public final List<Element> routed = new CopyOnWriteArrayList<>();
    public final List<Element> delivered = new CopyOnWriteArrayList<>();
    public final List<Element> requested = new CopyOnWriteArrayList<>();

    @Override
    public void route(Element stanza, Origin from) {
        routed.add(stanza);
    }

    @Override
    public void deliver(Element stanza, StanzaContext context) {
        delivered.add(stanza);
    }

    @Override
    public CompletionStage<Element> request(Element iq, Duration timeout) {
        requested.add(iq);
        return new CompletableFuture<>();
    }

    @Override
    public boolean hook(String point, Element stanza, Origin origin) {
        return false;
    }
}
