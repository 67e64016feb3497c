package dev.strata.api.module;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares which IQs an {@link IqHandler} component answers: the payload namespace, get, set or
 * both, and whom the IQ is addressed to (Prosody's {@code iq/host}, {@code iq/bare},
 * {@code iq/self}), so a handler never checks 'to' by hand.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface IqRoute {
    String PREFIX_ = "strata.iq.";

    /** Whom an IQ is addressed to. An IQ without 'to' is for the sender's own account and the server alike (RFC 6120 §10.3.3). */
    enum To {
        /** The server: no 'to', or a domain it hosts. */
        SERVER,
        /** The sender's own account: no 'to', or the sender's bare JID. To another account: {@code forbidden}. */
        SELF,
        /** Any local account's bare JID (the sender's own when there is no 'to'). */
        ACCOUNT
    }

    /** The payload namespace, e.g. {@code urn:xmpp:ping}. */
    String namespace();

    /** {@code get}, {@code set}, or both. */
    String[] type() default {"get", "set"};

    /** The addressees this handler answers for; empty: every IQ of its namespace, the handler checks 'to' itself. */
    To[] target() default {};
}
