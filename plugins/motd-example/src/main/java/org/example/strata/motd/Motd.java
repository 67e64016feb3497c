package org.example.strata.motd;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.console.ConsoleCommand;

/**
 * Message of the day: {@code motd:show} prints it. The message comes from configuration PID
 * {@code strata.motd}; editing the file changes it live, through {@link #modified}.
 */
@ConsoleCommand(scope = "motd", function = "show")
@Component(name = "strata.motd", service = Motd.class)
@Designate(ocd = Motd.Config.class)
public final class Motd {
    @ObjectClassDefinition(id = "strata.motd", name = "Message of the day")
    @interface Config {
        @AttributeDefinition(description = "The message motd:show prints", max = "500")
        String message() default "Welcome to Strata.";
    }

    private volatile String message;

    @Activate
    public Motd(Config config) {
        this.message = config.message();
    }

    @Modified
    void modified(Config config) {
        this.message = config.message();
    }

    /** motd:show */
    public String show() {
        return message;
    }
}
