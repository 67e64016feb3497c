package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/** Declares which IQs an {@link IqHandler} component answers: the payload namespace, and get, set or both. */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface IqRoute {
    String PREFIX_ = "strata.iq.";

    /** The payload namespace, e.g. {@code urn:xmpp:ping}. */
    String namespace();

    /** {@code get}, {@code set}, or both. */
    String[] type() default {"get", "set"};
}
