package dev.strata.xep0363;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * XEP-0363 HTTP File Upload 1.1 on {@code upload.<domain>} for every domain the server hosts (the
 * label is {@code strata.xep0363 host}): an account asks the service for a slot (a file name, size
 * and type) and gets a PUT URL and a GET URL on the server's HTTP listeners; the file goes up with
 * a PUT ({@link UploadHttp}) and anyone with the URL gets it. Per-file limit and per-account quota
 * by configuration, files expire after {@code expire.days} and go with their account.
 */
@Component(name = "strata.xep0363", service = UploadService.class, immediate = true)
@Designate(ocd = UploadService.Config.class)
public final class UploadService {
    private static final Logger LOG = LoggerFactory.getLogger(UploadService.class);
    static final String NS = "urn:xmpp:http:upload:0";
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info", DISCO_ITEMS = "http://jabber.org/protocol/disco#items", PING = "urn:xmpp:ping";
    /** A slot id: 128 random bits, URL-safe base64 without padding. */
    static final Pattern SLOT_ID = Pattern.compile("[A-Za-z0-9_-]{22}");
    private static final Pattern MIME = Pattern.compile("[A-Za-z0-9!#$&^_.+-]{1,127}/[A-Za-z0-9!#$&^_.+-]{1,127}");

    @ObjectClassDefinition(id = "strata.xep0363", name = "XEP-0363 HTTP File Upload")
    @interface Config {
        @AttributeDefinition(description = "The service's domain is this label, a dot and each domain the server hosts (upload.example.org)")
        String host() default "upload";

        @AttributeDefinition(description = "The service's name in service discovery")
        String name() default "HTTP File Upload";

        @AttributeDefinition(description = "Base URL of the slots as clients reach the server's HTTP listener ({domain}: the uploader's "
                + "domain); its path is where the files are served (/upload/)")
        String url() default "https://{domain}:5281/upload/";

        @AttributeDefinition(min = "1", description = "Largest file in bytes (announced as max-file-size)")
        long max_file_size() default 100L * 1024 * 1024;

        @AttributeDefinition(min = "0", description = "Bytes one account may keep uploaded (files not yet expired, and open slots); 0: no limit")
        long quota() default 1024L * 1024 * 1024;

        @AttributeDefinition(min = "10", max = "86400", description = "Seconds a slot may be used for its upload")
        int slot_timeout() default 300;

        @AttributeDefinition(min = "0", description = "Days an uploaded file is kept; 0: until its account is deleted")
        int expire_days() default 30;
    }

    private final Router router;
    private final Config config;
    final UploadStore store;
    private final List<String> domains;
    private final String path;
    private final SecureRandom random = new SecureRandom();
    private final DomainService.Registration registration;
    private final ServiceRegistration<HttpEndpoint> http;
    private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strata-upload-expiry"));

    @Activate
    public UploadService(BundleContext context, Config config, @Reference Router router, @Reference ServerInfo server, @Reference SqlDatabase db)
            throws IOException {
        this.router = router;
        this.config = config;
        this.path = path(config.url());
        this.store = new UploadStore(db, dir(context));
        store.dropParts();
        this.domains = server.domains().stream().map(d -> config.host() + "." + d).toList();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HttpEndpoint.PATH, path);
        this.http = context.registerService(HttpEndpoint.class, new UploadHttp(store, path, config.slot_timeout(), config.expire_days()), props);
        this.registration = DomainService.register(context, domains, config.name(),
                DomainService.answeringIqs(router, "a file upload service (XEP-0363: ask it for a slot)", iq -> answer(iq, iq.to())));
        expiry.scheduleWithFixedDelay(this::expire, 0, 1, TimeUnit.HOURS);
        LOG.info("HTTP file upload on {}, files under {} served at {}", domains, store.dir, config.url());
    }

    /** Where uploaded files are kept: {@code $STRATA_DATA_PATH/upload}. */
    static Path dir(BundleContext context) {
        String data = context.getProperty("strata.data");
        return Path.of(data == null ? "data" : data, "upload");
    }

    /** The path of the base URL, ending with '/'. */
    static String path(String url) {
        String p = URI.create(url.replace("{domain}", "localhost")).getRawPath();
        if (p == null || p.isEmpty()) p = "/";
        return p.endsWith("/") ? p : p + "/";
    }

    @Deactivate
    void deactivate() {
        registration.close();
        try {
            http.unregister();
        } catch (IllegalStateException e) {
            // the bundle is stopping and took it already
        }
        expiry.shutdownNow();
    }

    private void expire() {
        try {
            Instant now = Instant.now();
            int n = store.expire(config.expire_days() > 0 ? now.minus(config.expire_days(), ChronoUnit.DAYS) : null,
                    now.minusSeconds(config.slot_timeout() + 60L));
            if (n > 0) LOG.info("Deleted {} expired uploads and unused slots", n);
        } catch (RuntimeException e) {
            LOG.warn("Could not delete expired uploads: {}", e.toString());
        }
    }

    // --- XMPP ---------------------------------------------------------------------------------------

    private Element answer(Iq iq, Jid service) throws StanzaException {
        String ns = iq.namespace();
        boolean get = iq.type() == Iq.Type.GET;
        if (get && ns.equals(DISCO_INFO) && iq.payload().attribute("node") == null) {
            Element.Builder q = Element.builder("query", DISCO_INFO)
                    .child(Element.builder("identity", DISCO_INFO).attribute("category", "store").attribute("type", "file").attribute("name", config.name()).build());
            for (String f : List.of(DISCO_INFO, DISCO_ITEMS, NS, PING)) q.child(Element.builder("feature", DISCO_INFO).attribute("var", f).build());
            q.child(DataForm.form("result", NS, null).child(DataForm.field("max-file-size", null, null, false, List.of(Long.toString(config.max_file_size()))))
                    .build());
            return q.build();
        }
        if (get && ns.equals(DISCO_ITEMS) && iq.payload().attribute("node") == null) return Element.of("query", DISCO_ITEMS);
        if (ns.equals(PING)) return null;
        if (get && iq.payload().is("request", NS)) return slot(iq.from(), iq.payload());
        throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, service + " does not answer " + (ns.isEmpty() ? "this" : ns) + " " + iq.type().value());
    }

    /** §4: a slot for the file the request describes, or the reason there is none. */
    Element slot(Jid requester, Element request) throws StanzaException {
        if (requester == null || requester.local() == null || !domains.contains(config.host() + "." + requester.domain())) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "Only accounts of this server may upload files here");
        }
        String filename = filename(request.attribute("filename"));
        long size;
        try {
            size = Long.parseLong(request.attribute("size") == null ? "" : request.attribute("size").strip());
        } catch (NumberFormatException e) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The request needs the file's size in bytes (size='...')");
        }
        if (size <= 0) throw new StanzaException(StanzaError.BAD_REQUEST, "The file's size must be at least one byte, not " + size);
        if (size > config.max_file_size()) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "The file is " + size + " bytes; the most this service takes is " + config.max_file_size(),
                    Element.builder("file-too-large", NS).child(Element.builder("max-file-size", NS).text(Long.toString(config.max_file_size())).build()).build());
        }
        String type = request.attribute("content-type");
        if (type == null || type.isBlank()) {
            type = "application/octet-stream";
        } else if (!MIME.matcher(type.strip()).matches()) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "'" + type + "' is not a media type (type/subtype)");
        } else {
            type = type.strip().toLowerCase(java.util.Locale.ROOT);
        }
        Jid owner = requester.bare();
        // an account's devices ask at once: the check and the slot it reserves are one step, or each would pass the check
        java.util.concurrent.locks.ReentrantLock quotaLock = quotaLocks[Math.floorMod(owner.hashCode(), quotaLocks.length)];
        quotaLock.lock();
        try {
            return slot(requester, owner, filename, size, type);
        } finally {
            quotaLock.unlock();
        }
    }

    /** Locks of accounts' quotas, striped: an account's slot requests take one in turn. */
    private final java.util.concurrent.locks.ReentrantLock[] quotaLocks = java.util.stream.Stream.generate(java.util.concurrent.locks.ReentrantLock::new)
            .limit(64).toArray(java.util.concurrent.locks.ReentrantLock[]::new);

    /** Checks the quota and reserves the slot, under the account's quota lock. */
    private Element slot(Jid requester, Jid owner, String filename, long size, String type) throws StanzaException {
        Instant now = Instant.now();
        if (config.quota() > 0) {
            UploadStore.Usage used = store.usage(owner, now.minusSeconds(config.slot_timeout()));
            if (used.bytes() + size > config.quota()) {
                Element retry = null;
                if (config.expire_days() > 0 && used.oldest() != null) {
                    retry = Element.builder("retry", NS).attribute("stamp", used.oldest().plus(config.expire_days(), ChronoUnit.DAYS)
                            .truncatedTo(ChronoUnit.SECONDS).toString()).build();
                }
                throw new StanzaException(StanzaError.RESOURCE_CONSTRAINT, owner + " keeps " + used.bytes() + " bytes of uploads; with " + size
                        + " more it would be over its quota of " + config.quota(), retry);
            }
        }
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
        store.create(new UploadStore.Slot(id, owner, filename, size, type, now, false));
        String url = config.url().replace("{domain}", requester.domain());
        if (!url.endsWith("/")) url += "/";
        url += id + "/" + URLEncoder.encode(filename, StandardCharsets.UTF_8).replace("+", "%20");
        LOG.debug("{} got slot {} for {} ({} bytes, {}) until {}", requester, id, filename, size, type, now.plus(Duration.ofSeconds(config.slot_timeout())));
        return Element.builder("slot", NS)
                .child(Element.builder("put", NS).attribute("url", url).build())
                .child(Element.builder("get", NS).attribute("url", url).build()).build();
    }

    /** The file name of a request: one path segment a file system and a URL can hold, at most 255 UTF-8 bytes. */
    static String filename(String name) throws StanzaException {
        if (name == null || name.isBlank()) throw new StanzaException(StanzaError.BAD_REQUEST, "The request needs the file's name (filename='...')");
        String n = name.strip();
        if (n.equals(".") || n.equals("..") || n.indexOf('/') >= 0 || n.indexOf('\\') >= 0 || n.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The file name must be a plain name, without slashes or control characters");
        }
        if (n.getBytes(StandardCharsets.UTF_8).length > 255) throw new StanzaException(StanzaError.BAD_REQUEST, "The file name is longer than 255 bytes");
        return n;
    }
}
