package dev.strata.webadmin.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;

class PagesTest {
    @Test
    void everythingShownIsEscapedAndEveryFormCarriesTheToken() {
        WebAdmin.Session s = new WebAdmin.Session("id", "tok'en", Jid.of("admin@localhost"));
        String html = Pages.users(s, "<script>alert(1)</script>", List.<String[]>of(new String[] {"localhost", "a&b <img src=x onerror=alert(1)>"}));
        assertThat(html).doesNotContain("<script>", "<img").contains("&lt;script&gt;", "a&amp;b &lt;img");
        assertThat(html.split("<form", -1).length - 1).as("forms").isEqualTo(4); // add, passwd, delete, logout
        assertThat(html.split("name='csrf' value='tok&#39;en'", -1).length - 1).isEqualTo(4);
    }

    @Test
    void onlyTheListedActionsRun() {
        assertThat(WebAdmin.ACTIONS.keySet()).containsExactly("user-add", "user-passwd", "user-delete", "session-kick", "module-load", "module-unload",
                "module-reload", "feature-install", "feature-uninstall", "cert-reload");
        assertThat(WebAdmin.ACTIONS.values()).allSatisfy(a -> assertThat(a.command()).matches("[a-z]+:[a-z]+"));
    }
}
