package dev.strata.api.stream;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares a {@link StreamFeature} component: the namespace of its negotiation elements, and the
 * payload namespaces of IQs it answers before authentication (in-band registration).
 * {@code @Feature(namespace = "http://jabber.org/features/compress")}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Feature {
    String PREFIX_ = "strata.stream.feature.";

    /** The namespace of the elements this feature negotiates ({@value StreamFeature#NAMESPACE}). */
    String namespace();

    /** IQ payload namespaces answered before authentication ({@value StreamFeature#PRE_AUTH_IQ}); none by default. */
    String[] iq() default {};
}
