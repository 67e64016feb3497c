package dev.strata.api.xml;

/**
 * Bounds that protect the server from hostile XML: the size in bytes of one top-level element
 * (and of anything else buffered between two events, such as a stream header), its nesting
 * depth below the stream root, and the number of attributes on one element.
 */
public record XmlLimits(int maxElementBytes, int maxDepth, int maxAttributes) {
    /** 256 KiB stanzas, 32 levels, 64 attributes: generous for clients, small for attackers. */
    public static final XmlLimits DEFAULT = new XmlLimits(262_144, 32, 64);

    public XmlLimits {
        if (maxElementBytes < 1024) throw new IllegalArgumentException("maxElementBytes must be at least 1024");
        if (maxDepth < 1) throw new IllegalArgumentException("maxDepth must be at least 1");
        if (maxAttributes < 1) throw new IllegalArgumentException("maxAttributes must be at least 1");
    }
}
