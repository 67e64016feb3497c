package dev.strata.api.xml;

import java.util.List;
import java.util.Optional;

/** XEP-0004 data forms: building fields and reading submitted values. */
public final class DataForm {
    public static final String NS = "jabber:x:data";

    private DataForm() {
    }

    /** A form of the given type (form, submit, result) with a hidden FORM_TYPE when {@code formType} is not null. */
    public static Element.Builder form(String type, String formType, String title) {
        Element.Builder b = Element.builder("x", NS).attribute("type", type);
        if (title != null) b.child(Element.builder("title", NS).text(title).build());
        if (formType != null) b.child(field("FORM_TYPE", "hidden", null, false, List.of(formType)));
        return b;
    }

    /** A field with its type, label, required flag and values. */
    public static Element field(String var, String type, String label, boolean required, List<String> values) {
        Element.Builder f = Element.builder("field", NS).attribute("var", var);
        if (type != null) f.attribute("type", type);
        if (label != null) f.attribute("label", label);
        if (required) f.child(Element.of("required", NS));
        for (String v : values) f.child(Element.builder("value", NS).text(v).build());
        return f.build();
    }

    /** The values of a field of a submitted form; empty when the field is absent. */
    public static List<String> values(Element form, String var) {
        return form.elements().filter(e -> e.is("field", NS) && var.equals(e.attribute("var"))).findFirst()
                .map(f -> f.elements().filter(v -> v.is("value", NS)).map(Element::text).toList()).orElse(List.of());
    }

    /** The first value of a field, if any and not blank. */
    public static Optional<String> value(Element form, String var) {
        return values(form, var).stream().filter(v -> !v.isBlank()).findFirst();
    }
}
