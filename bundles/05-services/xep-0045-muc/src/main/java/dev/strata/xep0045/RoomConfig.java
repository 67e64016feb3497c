package dev.strata.xep0045;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * A room's configuration (XEP-0045 §10.2, the {@code muc#roomconfig} form of §15.5.3). Read as a
 * form and written as one: the form an owner fills in, and the submitted form a room is stored as.
 * The owner and admin lists of the form are affiliations, kept by the room, not here.
 */
final class RoomConfig {
    static final String FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig";
    static final String OWNERS = "muc#roomconfig_roomowners";
    static final String ADMINS = "muc#roomconfig_roomadmins";
    /** {@code muc#roomconfig_allowpm}: who may send private messages. */
    static final List<String> PM_POLICIES = List.of("anyone", "participants", "moderators", "none");
    static final List<String> MAX_USERS = List.of("10", "20", "30", "50", "100", "200", "500", "1000");

    String name = "";
    String description = "";
    String language = "";
    boolean persistent;
    boolean publicRoom = true;
    boolean membersOnly;
    boolean moderated;
    boolean passwordProtected;
    String secret = "";
    int maxUsers;
    /** {@code anyone}: non-anonymous (everyone sees real JIDs); {@code moderators}: semi-anonymous. */
    String whois = "moderators";
    int historyLength;
    String allowPm = "anyone";
    boolean allowInvites;
    boolean changeSubject;
    /** Messages go into the room's archive (XEP-0313), which occupants query; status 170 says so. */
    boolean logging;

    RoomConfig(int maxUsers, int historyLength) {
        this.maxUsers = maxUsers;
        this.historyLength = historyLength;
    }

    RoomConfig copy() {
        RoomConfig c = new RoomConfig(maxUsers, historyLength);
        c.name = name;
        c.description = description;
        c.language = language;
        c.persistent = persistent;
        c.publicRoom = publicRoom;
        c.membersOnly = membersOnly;
        c.moderated = moderated;
        c.passwordProtected = passwordProtected;
        c.secret = secret;
        c.whois = whois;
        c.allowPm = allowPm;
        c.allowInvites = allowInvites;
        c.changeSubject = changeSubject;
        c.logging = logging;
        return c;
    }

    boolean nonAnonymous() {
        return whois.equals("anyone");
    }

    /**
     * The form an owner fills in (§10.2), with the current values and the room's owners and admins;
     * {@code maxUsersLimit} and {@code maxHistory} are the service's limits.
     */
    Element form(List<String> owners, List<String> admins, int maxUsersLimit, int maxHistory) {
        Element.Builder f = DataForm.form("form", FORM_TYPE, "Configuration of the room");
        f.child(Element.builder("instructions", DataForm.NS).text("Submit this form to change the room's configuration; a new room stays locked until it is submitted.").build());
        f.child(DataForm.field("muc#roomconfig_roomname", "text-single", "Name", false, List.of(name)));
        f.child(DataForm.field("muc#roomconfig_roomdesc", "text-single", "Description", false, List.of(description)));
        f.child(DataForm.field("muc#roomconfig_lang", "text-single", "Language of the discussion (e.g. en)", false, List.of(language)));
        f.child(DataForm.field("muc#roomconfig_persistentroom", "boolean", "Keep the room when the last occupant leaves", false, List.of(bool(persistent))));
        f.child(DataForm.field("muc#roomconfig_publicroom", "boolean", "List the room in the directory", false, List.of(bool(publicRoom))));
        f.child(DataForm.field("muc#roomconfig_membersonly", "boolean", "Only members may enter", false, List.of(bool(membersOnly))));
        f.child(DataForm.field("muc#roomconfig_moderatedroom", "boolean", "Only participants with voice may speak", false, List.of(bool(moderated))));
        f.child(DataForm.field("muc#roomconfig_passwordprotectedroom", "boolean", "A password is needed to enter", false, List.of(bool(passwordProtected))));
        f.child(DataForm.field("muc#roomconfig_roomsecret", "text-private", "Password", false, List.of(secret)));
        f.child(options(DataForm.field("muc#roomconfig_maxusers", "list-single", "Most occupants (at most " + maxUsersLimit + ")", false,
                List.of(Integer.toString(maxUsers))), MAX_USERS.stream().filter(v -> Integer.parseInt(v) <= maxUsersLimit).toList()));
        f.child(options(DataForm.field("muc#roomconfig_whois", "list-single", "Who may see the occupants' real addresses", false, List.of(whois)),
                List.of("moderators", "anyone")));
        f.child(DataForm.field("muc#maxhistoryfetch", "text-single", "Messages of history sent to those who enter (at most " + maxHistory + ")", false,
                List.of(Integer.toString(historyLength))));
        f.child(options(DataForm.field("muc#roomconfig_allowpm", "list-single", "Who may send private messages", false, List.of(allowPm)), PM_POLICIES));
        f.child(DataForm.field("muc#roomconfig_allowinvites", "boolean", "Occupants may invite others (and so make them members)", false, List.of(bool(allowInvites))));
        f.child(DataForm.field("muc#roomconfig_changesubject", "boolean", "Participants may change the subject", false, List.of(bool(changeSubject))));
        f.child(DataForm.field("muc#roomconfig_enablelogging", "boolean", "Keep the messages in the room's archive (XEP-0313), which its occupants may read", false,
                List.of(bool(logging))));
        f.child(DataForm.field(OWNERS, "jid-multi", "Owners", false, owners));
        f.child(DataForm.field(ADMINS, "jid-multi", "Admins", false, admins));
        return f.build();
    }

    /** The configuration as a submitted form, without the owner and admin lists: how a room is stored. */
    Element stored() {
        Element form = form(List.of(), List.of(), Integer.MAX_VALUE, Integer.MAX_VALUE);
        Element.Builder b = DataForm.form("submit", FORM_TYPE, null);
        form.elements().filter(e -> e.is("field", DataForm.NS) && !"FORM_TYPE".equals(e.attribute("var")) && !OWNERS.equals(e.attribute("var"))
                && !ADMINS.equals(e.attribute("var"))).forEach(e -> b.child(DataForm.field(e.attribute("var"), null, null, false, DataForm.values(form, e.attribute("var")))));
        return b.build();
    }

    /**
     * Applies a submitted form to this configuration (the caller passes a copy, so that a refused
     * form changes nothing). Fields missing from the form keep their values (§10.2: a client may
     * submit only what it changes); the owner and admin lists are left to the caller.
     *
     * @throws StanzaException {@code bad-request} naming the first unknown field or invalid value
     */
    void apply(Element submitted, int maxUsersLimit, int maxHistory) throws StanzaException {
        Optional<String> type = DataForm.value(submitted, "FORM_TYPE");
        if (type.isPresent() && !type.get().equals(FORM_TYPE)) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The configuration form's FORM_TYPE must be " + FORM_TYPE + ", not " + type.get());
        }
        for (Element field : submitted.elements().filter(e -> e.is("field", DataForm.NS)).toList()) {
            String var = field.attribute("var");
            if (var == null) throw new StanzaException(StanzaError.BAD_REQUEST, "A field of the configuration form has no 'var'");
            List<String> values = field.elements().filter(v -> v.is("value", DataForm.NS)).map(Element::text).toList();
            String v = values.isEmpty() ? "" : values.get(0).strip();
            switch (var) {
                case "FORM_TYPE", OWNERS, ADMINS -> { }
                case "muc#roomconfig_roomname" -> name = limited(var, v, 200);
                case "muc#roomconfig_roomdesc" -> description = limited(var, v, 1000);
                case "muc#roomconfig_lang" -> language = limited(var, v, 35);
                case "muc#roomconfig_persistentroom" -> persistent = bool(var, v);
                case "muc#roomconfig_publicroom" -> publicRoom = bool(var, v);
                case "muc#roomconfig_membersonly" -> membersOnly = bool(var, v);
                case "muc#roomconfig_moderatedroom" -> moderated = bool(var, v);
                case "muc#roomconfig_passwordprotectedroom" -> passwordProtected = bool(var, v);
                case "muc#roomconfig_roomsecret" -> secret = limited(var, values.isEmpty() ? "" : values.get(0), 200);
                case "muc#roomconfig_maxusers" -> maxUsers = number(var, v.equals("none") ? Integer.toString(maxUsersLimit) : v, 1, maxUsersLimit);
                case "muc#roomconfig_whois" -> whois = oneOf(var, v, List.of("moderators", "anyone"));
                case "muc#maxhistoryfetch", "muc#roomconfig_historylength" -> historyLength = number(var, v, 0, maxHistory);
                case "muc#roomconfig_allowpm" -> allowPm = oneOf(var, v, PM_POLICIES);
                case "muc#roomconfig_allowinvites" -> allowInvites = bool(var, v);
                case "muc#roomconfig_changesubject" -> changeSubject = bool(var, v);
                case "muc#roomconfig_enablelogging" -> logging = bool(var, v);
                default -> throw new StanzaException(StanzaError.BAD_REQUEST, "The room has no configuration field '" + var + "'");
            }
        }
        if (passwordProtected && secret.isEmpty()) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "A password-protected room needs a password (muc#roomconfig_roomsecret)");
        }
    }

    /** The JIDs a submitted form lists in a jid-multi field, or null when the form leaves the field out. */
    static List<String> jids(Element submitted, String var) {
        boolean present = submitted.elements().anyMatch(e -> e.is("field", DataForm.NS) && var.equals(e.attribute("var")));
        if (!present) return null;
        List<String> out = new ArrayList<>();
        for (String v : DataForm.values(submitted, var)) if (!v.isBlank()) out.add(v.strip());
        return out;
    }

    private static Element options(Element field, List<String> values) {
        Element.Builder b = field.toBuilder();
        for (String v : values) b.child(Element.builder("option", DataForm.NS).child(Element.builder("value", DataForm.NS).text(v).build()).build());
        return b.build();
    }

    private static String bool(boolean b) {
        return b ? "1" : "0";
    }

    private static boolean bool(String var, String v) throws StanzaException {
        return switch (v) {
            case "1", "true" -> true;
            case "0", "false", "" -> false;
            default -> throw new StanzaException(StanzaError.BAD_REQUEST, "'" + v + "' is not a boolean (1, 0, true, false) for " + var);
        };
    }

    private static int number(String var, String v, int min, int max) throws StanzaException {
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new StanzaException(StanzaError.BAD_REQUEST, "'" + v + "' is not a number from " + min + " to " + max + " for " + var);
    }

    private static String oneOf(String var, String v, List<String> allowed) throws StanzaException {
        if (allowed.contains(v)) return v;
        throw new StanzaException(StanzaError.BAD_REQUEST, "'" + v + "' is not one of " + allowed + " for " + var);
    }

    private static String limited(String var, String v, int max) throws StanzaException {
        if (v.length() > max) throw new StanzaException(StanzaError.BAD_REQUEST, var + " takes at most " + max + " characters");
        return v;
    }
}
