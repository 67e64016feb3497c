package dev.strata.modules.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.strata.api.console.ConsoleCommand;

/** {@code log:tail [-f] [N]}: the last N lines (default 50) of logs/strata.log; with -f, then what follows, until Ctrl-C. */
@ConsoleCommand(scope = "log", function = "tail")
@Component(service = LogCommands.class)
public final class LogCommands {
    private final Path file;

    @Activate
    public LogCommands(BundleContext context) {
        String logs = context.getProperty("strata.logs");
        this.file = Path.of(logs == null ? "logs" : logs, "strata.log");
    }

    @Descriptor("Show the last 50 lines of logs/strata.log")
    public String tail() throws IOException {
        return tail(50);
    }

    @Descriptor("Show the last lines of logs/strata.log")
    public String tail(@Descriptor("number of lines") int lines) throws IOException {
        if (lines < 1) throw new IllegalArgumentException("log:tail needs a positive number of lines");
        if (!Files.exists(file)) throw new IllegalStateException("No log file at " + file);
        return String.join("\n", lastLines(file, lines));
    }

    /**
     * {@code log:tail -f [N]}: the last N lines, then each new line as it is written, until the
     * admin presses Ctrl-C (or closes the connection); follows the file across its daily rotation.
     */
    @Descriptor("Show the last lines of logs/strata.log, then follow it until Ctrl-C")
    public void tail(CommandSession session, @Parameter(names = "-f", presentValue = "true", absentValue = "false")
            @Descriptor("follow new lines") boolean follow, @Descriptor("number of lines") int lines) throws IOException, InterruptedException {
        PrintStream out = session.getConsole();
        out.println(tail(lines));
        if (!follow) return;
        out.flush();
        long pos = Files.size(file);
        byte[] buf = new byte[8192];
        InputStream keyboard = session.getKeyboard();
        while (!Thread.currentThread().isInterrupted()) {
            // Ctrl-C (ETX) from an interactive console ends it; a closed connection interrupts this thread
            if (keyboard != null && keyboard.available() > 0) {
                int c = keyboard.read();
                if (c == 3 || c < 0) return;
            }
            long size = Files.exists(file) ? Files.size(file) : 0;
            if (size < pos) pos = 0; // rotated: the new file from its start
            if (size > pos) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                    raf.seek(pos);
                    int n;
                    while (pos < size && (n = raf.read(buf, 0, (int) Math.min(buf.length, size - pos))) > 0) {
                        out.write(buf, 0, n);
                        pos += n;
                    }
                }
                out.flush();
                if (out.checkError()) return; // the connection is gone
            }
            Thread.sleep(250);
        }
    }

    @Descriptor("Show the last 50 lines of logs/strata.log, then follow it until Ctrl-C")
    public void tail(CommandSession session, @Parameter(names = "-f", presentValue = "true", absentValue = "false")
            @Descriptor("follow new lines") boolean follow) throws IOException, InterruptedException {
        tail(session, follow, 50);
    }

    /** Reads backwards in blocks, so a large log costs only what is shown. */
    static Deque<String> lastLines(Path file, int count) throws IOException {
        Deque<String> lines = new ArrayDeque<>();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long pos = raf.length();
            byte[] carry = new byte[0];
            while (pos > 0 && lines.size() <= count) {
                int n = (int) Math.min(8192, pos);
                pos -= n;
                byte[] block = new byte[n + carry.length];
                raf.seek(pos);
                raf.readFully(block, 0, n);
                System.arraycopy(carry, 0, block, n, carry.length);
                int end = block.length;
                for (int i = block.length - 1; i >= 0; i--) {
                    if (block[i] == '\n') {
                        if (i + 1 < end || end != block.length) lines.addFirst(new String(block, i + 1, end - i - 1, StandardCharsets.UTF_8));
                        end = i;
                    }
                }
                carry = java.util.Arrays.copyOfRange(block, 0, end);
            }
            if (pos == 0 && carry.length > 0) lines.addFirst(new String(carry, StandardCharsets.UTF_8));
        }
        while (lines.size() > count) lines.removeFirst();
        return lines;
    }
}
