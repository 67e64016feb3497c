package dev.strata.servlets.internal;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the whiteboard's Jetty (Apache Felix HTTP) when it has something to serve: the
 * distribution installs it above the framework's beginning start level, so a server without any
 * servlet never pays for loading it (about a second of boot). The first service with a whiteboard
 * property (a servlet, filter, resource, listener or servlet context) brings its start level down
 * to the active one and the framework starts it; it then stays started until the server stops.
 */
@Component(immediate = true)
public final class OnDemand implements ServiceListener {
    private static final Logger LOG = LoggerFactory.getLogger(OnDemand.class);
    static final String JETTY = "org.apache.felix.http.jetty12";
    /** Services the OSGi Jakarta Servlet Whiteboard (R8.1 §140.4) serves. */
    static final String WHITEBOARD = "(|(osgi.http.whiteboard.servlet.pattern=*)(osgi.http.whiteboard.servlet.name=*)(osgi.http.whiteboard.servlet.errorPage=*)"
            + "(osgi.http.whiteboard.filter.pattern=*)(osgi.http.whiteboard.filter.servlet=*)(osgi.http.whiteboard.filter.regex=*)"
            + "(osgi.http.whiteboard.resource.pattern=*)(osgi.http.whiteboard.listener=*)(osgi.http.whiteboard.context.name=*))";

    private final BundleContext context;

    @Activate
    public OnDemand(BundleContext context) throws InvalidSyntaxException {
        this.context = context;
        context.addServiceListener(this, WHITEBOARD);
        ServiceReference<?>[] present = context.getAllServiceReferences(null, WHITEBOARD);
        if (present != null && present.length > 0) start(present[0]);
    }

    @Deactivate
    void deactivate() {
        context.removeServiceListener(this);
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        if (event.getType() == ServiceEvent.REGISTERED) start(event.getServiceReference());
    }

    /** Brings Jetty's start level down to the active one, if it is above it. */
    private void start(ServiceReference<?> wanted) {
        Bundle system = context.getBundle(0);
        for (Bundle b : context.getBundles()) {
            if (!JETTY.equals(b.getSymbolicName()) || b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) continue;
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            int active = system.adapt(FrameworkStartLevel.class).getStartLevel();
            Bundle from = wanted.getBundle();
            LOG.info("Servlet whiteboard: starting Jetty for {} of {}", wanted.getProperty("objectClass") instanceof String[] names ? String.join(", ", names) : "a service",
                    from == null ? "a bundle gone meanwhile" : from.getSymbolicName());
            try {
                if (level.getStartLevel() > active) level.setStartLevel(active);
                if (!level.isPersistentlyStarted()) b.start();
            } catch (Exception e) {
                LOG.error("Starting the servlet whiteboard's Jetty failed", e);
            }
        }
    }
}
