package dev.strata.console.ssh.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.LoginThrottle;
import dev.strata.api.server.ServerInfo;

/**
 * The SSH admin console. Public-key login from {@code data/ssh/authorized_keys}
 * (OpenSSH format: ed25519, ECDSA, RSA), password login for administrators' XMPP accounts,
 * plus the local operator's key generated at first start
 * ({@code data/ssh/operator_key}, used by {@code strata shell}). The host key is kept in
 * {@code data/ssh/host_key}. Waits for its configuration so it never binds a default port first.
 */
@Component(name = "strata.console.ssh", configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = SshConsole.Config.class)
public final class SshConsole {
    private static final Logger LOG = LoggerFactory.getLogger(SshConsole.class);

    @ObjectClassDefinition(id = "strata.console.ssh", name = "SSH admin console")
    @interface Config {
        @AttributeDefinition(min = "0", max = "65535", description = "TCP port (0: any free port, logged)")
        int port() default 8101;

        @AttributeDefinition(description = "Address to bind; loopback by default")
        String bind() default "127.0.0.1";

        @AttributeDefinition(min = "10", description = "Seconds before an idle session is closed")
        int idle_timeout() default 1800;

        @AttributeDefinition(min = "1", max = "20", description = "Authentication attempts allowed per connection")
        int max_auth_attempts() default 3;
    }

    private final CommandProcessor processor;
    /** For the console's help: the command services registered now. */
    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile AccountStore accounts;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ServerInfo serverInfo;
    /** The server's record of failed logins, shared with client streams (strata.auth); without it, password logins are refused. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile LoginThrottle throttle;
    private final Path dir;
    private final PublicKey operator;
    private final AuthorizedKeysAuthenticator authorized;
    private Config config;
    private SshServer server;

    @Activate
    public SshConsole(BundleContext context, Config config, @Reference CommandProcessor processor) throws IOException, GeneralSecurityException {
        this.processor = processor;
        this.context = context;
        String data = context.getProperty("strata.data");
        this.dir = Path.of(data == null ? "data" : data, "ssh");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, Set.copyOf(PosixFilePermissions.fromString("rwx------")));
        this.operator = operatorKey(dir);
        this.authorized = new AuthorizedKeysAuthenticator(dir.resolve("authorized_keys"));
        this.config = config;
        this.server = start(config);
    }

    private SshServer start(Config c) throws IOException {
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost(c.bind());
        sshd.setPort(c.port());
        SimpleGeneratorHostKeyProvider hostKey = new SimpleGeneratorHostKeyProvider(dir.resolve("host_key"));
        hostKey.setAlgorithm(KeyUtils.EC_ALGORITHM);
        hostKey.setKeySize(256);
        sshd.setKeyPairProvider(hostKey);
        sshd.setPublickeyAuthenticator((user, key, session) ->
                KeyUtils.compareKeys(operator, key) || authorized.authenticate(user, key, session));
        sshd.setPasswordAuthenticator((user, password, session) -> adminPassword(user, password, address(session.getClientAddress())));
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setShellFactory(channel -> new GogoCommand(processor, context, null));
        sshd.setCommandFactory((channel, command) -> new GogoCommand(processor, context, command));
        applyLimits(sshd, c);
        try {
            sshd.start();
        } catch (IOException e) {
            LOG.error("SSH console cannot listen on {}:{}: {} (set STRATA_SSH_PORT or the port in strata.console.ssh)",
                    c.bind(), c.port(), e.getMessage());
            throw e;
        }
        LOG.info("SSH console listening on {}:{} (keys: {})", c.bind(), sshd.getPort(), dir.resolve("authorized_keys"));
        return sshd;
    }

    /**
     * An administrator (a JID in strata.cfg's {@code admins}) logs in with the XMPP password,
     * checked against the stored SCRAM credential; the user name is the JID or its localpart on
     * the default domain. The password is verified before the admin check, so both failures cost
     * the same.
     */
    boolean adminPassword(String user, String password, String address) {
        AccountStore store = accounts;
        ServerInfo info = serverInfo;
        if (store == null || info == null || info.domains().isEmpty()) return false;
        LoginThrottle t = throttle;
        if (t == null) {
            LOG.warn("SSH console: password login refused for {} from {}: the login throttle (accounts module) is not running", user, address);
            return false;
        }
        Jid jid;
        try {
            jid = user.contains("@") ? Jid.of(user).bare() : Jid.of(user, info.domains().getFirst(), null);
        } catch (InvalidJidException e) {
            jid = null;
        }
        if (jid == null || jid.local() == null) {
            t.failed(address, null);
            return false;
        }
        LoginThrottle.Verdict verdict = t.check(address, jid.toString());
        if (!verdict.allowed()) {
            // the same rule as SASL: while locked, even the right password is refused, and the attempt does not count
            LOG.warn("SSH console: password login refused for {} from {}: {}", jid, address, verdict.reason());
            return false;
        }
        boolean ok = store.verifyPassword(jid, password);
        boolean admin = info.isAdmin(jid);
        if (ok && admin) {
            t.succeeded(address, jid.toString());
            LOG.info("SSH console: {} logged in with a password", jid);
            return true;
        }
        t.failed(address, jid.toString());
        LOG.warn("SSH console: password login refused for {} from {}", jid, address);
        return false;
    }

    private static String address(java.net.SocketAddress a) {
        return a instanceof java.net.InetSocketAddress i && i.getAddress() != null ? i.getAddress().getHostAddress() : String.valueOf(a);
    }

    private static void applyLimits(SshServer sshd, Config c) {
        CoreModuleProperties.IDLE_TIMEOUT.set(sshd, Duration.ofSeconds(c.idle_timeout()));
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(sshd, c.max_auth_attempts());
    }

    /** Limits apply to new sessions at once; a new port or address rebinds the listener. */
    @Modified
    synchronized void modified(Config c) throws IOException {
        Config old = config;
        config = c;
        if (c.port() != old.port() || !c.bind().equals(old.bind())) {
            server.stop(true);
            server = start(c);
            return;
        }
        applyLimits(server, c);
        LOG.info("SSH console settings changed: idle timeout {} s, {} authentication attempts", c.idle_timeout(), c.max_auth_attempts());
    }

    @Deactivate
    synchronized void deactivate() throws IOException {
        server.stop(true);
        LOG.info("SSH console stopped");
    }

    /** The local operator's key pair: created once, private key readable by the owner only. */
    private static PublicKey operatorKey(Path dir) throws IOException, GeneralSecurityException {
        Path priv = dir.resolve("operator_key");
        Path pub = dir.resolve("operator_key.pub");
        if (Files.exists(pub) && Files.exists(priv)) {
            List<String> lines = Files.readAllLines(pub);
            return PublicKeyEntry.parsePublicKeyEntry(lines.getFirst()).resolvePublicKey(null, null, null);
        }
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        KeyPair pair = gen.generateKeyPair();
        Files.deleteIfExists(priv);
        Files.createFile(priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        OpenSSHKeyPairResourceWriter writer = new OpenSSHKeyPairResourceWriter();
        try (OutputStream out = Files.newOutputStream(priv)) {
            writer.writePrivateKey(pair, "strata-operator", null, out);
        }
        try (OutputStream out = Files.newOutputStream(pub)) {
            writer.writePublicKey(pair, "strata-operator", out);
        }
        LOG.info("Created the local operator key {} (used by bin/strata shell)", priv);
        return pair.getPublic();
    }
}
