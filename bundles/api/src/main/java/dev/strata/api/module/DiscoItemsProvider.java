package dev.strata.api.module;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Origin;
import dev.strata.api.xml.Element;

/**
 * Items a module lists in the server's XEP-0030 disco#items under one node (the {@value #NODE}
 * service property; absent for the top level), e.g. XEP-0050 commands under
 * {@code http://jabber.org/protocol/commands}.
 */
@ConsumerType
public interface DiscoItemsProvider {
    String NODE = "strata.disco.node";

    /** {@code <item/>} elements in the disco#items namespace, for this requester. */
    List<Element> items(Origin from);
}
