package dev.strata.api.xml;

import java.util.Objects;

/**
 * One attribute. {@code namespace} is empty for the usual unqualified attribute, and
 * {@link Element#XML_NS} for {@code xml:lang}.
 */
public record Attribute(String namespace, String name, String value) {
    public Attribute {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) throw new IllegalArgumentException("attribute name must not be empty");
        Element.checkChars(value, "attribute " + name);
        Element.checkChars(namespace, "the namespace of attribute " + name);
    }

    /** An unqualified attribute. */
    public static Attribute of(String name, String value) {
        return new Attribute("", name, value);
    }
}
