package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.http.HttpExchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits between the HTTP codec and the aggregator of {@link HttpFront}: a request under the path of a
 * registered {@link HttpEndpoint} goes to it, streamed (its body is never gathered in memory, so an
 * upload may be large), on a virtual thread of its own; everything else passes on to the front.
 * While an endpoint's request is in flight the connection reads nothing else (no pipelining), and
 * its body is read only as fast as the endpoint takes it.
 */
final class EndpointDispatch extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointDispatch.class);
    /** Body bytes queued for the endpoint above which the connection stops reading, and below which it reads again. */
    private static final int HIGH = 256 * 1024, LOW = 64 * 1024;

    private final HttpTransport transport;
    private final boolean https;
    /** The exchange whose request is being received or answered; null between requests. */
    private Exchange current;
    /** Body parts of a request answered early, dropped until its end (the connection closes then). */
    private boolean discarding;
    /** A request came pipelined behind an endpoint's: it is dropped, and the connection closes after the answer (the client retries it). */
    private boolean pipelined;
    /** The answer to a request without a body that came before the request's end: the connection is reused once it ends. */
    private ChannelFuture awaitingEnd;
    /** An answer went before its request's body ended: the rest is read and dropped until it ends or {@link #LINGER_SECONDS} pass, then the connection closes. */
    private boolean lingering;
    /**
     * How long the body of a request answered early is read and dropped before the connection
     * closes: closing with a body still arriving would reset the connection, and a client still
     * writing it would lose the answer (a 413 for an upload too large) instead of reading it.
     */
    private static final int LINGER_SECONDS = 5;

    EndpointDispatch(HttpTransport transport, boolean https) {
        this.transport = transport;
        this.https = https;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (pipelined) { // what follows a dropped pipelined request (its body, more requests) goes too: the connection is closing
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req && !req.decoderResult().isFailure()) {
            String raw = rawPath(req.uri());
            String path;
            try {
                path = QueryStringDecoder.decodeComponent(raw);
            } catch (IllegalArgumentException e) {
                path = null;
            }
            if (current != null || discarding) { // pipelined behind an endpoint's request: not taken; the connection closes after that answer
                pipelined = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            HttpTransport.Endpoint endpoint = path == null ? null : transport.endpoint(path, ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            if (endpoint != null) {
                HttpFront front = ctx.pipeline().get(HttpFront.class);
                if (front != null) front.disarm();
                current = new Exchange(ctx, req, raw, path);
                discarding = false;
                Exchange ex = current;
                Thread.ofVirtual().name("strata-http " + req.method() + " " + HttpAnswers.printable(raw)).start(() -> ex.run(endpoint));
                ReferenceCountUtil.release(msg);
                if (msg instanceof LastHttpContent) ex.offer(Unpooled.EMPTY_BUFFER, true);
                return;
            }
        }
        if (msg instanceof HttpContent content && (current != null || discarding) && !(msg instanceof HttpRequest)) {
            boolean last = content instanceof LastHttpContent;
            if (current != null) {
                current.offer(content.content().retain(), last);
            } else if (last) {
                discarding = false;
                if (lingering) {
                    ctx.close(); // the body is all in: nothing unread is left to reset the connection
                } else if (awaitingEnd != null) {
                    if (pipelined) awaitingEnd.addListener(ChannelFutureListener.CLOSE);
                    else reuse(ctx, awaitingEnd);
                }
                awaitingEnd = null;
            }
            content.release();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private static String rawPath(String uri) {
        int q = uri.indexOf('?');
        String p = q < 0 ? uri : uri.substring(0, q);
        int h = p.indexOf('#');
        return h < 0 ? p : p.substring(0, h);
    }

    /** The file being sent over TLS, chunk by chunk as the connection takes them; null when none. */
    private FilePump pump;

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (pump != null && ctx.channel().isWritable()) pump.run();
        super.channelWritabilityChanged(ctx);
    }

    /**
     * Sends a file in chunks of 64 KiB while the connection is writable (TLS needs the bytes in
     * memory to encrypt them), then resumes on writability; closes the file when done or failed.
     */
    private final class FilePump implements Runnable {
        private final ChannelHandlerContext ctx;
        private final FileChannel file;
        private final ChannelPromise done;
        private long position, left;

        FilePump(ChannelHandlerContext ctx, FileChannel file, long offset, long length, ChannelPromise done) {
            this.ctx = ctx;
            this.file = file;
            this.position = offset;
            this.left = length;
            this.done = done;
        }

        @Override
        public void run() {
            try {
                while (left > 0 && ctx.channel().isActive()) {
                    int n = (int) Math.min(left, 64 * 1024);
                    ByteBuf chunk = ctx.alloc().ioBuffer(n);
                    try {
                        while (chunk.writerIndex() < n) {
                            int read = chunk.writeBytes(file, position + chunk.writerIndex(), n - chunk.writerIndex());
                            if (read < 0) throw new IOException("the file ended early");
                        }
                    } catch (IOException | RuntimeException e) {
                        chunk.release();
                        throw e;
                    }
                    position += n;
                    left -= n;
                    ctx.write(new DefaultHttpContent(chunk));
                    if (!ctx.channel().isWritable()) {
                        ctx.flush();
                        return; // channelWritabilityChanged resumes
                    }
                }
                if (!ctx.channel().isActive()) throw new IOException("the client went away");
                pump = null;
                close();
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
                    if (f.isSuccess()) done.trySuccess();
                    else done.tryFailure(f.cause());
                });
            } catch (IOException | RuntimeException e) {
                pump = null;
                close();
                done.tryFailure(e);
                ctx.close();
            }
        }

        private void close() {
            try {
                file.close();
            } catch (IOException e) {
                LOG.debug("Closing a file sent over HTTP: {}", e.toString());
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (pump != null) pump.run(); // fails and closes the file
        if (current != null) current.gone();
        super.channelInactive(ctx);
    }

    /** One request to an endpoint: its body as a bounded queue the endpoint's thread drains, and its one answer. */
    private final class Exchange implements HttpExchange {
        private final ChannelHandlerContext ctx;
        private final HttpRequest req;
        private final String raw, path;
        private final boolean keepAlive, expectContinue;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrived = lock.newCondition();
        private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
        private int queued;
        private boolean ended, gone, paused, bodyAsked;
        /** Set once an answer is on its way; parts of the body after it are dropped ({@link #offer}). */
        private volatile boolean answering;

        Exchange(ChannelHandlerContext ctx, HttpRequest req, String raw, String path) {
            this.ctx = ctx;
            this.req = req;
            this.raw = raw;
            this.path = path;
            this.keepAlive = HttpUtil.isKeepAlive(req);
            this.expectContinue = HttpUtil.is100ContinueExpected(req);
        }

        void run(HttpTransport.Endpoint endpoint) {
            try {
                endpoint.endpoint().handle(this);
                if (!answering) respond(500, Map.of(), "The endpoint gave no answer\n".getBytes(UTF_8));
                if (streaming != null) streaming.close();
            } catch (Exception | Error e) {
                if (streaming != null) streaming.abort(); // an answer cut short: the client must not take it for whole
                if (e instanceof IOException && gone()) {
                    LOG.debug("HTTP {} {} from {}: the client went away", req.method(), raw, remoteAddress());
                } else {
                    LOG.error("HTTP endpoint for {} failed on {} {}", endpoint.path(), req.method(), raw, e);
                }
                if (!answering) respond(500, Map.of(), "Internal error: see the server log\n".getBytes(UTF_8));
            } finally {
                drop();
            }
        }

        /** On the event loop: body bytes arrived. */
        void offer(ByteBuf data, boolean last) {
            lock.lock();
            try {
                if (gone || answering || !data.isReadable()) {
                    data.release();
                } else {
                    queue.add(data);
                    queued += data.readableBytes();
                }
                if (last) ended = true;
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            // nothing more until this request is answered (no pipelining), nor while the endpoint is behind
            if (last || queued > HIGH) {
                paused = !last;
                ctx.channel().config().setAutoRead(false);
            }
        }

        /** Whether the client is gone; marks it so when called from the event loop's channelInactive. */
        boolean gone() {
            lock.lock();
            try {
                if (ctx.channel().isActive()) return gone;
                gone = true;
                arrived.signalAll();
                return true;
            } finally {
                lock.unlock();
            }
        }

        private void drop() {
            lock.lock();
            try {
                for (ByteBuf b : queue) b.release();
                queue.clear();
                queued = 0;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public String method() {
            return req.method().name();
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String rawPath() {
            return raw;
        }

        @Override
        public String query() {
            String uri = req.uri();
            int q = uri.indexOf('?');
            if (q < 0) return "";
            int h = uri.indexOf('#', q);
            return h < 0 ? uri.substring(q + 1) : uri.substring(q + 1, h);
        }

        @Override
        public Optional<String> header(String name) {
            return Optional.ofNullable(req.headers().get(name));
        }

        @Override
        public List<Map.Entry<String, String>> headers() {
            return req.headers().entries().stream().map(e -> Map.entry(e.getKey(), e.getValue())).toList();
        }

        @Override
        public long contentLength() {
            return HttpUtil.getContentLength(req, -1L);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return (InetSocketAddress) ctx.channel().remoteAddress();
        }

        @Override
        public boolean secure() {
            return https;
        }

        @Override
        public boolean answered() {
            return answering;
        }

        @Override
        public InputStream body() {
            if (!bodyAsked) {
                bodyAsked = true;
                if (expectContinue) ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            }
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) return 0;
                    int n;
                    boolean resume;
                    lock.lock();
                    try {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(transport.config.request_timeout());
                        while (queue.isEmpty() && !ended && !gone) {
                            long left = deadline - System.nanoTime();
                            if (left <= 0) {
                                ctx.close();
                                throw new IOException("the client sent nothing for " + transport.config.request_timeout() + " s");
                            }
                            try {
                                arrived.awaitNanos(left);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new InterruptedIOException();
                            }
                        }
                        if (queue.isEmpty()) {
                            if (ended) return -1;
                            throw new IOException("the client went away");
                        }
                        ByteBuf head = queue.peek();
                        n = Math.min(len, head.readableBytes());
                        head.readBytes(b, off, n);
                        if (!head.isReadable()) queue.poll().release();
                        queued -= n;
                        resume = paused && queued < LOW && !ended;
                        if (resume) paused = false;
                    } finally {
                        lock.unlock();
                    }
                    if (resume) {
                        ctx.executor().execute(() -> {
                            ctx.channel().config().setAutoRead(true);
                            ctx.read();
                        });
                    }
                    return n;
                }
            };
        }

        private HttpResponse head(int status, Map<String, String> headers, long length) {
            HttpResponse res = head(status);
            headers.forEach(res.headers()::set);
            HttpUtil.setContentLength(res, length);
            if (closing) res.headers().set(HttpHeaderNames.CONNECTION, "close");
            return res;
        }

        /** The answer's status line and the server's security headers; the endpoint's headers replace them. */
        private HttpResponse head(int status) {
            if (answering) throw new IllegalStateException("answered already");
            answering = true;
            HttpResponse res = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.valueOf(status));
            HttpAnswers.secure(res.headers(), https, transport.config);
            if (!ended() && bodyExpected()) closing = true; // answered before the body came: the connection is not reused
            return res;
        }

        /** Set when the answer says the connection closes after it. */
        private volatile boolean closing;

        private boolean noBody(int status) {
            return req.method().equals(HttpMethod.HEAD) || status == 204 || status == 304;
        }

        /** The body being streamed by {@link #respondStreaming}; null otherwise. */
        private Streaming streaming;

        @Override
        public OutputStream respondStreaming(int status, Map<String, List<String>> headers, long length) {
            HttpResponse res = head(status);
            headers.forEach((name, values) -> res.headers().set(name, values));
            res.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            if (closing) res.headers().set(HttpHeaderNames.CONNECTION, "close");
            boolean noBody = noBody(status), untilClose = false;
            if (length >= 0) {
                HttpUtil.setContentLength(res, length);
            } else if (noBody) {
                res.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            } else if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) { // no chunked encoding: the body ends with the connection
                res.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                res.headers().set(HttpHeaderNames.CONNECTION, "close");
                untilClose = true;
            } else {
                res.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                HttpUtil.setTransferEncodingChunked(res, true);
            }
            streaming = new Streaming(status, length, noBody, untilClose);
            if (noBody) {
                var full = new DefaultFullHttpResponse(res.protocolVersion(), res.status(), Unpooled.EMPTY_BUFFER, res.headers(),
                        io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
                ctx.executor().execute(() -> finish(ctx.writeAndFlush(full), status, 0));
            } else {
                ctx.writeAndFlush(res);
            }
            return streaming;
        }

        /** A body written as the endpoint makes it, in chunks of up to 16 KiB, as fast as the client reads them. */
        private final class Streaming extends OutputStream {
            private static final int CHUNK = 16 * 1024;
            private final int status;
            private final long length;
            private final boolean noBody, untilClose;
            private ByteBuf pending;
            private long written;
            private boolean closed;

            Streaming(int status, long length, boolean noBody, boolean untilClose) {
                this.status = status;
                this.length = length;
                this.noBody = noBody;
                this.untilClose = untilClose;
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (closed) throw new IOException("the answer is closed");
                if (length >= 0 && written + len > length) throw new IOException("more than the " + length + " bytes announced");
                written += len;
                if (noBody) return;
                while (len > 0) {
                    if (pending == null) pending = ctx.alloc().buffer(CHUNK);
                    int n = Math.min(len, CHUNK - pending.writerIndex());
                    pending.writeBytes(b, off, n);
                    off += n;
                    len -= n;
                    if (pending.writerIndex() == CHUNK) send();
                }
            }

            @Override
            public void flush() throws IOException {
                if (!closed && pending != null) send();
            }

            /** Writes what is pending; blocks while the connection holds more than it can take, up to the request timeout. */
            private void send() throws IOException {
                ByteBuf chunk = pending;
                pending = null;
                if (!ctx.channel().isActive()) {
                    chunk.release();
                    throw new IOException("the client went away");
                }
                ChannelFuture f = ctx.writeAndFlush(new DefaultHttpContent(chunk));
                if (!ctx.channel().isWritable()) {
                    int timeout = transport.config.request_timeout();
                    try {
                        if (!f.await(timeout, TimeUnit.SECONDS)) {
                            ctx.close();
                            throw new IOException("the client read nothing for " + timeout + " s");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException();
                    }
                    if (!f.isSuccess()) throw new IOException("the client went away", f.cause());
                }
            }

            @Override
            public void close() throws IOException {
                if (closed) return;
                if (!noBody && length >= 0 && written < length) {
                    abort();
                    throw new IOException("the answer ended after " + written + " of the " + length + " bytes announced");
                }
                if (pending != null) send();
                closed = true;
                if (noBody) return; // finished when its head was sent
                ChannelFuture sent = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                if (untilClose) sent.addListener(ChannelFutureListener.CLOSE);
                ctx.executor().execute(() -> finish(sent, status, written));
            }

            /** The endpoint failed while writing: the connection closes, so the client sees the answer cut short. */
            void abort() {
                if (closed) return;
                closed = true;
                if (pending != null) pending.release();
                pending = null;
                if (!noBody) {
                    ctx.executor().execute(() -> {
                        HttpAnswers.log(ctx, transport.config, req.method(), req.uri(), req.protocolVersion(), status, written,
                                req.headers().get(HttpHeaderNames.USER_AGENT, "-"));
                        current = null;
                        ctx.close();
                    });
                }
            }
        }

        @Override
        public void respond(int status, Map<String, String> headers, byte[] body) {
            HttpResponse head = head(status, headers, body.length);
            boolean noBody = noBody(status);
            var res = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), noBody ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body),
                    head.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
            ctx.executor().execute(() -> finish(ctx.writeAndFlush(res), status, noBody ? 0 : body.length));
        }

        @Override
        public void respond(int status, Map<String, String> headers, FileChannel file, long offset, long length) throws IOException {
            HttpResponse head = head(status, headers, length);
            if (req.method().equals(HttpMethod.HEAD)) {
                file.close();
                ctx.executor().execute(() -> finish(ctx.writeAndFlush(new DefaultFullHttpResponse(head.protocolVersion(), head.status(), Unpooled.EMPTY_BUFFER,
                        head.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE)), status, 0));
                return;
            }
            ctx.executor().execute(() -> {
                ctx.write(head);
                if (ctx.pipeline().get(SslHandler.class) == null) { // the kernel copies the file to the socket
                    ctx.write(new DefaultFileRegion(file, offset, length));
                    finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), status, length);
                } else {
                    ChannelPromise sent = ctx.newPromise();
                    pump = new FilePump(ctx, file, offset, length, sent);
                    pump.run();
                    finish(sent, status, length);
                }
            });
        }

        /** On the event loop, once the answer is written: the next request may come, or the connection closes. */
        private void finish(ChannelFuture sent, int status, long bytes) {
            HttpAnswers.log(ctx, transport.config, req.method(), req.uri(), req.protocolVersion(), status, bytes, req.headers().get(HttpHeaderNames.USER_AGENT, "-"));
            current = null;
            boolean ended = ended();
            if (!ended && bodyExpected()) { // answered before the body came: the rest is dropped for a while, then the connection closes
                discarding = true;
                linger(ctx, sent);
            } else if (!keepAlive || pipelined || closing || !ctx.channel().isActive()) {
                sent.addListener(ChannelFutureListener.CLOSE);
            } else if (ended) { // what the endpoint left of the body is dropped; the next request starts after it
                reuse(ctx, sent);
            } else {
                discarding = true; // the empty body's end is on its way
                awaitingEnd = sent;
            }
        }

        /** Whether the request has a body to come (chunked, or a length above 0). */
        private boolean bodyExpected() {
            return HttpUtil.isTransferEncodingChunked(req) || HttpUtil.getContentLength(req, 0L) > 0;
        }

        private boolean ended() {
            lock.lock();
            try {
                return ended;
            } finally {
                lock.unlock();
            }
        }
    }

    /** On the event loop: once the answer is sent, reads and drops what comes (the rest of a body) for a while, then closes. */
    private void linger(ChannelHandlerContext ctx, ChannelFuture sent) {
        sent.addListener(f -> {
            if (!f.isSuccess() || !ctx.channel().isActive()) {
                ctx.close();
                return;
            }
            lingering = true;
            ctx.executor().schedule(() -> {
                ctx.close();
            }, LINGER_SECONDS, TimeUnit.SECONDS);
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        });
    }

    /** On the event loop, once an answer is sent on a connection that stays open: the next request may come. */
    private void reuse(ChannelHandlerContext ctx, ChannelFuture sent) {
        sent.addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
                return;
            }
            HttpFront front = ctx.pipeline().get(HttpFront.class);
            if (front != null) front.arm(ctx);
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        });
    }
}
