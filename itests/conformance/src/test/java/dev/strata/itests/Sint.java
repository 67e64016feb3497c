package dev.strata.itests;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.igniterealtime.smack.inttest.AbstractSmackIntTest;
import org.igniterealtime.smack.inttest.Configuration;
import org.igniterealtime.smack.inttest.FailedTest;
import org.igniterealtime.smack.inttest.SmackIntegrationTestFramework;
import org.igniterealtime.smack.inttest.SuccessfulTest;
import org.igniterealtime.smack.inttest.TestNotPossible;
import org.igniterealtime.smack.inttest.TestResult;
import org.igniterealtime.smack.inttest.XmppConnectionDescriptor;
import org.igniterealtime.smack.inttest.XmppConnectionManager;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;
import org.igniterealtime.smack.inttest.annotations.SpecificationReference;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnectionConfiguration;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.websocket.XmppWebSocketTransportModuleDescriptor;
import org.jivesoftware.smack.websocket.impl.WebSocketFactory;
import org.jivesoftware.smack.websocket.java11.Java11WebSocketFactory;
import org.jivesoftware.smack.websocket.okhttp.OkHttpWebSocketFactory;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.reflections.Reflections;

/**
 * Runs the Smack Integration Test Framework to the end. SINT 4.5.0-beta5 aborts its whole run when a
 * test throws an unexpected RuntimeException; this runner records that test as failed (with the
 * exception) and starts SINT again with only the tests that have no result yet, until every test has
 * one. SINT has no port option either: its TCP connection descriptors are registered again here with
 * the server's loopback address and port.
 */
final class Sint {
    static {
        // SINT's OMEMO tests need an OmemoService on the client side, or they call themselves impossible:
        // Smack's Signal one, with its in-memory store (GPLv3; a test dependency, never shipped with Strata).
        // Its AES/GCM cipher passes an IvParameterSpec, which the JDK's provider refuses and BouncyCastle
        // takes: added last, BouncyCastle serves only what the JDK's providers turn down.
        java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        org.jivesoftware.smackx.omemo.signal.SignalOmemoService.acknowledgeLicense();
        org.jivesoftware.smackx.omemo.signal.SignalOmemoService.setup();
    }

    enum Kind { PASSED, FAILED, IMPOSSIBLE }

    /** The start of the reason of a test that failed, then passed when run again alone. */
    static final String PASSED_ON_RETRY = "passed on retry; first attempt: ";

    /** One concrete test (a low-level test runs once per connection kind) and what came of it. */
    record Outcome(String test, Kind kind, String reason, String spec, Throwable error) {
        /** The test method as SINT names it, {@code Class.method}, without the connection kind. */
        String method() {
            return methodOf(test);
        }
    }

    /** {@code Class.method} of a concrete test name such as {@code Class.method (LowLevel, tcp)}. */
    static String methodOf(String test) {
        int space = test.indexOf(' ');
        return space < 0 ? test : test.substring(0, space);
    }

    /** All outcomes of a run, in test-name order, and the connection kinds not exercised. */
    record Report(List<Outcome> outcomes, int attempts) {
        long count(Kind kind) {
            return outcomes.stream().filter(o -> o.kind() == kind).count();
        }

        List<Outcome> of(Kind kind) {
            return outcomes.stream().filter(o -> o.kind() == kind).toList();
        }

        String summary() {
            return "sint.run=" + outcomes.size() + " sint.passed=" + count(Kind.PASSED) + " sint.failed=" + count(Kind.FAILED)
                    + " sint.impossible=" + count(Kind.IMPOSSIBLE) + " sint.passed.on.retry=" + retried().size();
        }

        List<Outcome> retried() {
            return outcomes.stream().filter(o -> o.kind() == Kind.PASSED && o.reason().startsWith(PASSED_ON_RETRY)).toList();
        }
    }

    /** Exposes SINT's partial result after an aborted run. */
    private static final class Framework extends SmackIntegrationTestFramework {
        Framework(Configuration configuration) {
            super(configuration);
        }

        TestRunResult partial() {
            return testRunResult;
        }
    }

    private static final String[] PACKAGES = { "org.jivesoftware.smackx", "org.jivesoftware.smack", "org.igniterealtime.smackx",
            "org.igniterealtime.smack" };

    private Sint() {
    }

    /**
     * Points SINT's XMPPTCPConnection kind ({@code tcp}) at 127.0.0.1:{@code port}, trusting the server's
     * certificate through {@code trust}. (SINT's own {@code serviceTlsPin} has no effect in
     * 4.5.0-beta5: Smack initialises the pinned SSLContext again with the default trust managers.)
     */
    static void connectTo(int port, int httpsPort, X509TrustManager trust) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try {
            XmppConnectionManager.addConnectionDescriptor(XmppConnectionDescriptor
                    .buildWith(XMPPTCPConnection.class, XMPPTCPConnectionConfiguration.class, XMPPTCPConnectionConfiguration.Builder.class)
                    .withNickname("tcp")
                    .applyExtraConfiguration(b -> b.setHostAddress(loopback).setPort(port).setCustomX509TrustManager(trust))
                    .build());
            // SINT's WebSocket kinds find the endpoint by XEP-0156 on https://localhost/ (port 443); these point them at the
            // server's HTTPS port, each with its WebSocket implementation as SINT's own descriptors do
            URI endpoint = URI.create("wss://localhost:" + httpsPort + "/xmpp-websocket");
            for (var kind : Map.of("modular-websocket-java11", (WebSocketFactory) Java11WebSocketFactory.INSTANCE,
                    "modular-websocket-okhttp", (WebSocketFactory) OkHttpWebSocketFactory.INSTANCE).entrySet()) {
                XmppConnectionManager.removeConnectionDescriptor(kind.getKey());
                XmppConnectionManager.addConnectionDescriptor(XmppConnectionDescriptor
                        .buildWith(ModularXmppClientToServerConnection.class, ModularXmppClientToServerConnectionConfiguration.class,
                                ModularXmppClientToServerConnectionConfiguration.Builder.class)
                        .withNickname(kind.getKey())
                        .applyExtraConfiguration(b -> {
                            b.removeAllModules();
                            b.addModule(XmppWebSocketTransportModuleDescriptor.getBuilder(b).explicitlySetWebSocketEndpointAndDiscovery(endpoint, false)
                                    .setWebSocketFactory(kind.getValue()).build());
                            b.setCustomX509TrustManager(trust);
                        })
                        .build());
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Smack's WebSocket factories (java11 and OkHttp, 4.5.0-beta5) ignore the connection's custom trust
     * manager and use the JVM's defaults: the test JVM trusts {@code cert} (the server's self-signed
     * certificate) by default, through a trust store file in {@code dir} (OkHttp reads the
     * javax.net.ssl properties) and the default SSLContext (the JDK's HttpClient).
     */
    static void trustByDefault(X509Certificate cert, Path dir) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("strata", cert);
        Path file = dir.resolve("sint-truststore.p12");
        try (var out = Files.newOutputStream(file)) {
            ks.store(out, "changeit".toCharArray());
        }
        System.setProperty("javax.net.ssl.trustStore", file.toString());
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLContext.setDefault(ctx);
    }

    /** Every SINT test method, scanned from the classpath once; {@link #testMethods()} hands out copies. */
    private static Map<String, Method> scanned;

    /** Every SINT test method, as {@code declaring.Class.method}, keyed by SINT's short name {@code Class.method}. */
    static synchronized Map<String, Method> testMethods() {
        if (scanned == null) scanned = scan();
        return new TreeMap<>(scanned);
    }

    private static Map<String, Method> scan() {
        Reflections reflections = new Reflections((Object[]) PACKAGES);
        Map<String, Method> all = new TreeMap<>();
        for (Class<? extends AbstractSmackIntTest> c : reflections.getSubTypesOf(AbstractSmackIntTest.class)) {
            if (Modifier.isAbstract(c.getModifiers())) continue;
            for (Method m : c.getMethods()) {
                if (m.isAnnotationPresent(SmackIntegrationTest.class)) {
                    all.put(m.getDeclaringClass().getSimpleName() + "." + m.getName(), m);
                }
            }
        }
        return all;
    }

    /**
     * Runs SINT until every selected test has a result. {@code configuration} gives a fresh builder
     * with everything but the test selection; {@code disabled} are test names ({@code Class.method})
     * not to run; {@code impossible} are test classes or names not to run because the server lacks
     * what they need, with the reason (recorded as impossible, as SINT records its own checks).
     */
    static Report run(Supplier<Configuration.Builder> configuration, Set<String> disabled, Map<String, String> impossible) throws Exception {
        // by hand, to look at a few: -Dsint.only=RosterIntegrationTest,PingIntegrationTest.pingServer
        List<String> only = List.of(System.getProperty("sint.only", "").split(",")).stream().map(String::trim).filter(x -> !x.isEmpty()).toList();
        Report first = run(configuration, disabled, impossible, only);
        // SINT's tests share their accounts and connections across classes, and some wait for "the next
        // stanza" while a previous test's stanza can still be in flight (a late unsubscribe from the last
        // cleanup, a presence whose entity caps Smack has not recorded yet). A failed test runs once more,
        // alone, on fresh accounts; if it passes it counts as passed on retry and the report says so.
        List<Outcome> outcomes = new ArrayList<>();
        int attempts = first.attempts();
        for (Outcome o : first.outcomes()) {
            if (o.kind() != Kind.FAILED || o.test().startsWith("(")) {
                outcomes.add(o);
                continue;
            }
            Report again = run(configuration, disabled, impossible, List.of(o.method()));
            attempts += again.attempts();
            Outcome retry = again.outcomes().stream().filter(x -> x.test().equals(o.test())).findFirst().orElse(null);
            if (retry != null && retry.kind() == Kind.PASSED) {
                outcomes.add(new Outcome(o.test(), Kind.PASSED, PASSED_ON_RETRY + o.reason(), o.spec(), null));
            } else {
                outcomes.add(o);
            }
        }
        return new Report(outcomes, attempts);
    }

    private static Report run(Supplier<Configuration.Builder> configuration, Set<String> disabled, Map<String, String> impossible,
            List<String> only) throws Exception {
        Map<String, Method> all = testMethods();
        if (!only.isEmpty()) all.keySet().removeIf(k -> only.stream().noneMatch(o -> k.equals(o) || k.startsWith(o + ".")));
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        Set<String> done = new HashSet<>(disabled);
        all.forEach((name, m) -> {
            String why = impossible.getOrDefault(name, impossible.get(m.getDeclaringClass().getSimpleName()));
            if (why != null && !done.contains(name)) {
                outcomes.put(name, new Outcome(name, Kind.IMPOSSIBLE, why, spec(m), null));
                done.add(name);
            }
        });
        AtomicReference<String> started = new AtomicReference<>();
        Logger log = Logger.getLogger(SmackIntegrationTestFramework.class.getName());
        Handler tracker = new Handler() {
            @Override
            public void publish(LogRecord record) {
                String msg = record.getMessage();
                if (msg != null && msg.endsWith(" Start")) started.set(msg.substring(0, msg.length() - " Start".length()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(tracker);
        int attempts = 0;
        try {
            while (true) {
                List<String> remaining = all.keySet().stream().filter(k -> !done.contains(k)).toList();
                if (remaining.isEmpty()) break;
                attempts++;
                Configuration.Builder b = configuration.get();
                b.setEnabledTests(remaining.stream().map(k -> qualified(all.get(k))).collect(Collectors.joining(",")));
                Framework sint = new Framework(b.build());
                started.set(null);
                Throwable abort = null;
                try {
                    sint.run();
                } catch (Throwable t) {
                    abort = t;
                }
                SmackIntegrationTestFramework.TestRunResult r = sint.partial();
                if (r != null) {
                    record(outcomes, done, r.getSuccessfulTests(), Kind.PASSED);
                    record(outcomes, done, r.getFailedTests(), Kind.FAILED);
                    record(outcomes, done, r.getNotPossibleTests(), Kind.IMPOSSIBLE);
                    r.getImpossibleTestClasses().forEach((c, why) -> {
                        for (Method m : c.getMethods()) {
                            if (!m.isAnnotationPresent(SmackIntegrationTest.class)) continue;
                            String name = m.getDeclaringClass().getSimpleName() + "." + m.getName();
                            outcomes.put(name, new Outcome(name, Kind.IMPOSSIBLE, String.valueOf(why.getMessage()), spec(m), why));
                            done.add(name);
                        }
                    });
                }
                if (abort == null) {
                    // SINT ran everything it was given; tests it skipped (connection kinds turned off) have no result
                    remaining.forEach(done::add);
                    break;
                }
                String crashed = started.get();
                if (crashed == null || outcomes.containsKey(crashed)) {
                    // not inside a test: the environment could not be prepared; nothing more can run
                    outcomes.put("(run)", new Outcome("(run)", Kind.FAILED, "SINT aborted outside a test: " + abort, null, abort));
                    break;
                }
                String method = methodOf(crashed);
                outcomes.put(crashed, new Outcome(crashed, Kind.FAILED, "aborted SINT: " + abort, spec(all.get(method)), abort));
                done.add(method);
            }
        } finally {
            log.removeHandler(tracker);
        }
        List<Outcome> sorted = new ArrayList<>(outcomes.values());
        sorted.sort(Comparator.comparing(Outcome::test));
        return new Report(sorted, attempts);
    }

    private static void record(Map<String, Outcome> outcomes, Set<String> done, List<? extends TestResult> results, Kind kind) {
        for (TestResult t : results) {
            String name = t.concreteTest.toString();
            Method m = t.concreteTest.getMethod();
            String reason = switch (t) {
                case FailedTest f -> String.valueOf(f.failureReason);
                case TestNotPossible n -> n.testNotPossibleException.getMessage();
                case SuccessfulTest s -> "";
                default -> "";
            };
            Throwable error = t instanceof FailedTest f ? f.failureReason : null;
            outcomes.put(name, new Outcome(name, kind, reason, spec(m), error));
            done.add(m.getDeclaringClass().getSimpleName() + "." + m.getName());
        }
    }

    private static String qualified(Method m) {
        return m.getDeclaringClass().getName() + "." + m.getName();
    }

    /** The specification a test class declares, e.g. {@code XEP-0045}. */
    static String spec(Method m) {
        if (m == null) return null;
        for (Class<?> c = m.getDeclaringClass(); c != null; c = c.getSuperclass()) {
            SpecificationReference ref = c.getAnnotation(SpecificationReference.class);
            if (ref != null) return ref.document();
        }
        return null;
    }
}
