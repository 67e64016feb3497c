package dev.strata.webadmin.internal;

import java.util.List;
import java.util.Map;

/** The web admin's pages: plain HTML, every value escaped, forms that post back with the session's CSRF token. */
final class Pages {
    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:0;color:#222}
            nav{background:#234;padding:.6em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
            nav form{display:inline;float:right}main{padding:1em 1.5em}
            pre{background:#f4f4f4;padding:.8em;overflow:auto;max-height:40em}
            form.action{display:inline-block;margin:.3em 1em .3em 0;padding:.5em;border:1px solid #ccc}
            .flash{background:#ffd;border:1px solid #cc8;padding:.6em;white-space:pre-wrap}
            table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #eee}
            """;

    private Pages() {
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String page(String title, WebAdmin.Session s, String flash, String content) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Strata admin: ").append(esc(title))
                .append("</title><style>").append(STYLE).append("</style></head><body>");
        if (s != null) {
            b.append("<nav>");
            for (String[] l : new String[][] {{"", "Dashboard"}, {"users", "Users"}, {"sessions", "Sessions"}, {"modules", "Modules"}, {"config", "Configuration"},
                {"certificates", "Certificates"}, {"log", "Log"}}) {
                b.append("<a href='").append(WebAdmin.BASE).append(l[0]).append("'>").append(l[1]).append("</a>");
            }
            b.append("<form method='post' action='").append(WebAdmin.BASE).append("logout'>").append(csrf(s))
                    .append("<button type='submit'>Log out ").append(esc(s.admin.toString())).append("</button></form></nav>");
        }
        b.append("<main><h1>").append(esc(title)).append("</h1>");
        if (flash != null && !flash.isEmpty()) b.append("<div class='flash' id='flash'>").append(esc(flash)).append("</div>");
        return b.append(content).append("</main></body></html>").toString();
    }

    private static String csrf(WebAdmin.Session s) {
        return "<input type='hidden' name='csrf' value='" + esc(s.csrf) + "'>";
    }

    /** A form running one action; fields as {name, label, type}. */
    private static String action(WebAdmin.Session s, String action, String label, String[]... fields) {
        StringBuilder b = new StringBuilder("<form class='action' method='post' action='").append(WebAdmin.BASE).append("run' id='").append(action)
                .append("'><input type='hidden' name='action' value='").append(action).append("'>").append(csrf(s));
        for (String[] f : fields) {
            b.append("<label>").append(esc(f[1])).append(" <input name='").append(f[0]).append("' type='").append(f[2]).append("' required")
                    .append(f[2].equals("password") ? " autocomplete='new-password'" : "").append("></label> ");
        }
        return b.append("<button type='submit'>").append(esc(label)).append("</button></form>").toString();
    }

    private static String pre(String id, String text) {
        return "<pre id='" + id + "'>" + esc(text) + "</pre>";
    }

    static String login(String error) {
        return page("Log in", null, error, """
                <form method='post' action='/admin/login' id='login'>
                <p><label>Administrator JID <input name='jid' autocomplete='username' required></label></p>
                <p><label>Password <input name='password' type='password' autocomplete='current-password' required></label></p>
                <p><button type='submit'>Log in</button></p></form>
                <p>Log in with an administrator's XMPP account (<code>STRATA_ADMIN_JID</code>).</p>""");
    }

    static String dashboard(WebAdmin.Session s, String flash, Map<String, String> facts) {
        StringBuilder t = new StringBuilder("<table id='facts'>");
        facts.forEach((k, v) -> t.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>"));
        return page("Dashboard", s, flash, t.append("</table><p>Sessions, modules and the log are on their pages; metrics for graphs at "
                + "<code>/metrics</code>.</p>").toString());
    }

    static String users(WebAdmin.Session s, String flash, List<String[]> byDomain) {
        StringBuilder b = new StringBuilder();
        b.append(action(s, "user-add", "Add", new String[] {"jid", "JID", "text"}, new String[] {"password", "Password", "password"}));
        b.append(action(s, "user-passwd", "Set password", new String[] {"jid", "JID", "text"}, new String[] {"password", "New password", "password"}));
        b.append(action(s, "user-delete", "Delete", new String[] {"jid", "JID", "text"}));
        for (String[] d : byDomain) b.append("<h2>").append(esc(d[0])).append("</h2>").append(pre("users-" + d[0], d[1]));
        return page("Users", s, flash, b.toString());
    }

    static String sessions(WebAdmin.Session s, String flash, String list) {
        return page("Sessions", s, flash, action(s, "session-kick", "Kick", new String[] {"jid", "Full or bare JID", "text"}) + pre("sessions", list));
    }

    static String modules(WebAdmin.Session s, String flash, String modules, String features) {
        String[] name = {"name", "Module", "text"};
        return page("Modules", s, flash, action(s, "module-unload", "Unload", name) + action(s, "module-load", "Load", name)
                + action(s, "module-reload", "Reload", name) + pre("modules", modules) + "<h2>Features</h2>"
                + action(s, "feature-install", "Install", new String[] {"name", "Feature", "text"})
                + action(s, "feature-uninstall", "Uninstall", new String[] {"name", "Feature", "text"}) + pre("features", features));
    }

    static String config(WebAdmin.Session s, String flash, String effective) {
        return page("Configuration", s, flash, "<p>Every effective setting and the file and line it comes from; change them in those files "
                + "(they apply live) or with <code>config:set</code> in the console.</p>" + pre("config", effective));
    }

    static String certificates(WebAdmin.Session s, String flash, String list) {
        return page("Certificates", s, flash, action(s, "cert-reload", "Reload certificates from disk") + pre("certificates", list));
    }

    static String log(WebAdmin.Session s, String flash, String tail) {
        return page("Log", s, flash, "<p>The last 200 lines of <code>logs/strata.log</code>.</p>" + pre("log", tail));
    }
}
