package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares the points a {@link StanzaFilter} component runs at (the {@value StanzaFilter#POINT}
 * service property): {@code @Filter(StanzaFilter.INBOUND)}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Filter {
    String PREFIX_ = "strata.";

    /** The points, e.g. {@link StanzaFilter#INBOUND}. */
    String[] value();
}
