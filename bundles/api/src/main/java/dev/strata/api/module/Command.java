package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares an {@link AdHocCommand} component's node, name, and whether only administrators see
 * and run it: {@code @Command(node = "...#add-user", name = "Add a User")}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Command {
    String PREFIX_ = "strata.command.";

    /** The command node (XEP-0050 §2), e.g. {@code http://jabber.org/protocol/admin#add-user}. */
    String node();

    /** The name clients show. */
    String name();

    /** True: only the server's administrators see and run it. */
    boolean admin() default true;
}
