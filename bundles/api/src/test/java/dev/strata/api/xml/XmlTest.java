package dev.strata.api.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/** Xml.parse reuses its readers: what one parse left behind (a failure half-way, a deep document) never leaks into the next. */
class XmlTest {
    private static String message(int i) {
        return "<message xmlns='jabber:client' to='a@example.org' id='m" + i + "'><body>b &amp; " + i + "</body><x xmlns='urn:x' n='" + i + "'/></message>";
    }

    @Test
    void eachRefusalLeavesTheNextParseIntact() throws XmlException {
        String[] bad = {
            "<a xmlns='x'><!-- c --></a>",
            "<a xmlns='x'><?pi x?></a>",
            "<!DOCTYPE a [<!ENTITY e 'x'>]><a xmlns='x'>&e;</a>",
            "<a xmlns='x'><b></a>",
            "<a xmlns='x'/><b xmlns='x'/>",
            "<a xmlns='x'>",
            "text only",
        };
        for (int i = 0; i < bad.length; i++) {
            String doc = bad[i];
            assertThatThrownBy(() -> Xml.parse(doc)).isInstanceOf(XmlException.class);
            Element e = Xml.parse(message(i));
            assertThat(e.attribute("id")).isEqualTo("m" + i);
            assertThat(e.child("body", "jabber:client").orElseThrow().text()).isEqualTo("b & " + i);
            assertThat(e.child("x", "urn:x").orElseThrow().attribute("n")).isEqualTo(Integer.toString(i));
            assertThat(e.namespace()).isEqualTo("jabber:client");
        }
    }

    @Test
    void parsesOnManyThreadsAtOnceEachGetTheirOwnDocument() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Boolean>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * 10_000;
                done.add(pool.submit(() -> {
                    for (int i = base; i < base + 2_000; i++) {
                        Element e = Xml.parse(message(i));
                        if (!e.attribute("id").equals("m" + i) || !e.child("body", "jabber:client").orElseThrow().text().equals("b & " + i)) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : done) assertThat(f.get()).isTrue();
        }
    }
}
