package dev.strata.xep0060;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * The configuration of one leaf node (XEP-0060 §16.4.4, {@code pubsub#node_config}), immutable:
 * the form an owner gets, a submitted form applied field by field (an unknown field or a bad value
 * refuses the whole form), and the preconditions of {@code pubsub#publish-options} (§7.1.5).
 */
record NodeConfig(String title, String description, String payloadType, int maxItems, boolean persistItems, boolean deliverPayloads,
        boolean deliverNotifications, boolean notifyConfig, boolean notifyDelete, boolean notifyRetract, boolean notifySub,
        boolean purgeOffline, boolean presenceBasedDelivery, String sendLast, String accessModel, List<String> rosterGroups,
        String publishModel, String itemReply, String notificationType, int maxPayloadSize, boolean subscribe) {

    static final String FORM_TYPE = "http://jabber.org/protocol/pubsub#node_config";
    static final String PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
    static final String META_DATA = "http://jabber.org/protocol/pubsub#meta-data";
    /** {@code pubsub#max_items} of {@code max}: as many as the service allows. */
    static final int MAX = -1;
    static final Set<String> ACCESS_MODELS = Set.of("open", "presence", "roster", "whitelist", "authorize");
    static final Set<String> PUBLISH_MODELS = Set.of("publishers", "subscribers", "open");
    static final Set<String> SEND_LAST = Set.of("never", "on_sub", "on_sub_and_presence");

    NodeConfig {
        rosterGroups = List.copyOf(rosterGroups);
    }

    /** The defaults of a service: its own choices from {@code defaults}, over XEP-0060's. */
    static NodeConfig defaults(Map<String, String> overrides, int serverMaxPayload) throws StanzaException {
        NodeConfig base = new NodeConfig(null, null, null, 10, true, true, true, false, true, true, false, false, false,
                "on_sub", "open", List.of(), "publishers", "owner", "headline", serverMaxPayload, true);
        Map<String, List<String>> values = new LinkedHashMap<>();
        overrides.forEach((k, v) -> values.put(k, List.of(v)));
        return base.with(values, Integer.MAX_VALUE, serverMaxPayload);
    }

    int effectiveMaxItems(int serviceMax) {
        return maxItems == MAX ? serviceMax : Math.min(maxItems, serviceMax);
    }

    /** The fields of a submitted form (FORM_TYPE left out), by var. */
    static Map<String, List<String>> fields(Element form) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        form.elements().filter(f -> f.is("field", DataForm.NS)).forEach(f -> {
            String var = f.attribute("var");
            if (var == null || var.equals("FORM_TYPE")) return;
            out.put(var, f.elements().filter(v -> v.is("value", DataForm.NS)).map(Element::text).toList());
        });
        return out;
    }

    /** This configuration with a submitted form applied; {@code bad-request} naming the first unknown field or bad value. */
    NodeConfig apply(Element form, int serviceMaxItems, int serverMaxPayload) throws StanzaException {
        String type = DataForm.value(form, "FORM_TYPE").orElse(FORM_TYPE);
        if (!type.equals(FORM_TYPE) && !type.equals(PUBLISH_OPTIONS)) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "A node configuration is a " + FORM_TYPE + " form, not " + type);
        }
        return with(fields(form), serviceMaxItems, serverMaxPayload);
    }

    NodeConfig with(Map<String, List<String>> fields, int serviceMaxItems, int serverMaxPayload) throws StanzaException {
        String title = this.title, description = this.description, payloadType = this.payloadType, sendLast = this.sendLast, access = this.accessModel;
        String publish = this.publishModel, reply = this.itemReply, notification = this.notificationType;
        int max = this.maxItems, payload = this.maxPayloadSize;
        boolean persist = this.persistItems, payloads = this.deliverPayloads, notifications = this.deliverNotifications, nConfig = this.notifyConfig;
        boolean nDelete = this.notifyDelete, nRetract = this.notifyRetract, nSub = this.notifySub, purge = this.purgeOffline;
        boolean presence = this.presenceBasedDelivery, subscribe = this.subscribe;
        List<String> groups = this.rosterGroups;
        for (Map.Entry<String, List<String>> f : fields.entrySet()) {
            String var = f.getKey();
            List<String> vs = f.getValue();
            String v = vs.isEmpty() ? "" : vs.getFirst().strip();
            switch (var) {
                case "pubsub#title" -> title = v.isEmpty() ? null : v;
                case "pubsub#description" -> description = v.isEmpty() ? null : v;
                case "pubsub#type" -> payloadType = v.isEmpty() ? null : v;
                case "pubsub#max_items" -> max = maxItems(v, serviceMaxItems);
                case "pubsub#persist_items" -> persist = bool(var, v);
                case "pubsub#deliver_payloads" -> payloads = bool(var, v);
                case "pubsub#deliver_notifications" -> notifications = bool(var, v);
                case "pubsub#notify_config" -> nConfig = bool(var, v);
                case "pubsub#notify_delete" -> nDelete = bool(var, v);
                case "pubsub#notify_retract" -> nRetract = bool(var, v);
                case "pubsub#notify_sub" -> nSub = bool(var, v);
                case "pubsub#purge_offline" -> purge = bool(var, v);
                case "pubsub#presence_based_delivery" -> presence = bool(var, v);
                case "pubsub#subscribe" -> subscribe = bool(var, v);
                case "pubsub#send_last_published_item" -> sendLast = option(var, v, SEND_LAST);
                case "pubsub#access_model" -> access = option(var, v, ACCESS_MODELS);
                case "pubsub#publish_model" -> publish = option(var, v, PUBLISH_MODELS);
                case "pubsub#itemreply" -> reply = option(var, v, Set.of("owner", "publisher"));
                case "pubsub#notification_type" -> notification = option(var, v, Set.of("normal", "headline"));
                case "pubsub#roster_groups_allowed" -> groups = vs.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
                case "pubsub#max_payload_size" -> {
                    payload = integer(var, v);
                    if (payload < 1 || payload > serverMaxPayload) {
                        throw bad("pubsub#max_payload_size must be between 1 and " + serverMaxPayload + " bytes on this service");
                    }
                }
                case "pubsub#node_type" -> {
                    if (!v.isEmpty() && !v.equals("leaf")) {
                        throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "Collection nodes are not supported here, only leaf nodes",
                                Engine.unsupported("collections"));
                    }
                }
                default -> throw bad("Unknown node configuration field " + var);
            }
        }
        return new NodeConfig(title, description, payloadType, max, persist, payloads, notifications, nConfig, nDelete, nRetract, nSub,
                purge, presence, sendLast, access, groups, publish, reply, notification, payload, subscribe);
    }

    /**
     * §7.1.5: the first publish option this configuration does not meet, or null when it meets them
     * all. An option the service does not know cannot be met.
     */
    String unmet(Map<String, List<String>> options, int serviceMaxItems, int serverMaxPayload) {
        for (Map.Entry<String, List<String>> o : options.entrySet()) {
            NodeConfig wanted;
            try {
                wanted = with(Map.of(o.getKey(), o.getValue()), serviceMaxItems, serverMaxPayload);
            } catch (StanzaException e) {
                return o.getKey() + " (" + e.getMessage() + ")";
            }
            if (!wanted.equals(this)) return o.getKey();
        }
        return null;
    }

    /** The configuration form (§8.2.1), as a {@code form} for owners or a {@code result}. */
    Element form(String type, int serviceMaxItems) {
        Element.Builder x = DataForm.form(type, FORM_TYPE, null);
        x.child(text("pubsub#title", "A friendly name for the node", title));
        x.child(text("pubsub#description", "A description of the node", description));
        x.child(text("pubsub#type", "The type of node data, usually its payload's namespace", payloadType));
        x.child(field("pubsub#max_items", "text-single", "Max # of items to persist (or 'max', " + serviceMaxItems + ")",
                maxItems == MAX ? "max" : Integer.toString(maxItems)));
        x.child(bool("pubsub#persist_items", "Persist items to storage", persistItems));
        x.child(bool("pubsub#deliver_payloads", "Deliver payloads with event notifications", deliverPayloads));
        x.child(bool("pubsub#deliver_notifications", "Deliver event notifications", deliverNotifications));
        x.child(bool("pubsub#notify_config", "Notify subscribers when the node configuration changes", notifyConfig));
        x.child(bool("pubsub#notify_delete", "Notify subscribers when the node is deleted", notifyDelete));
        x.child(bool("pubsub#notify_retract", "Notify subscribers when items are removed from the node", notifyRetract));
        x.child(bool("pubsub#notify_sub", "Notify owners about new subscribers and unsubscribes", notifySub));
        x.child(bool("pubsub#purge_offline", "Purge all items when the relevant publisher goes offline", purgeOffline));
        x.child(bool("pubsub#presence_based_delivery", "Deliver notifications only to available users", presenceBasedDelivery));
        x.child(bool("pubsub#subscribe", "Whether to allow subscriptions", subscribe));
        x.child(list("pubsub#send_last_published_item", "When to send the last published item", sendLast, List.of("never", "on_sub", "on_sub_and_presence")));
        x.child(list("pubsub#access_model", "Who may subscribe and retrieve items", accessModel, List.of("authorize", "open", "presence", "roster", "whitelist")));
        x.child(listMulti("pubsub#roster_groups_allowed", "Roster groups allowed to subscribe", rosterGroups));
        x.child(list("pubsub#publish_model", "Who may publish items", publishModel, List.of("publishers", "subscribers", "open")));
        x.child(list("pubsub#itemreply", "Whom replies to an item go to", itemReply, List.of("owner", "publisher")));
        x.child(list("pubsub#notification_type", "The message type of event notifications", notificationType, List.of("normal", "headline")));
        x.child(field("pubsub#max_payload_size", "text-single", "Max payload size in bytes", Integer.toString(maxPayloadSize)));
        return x.build();
    }

    /** The meta-data of §5.4 (disco#info of a node), with its owners and publishers. */
    Element metaData(List<String> owners, List<String> publishers, long items) {
        Element.Builder x = DataForm.form("result", META_DATA, null);
        x.child(field("pubsub#type", "text-single", null, payloadType == null ? "" : payloadType));
        if (title != null) x.child(field("pubsub#title", "text-single", null, title));
        if (description != null) x.child(field("pubsub#description", "text-single", null, description));
        x.child(DataForm.field("pubsub#owner", "jid-multi", null, false, owners));
        x.child(DataForm.field("pubsub#publisher", "jid-multi", null, false, publishers));
        x.child(field("pubsub#access_model", "list-single", null, accessModel));
        x.child(field("pubsub#publish_model", "list-single", null, publishModel));
        x.child(field("pubsub#max_items", "text-single", null, maxItems == MAX ? "max" : Integer.toString(maxItems)));
        x.child(field("pubsub#num_items", "text-single", null, Long.toString(items)));
        return x.build();
    }

    // --- stored form --------------------------------------------------------------------------------

    Element toElement() {
        return form("submit", Integer.MAX_VALUE);
    }

    static NodeConfig fromElement(Element form, NodeConfig defaults, int serverMaxPayload) throws StanzaException {
        Map<String, List<String>> values = fields(form);
        return defaults.with(values, Integer.MAX_VALUE, Integer.MAX_VALUE).clampPayload(serverMaxPayload);
    }

    private NodeConfig clampPayload(int serverMaxPayload) {
        if (maxPayloadSize <= serverMaxPayload) return this;
        return new NodeConfig(title, description, payloadType, maxItems, persistItems, deliverPayloads, deliverNotifications, notifyConfig,
                notifyDelete, notifyRetract, notifySub, purgeOffline, presenceBasedDelivery, sendLast, accessModel, rosterGroups,
                publishModel, itemReply, notificationType, serverMaxPayload, subscribe);
    }

    // --- parsing and building -----------------------------------------------------------------------

    private static int maxItems(String v, int serviceMax) throws StanzaException {
        if (v.equals("max")) return MAX;
        int n = integer("pubsub#max_items", v);
        if (n < 1) throw bad("pubsub#max_items must be 1 or more, or 'max'");
        if (n > serviceMax) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "pubsub#max_items of " + n + " is more than this service keeps (" + serviceMax + ")",
                    Engine.condition("max-items-exceeded"));
        }
        return n;
    }

    private static int integer(String var, String v) throws StanzaException {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw bad(var + " must be a number, not '" + v + "'");
        }
    }

    private static boolean bool(String var, String v) throws StanzaException {
        return switch (v) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw bad(var + " must be true or false, not '" + v + "'");
        };
    }

    private static String option(String var, String v, Set<String> allowed) throws StanzaException {
        if (!allowed.contains(v)) throw bad(var + " cannot be '" + v + "'; one of " + new java.util.TreeSet<>(allowed));
        return v;
    }

    private static StanzaException bad(String text) {
        return new StanzaException(StanzaError.BAD_REQUEST, text);
    }

    private static Element text(String var, String label, String value) {
        return field(var, "text-single", label, value == null ? "" : value);
    }

    private static Element bool(String var, String label, boolean value) {
        return field(var, "boolean", label, value ? "1" : "0");
    }

    private static Element field(String var, String type, String label, String value) {
        return DataForm.field(var, type, label, false, value.isEmpty() ? List.of() : List.of(value));
    }

    private static Element list(String var, String label, String value, List<String> options) {
        Element f = field(var, "list-single", label, value);
        return withOptions(f, options);
    }

    private static Element listMulti(String var, String label, List<String> values) {
        return DataForm.field(var, "list-multi", label, false, values);
    }

    private static Element withOptions(Element f, List<String> options) {
        List<Element> opts = new ArrayList<>();
        for (String o : options) {
            opts.add(Element.builder("option", DataForm.NS).child(Element.builder("value", DataForm.NS).text(o).build()).build());
        }
        return f.toBuilder().children(opts).build();
    }
}
