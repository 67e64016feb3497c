package org.example.strata.wordfilter;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.module.Filter;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;

/**
 * Masks configured words in the messages users send: "darn it" becomes "**** it". A
 * {@link StanzaFilter} at the {@code outbound} point changes a stanza after the server stamped its
 * sender and before anything else sees it, so the recipient, the sender's other devices (carbons)
 * and the archive all get the masked text. It returns a changed copy (elements are immutable) and
 * passes everything else on unchanged; it never sends or routes a stanza itself, so it cannot loop.
 * The words are configuration PID {@code strata.wordfilter}, applied live through {@link #modified}.
 */
@Component(name = "strata.wordfilter", service = StanzaFilter.class)
@Filter(StanzaFilter.OUTBOUND)
@Designate(ocd = WordFilter.Config.class)
public final class WordFilter implements StanzaFilter {
    private static final String CLIENT = "jabber:client";

    @ObjectClassDefinition(id = "strata.wordfilter", name = "Word filter")
    @interface Config {
        @AttributeDefinition(description = "Words to mask in message bodies, whole words, any case (comma-separated in a .cfg file)")
        String[] words() default {};

        @AttributeDefinition(description = "The character each letter of a masked word becomes", max = "1")
        String mask() default "*";
    }

    private volatile Pattern words;
    private volatile String mask;

    @Activate
    public WordFilter(Config config) {
        modified(config);
    }

    @Modified
    void modified(Config config) {
        List<String> list = config.words() == null ? List.of()
                : java.util.Arrays.stream(config.words()).map(String::strip).filter(w -> !w.isEmpty()).map(Pattern::quote).toList();
        this.words = list.isEmpty() ? null : Pattern.compile("\\b(" + String.join("|", list) + ")\\b", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        this.mask = config.mask() == null || config.mask().isEmpty() ? "*" : config.mask().substring(0, 1);
    }

    @Override
    public Element filter(Element stanza, StanzaContext context) {
        Pattern p = words;
        if (p == null || !stanza.name().equals("message")) return stanza;
        Element body = stanza.child("body", CLIENT).orElse(null);
        if (body == null) return stanza;
        String text = body.text();
        Matcher m = p.matcher(text);
        if (!m.find()) return stanza;
        String masked = m.replaceAll(r -> mask.repeat(r.group().length()));
        // the same stanza with its body's text replaced, in place (its xml:lang kept)
        Element.Builder newBody = Element.builder("body", CLIENT);
        body.attributes().forEach(a -> newBody.attribute(a.namespace(), a.name(), a.value()));
        Element maskedBody = newBody.text(masked).build();
        Element.Builder copy = Element.builder(stanza.name(), stanza.namespace());
        stanza.attributes().forEach(a -> copy.attribute(a.namespace(), a.name(), a.value()));
        for (var child : stanza.children()) copy.child(child == body ? maskedBody : child);
        return copy.build();
    }
}
