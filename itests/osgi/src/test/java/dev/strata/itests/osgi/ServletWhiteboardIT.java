package dev.strata.itests.osgi;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.servlet.whiteboard.HttpWhiteboardConstants;

import dev.strata.itests.StrataOptions;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The OSGi Jakarta Servlet Whiteboard in the distribution's Felix: a servlet service registered
 * with a pattern is served on the server's HTTP listener as soon as it registers and stops being
 * served when it unregisters; stopping the bridge bundle takes every servlet off the listener (its
 * own 404) and starting it again brings them back, with nothing else restarted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServletWhiteboardIT {
    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return new Option[] {StrataOptions.server("servlets")};
    }

    /** The status and body of a GET on the plain HTTP listener. */
    private static String get(String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + Integer.getInteger("strata.test.http.port") + path).toURL().openConnection();
            c.setConnectTimeout(5000);
            c.setReadTimeout(15000);
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                return status + " " + (in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    @Test
    public void aServletServiceIsServedOnTheListenerWhileItIsRegistered() throws Exception {
        Console.await("the listener answers", () -> get("/pax/").startsWith("404 "));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_PATTERN, "/pax/*");
        ServiceRegistration<Servlet> reg = context.registerService(Servlet.class, new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                resp.setContentType("text/plain");
                resp.getWriter().print("pong " + req.getPathInfo() + " from " + req.getRemoteAddr());
            }
        }, props);
        try {
            Console.await("the servlet served", () -> get("/pax/one").equals("200 pong /one from 127.0.0.1"));

            Bundle bridge = java.util.Arrays.stream(context.getBundles()).filter(b -> "dev.strata.servlets".equals(b.getSymbolicName())).findFirst().orElseThrow();
            bridge.stop();
            assertEquals("404 Not found\n", get("/pax/one"));
            bridge.start();
            Console.await("the servlet served again with the bridge", () -> get("/pax/two").equals("200 pong /two from 127.0.0.1"));
        } finally {
            reg.unregister();
        }
        Console.await("the servlet gone with its service", () -> get("/pax/one").equals("404 Not found\n"));
    }
}
