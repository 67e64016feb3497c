package dev.strata.api.stanza;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares the domains a {@link DomainService} component serves, and the name disco#items shows:
 * {@code @ServedDomain(domain = "conference.example.org", name = "Rooms")}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ServedDomain {
    String PREFIX_ = "strata.route.";

    /** The domains ({@value DomainService#DOMAIN}). */
    String[] domain();

    /** The name in disco#items ({@value DomainService#NAME}). */
    String name() default "";
}
