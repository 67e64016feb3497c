package dev.strata.stream.internal;

import java.util.Base64;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 6120 §6 SASL as a stream feature: {@code <auth/>}, challenges and responses, and a stream
 * restart after {@code <success/>}. The mechanisms, throttling and failures are {@link Logins}'.
 */
@Feature(namespace = Logins.SASL_NS)
@Component(service = StreamFeature.class)
public final class SaslFeature implements StreamFeature {
    static final String SASL_NS = Logins.SASL_NS;

    private final Logins logins;

    @Activate
    public SaslFeature(@Reference Logins logins) {
        this.logins = logins;
    }

    @Override
    public Element offer(Stage stage, Negotiation n) {
        if (stage != Stage.BEFORE_AUTH) return null;
        Element.Builder m = Element.builder("mechanisms", SASL_NS);
        for (String name : logins.mechanisms(n)) m.child(Element.builder("mechanism", SASL_NS).text(name).build());
        return m.build();
    }

    @Override
    public void negotiate(Element e, Negotiation n) {
        logins.negotiate(e, n, SASL_NS, "auth", this::auth);
    }

    private void auth(Element e, Negotiation n) {
        if (!logins.mayStart(SASL_NS, n)) return;
        String name = e.attribute("mechanism");
        List<String> offered = logins.mechanisms(n);
        if (name == null || !offered.contains(name)) {
            Logins.failure(n, SASL_NS, "invalid-mechanism", "Offered: " + String.join(" ", offered));
            return;
        }
        String text = e.text().strip();
        byte[] initial = null;
        if (!text.isEmpty()) {
            initial = Logins.decode(text);
            if (initial == null) {
                Logins.failure(n, SASL_NS, "incorrect-encoding", null);
                return;
            }
        }
        logins.start(name, initial, SASL_NS, n, SaslFeature::succeeded);
    }

    private static void succeeded(Negotiation n, Logins.Exchange x, byte[] data, Jid account) {
        n.authenticated(account, x.mechanism()); // before <success/> leaves: the client's next bytes are a new stream header
        Element.Builder success = Element.builder("success", SASL_NS);
        if (data.length > 0) success.text(Base64.getEncoder().encodeToString(data));
        n.send(success.build());
    }
}
