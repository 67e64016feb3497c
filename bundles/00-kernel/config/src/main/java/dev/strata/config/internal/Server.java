package dev.strata.config.internal;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;

/** The server-wide settings of {@code config/strata.cfg} (PID {@code strata}), offered as {@link ServerInfo}. */
@Component(name = "strata", service = ServerInfo.class, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = Server.Config.class)
public final class Server implements ServerInfo {
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);

    @ObjectClassDefinition(id = "strata", name = "Strata server", description = "Domains served, environment and administrators.")
    @interface Config {
        @AttributeDefinition(description = "The XMPP domains this server hosts; the first is the default.")
        String[] domains() default {"localhost"};

        @AttributeDefinition(description = "Selects config/environments/<name>.cfg.",
                options = {@Option(value = "development", label = "development"), @Option(value = "production", label = "production")})
        String environment() default "development";

        @AttributeDefinition(description = "Bare JIDs of the server administrators.")
        String[] admins() default {};
    }

    private record Settings(List<String> domains, String environment, List<Jid> admins) {
    }

    private volatile Settings settings;

    @Activate
    public Server(Config config) {
        settings = read(config);
        LOG.info("Server settings: domains={} environment={} admins={}", settings.domains(), settings.environment(), settings.admins());
    }

    @Modified
    void modified(Config config) {
        settings = read(config);
        LOG.info("Server settings changed: domains={} environment={} admins={}", settings.domains(), settings.environment(), settings.admins());
    }

    private static Settings read(Config config) {
        List<String> domains = new ArrayList<>();
        for (String d : config.domains()) {
            try {
                Jid jid = Jid.of(d.strip());
                if (!jid.isDomain()) throw new InvalidJidException(d, "a domain has no localpart or resourcepart");
                domains.add(jid.domain());
            } catch (InvalidJidException e) {
                LOG.error("config strata domains: '{}' is not a domain name: {}; ignored", d, e.getMessage());
            }
        }
        List<Jid> admins = new ArrayList<>();
        for (String a : config.admins()) {
            try {
                admins.add(Jid.of(a.strip()).bare());
            } catch (InvalidJidException e) {
                LOG.error("config strata admins: '{}' is not a valid JID: {}; ignored", a, e.getMessage());
            }
        }
        return new Settings(List.copyOf(domains), config.environment(), List.copyOf(admins));
    }

    @Override
    public List<String> domains() {
        return settings.domains();
    }

    @Override
    public String environment() {
        return settings.environment();
    }

    @Override
    public List<Jid> admins() {
        return settings.admins();
    }
}
