package dev.strata.config.internal;

import java.util.Arrays;

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

/** The server-wide settings of {@code config/strata.cfg} (PID {@code strata}). */
@Component(name = "strata", service = {}, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = Server.Config.class)
public final class Server {
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);

    @ObjectClassDefinition(id = "strata", name = "Strata server", description = "Domains served, environment and administrators.")
    @interface Config {
        @AttributeDefinition(description = "The XMPP domains this server hosts.")
        String[] domains() default {"localhost"};

        @AttributeDefinition(description = "Selects config/environments/<name>.cfg.",
                options = {@Option(value = "development", label = "development"), @Option(value = "production", label = "production")})
        String environment() default "development";

        @AttributeDefinition(description = "Bare JIDs of the server administrators.")
        String[] admins() default {};
    }

    @Activate
    public Server(Config config) {
        log("Server settings", config);
    }

    @Modified
    void modified(Config config) {
        log("Server settings changed", config);
    }

    private static void log(String what, Config config) {
        LOG.info("{}: domains={} environment={} admins={}", what, Arrays.toString(config.domains()), config.environment(),
                Arrays.toString(config.admins()));
    }
}
