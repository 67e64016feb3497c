package dev.strata.xep0060;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;

/**
 * The services of one type registered now, got when first used rather than bound by Declarative
 * Services. The hosts and listeners the engine calls reference the engine themselves; bound by DS
 * the two would start each other (Felix SCR reports the circular reference and may skip the
 * binding). Got lazily, each is started only when the engine asks it something, long after both
 * started. Without a bundle context (unit tests), only what {@link #add} gave.
 */
final class Whiteboard<T> implements ServiceListener {
    private final Class<T> type;
    private final BundleContext context;
    private final Map<ServiceReference<T>, T> got = new ConcurrentHashMap<>();
    private final List<T> added = new CopyOnWriteArrayList<>();
    /** The references as last listed (highest ranking first), good while no service of the type changed since. */
    private volatile Listed<T> listed;
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    private record Listed<T>(long generation, List<ServiceReference<T>> refs) {
    }

    Whiteboard(Class<T> type, BundleContext context) {
        this.type = type;
        this.context = context;
        if (context != null) {
            try {
                context.addServiceListener(this, "(objectClass=" + type.getName() + ")");
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    void add(T service) {
        added.add(service);
    }

    /** Every one registered now, highest ranking first. */
    List<T> all() {
        List<T> out = new ArrayList<>(added);
        if (context == null) return out;
        long now = generation.get();
        Listed<T> known = listed;
        List<ServiceReference<T>> refs;
        if (known != null && known.generation() == now) {
            refs = known.refs();
        } else {
            try {
                List<ServiceReference<T>> all = new ArrayList<>(context.getServiceReferences(type, null));
                all.sort(java.util.Collections.reverseOrder());
                refs = List.copyOf(all);
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            } catch (IllegalStateException e) {
                return out; // the bundle is stopping
            }
            listed = new Listed<>(now, refs); // a change while listing bumped the generation: this listing is never used
        }
        for (ServiceReference<T> r : refs) {
            T s = got.computeIfAbsent(r, ref -> {
                try {
                    return context.getService(ref);
                } catch (IllegalStateException e) {
                    return null;
                }
            });
            if (s != null) out.add(s);
        }
        return out;
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        generation.incrementAndGet();
        if (event.getType() != ServiceEvent.UNREGISTERING) return;
        @SuppressWarnings("unchecked")
        ServiceReference<T> ref = (ServiceReference<T>) event.getServiceReference();
        if (got.remove(ref) != null) unget(ref);
    }

    void close() {
        if (context == null) return;
        try {
            context.removeServiceListener(this);
        } catch (IllegalStateException e) {
            // stopping
        }
        for (ServiceReference<T> r : List.copyOf(got.keySet())) {
            got.remove(r);
            unget(r);
        }
    }

    private void unget(ServiceReference<T> ref) {
        try {
            context.ungetService(ref);
        } catch (IllegalStateException e) {
            // stopping
        }
    }
}
