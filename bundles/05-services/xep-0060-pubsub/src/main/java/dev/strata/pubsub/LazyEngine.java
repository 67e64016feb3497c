package dev.strata.pubsub;

import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;

/**
 * The {@link PubSubEngine} for a component that the router, the disco module or a protocol module
 * binds (an IQ handler, a hook, a document listener): looked up when first used instead of
 * referenced. The engine references the router, so a reference to it from such a component
 * closes a cycle, and when the router binds the component while the router itself starts, Felix
 * SCR reports the circular reference and may skip the binding. Close it when the component stops.
 */
public final class LazyEngine implements Supplier<PubSubEngine>, AutoCloseable {
    private final BundleContext context;
    private final PubSubEngine fixed;
    private volatile ServiceTracker<PubSubEngine, PubSubEngine> tracker;

    public LazyEngine(BundleContext context) {
        this.context = context;
        this.fixed = null;
    }

    private LazyEngine(PubSubEngine fixed) {
        this.context = null;
        this.fixed = fixed;
    }

    /** Always {@code engine}, with no framework (unit tests). */
    public static LazyEngine of(PubSubEngine engine) {
        return new LazyEngine(engine);
    }

    /** The engine, or {@code service-unavailable} while its module is not loaded. */
    public PubSubEngine require() throws StanzaException {
        PubSubEngine e = get();
        if (e == null) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, "The publish-subscribe module is not loaded");
        return e;
    }

    /** The engine registered now, or null. */
    @Override
    public PubSubEngine get() {
        if (context == null) return fixed;
        ServiceTracker<PubSubEngine, PubSubEngine> t = tracker;
        if (t == null) {
            synchronized (this) {
                t = tracker;
                if (t == null) {
                    t = new ServiceTracker<>(context, PubSubEngine.class, null);
                    t.open();
                    tracker = t;
                }
            }
        }
        return t.getService();
    }

    @Override
    public synchronized void close() {
        if (tracker != null) tracker.close();
        tracker = null;
    }
}
