package dev.strata.stream.internal;

import java.util.List;
import java.util.Map;

import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventHandler;

/** Posts the stream layer's Event Admin events (session started and ended, authentication failed) when anyone listens. */
@Component(service = Events.class)
public final class Events {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /**
     * Who listens for events at all: Event Admin hands every posted event to its delivery thread
     * even when nobody listens (a wake-up per session start and end, 10% of a login's CPU).
     */
    @Reference(service = EventHandler.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<ServiceReference<EventHandler>> listeners = List.of();

    void post(String topic, Map<String, String> properties) {
        EventAdmin ea = events;
        if (ea != null && !listeners.isEmpty()) ea.postEvent(new Event(topic, properties));
    }
}
