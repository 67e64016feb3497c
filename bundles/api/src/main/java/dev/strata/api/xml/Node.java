package dev.strata.api.xml;

/** A child of an {@link Element}: another element or a run of text. */
public sealed interface Node permits Element, Text {
}
