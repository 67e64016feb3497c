package dev.strata.xep0050;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.DiscoItemsProvider;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * XEP-0050 Ad-Hoc Commands 1.3 for the server's own commands ({@link AdHocCommand} services):
 * listed in disco#items under the commands node (only those the requester may run), executed
 * in two steps — the form, then its completion — or cancelled. Sessions are tied to the full JID
 * that started them and expire after 10 minutes. Errors carry the XEP's specific conditions
 * (bad-sessionid, bad-action, bad-payload).
 */
@IqRoute(namespace = Commands.NS, type = "set", target = IqRoute.To.SERVER)
@DiscoFeature(feature = Commands.NS)
@Component(service = {IqHandler.class, DiscoItemsProvider.class}, property = DiscoItemsProvider.NODE + "=" + Commands.NS)
public final class Commands implements IqHandler, DiscoItemsProvider {
    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);
    static final String NS = "http://jabber.org/protocol/commands";
    private static final Duration SESSION_LIFETIME = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Registered(AdHocCommand command, String node, String name, boolean admin) {
    }

    private record Pending(String node, Jid owner, Instant started) {
    }

    private final Map<String, Registered> commands = new ConcurrentHashMap<>();
    private final Map<String, Pending> sessions = new ConcurrentHashMap<>();
    private final ServerInfo server;

    @Activate
    public Commands(@Reference ServerInfo server) {
        this.server = server;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addCommand(AdHocCommand c, Map<String, Object> props) {
        String node = (String) props.get(AdHocCommand.NODE);
        if (node == null) {
            LOG.warn("AdHocCommand {} has no {} property; ignored", c.getClass().getName(), AdHocCommand.NODE);
            return;
        }
        Object admin = props.get(AdHocCommand.ADMIN);
        commands.put(node, new Registered(c, node, (String) props.getOrDefault(AdHocCommand.NAME, node),
                admin == null || Boolean.TRUE.equals(admin) || "true".equals(admin)));
    }

    void removeCommand(AdHocCommand c, Map<String, Object> props) {
        commands.values().removeIf(r -> r.command() == c);
    }

    private boolean allowed(Registered r, Origin from) {
        return !r.admin() || server.isAdmin(from.jid());
    }

    @Override
    public List<Element> items(Origin from) {
        List<Element> items = new ArrayList<>();
        String domain = from.jid().domain();
        commands.values().stream().filter(r -> allowed(r, from)).sorted(java.util.Comparator.comparing(Registered::node))
                .forEach(r -> items.add(Element.builder("item", "http://jabber.org/protocol/disco#items")
                        .attribute("jid", domain).attribute("node", r.node()).attribute("name", r.name()).build()));
        return items;
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Element cmd = iq.payload();
        if (!cmd.name().equals("command")) throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <command xmlns='" + NS + "'/>");
        String node = cmd.attribute("node");
        Registered r = node == null ? null : commands.get(node);
        if (r == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such command: " + node);
        if (!allowed(r, from)) throw new StanzaException(StanzaError.FORBIDDEN, "Only the server's administrators may run " + node);
        expire();
        String action = cmd.attribute("action") == null ? "execute" : cmd.attribute("action");
        String sessionId = cmd.attribute("sessionid");
        if (sessionId == null) {
            if (!action.equals("execute")) throw specific(StanzaError.BAD_REQUEST, "bad-action", "A command starts with 'execute'");
            String id = HexFormat.of().formatHex(random());
            sessions.put(id, new Pending(node, from.jid(), Instant.now()));
            return Element.builder("command", NS).attribute("node", node).attribute("sessionid", id).attribute("status", "executing")
                    .child(Element.builder("actions", NS).attribute("execute", "complete").child(Element.of("complete", NS)).build())
                    .child(r.command().form(from)).build();
        }
        Pending p = sessions.get(sessionId);
        if (p == null || !p.node().equals(node) || !p.owner().equals(from.jid())) {
            throw specific(StanzaError.BAD_REQUEST, "bad-sessionid", "No such command session (it may have expired)");
        }
        switch (action) {
            case "cancel" -> {
                sessions.remove(sessionId);
                return status(node, sessionId, "canceled").build();
            }
            case "complete", "execute" -> {
                Element form = cmd.child("x", DataForm.NS).orElse(null);
                if (form == null || !"submit".equals(form.attribute("type"))) {
                    throw specific(StanzaError.BAD_REQUEST, "bad-payload", "Submit the form (a jabber:x:data form of type 'submit')");
                }
                AdHocCommand.Completion done;
                try {
                    done = r.command().complete(form, from);
                } catch (StanzaException e) { // the submitted form may hold passwords: never echoed
                    throw new StanzaException(e.error(), e.getMessage(), false);
                }
                sessions.remove(sessionId);
                LOG.info("Command {} run by {}", node, from.jid());
                Element.Builder b = status(node, sessionId, "completed");
                if (done.note() != null) b.child(Element.builder("note", NS).attribute("type", "info").text(done.note()).build());
                if (done.form() != null) b.child(done.form());
                return b.build();
            }
            default -> throw specific(StanzaError.BAD_REQUEST, "bad-action", "This command has one step: 'complete' or 'cancel'");
        }
    }

    private static byte[] random() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return b;
    }

    private void expire() {
        Instant oldest = Instant.now().minus(SESSION_LIFETIME);
        sessions.values().removeIf(p -> p.started().isBefore(oldest));
    }

    private static Element.Builder status(String node, String sessionId, String status) {
        return Element.builder("command", NS).attribute("node", node).attribute("sessionid", sessionId).attribute("status", status);
    }

    /** A stanza error with the XEP-0050 §4.6 specific condition. */
    private static StanzaException specific(StanzaError error, String condition, String text) {
        return new StanzaException(error, text, Element.of(condition, NS));
    }
}
