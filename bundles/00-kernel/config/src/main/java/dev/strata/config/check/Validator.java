package dev.strata.config.check;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.strata.config.check.ConfigTree.Problem;
import dev.strata.config.check.ConfigTree.Setting;
import dev.strata.config.check.ConfigTree.Target;
import dev.strata.config.check.Metatype.Ad;
import dev.strata.config.check.Metatype.Ocd;

/** Checks settings against metatype: known PID, known key, type, bounds and options, and the {@link Formats} of addresses, domains and JIDs. */
public final class Validator {
    private Validator() {
    }

    /** Every problem of every target in the tree (errors: the server does not apply them); see {@link #undeclared}. */
    public static List<Problem> validate(ConfigTree tree, Metatype metatype) {
        List<Problem> problems = new ArrayList<>(tree.problems());
        for (Target target : tree.targets().keySet()) problems.addAll(validate(tree, target, metatype.find(target)));
        return problems;
    }

    /**
     * Warnings, the same for {@code strata check} and the running server: configurations no installed module
     * declares. Not errors: a plugin's configuration may wait in {@code config/} for the plugin. The server keeps it
     * and applies it when a bundle that declares the PID arrives; a typo shows here, by name, on every check.
     */
    public static List<Problem> undeclared(ConfigTree tree, Metatype metatype) {
        List<Problem> warnings = new ArrayList<>();
        for (Target target : tree.targets().keySet()) if (metatype.find(target) == null) warnings.add(undeclared(tree, target));
        return warnings;
    }

    /** The warning for a target nobody declares, at its first setting. */
    public static Problem undeclared(ConfigTree tree, Target target) {
        Setting any = tree.targets().get(target).values().iterator().next();
        return new Problem(any.source().file(), any.source().line(), target.toString(), null,
                "no installed module declares the configuration '" + target.pid() + "': kept, and applied when a module that declares it is loaded");
    }

    /** The problems of every setting of one target, in every layer, against its schema (null, nobody declares it: none). */
    public static List<Problem> validate(ConfigTree tree, Target target, Ocd ocd) {
        List<Problem> problems = new ArrayList<>();
        if (ocd == null) return problems;
        for (Map<String, Setting> section : tree.sections(target)) {
            section.forEach((key, setting) -> {
                String reason = check(ocd, key, setting.value());
                if (reason != null) {
                    problems.add(new Problem(setting.source().file(), setting.source().line(), target.toString(), key, reason));
                }
            });
        }
        return problems;
    }

    /** Why {@code value} is not acceptable for {@code key}, or null when it is. */
    public static String check(Ocd ocd, String key, String value) {
        Ad ad = ocd.ads().get(key);
        if (ad == null) return "unknown key; " + ocd.id() + " accepts: " + String.join(", ", ocd.ads().keySet());
        for (String v : values(ad, value)) {
            String reason = checkOne(ad, v);
            if (reason != null) return reason;
        }
        return null;
    }

    private static List<String> values(Ad ad, String value) {
        if (ad.cardinality() == 0) return List.of(value);
        List<String> list = new ArrayList<>();
        for (String v : value.split(",")) if (!v.isBlank()) list.add(v.strip());
        return list;
    }

    private static String checkOne(Ad ad, String v) {
        Object typed;
        try {
            typed = convert(ad.type(), v);
        } catch (IllegalArgumentException e) {
            return "expected " + article(ad.type()) + ", got '" + v + "'";
        }
        if (!ad.options().isEmpty() && !ad.options().contains(v)) {
            return "'" + v + "' is not one of: " + String.join(", ", ad.options());
        }
        if (typed instanceof Number n && !(typed instanceof Double || typed instanceof Float)) {
            if (ad.min() != null && !ad.min().isEmpty() && n.longValue() < Long.parseLong(ad.min())) return v + " is below the minimum " + ad.min();
            if (ad.max() != null && !ad.max().isEmpty() && n.longValue() > Long.parseLong(ad.max())) return v + " is above the maximum " + ad.max();
        } else if (typed instanceof Number n) {
            if (ad.min() != null && !ad.min().isEmpty() && n.doubleValue() < Double.parseDouble(ad.min())) return v + " is below the minimum " + ad.min();
            if (ad.max() != null && !ad.max().isEmpty() && n.doubleValue() > Double.parseDouble(ad.max())) return v + " is above the maximum " + ad.max();
        } else if (typed instanceof String s) {
            if (ad.min() != null && !ad.min().isEmpty() && s.length() < Integer.parseInt(ad.min())) return "must be at least " + ad.min() + " characters";
            if (ad.max() != null && !ad.max().isEmpty() && s.length() > Integer.parseInt(ad.max())) return "must be at most " + ad.max() + " characters";
        }
        return Formats.check(ad.id(), v);
    }

    private static String article(String type) {
        return switch (type) {
            case "Integer" -> "an integer";
            case "Long" -> "a long integer";
            case "Boolean" -> "true or false";
            default -> "a " + type.toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The value as ConfigAdmin expects it for this attribute: typed, and an array when multi-valued. */
    public static Object typed(Ad ad, String value) {
        if (ad == null) return value;
        if (ad.cardinality() == 0) return convert(ad.type(), value);
        List<String> vs = values(ad, value);
        Object array = Array.newInstance(javaType(ad.type()), vs.size());
        for (int i = 0; i < vs.size(); i++) Array.set(array, i, convert(ad.type(), vs.get(i)));
        return array;
    }

    private static Class<?> javaType(String type) {
        return switch (type) {
            case "Integer" -> Integer.class;
            case "Long" -> Long.class;
            case "Short" -> Short.class;
            case "Byte" -> Byte.class;
            case "Double" -> Double.class;
            case "Float" -> Float.class;
            case "Boolean" -> Boolean.class;
            case "Char", "Character" -> Character.class;
            default -> String.class;
        };
    }

    private static Object convert(String type, String v) {
        return switch (type) {
            case "Integer" -> Integer.valueOf(v.strip());
            case "Long" -> Long.valueOf(v.strip());
            case "Short" -> Short.valueOf(v.strip());
            case "Byte" -> Byte.valueOf(v.strip());
            case "Double" -> Double.valueOf(v.strip());
            case "Float" -> Float.valueOf(v.strip());
            case "Boolean" -> switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                default -> throw new IllegalArgumentException(v);
            };
            case "Char", "Character" -> {
                if (v.length() != 1) throw new IllegalArgumentException(v);
                yield v.charAt(0);
            }
            default -> v;
        };
    }
}
