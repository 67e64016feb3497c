package dev.strata.stream.internal;

import java.util.List;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.InlineFeature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.transport.Connection;
import dev.strata.api.xml.Element;

/**
 * The stream as an {@link InlineFeature} sees it inside a SASL2 {@code <authenticate/>} or a Bind 2
 * {@code <bind/>}: what it sends, and the answer it gives to resumption or counting, is collected
 * for the success element instead of being written; everything else is the stream's.
 */
final class InlineNegotiation implements Negotiation {
    private final Negotiation stream;
    private final InlineFeature.Where where;
    private final List<Element> answers;

    InlineNegotiation(Negotiation stream, InlineFeature.Where where, List<Element> answers) {
        this.stream = stream;
        this.where = where;
        this.answers = answers;
    }

    @Override
    public InlineFeature.Where inline() {
        return where;
    }

    @Override
    public void send(Element element) {
        answers.add(element);
    }

    @Override
    public Session resume(Session session, Element answer) throws StanzaException {
        Session s = stream.resume(session, null); // the stanzas it sends again wait for the success
        if (answer != null) answers.add(answer);
        return s;
    }

    @Override
    public void startCounting(StreamAcks acks, Element answer) throws StanzaException {
        stream.startCounting(acks, null); // counting starts before the success, which carries the answer
        if (answer != null) answers.add(answer);
    }

    @Override
    public Connection connection() {
        return stream.connection();
    }

    @Override
    public String id() {
        return stream.id();
    }

    @Override
    public String domain() {
        return stream.domain();
    }

    @Override
    public Jid user() {
        return stream.user();
    }

    @Override
    public void authenticated(Jid user, String mechanism) {
        throw new IllegalStateException("The stream is authenticated already");
    }

    @Override
    public Session bind(Jid full) throws StanzaException {
        return stream.bind(full);
    }

    @Override
    public Session session() {
        return stream.session();
    }

    @Override
    public Object attribute(String key) {
        return stream.attribute(key);
    }

    @Override
    public void attribute(String key, Object value) {
        stream.attribute(key, value);
    }

    @Override
    public void fail(StreamError error, String text) {
        stream.fail(error, text);
    }
}
