package dev.strata.xep0138;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0138 Stream Compression 2.1 with zlib (XEP-0229), offered after authentication and only
 * where policy enables it: compressing secrets together with attacker-influenced data inside TLS
 * leaks them (CRIME/BREACH-style length attacks, XEP-0138 §5), so production keeps it off.
 */
@Feature(namespace = Compression.PROTOCOL)
@Component(name = "strata.xep0138", service = StreamFeature.class)
@Designate(ocd = Compression.Config.class)
public final class Compression implements StreamFeature {
    static final String FEATURE = "http://jabber.org/features/compress";
    static final String PROTOCOL = "http://jabber.org/protocol/compress";
    private static final Logger LOG = LoggerFactory.getLogger(Compression.class);

    @ObjectClassDefinition(id = "strata.xep0138", name = "XEP-0138 Stream Compression")
    @interface Config {
        @AttributeDefinition(description = "Offer zlib stream compression after authentication (off in production: see the security policy)")
        boolean enabled() default false;
    }

    private volatile boolean enabled;

    @Activate
    public Compression(Config config) {
        modified(config);
    }

    @Modified
    void modified(Config config) {
        enabled = config.enabled();
    }

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        if (!enabled || stage != Stage.AFTER_AUTH || negotiation.connection().isCompressed() || !negotiation.connection().byteStream()) return null;
        return Element.builder("compression", FEATURE).child(Element.builder("method", FEATURE).text("zlib").build()).build();
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        if (!element.is("compress", PROTOCOL)) {
            negotiation.fail(StreamError.UNSUPPORTED_STANZA_TYPE, "Expected <compress/> (XEP-0138)");
            return;
        }
        if (!enabled || negotiation.user() == null || negotiation.connection().isCompressed() || !negotiation.connection().byteStream()) {
            negotiation.send(failure("setup-failed"));
            return;
        }
        String method = element.child("method", PROTOCOL).map(Element::text).map(String::strip).orElse("");
        if (!method.equals("zlib")) {
            negotiation.send(failure("unsupported-method"));
            return;
        }
        negotiation.connection().startCompression(Element.of("compressed", PROTOCOL),
                () -> LOG.debug("zlib compression on for {}", negotiation.user()));
    }

    private static Element failure(String condition) {
        return Element.builder("failure", PROTOCOL).child(Element.of(condition, PROTOCOL)).build();
    }
}
