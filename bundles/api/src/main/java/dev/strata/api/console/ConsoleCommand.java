package dev.strata.api.console;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares a DS component as console commands: each public method named in {@link #function()}
 * becomes the command {@code scope:function} in the SSH console. Method parameters are the
 * command's arguments; the return value is printed; an exception prints its message as one
 * error line and makes the command exit non-zero.
 *
 * <pre>{@code
 * @ConsoleCommand(scope = "motd", function = {"show", "set"})
 * @Component(service = MotdCommands.class)
 * public final class MotdCommands { public String show() { ... } }
 * }</pre>
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ConsoleCommand {
    /** Prefix for the generated component properties ({@code osgi.command.scope}, {@code osgi.command.function}). */
    String PREFIX_ = "osgi.command.";

    /** The command scope, e.g. {@code module}. */
    String scope();

    /** The command names in that scope, each a public method of the component. */
    String[] function();
}
