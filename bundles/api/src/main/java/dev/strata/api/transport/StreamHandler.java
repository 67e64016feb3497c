package dev.strata.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/** Receives what arrives on one connection, in order, on the connection's I/O thread: it must not block. */
@ConsumerType
public interface StreamHandler {
    void opened(XmlEvent.StreamOpen open);

    void element(Element element);

    /** The client closed its stream ({@code </stream:stream>}). */
    void closed();

    /** The bytes were not acceptable XML; {@code error} names the stream error to send. */
    void failed(XmlException error);

    /** The connection is gone (socket closed, reset, or timed out). Called once, last. */
    void disconnected(String reason);

    /** The client stayed silent longer than the configured idle timeout. */
    void idle();
}
