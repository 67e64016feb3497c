package dev.strata.xep0202;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/** XEP-0202 Entity Time 2.0: the server's UTC time (XEP-0082 format) and its offset from UTC. */
@IqRoute(namespace = EntityTime.NS, type = "get", target = IqRoute.To.SERVER)
@DiscoFeature(feature = EntityTime.NS)
@Component(service = IqHandler.class)
public final class EntityTime implements IqHandler {
    static final String NS = "urn:xmpp:time";
    private final Clock clock = Clock.systemDefaultZone();

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        ZonedDateTime now = ZonedDateTime.now(clock).truncatedTo(ChronoUnit.MILLIS);
        String tzo = now.getOffset().equals(ZoneOffset.UTC) ? "+00:00" : now.getOffset().getId();
        return Element.builder("time", NS)
                .child(Element.builder("tzo", NS).text(tzo).build())
                .child(Element.builder("utc", NS).text(DateTimeFormatter.ISO_INSTANT.format(now.toInstant())).build())
                .build();
    }
}
