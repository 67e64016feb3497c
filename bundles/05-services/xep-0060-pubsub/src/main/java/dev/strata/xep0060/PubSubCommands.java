package dev.strata.xep0060;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.StanzaException;
import dev.strata.pubsub.PubSubEngine;

/** {@code pubsub:nodes [JID]} and {@code pubsub:purge JID NODE}: the nodes of a pubsub service or of an account's PEP. */
@ConsoleCommand(scope = "pubsub", function = {"nodes", "purge"})
@Component(service = PubSubCommands.class)
public final class PubSubCommands {
    private final PubSubEngine engine;
    private final ServerInfo server;

    @Activate
    public PubSubCommands(@Reference PubSubEngine engine, @Reference ServerInfo server) {
        this.engine = engine;
        this.server = server;
    }

    @Descriptor("List the nodes of pubsub.<first domain>")
    public String nodes() {
        return nodes("pubsub." + server.domains().getFirst());
    }

    @Descriptor("List the nodes of a service: a pubsub domain, or an account (its PEP nodes)")
    public String nodes(@Descriptor("pubsub.example.org, or alice@example.org") String jid) {
        Jid service = service(jid);
        var all = engine.nodes(service);
        if (all.isEmpty()) return "No nodes on " + service + ".";
        StringBuilder sb = new StringBuilder(String.format("%-50s  %-9s  %6s  %11s  %s%n", "NODE", "ACCESS", "ITEMS", "SUBSCRIBERS", "OWNERS"));
        for (var n : all) {
            sb.append(String.format("%-50s  %-9s  %6d  %11d  %s%n", n.name(), n.accessModel(), n.items(), n.subscribers(),
                    String.join(", ", n.owners().stream().map(Jid::toString).toList())));
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("Delete every item of a node; its subscribers are told")
    public String purge(@Descriptor("the service: pubsub.example.org, or alice@example.org") String jid, @Descriptor("the node") String node) throws StanzaException {
        Jid service = service(jid);
        int n = engine.purge(service, node);
        return "Purged " + n + (n == 1 ? " item" : " items") + " of " + node + " on " + service;
    }

    private Jid service(String jid) {
        Jid service = Jid.tryParse(jid).orElseThrow(() -> new IllegalArgumentException("'" + jid + "' is not a JID")).bare();
        if (!engine.serves(service)) throw new IllegalArgumentException("No pubsub service at " + service + " (is its module loaded, and the account local?)");
        return service;
    }
}
