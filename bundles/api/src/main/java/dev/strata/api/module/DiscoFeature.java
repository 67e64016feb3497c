package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Features the server advertises in disco#info (XEP-0030) while this component is registered:
 * the {@code strata.disco.feature} service property; {@code strata.disco.account}, those of
 * every account's bare JID.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface DiscoFeature {
    String PREFIX_ = "strata.disco.";

    /** Feature vars, e.g. {@code urn:xmpp:ping}. */
    String[] feature() default {};

    /**
     * Feature vars each account's bare JID advertises (XEP-0030 disco#info to an account, answered
     * by the server for it: {@code urn:xmpp:mam:2}, {@code http://jabber.org/protocol/pubsub#publish}).
     */
    String[] account() default {};
}
