package dev.strata.xep0092;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/** XEP-0092 Software Version 1.1: the server's name and version, and its OS unless hidden by policy. */
@IqRoute(namespace = Version.NS, type = "get", target = IqRoute.To.SERVER)
@DiscoFeature(feature = Version.NS)
@Component(name = "strata.xep0092", service = IqHandler.class)
@Designate(ocd = Version.Config.class)
public final class Version implements IqHandler {
    static final String NS = "jabber:iq:version";

    @ObjectClassDefinition(id = "strata.xep0092", name = "XEP-0092 Software Version")
    @interface Config {
        @AttributeDefinition(description = "Tell the operating system (XEP-0092 §4 leaves it optional: it helps attackers)")
        boolean show_os() default false;
    }

    private final String version;
    private volatile boolean showOs;

    @Activate
    public Version(BundleContext context, Config config) {
        this(context.getBundle().getVersion().toString(), config.show_os());
    }

    Version(String version, boolean showOs) {
        this.version = version;
        this.showOs = showOs;
    }

    @Modified
    void modified(Config config) {
        showOs = config.show_os();
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Element.Builder q = Element.builder("query", NS)
                .child(Element.builder("name", NS).text("Strata").build())
                .child(Element.builder("version", NS).text(version).build());
        if (showOs) q.child(Element.builder("os", NS).text(System.getProperty("os.name") + " " + System.getProperty("os.version")).build());
        return q.build();
    }
}
