package dev.strata.api.module;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0115 entity capabilities: the verification string of a disco#info result (§5.1, SHA-1). */
public final class Caps {
    public static final String NS = "http://jabber.org/protocol/caps";
    /** The node Strata advertises its capabilities under. */
    public static final String NODE = "https://strata.dev/caps";
    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";

    private Caps() {
    }

    /** The 'ver' of a {@code <query xmlns='http://jabber.org/protocol/disco#info'/>} result. */
    public static String ver(Element info) {
        StringBuilder s = new StringBuilder();
        info.elements().filter(e -> e.is("identity", DISCO_INFO))
                .map(e -> nz(e.attribute("category")) + "/" + nz(e.attribute("type")) + "/" + nz(e.attribute(Element.XML_NS, "lang")) + "/" + nz(e.attribute("name")))
                .sorted().forEach(i -> s.append(i).append('<'));
        info.elements().filter(e -> e.is("feature", DISCO_INFO)).map(e -> nz(e.attribute("var"))).sorted().forEach(f -> s.append(f).append('<'));
        List<Element> forms = new ArrayList<>(info.elements().filter(e -> e.is("x", DataForm.NS)).toList());
        forms.sort(Comparator.comparing(f -> DataForm.values(f, "FORM_TYPE").stream().findFirst().orElse("")));
        for (Element form : forms) {
            s.append(DataForm.values(form, "FORM_TYPE").stream().findFirst().orElse("")).append('<');
            form.elements().filter(f -> f.is("field", DataForm.NS) && !"FORM_TYPE".equals(f.attribute("var")))
                    .sorted(Comparator.comparing(f -> nz(f.attribute("var")))).forEach(f -> {
                        s.append(nz(f.attribute("var"))).append('<');
                        DataForm.values(form, nz(f.attribute("var"))).stream().sorted().forEach(v -> s.append(v).append('<'));
                    });
        }
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(s.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
