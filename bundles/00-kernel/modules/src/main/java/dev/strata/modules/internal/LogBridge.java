package dev.strata.modules.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what the framework services log through the OSGi Log Service (SCR's component failures,
 * ConfigAdmin, FileInstall, Event Admin) to the server log, so that a component that cannot
 * activate (a port in use, a bad configuration) is visible where admins look. Warnings and
 * errors keep their level; the rest is debug.
 */
@Component(service = {}, immediate = true)
public final class LogBridge implements LogListener {
    private final LogReaderService reader;

    @Activate
    public LogBridge(@Reference LogReaderService reader) {
        this.reader = reader;
        reader.addLogListener(this);
    }

    @Deactivate
    void deactivate() {
        reader.removeLogListener(this);
    }

    /**
     * At startup SCR meets service cycles among whiteboard services (the router binds hooks, a hook
     * refers to the router) and breaks them by binding the dynamic reference a moment later; it
     * still logs each one as a warning and a framework error. Those are noise. A cycle through a
     * static reference (the component then fails to activate) is still reported.
     */
    static boolean benignCycle(LogEntry entry) {
        String m = entry.getMessage() == null ? "" : entry.getMessage();
        if (m.contains("Could not get service from ref")) return true;
        Throwable t = entry.getException();
        String cause = t == null || t.getMessage() == null ? "" : t.getMessage();
        return m.startsWith("FrameworkEvent ERROR") && (cause.contains("resulted in a cycle") || cause.contains("Service factory returned null"));
    }

    @Override
    public void logged(LogEntry entry) {
        String name = entry.getLoggerName() == null || entry.getLoggerName().isEmpty() || entry.getLoggerName().equals("LogService")
                ? entry.getBundle().getSymbolicName() : entry.getLoggerName();
        Logger log = LoggerFactory.getLogger(name);
        String message = entry.getBundle().getSymbolicName() + ": " + entry.getMessage();
        if (benignCycle(entry)) {
            log.debug(message, entry.getException());
            return;
        }
        switch (entry.getLogLevel()) {
            case AUDIT, ERROR -> log.error(message, entry.getException());
            case WARN -> log.warn(message, entry.getException());
            default -> log.debug(message, entry.getException());
        }
    }
}
