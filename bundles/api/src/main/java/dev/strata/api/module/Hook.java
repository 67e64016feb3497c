package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares the points a {@link StanzaHook} component runs at (the {@value StanzaHook#POINT}
 * service property): {@code @Hook(StanzaHook.INBOUND)}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Hook {
    String PREFIX_ = "strata.";

    /** The points, e.g. {@link StanzaHook#INBOUND}. */
    String[] value();
}
