package dev.strata.api.module;

import org.osgi.annotation.versioning.ProviderType;

/** The server's own disco#info as the disco module builds it now (for XEP-0115 capabilities). */
@ProviderType
public interface ServerDisco {
    /** The {@code <query xmlns='http://jabber.org/protocol/disco#info'/>} of the server's domain. */
    dev.strata.api.xml.Element info();
}
