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

    @Override
    public void logged(LogEntry entry) {
        String name = entry.getLoggerName() == null || entry.getLoggerName().isEmpty() || entry.getLoggerName().equals("LogService")
                ? entry.getBundle().getSymbolicName() : entry.getLoggerName();
        Logger log = LoggerFactory.getLogger(name);
        String message = entry.getBundle().getSymbolicName() + ": " + entry.getMessage();
        switch (entry.getLogLevel()) {
            case AUDIT, ERROR -> log.error(message, entry.getException());
            case WARN -> log.warn(message, entry.getException());
            default -> log.debug(message, entry.getException());
        }
    }
}
