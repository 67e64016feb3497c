package dev.strata.xep0157;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoExtension;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * XEP-0157 Contact Addresses for XMPP Services 1.1: the serverinfo form in disco#info. Admin
 * addresses default to the server's administrators; each address is a URI (xmpp:, mailto:, https:).
 */
@Component(name = "strata.xep0157", service = DiscoExtension.class)
@Designate(ocd = ContactAddresses.Config.class)
public final class ContactAddresses implements DiscoExtension {
    static final String FORM_TYPE = "http://jabber.org/network/serverinfo";

    @ObjectClassDefinition(id = "strata.xep0157", name = "XEP-0157 Contact Addresses")
    @interface Config {
        @AttributeDefinition(required = false, description = "Abuse contacts (URIs)")
        String[] abuse() default {};

        @AttributeDefinition(required = false, description = "Admin contacts (URIs); empty: xmpp: URIs of the server's administrators")
        String[] admin() default {};

        @AttributeDefinition(required = false, description = "Feedback contacts (URIs)")
        String[] feedback() default {};

        @AttributeDefinition(required = false, description = "Sales contacts (URIs)")
        String[] sales() default {};

        @AttributeDefinition(required = false, description = "Security contacts (URIs)")
        String[] security() default {};

        @AttributeDefinition(required = false, description = "Support contacts (URIs)")
        String[] support() default {};
    }

    private final ServerInfo server;
    private volatile Config config;

    @Activate
    public ContactAddresses(Config config, @Reference ServerInfo server) {
        this.server = server;
        this.config = config;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Override
    public Element form() {
        Config c = config;
        List<String> admins = new ArrayList<>(List.of(c.admin()));
        if (admins.isEmpty()) for (Jid j : server.admins()) admins.add("xmpp:" + j);
        Element.Builder x = DataForm.form("result", FORM_TYPE, null);
        field(x, "abuse-addresses", List.of(c.abuse()));
        field(x, "admin-addresses", admins);
        field(x, "feedback-addresses", List.of(c.feedback()));
        field(x, "sales-addresses", List.of(c.sales()));
        field(x, "security-addresses", List.of(c.security()));
        field(x, "support-addresses", List.of(c.support()));
        return x.build();
    }

    private static void field(Element.Builder x, String var, List<String> values) {
        if (!values.isEmpty()) x.child(DataForm.field(var, "list-multi", null, false, values.stream().map(String::strip).toList()));
    }
}
