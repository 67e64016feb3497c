package dev.strata.testkit;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.xml.Element;

/** A client session that records what it is sent; its worker runs tasks at once. */
public class FakeSession implements Session {
    private final Jid jid;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();
    /** Every stanza sent to this session, in order. */
    public final List<Element> received = new CopyOnWriteArrayList<>();
    private volatile StreamError closedWith;

    public FakeSession(Jid jid) {
        this.jid = jid;
    }

    public FakeSession(String jid) {
        this(Jid.of(jid));
    }

    /** Marks the session available with this priority, as the presence module would. */
    public FakeSession available(int priority) {
        attribute(Presence.ATTRIBUTE, Element.builder("presence", "jabber:client")
                .child(Element.builder("priority", "jabber:client").text(Integer.toString(priority)).build()).build());
        return this;
    }

    /** The stream error the session was closed with, or null while open. */
    public StreamError closedWith() {
        return closedWith;
    }

    @Override public Jid jid() { return jid; }
    @Override public String id() { return jid.toString(); }
    @Override public InetSocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 1); }
    @Override public void send(Element stanza) { if (closedWith == null) received.add(stanza); }
    @Override public void close(StreamError error, String text) { closedWith = error; }
    @Override public boolean isOpen() { return closedWith == null; }
    @Override public boolean isConnected() { return closedWith == null; }
    @Override public Object attribute(String key) { return attributes.get(key); }
    @Override public void attribute(String key, Object value) { if (value == null) attributes.remove(key); else attributes.put(key, value); }
    @Override public void execute(Runnable task) { task.run(); }

    @Override
    public String toString() {
        return "fake " + jid;
    }
}
