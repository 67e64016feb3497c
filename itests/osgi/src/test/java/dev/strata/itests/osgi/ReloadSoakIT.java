package dev.strata.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWiring;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.bench.RawXmppClient;
import dev.strata.itests.StrataOptions;

/**
 * The hot-reload contract under load: clients connected over TLS stay connected while a module they use is
 * reloaded with {@code module:reload} a hundred times, each reload's module answers them, and every replaced
 * revision's class loader is collected (weak references), so reloading for months does not grow the heap.
 * The README states the figure this test checks.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReloadSoakIT {
    static final int RELOADS = 100;
    static final int SESSIONS = 20;
    /** A module and the disco#info feature its revision adds: on the server, or on the account (XEP-0313 §8). */
    record Module(String name, String feature, boolean onAccount) {
    }

    /** Modules of each kind: an IQ handler, a message filter, the archive (its own appender thread and storage), a hook with a cache. */
    static final List<Module> MODULES = List.of(new Module("xep-0199-ping", "urn:xmpp:ping", false),
            new Module("xep-0280-carbons", "urn:xmpp:carbons:2", false), new Module("xep-0313-mam", "urn:xmpp:mam:2", true),
            new Module("xep-0191-blocking", "urn:xmpp:blocking", false));
    /** The README's line for this soak, built from what the test checks. */
    static final String README_LINE = MODULES.stream().map(m -> "`" + m.name() + "`").collect(Collectors.joining(", "))
            + " each reloaded " + RELOADS + " times with `module:reload` while " + SESSIONS + " clients stay connected over TLS: "
            + SESSIONS + " of " + SESSIONS + " sessions kept (the same sessions; after every reload a client finds the new revision's feature in disco#info), "
            + RELOADS * MODULES.size() + " of " + RELOADS * MODULES.size() + " replaced class loaders collected";

    @Inject
    private BundleContext context;

    @Inject
    private AccountStore accounts;

    @Inject
    private SessionRegistry sessions;

    @Configuration
    public Option[] config() {
        return new Option[] {StrataOptions.server("reload-soak"), StrataOptions.rawClientBundle()};
    }

    /** Sends an IQ and returns the answer with that id, whole (to its {@code </iq>}), double quotes made single. */
    private static String iq(RawXmppClient.Login client, String id, String xml) throws IOException {
        client.socket().getOutputStream().write(xml.getBytes(StandardCharsets.UTF_8));
        client.socket().getOutputStream().flush();
        StringBuilder got = new StringBuilder();
        InputStream in = client.socket().getInputStream();
        byte[] buf = new byte[8192];
        while (true) {
            String s = got.toString().replace('"', '\'');
            int at = s.indexOf("id='" + id + "'");
            int tagEnd = at < 0 ? -1 : s.indexOf('>', at);
            if (tagEnd > 0) {
                int from = s.lastIndexOf("<iq", at);
                if (s.charAt(tagEnd - 1) == '/') return s.substring(from, tagEnd + 1);
                int close = s.indexOf("</iq>", tagEnd);
                if (close > 0) return s.substring(from, close + 5);
            }
            int n = in.read(buf);
            if (n < 0) throw new IOException("the server closed the stream; last read: " + got);
            got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
    }

    /** Whether the server's disco#info, asked by this client, lists {@code feature}. */
    private static boolean offers(RawXmppClient.Login client, String to, String id, String feature) throws IOException {
        String answer = iq(client, id, "<iq type='get' to='" + to + "' id='" + id + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        if (!answer.contains("type='result'")) throw new AssertionError("disco#info failed: " + answer);
        return answer.contains("var='" + feature + "'");
    }

    private Bundle module(String name) {
        for (Bundle b : context.getBundles()) if (name.equals(b.getHeaders("").get("Strata-Module"))) return b;
        throw new AssertionError(name + " is not installed");
    }

    @Test
    public void modulesReloadedAHundredTimesKeepEverySessionAndLeaveNoClassLoaderBehind() throws Exception {
        int port = Integer.getInteger("strata.test.c2s.port");
        List<RawXmppClient.Login> clients = new ArrayList<>();
        try {
            for (int i = 0; i < SESSIONS; i++) {
                accounts.create(Jid.of("soak" + i + "@localhost"), "soak password " + i);
                RawXmppClient.Login login = RawXmppClient.login(port, false, "soak" + i, "soak password " + i, ScramHash.SHA_256, null);
                assertTrue(login.transcript(), login.success() && login.transcript().contains("<jid>"));
                clients.add(login);
            }
            Set<Session> before = Collections.newSetFromMap(new IdentityHashMap<>());
            before.addAll(sessions.all());
            assertEquals(SESSIONS, before.size());

            List<WeakReference<ClassLoader>> replaced = new ArrayList<>();
            int retries = 0;
            int asked = 0;
            StringBuilder perReload = new StringBuilder();
            for (Module module : MODULES) {
                long began = System.nanoTime();
                for (int r = 0; r < RELOADS; r++) {
                    ClassLoader old = module(module.name()).adapt(BundleWiring.class).getClassLoader();
                    replaced.add(new WeakReference<>(old));
                    String out = Console.run(context, "module:reload " + module.name());
                    assertTrue(out, out.contains("ACTIVE"));
                    assertNotSame("a new revision", old, module(module.name()).adapt(BundleWiring.class).getClassLoader());
                    old = null;
                    // the new revision's feature reaches disco as its component activates: ask again briefly if not yet
                    int c = asked++ % SESSIONS;
                    String to = module.onAccount() ? "soak" + c + "@localhost" : "localhost";
                    int tries = 0;
                    while (!offers(clients.get(c), to, "r" + asked + "-" + tries, module.feature())) {
                        if (++tries > 50) throw new AssertionError(module.feature() + " not in disco#info 5 s after reload " + r + " of " + module.name());
                        Thread.sleep(100);
                    }
                    retries += tries;
                }
                perReload.append(perReload.isEmpty() ? "" : ", ").append(module.name()).append(' ')
                        .append((System.nanoTime() - began) / RELOADS / 1_000_000).append(" ms");
            }
            for (int i = 0; i < SESSIONS; i++) {
                String pong = iq(clients.get(i), "after-" + i, "<iq type='get' to='localhost' id='after-" + i + "'><ping xmlns='urn:xmpp:ping'/></iq>");
                assertTrue("client " + i + " after the soak: " + pong, pong.contains("type='result'"));
            }
            Set<Session> after = Collections.newSetFromMap(new IdentityHashMap<>());
            after.addAll(sessions.all());
            assertEquals("the same " + SESSIONS + " sessions, none replaced", before, after);

            long collected = 0;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline) {
                System.gc();
                collected = replaced.stream().filter(w -> w.get() == null).count();
                if (collected == replaced.size()) break;
                Thread.sleep(200);
            }
            String figure = replaced.size() + " reloads of " + MODULES.size() + " modules, " + after.size() + " of " + SESSIONS + " sessions kept, "
                    + collected + " of " + replaced.size() + " replaced class loaders collected, " + retries + " disco#info asked again while a revision came up; per reload and disco#info: " + perReload;
            System.out.println("Reload soak: " + figure);
            Files.writeString(Path.of(System.getProperty("strata.work"), "reload-soak.txt"), figure + "\n");
            assertEquals("replaced class loaders collected (" + figure + ")", replaced.size(), collected);

            String readme = Files.readString(Path.of(System.getProperty("strata.readme")));
            assertTrue("README.md states the soak as: " + README_LINE, readme.contains(README_LINE));
        } finally {
            for (RawXmppClient.Login c : clients) c.close();
        }
    }
}
