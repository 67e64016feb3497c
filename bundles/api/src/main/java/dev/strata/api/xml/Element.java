package dev.strata.api.xml;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An immutable XML element: qualified name, attributes and children (elements and text).
 * Build one with {@link #builder(String, String)}; an element received from the network is
 * parsed once into this form by the transport (or {@link Xml#parse}), and written out by {@link XmlWriter}.
 */
public final class Element implements Node {
    /** The namespace bound to the {@code xml} prefix ({@code xml:lang}). */
    public static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    private final String name;
    private final String namespace;
    private final List<Attribute> attributes;
    private final List<Node> children;

    private Element(String name, String namespace, List<Attribute> attributes, List<Node> children) {
        this.name = name;
        this.namespace = namespace;
        this.attributes = attributes;
        this.children = children;
    }

    /** An empty element. */
    public static Element of(String name, String namespace) {
        return builder(name, namespace).build();
    }

    public static Builder builder(String name, String namespace) {
        return new Builder(name, namespace);
    }

    public String name() {
        return name;
    }

    /** The element's namespace; empty for no namespace. */
    public String namespace() {
        return namespace;
    }

    public boolean is(String name, String namespace) {
        return this.name.equals(name) && this.namespace.equals(namespace);
    }

    public List<Attribute> attributes() {
        return attributes;
    }

    /** The value of an unqualified attribute, or null. */
    public String attribute(String name) {
        return attribute("", name);
    }

    /** The value of a namespaced attribute, or null. */
    public String attribute(String namespace, String name) {
        for (Attribute a : attributes) {
            if (a.name().equals(name) && a.namespace().equals(namespace)) return a.value();
        }
        return null;
    }

    public List<Node> children() {
        return children;
    }

    /** The child elements, in document order. */
    public Stream<Element> elements() {
        return children.stream().filter(Element.class::isInstance).map(Element.class::cast);
    }

    /** The first child element with this name and namespace. */
    public Optional<Element> child(String name, String namespace) {
        // a loop, not a stream: modules ask this several times of every stanza (W2 spent a quarter of its CPU setting up streams)
        for (Node n : children) {
            if (n instanceof Element e && e.is(name, namespace)) return Optional.of(e);
        }
        return Optional.empty();
    }

    /** The first child element, whatever its name (the payload of an IQ). */
    public Optional<Element> firstChild() {
        for (Node n : children) {
            if (n instanceof Element e) return Optional.of(e);
        }
        return Optional.empty();
    }

    /** All text directly inside this element, concatenated. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Node n : children) {
            if (n instanceof Text(String value)) sb.append(value);
        }
        return sb.toString();
    }

    /**
     * This element with itself and every descendant in namespace {@code from} moved to {@code to}
     * (a stream's content namespace becoming another's: jabber:server or jabber:component:accept
     * stanzas as the server's own jabber:client ones); itself when it is not in {@code from}.
     */
    public Element renamespaced(String from, String to) {
        if (!from.equals(namespace())) return this;
        Builder b = builder(name(), to);
        for (Attribute a : attributes()) b.attribute(a.namespace(), a.name(), a.value());
        for (Node n : children()) b.child(n instanceof Element c ? c.renamespaced(from, to) : n);
        return b.build();
    }

    /** This element without the child elements {@code drop} matches: itself when it matches none. */
    public Element without(java.util.function.Predicate<Element> drop) {
        boolean any = false;
        for (Node n : children) {
            if (n instanceof Element e && drop.test(e)) {
                any = true;
                break;
            }
        }
        if (!any) return this;
        Builder b = new Builder(name, namespace);
        b.attributes.addAll(attributes);
        for (Node n : children) {
            if (!(n instanceof Element e && drop.test(e))) b.children.add(n);
        }
        return b.build();
    }

    /** A builder that starts as a copy of this element. */
    public Builder toBuilder() {
        Builder b = new Builder(name, namespace);
        b.attributes.addAll(attributes);
        b.children.addAll(children);
        return b;
    }

    /** Serialized form, for logs and tests; the transport writes with {@link XmlWriter}. */
    public String toXml() {
        return XmlWriter.toString(this, "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Element e && name.equals(e.name) && namespace.equals(e.namespace)
                && attributes.equals(e.attributes) && children.equals(e.children);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, namespace, attributes, children);
    }

    @Override
    public String toString() {
        return toXml();
    }

    /** Rejects characters XML 1.0 cannot carry, so a serialized element is always well-formed. */
    static void checkChars(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c <= 0xD7FF || c == 0x9 || c == 0xA || c == 0xD || c >= 0xE000 && c <= 0xFFFD) continue;
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            throw new IllegalArgumentException(what + " contains a character XML 1.0 does not allow: U+" + String.format("%04X", (int) c));
        }
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("element name must not be empty");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || "<>&'\"/=:".indexOf(c) >= 0) {
                throw new IllegalArgumentException("element name '" + name + "' contains '" + c + "'");
            }
        }
    }

    /** Collects attributes and children; {@link #build()} freezes them. */
    public static final class Builder {
        private final String name;
        private final String namespace;
        private final List<Attribute> attributes = new ArrayList<>(4);
        private final List<Node> children = new ArrayList<>(4);

        private Builder(String name, String namespace) {
            checkName(name);
            this.name = name;
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            checkChars(namespace, "the namespace of <" + name + ">"); // written as an xmlns value
        }

        /** Sets an unqualified attribute; a null value removes it. */
        public Builder attribute(String name, String value) {
            return attribute("", name, value);
        }

        /** Sets a namespaced attribute; a null value removes it. */
        public Builder attribute(String namespace, String name, String value) {
            attributes.removeIf(a -> a.name().equals(name) && a.namespace().equals(namespace));
            if (value != null) attributes.add(new Attribute(namespace, name, value));
            return this;
        }

        public Builder child(Node child) {
            children.add(Objects.requireNonNull(child, "child"));
            return this;
        }

        public Builder children(Iterable<? extends Node> nodes) {
            for (Node n : nodes) child(n);
            return this;
        }

        /** Appends text; adjacent text runs are merged. */
        public Builder text(String text) {
            if (text == null || text.isEmpty()) return this;
            if (!children.isEmpty() && children.getLast() instanceof Text(String prev)) {
                children.set(children.size() - 1, new Text(prev + text));
            } else {
                children.add(new Text(text));
            }
            return this;
        }

        public Element build() {
            return new Element(name, namespace,
                    attributes.isEmpty() ? List.of() : Collections.unmodifiableList(new ArrayList<>(attributes)),
                    children.isEmpty() ? List.of() : Collections.unmodifiableList(new ArrayList<>(children)));
        }
    }
}
