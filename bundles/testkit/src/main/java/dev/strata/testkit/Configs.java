package dev.strata.testkit;

import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A component's configuration annotation with some values set and the rest at their defaults, as
 * Declarative Services would hand it over: {@code Configs.of(Roster.Config.class, Map.of("max.items", 10))}.
 * Keys follow DS's name mapping (an underscore in a method name is a dot in the key).
 */
public final class Configs {
    private Configs() {
    }

    public static <T> T of(Class<T> type, Map<String, ?> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String key = method.getName().replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
            return switch (method.getName()) {
                case "annotationType" -> type;
                case "toString" -> type.getSimpleName() + values;
                case "hashCode" -> values.hashCode();
                case "equals" -> proxy == args[0];
                default -> values.containsKey(key) ? values.get(key) : method.getDefaultValue();
            };
        }));
    }

    public static <T> T defaults(Class<T> type) {
        return of(type, Map.of());
    }
}
