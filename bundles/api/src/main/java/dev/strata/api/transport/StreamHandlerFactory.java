package dev.strata.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Creates the handler of each new connection on a listener; registered with the service
 * property {@code strata.listener} naming the listener kind ({@code c2s}).
 */
@ConsumerType
public interface StreamHandlerFactory {
    String LISTENER = "strata.listener";

    StreamHandler create(Connection connection);
}
