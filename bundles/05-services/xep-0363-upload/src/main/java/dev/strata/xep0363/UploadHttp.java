package dev.strata.xep0363;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.http.HttpExchange;

/**
 * The HTTP side of XEP-0363 under the service's path: {@code PUT <path><slot>/<name>} stores the
 * file of an open slot (once, with exactly the slot's size and type: 201), {@code GET} and
 * {@code HEAD} serve it with single-range requests, and {@code OPTIONS} answers browsers' CORS
 * preflights. A served file cannot act as the server's origin: {@code nosniff}, a sandboxing
 * Content-Security-Policy, and {@code Content-Disposition: attachment} for anything but pictures,
 * audio and video.
 */
final class UploadHttp implements HttpEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(UploadHttp.class);
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,30})-(\\d{0,30})");
    /** Types a browser may show in place: pictures (not SVG, which runs scripts), audio and video. */
    private static final Pattern INLINE = Pattern.compile("image/(png|jpeg|gif|webp|avif|heic|heif|bmp)|audio/[a-z0-9.+-]+|video/[a-z0-9.+-]+");
    private static final Map<String, String> CORS = Map.of("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS",
            "Access-Control-Allow-Headers", "Content-Type, Authorization", "Access-Control-Max-Age", "86400",
            "Access-Control-Expose-Headers", "Content-Length, Content-Range, Content-Disposition, ETag");

    private final UploadStore store;
    private final String prefix;
    private final int slotTimeout, expireDays;

    UploadHttp(UploadStore store, String prefix, int slotTimeout, int expireDays) {
        this.store = store;
        this.prefix = prefix;
        this.slotTimeout = slotTimeout;
        this.expireDays = expireDays;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        switch (ex.method()) {
            case "OPTIONS" -> ex.respond(204, CORS, new byte[0]);
            case "PUT" -> put(ex);
            case "GET", "HEAD" -> get(ex);
            default -> answer(ex, 405, "Only GET, HEAD, PUT and OPTIONS here", Map.of("Allow", "GET, HEAD, PUT, OPTIONS"));
        }
    }

    /** The slot a path names, with the file name checked against it; empty for anything else. */
    private Optional<UploadStore.Slot> slot(HttpExchange ex) {
        String rest = ex.path().substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0) return Optional.empty();
        String id = rest.substring(0, slash), name = rest.substring(slash + 1);
        if (!UploadService.SLOT_ID.matcher(id).matches()) return Optional.empty();
        return store.find(id).filter(s -> s.filename().equals(name));
    }

    private void put(HttpExchange ex) throws IOException {
        Optional<UploadStore.Slot> found = slot(ex);
        Instant now = Instant.now();
        if (found.isEmpty() || (!found.get().stored() && found.get().created().plusSeconds(slotTimeout).isBefore(now))) {
            answer(ex, 404, "There is no open upload slot here (it was never given, or it lapsed after " + slotTimeout + " s)", Map.of());
            return;
        }
        UploadStore.Slot s = found.get();
        if (s.stored()) {
            answer(ex, 409, "This slot was used already; ask for a new one", Map.of());
            return;
        }
        long length = ex.contentLength();
        if (length >= 0 && length != s.size()) {
            answer(ex, length > s.size() ? 413 : 400, "The slot is for " + s.size() + " bytes; this request has " + length, Map.of());
            return;
        }
        if (length < 0 && !ex.header("Transfer-Encoding").map(t -> t.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false)) {
            answer(ex, 411, "Say the file's length (Content-Length: " + s.size() + ")", Map.of());
            return;
        }
        Optional<String> type = ex.header("Content-Type").map(t -> t.split(";", 2)[0].strip().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty());
        if (type.isPresent() && !type.get().equals(s.contentType())) {
            answer(ex, 415, "The slot is for a file of type " + s.contentType() + ", not " + type.get(), Map.of());
            return;
        }
        Path part = store.part(s.id());
        FileChannel out;
        try {
            out = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            answer(ex, 409, "Another upload to this slot is under way", Map.of());
            return;
        }
        boolean done = false;
        try {
            long count = 0;
            byte[] buf = new byte[64 * 1024];
            InputStream in = ex.body();
            try (out) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    count += n;
                    if (count > s.size()) {
                        answer(ex, 413, "The slot is for " + s.size() + " bytes; this upload is longer", Map.of());
                        return;
                    }
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) out.write(b);
                }
                if (count != s.size()) {
                    answer(ex, 400, "The slot is for " + s.size() + " bytes; this upload had " + count, Map.of());
                    return;
                }
                out.force(true);
            }
            Files.move(part, store.file(s.id()), StandardCopyOption.ATOMIC_MOVE);
            if (!store.stored(s.id(), now)) {
                Files.deleteIfExists(store.file(s.id()));
                answer(ex, 409, "This slot was used already; ask for a new one", Map.of());
                return;
            }
            done = true;
            LOG.debug("{} uploaded {} ({} bytes) to slot {}", s.owner(), s.filename(), s.size(), s.id());
            Map<String, String> h = new HashMap<>(CORS);
            h.put("Content-Type", "text/plain; charset=utf-8");
            ex.respond(201, h, "Stored\n".getBytes(UTF_8));
        } finally {
            if (!done) Files.deleteIfExists(part);
        }
    }

    private void get(HttpExchange ex) throws IOException {
        Optional<UploadStore.Slot> found = slot(ex).filter(UploadStore.Slot::stored)
                .filter(s -> expireDays <= 0 || s.created().plus(expireDays, ChronoUnit.DAYS).isAfter(Instant.now()));
        FileChannel file = null;
        if (found.isPresent()) {
            try {
                file = FileChannel.open(store.file(found.get().id()), StandardOpenOption.READ);
            } catch (IOException e) {
                LOG.warn("The uploaded file of slot {} is gone: {}", found.get().id(), e.toString());
            }
        }
        if (file == null) {
            answer(ex, 404, "Not found", Map.of());
            return;
        }
        UploadStore.Slot s = found.get();
        long size = file.size();
        Map<String, String> h = new HashMap<>(CORS);
        h.put("Content-Type", s.contentType());
        h.put("Content-Disposition", disposition(s.contentType(), s.filename()));
        // the file is the uploader's, not ours: no scripts, no plugins, no forms, whatever a browser makes of it
        h.put("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'");
        h.put("Cache-Control", "private, max-age=86400, immutable");
        h.put("ETag", "\"" + s.id() + "\"");
        h.put("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(s.created().atOffset(ZoneOffset.UTC)));
        h.put("Accept-Ranges", "bytes");
        if (ex.header("If-None-Match").map(v -> v.contains("\"" + s.id() + "\"") || v.strip().equals("*")).orElse(false)) {
            file.close();
            ex.respond(304, h, new byte[0]);
            return;
        }
        Optional<String> range = ex.header("Range");
        long[] r = range.isPresent() ? range(range.get(), size) : null;
        if (r == null) {
            ex.respond(200, h, file, 0, size);
        } else if (r.length == 0) {
            file.close();
            h.put("Content-Range", "bytes */" + size);
            answer(ex, 416, "The range " + range.get() + " is not within the file's " + size + " bytes", h);
        } else {
            h.put("Content-Range", "bytes " + r[0] + "-" + (r[0] + r[1] - 1) + "/" + size);
            ex.respond(206, h, file, r[0], r[1]);
        }
    }

    /**
     * RFC 9110 §14.2: a single byte range of a file of {@code size} bytes as {offset, length}; null
     * to serve the whole file (a header this server does not take: several ranges, another unit);
     * an empty array when it cannot be satisfied (416).
     */
    static long[] range(String header, long size) {
        Matcher m = RANGE.matcher(header.strip());
        if (!m.matches()) return null;
        String a = m.group(1), b = m.group(2);
        if (a.isEmpty() && b.isEmpty()) return null;
        if (a.length() > 17 || b.length() > 17) return null;
        if (a.isEmpty()) { // the last b bytes
            long n = Long.parseLong(b);
            if (n == 0 || size == 0) return new long[0];
            n = Math.min(n, size);
            return new long[] {size - n, n};
        }
        long first = Long.parseLong(a);
        if (first >= size) return new long[0];
        long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
        if (last < first) return null; // RFC 9110: an invalid range is ignored
        return new long[] {first, last - first + 1};
    }

    /** Inline for what a browser shows safely, an attachment for everything else; the name as RFC 6266/8187 say. */
    static String disposition(String type, String filename) {
        String ascii = filename.replaceAll("[^\\x20-\\x7e]|[\"\\\\%]", "_");
        String encoded = URLEncoder.encode(filename, UTF_8).replace("+", "%20");
        return (INLINE.matcher(type).matches() ? "inline" : "attachment") + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    private static void answer(HttpExchange ex, int status, String text, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(CORS);
        h.putAll(headers);
        h.put("Content-Type", "text/plain; charset=utf-8");
        ex.respond(status, h, (text + "\n").getBytes(UTF_8));
    }
}
