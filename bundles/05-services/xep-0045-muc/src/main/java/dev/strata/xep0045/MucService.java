package dev.strata.xep0045;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.xml.Element;

/**
 * XEP-0045 Multi-User Chat on {@code conference.<domain>} for every domain the server hosts (the
 * prefix is {@code strata.xep0045 host}): a {@link DomainService}, so the router hands it every
 * stanza to the service or to a room or occupant under it, and the server's disco#items lists it.
 * Rooms are created by entering them (§10.1), persistent ones are stored in the SQL database and
 * come back after a restart, and the live rooms (occupants, history) are handed from one revision of
 * the module to the next when it is reloaded, so occupants keep chatting across
 * {@code module:reload xep-0045-muc}.
 */
@Component(name = "strata.xep0045", service = MucService.class, immediate = true)
@Designate(ocd = MucService.Config.class)
public final class MucService implements Room.Host {
    private static final Logger LOG = LoggerFactory.getLogger(MucService.class);

    @ObjectClassDefinition(id = "strata.xep0045", name = "XEP-0045 Multi-User Chat")
    @interface Config {
        @AttributeDefinition(description = "The rooms' domain is this label, a dot and each domain the server hosts (conference.example.org)")
        String host() default "conference";

        @AttributeDefinition(description = "The service's name in service discovery")
        String name() default "Chatrooms";

        @AttributeDefinition(description = "Who may create rooms", options = {
            @Option(value = "anyone", label = "anyone, local or remote"),
            @Option(value = "local", label = "accounts of this server"),
            @Option(value = "admins", label = "the server's administrators")})
        String create() default "local";

        @AttributeDefinition(min = "1", max = "100000", description = "Most occupants of one room (an owner may set fewer)")
        int max_occupants() default 200;

        @AttributeDefinition(min = "0", max = "1000", description = "Messages of history a new room keeps and sends to those who enter")
        int history_length() default 20;

        @AttributeDefinition(min = "0", max = "1000", description = "Most messages of history an owner may configure")
        int max_history() default 100;

        @AttributeDefinition(min = "1", max = "100000", description = "Rooms one user may own")
        int max_rooms_per_user() default 100;

        @AttributeDefinition(min = "0.1", max = "10000", description = "Messages (to a room, or private) one occupant may send a second; past it, resource-constraint")
        double occupant_rate() default 5;

        @AttributeDefinition(min = "1", max = "100000", description = "Messages one occupant may send in a burst above occupant.rate")
        int occupant_burst() default 25;

        @AttributeDefinition(min = "1", max = "10000", description = "Messages in a page of a room's archive when a query does not ask for a number")
        int archive_page_size() default 50;

        @AttributeDefinition(min = "1", max = "10000", description = "Most messages in one page of a room's archive")
        int archive_max_page_size() default 250;
    }

    private final Router router;
    private final ServerInfo server;
    private final RoomStore store;
    private final BundleContext context;
    private volatile Config config;
    private final Map<Jid, Room> rooms = new ConcurrentHashMap<>();
    /** Rooms that are in the database now. */
    private final Set<Jid> stored = ConcurrentHashMap.newKeySet();
    private volatile List<String> domains = List.of();
    private DomainService.Registration registration;
    /** Stanzas from one room to another room of this service leave on this thread, never while the sender holds its room. */
    private final ExecutorService between = Executors.newSingleThreadExecutor(r -> new Thread(r, "strata-muc-between-rooms"));

    /** The message archive module's store: rooms that log keep their messages in it while it is loaded. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ArchiveStore archive;

    /** Sessions, to tell which occupants handed over by the previous revision are still connected. */
    private final SessionRegistry sessions;

    @Activate
    public MucService(BundleContext context, Config config, @Reference Router router, @Reference ServerInfo server, @Reference SqlDatabase db,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL) SessionRegistry sessions) {
        this.context = context;
        this.sessions = sessions;
        this.config = config;
        this.router = router;
        this.server = server;
        this.store = new RoomStore(db);
        this.domains = domains(config);
        load();
        register();
    }

    @Modified
    void modified(Config c) {
        config = c;
        List<String> next = domains(c);
        if (!next.equals(domains)) {
            unregister();
            domains = next;
            load();
            register();
        }
    }

    @Deactivate
    void deactivate() {
        unregister();
        List<Element> live = new ArrayList<>();
        for (Room r : rooms.values()) if (!r.isEmpty() || !r.config.persistent) live.add(r.toElement(true));
        try {
            store.handOver(domains, live);
            LOG.info("Handed {} live rooms to the next revision of the chat service", live.size());
        } catch (RuntimeException e) {
            LOG.error("Could not keep the live rooms for the next revision: their occupants must enter again", e);
        }
        between.shutdown();
        try {
            between.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<String> domains(Config c) {
        return server.domains().stream().map(d -> c.host() + "." + d).toList();
    }

    /** Persistent rooms from the database, then what the previous revision handed over (newer, with occupants). */
    private void load() {
        SessionRegistry reg = sessions;
        for (String d : domains) {
            for (Element e : store.rooms(d)) restore(e, j -> false).ifPresent(r -> {
                rooms.put(r.jid, r);
                stored.add(r.jid);
            });
            int kept = 0;
            for (Element e : store.takeOver(d)) {
                var r = restore(e, j -> reg != null && reg.find(j).isPresent());
                if (r.isEmpty()) continue;
                if (r.get().isEmpty() && !r.get().config.persistent) continue; // everyone left while nobody listened
                rooms.put(r.get().jid, r.get());
                kept++;
            }
            if (kept > 0) LOG.info("Took over {} live rooms of {}", kept, d);
        }
    }

    private java.util.Optional<Room> restore(Element e, java.util.function.Predicate<Jid> stillThere) {
        try {
            return java.util.Optional.of(Room.fromElement(e, this, config.max_occupants(), config.history_length(), stillThere));
        } catch (StanzaException | RuntimeException ex) {
            LOG.error("The stored room {} cannot be read and is left out: {}", e.attribute("jid"), ex.getMessage());
            return java.util.Optional.empty();
        }
    }

    private void register() {
        registration = DomainService.register(context, domains, config.name(), this::handle);
        LOG.info("Multi-user chat on {}", domains);
    }

    private void unregister() {
        if (registration == null) return;
        registration.close();
        registration = null;
    }

    // --- stanzas ------------------------------------------------------------------------------------

    void handle(Element stanza, Origin from) {
        Jid to = Jid.of(stanza.attribute("to"));
        Jid sender = from.jid();
        try {
            if (to.local() == null) {
                service(stanza, sender, to);
                return;
            }
            Jid roomJid = to.bare();
            Room room = rooms.get(roomJid);
            if (room == null) {
                if (stanza.name().equals("presence") && stanza.attribute("type") == null && to.resource() != null) {
                    create(stanza, sender, to);
                    return;
                }
                String type = stanza.attribute("type");
                if ("error".equals(type) || "result".equals(type) || "unavailable".equals(type)) return;
                throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no room " + roomJid);
            }
            room.handle(stanza, sender, to);
        } catch (StanzaException e) {
            refuse(stanza, from, e);
        }
    }

    private static void refuse(Element stanza, Origin from, StanzaException e) {
        if ("error".equals(stanza.attribute("type")) || "result".equals(stanza.attribute("type"))) return;
        boolean echo = stanza.name().equals("iq") && e.echoPayload();
        from.send(e.error().replyTo(stanza, e.getMessage(), echo, e.specific()));
    }

    /** §10.1: entering a room that does not exist creates it, locked until configured (instantly for a GC 1.0 client without {@code <x/>}). */
    private void create(Element presence, Jid sender, Jid to) throws StanzaException {
        Config c = config;
        boolean allowed = switch (c.create()) {
            case "anyone" -> true;
            case "admins" -> server.isAdmin(sender);
            default -> server.hosts(sender.domain());
        };
        if (!allowed) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "Only " + (c.create().equals("admins") ? "the server's administrators" : "accounts of this server")
                    + " may create rooms on " + to.domain());
        }
        long owned = rooms.values().stream().filter(r -> r.ownedBy(sender)).count();
        if (owned >= c.max_rooms_per_user() && !server.isAdmin(sender)) {
            throw new StanzaException(StanzaError.POLICY_VIOLATION, sender.bare() + " owns " + owned + " rooms already, the most this service allows");
        }
        Room room = Room.create(to.bare(), this, sender, new RoomConfig(Math.min(200, c.max_occupants()), c.history_length()));
        Room earlier = rooms.putIfAbsent(room.jid, room);
        if (earlier != null) { // someone created it a moment ago: this is entering it
            earlier.handle(presence, sender, to);
            return;
        }
        synchronized (room) {
            room.enter(presence, sender, to.resource(), true);
            if (presence.child("x", Room.MUC).isEmpty()) room.unlock();
        }
        LOG.debug("{} created {}", sender, room.jid);
    }

    /** Stanzas to the service's own domain: disco (§6.1–6.3) and ping. */
    private void service(Element stanza, Jid sender, Jid to) throws StanzaException {
        if (!stanza.name().equals("iq")) {
            if (stanza.name().equals("message") && !"error".equals(stanza.attribute("type"))) {
                throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, to + " is a chat service; send messages to its rooms");
            }
            return;
        }
        String type = stanza.attribute("type");
        if ("result".equals(type) || "error".equals(type)) return;
        Iq iq = Iq.of(stanza, sender, to);
        Element reply;
        if (iq.type() == Iq.Type.GET && iq.namespace().equals(Room.DISCO_INFO) && iq.payload().attribute("node") == null) {
            Element.Builder q = Element.builder("query", Room.DISCO_INFO)
                    .child(Element.builder("identity", Room.DISCO_INFO).attribute("category", "conference").attribute("type", "text").attribute("name", config.name()).build());
            for (String f : List.of(Room.MUC, Room.DISCO_INFO, Room.DISCO_ITEMS, Room.OCCUPANT_ID, Room.PING)) {
                q.child(Element.builder("feature", Room.DISCO_INFO).attribute("var", f).build());
            }
            reply = iq.result(q.build());
        } else if (iq.type() == Iq.Type.GET && iq.namespace().equals(Room.DISCO_ITEMS) && iq.payload().attribute("node") == null) {
            Element.Builder q = Element.builder("query", Room.DISCO_ITEMS);
            rooms.values().stream().filter(r -> r.jid.domain().equals(to.domain()) && r.listed()).sorted((a, b) -> a.jid.compareTo(b.jid))
                    .forEach(r -> q.child(Element.builder("item", Room.DISCO_ITEMS).attribute("jid", r.jid.toString()).attribute("name", r.name()).build()));
            reply = iq.result(q.build());
        } else if (iq.namespace().equals(Room.PING)) {
            reply = iq.result(null);
        } else {
            throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, to + " does not answer " + iq.namespace() + " " + iq.type().value());
        }
        send(reply, Origin.of(to, x -> { }));
    }

    // --- Room.Host ----------------------------------------------------------------------------------

    @Override
    public void send(Element stanza, Origin from) {
        String to = stanza.attribute("to");
        int at = to == null ? -1 : to.indexOf('@');
        String domain = to == null ? "" : to.substring(at + 1).split("/", 2)[0];
        if (domains.contains(domain)) { // to another room here: never while holding this one
            try {
                between.execute(() -> router.deliver(stanza, from));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
            return;
        }
        router.deliver(stanza, from);
    }

    @Override
    public void changed(Room room) {
        if (room.config.persistent && !room.isLocked()) {
            store.save(room.jid, room.toElement(false));
            stored.add(room.jid);
        } else if (stored.remove(room.jid)) {
            store.delete(room.jid);
        }
    }

    @Override
    public void gone(Room room) {
        rooms.remove(room.jid, room);
        if (stored.remove(room.jid)) store.delete(room.jid);
        ArchiveStore a = archive;
        if (a != null && room.config.logging) {
            int n = a.delete(room.jid);
            if (n > 0) LOG.info("Deleted the {} archived messages of the room {}", n, room.jid);
        }
    }

    @Override
    public ArchiveStore archive() {
        return archive;
    }

    @Override
    public double messageRate() {
        return config.occupant_rate();
    }

    @Override
    public int messageBurst() {
        return config.occupant_burst();
    }

    @Override
    public int pageSize() {
        return config.archive_page_size();
    }

    @Override
    public int maxPageSize() {
        return config.archive_max_page_size();
    }

    @Override
    public int maxUsers() {
        return config.max_occupants();
    }

    @Override
    public int maxHistory() {
        return config.max_history();
    }

    @Override
    public boolean isServerAdmin(Jid user) {
        return server.isAdmin(user);
    }

    // --- for the console ----------------------------------------------------------------------------

    Collection<Room> rooms() {
        return List.copyOf(rooms.values());
    }

    Room room(Jid jid) {
        return rooms.get(jid.bare());
    }

    List<String> domains() {
        return domains;
    }
}
