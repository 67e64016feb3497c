package dev.strata.xep0157;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeServer;

/** XEP-0157 Contact Addresses 1.1: the serverinfo form in disco#info (XEP-0128), admin addresses defaulting to the administrators. */
class ContactAddressesTest {
    @Test
    void adminAddressesDefaultToTheServersAdministrators() {
        Element form = new ContactAddresses(Configs.defaults(ContactAddresses.Config.class),
                FakeServer.of("example.org").withAdmins(Jid.of("root@example.org"))).form();
        assertThat(DataForm.value(form, "FORM_TYPE")).contains(ContactAddresses.FORM_TYPE);
        assertThat(DataForm.values(form, "admin-addresses")).containsExactly("xmpp:root@example.org");
        assertThat(DataForm.values(form, "abuse-addresses")).isEmpty();
    }

    @Test
    void configuredAddressesAreListedAsGiven() {
        Element form = new ContactAddresses(Configs.of(ContactAddresses.Config.class,
                Map.of("abuse", new String[] {"mailto:abuse@example.org"}, "admin", new String[] {"https://example.org/admins"})),
                FakeServer.of("example.org").withAdmins(Jid.of("root@example.org"))).form();
        assertThat(DataForm.values(form, "abuse-addresses")).containsExactly("mailto:abuse@example.org");
        assertThat(DataForm.values(form, "admin-addresses")).containsExactly("https://example.org/admins");
    }
}
