package dev.strata.config.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Edits one key of a .cfg file in place and replaces the file atomically (temp file + rename). */
final class ConfigFiles {
    private ConfigFiles() {
    }

    /** Replaces line {@code line} (1-based) with {@code key = value}; line 0 appends it. */
    static void set(Path file, int line, String key, String value) throws IOException {
        List<String> lines = Files.exists(file) ? new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8)) : new ArrayList<>();
        String text = key + " = " + value;
        if (line > 0 && line <= lines.size()) {
            lines.set(line - 1, text);
        } else {
            lines.add(text);
        }
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
