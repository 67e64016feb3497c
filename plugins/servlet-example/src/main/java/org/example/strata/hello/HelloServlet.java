package org.example.strata.hello;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A standard servlet, registered with the OSGi Jakarta Servlet Whiteboard: Strata serves it on its
 * HTTP listeners (5280, and 5281 with TLS) at {@code /hello/}, with their certificates, limits,
 * access log and security headers.
 * <ul>
 * <li>{@code GET /hello/} greets the client with the address and scheme it came with;</li>
 * <li>{@code POST /hello/digest} reads the body as it arrives and answers its length and SHA-256;</li>
 * <li>{@code GET /hello/count?to=N} writes the lines 1 to N as it makes them (a streamed answer).</li>
 * </ul>
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/hello/*")
public class HelloServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        resp.setContentType("text/plain; charset=utf-8");
        if (path.equals("/count")) {
            long to;
            try {
                to = Long.parseLong(req.getParameter("to") == null ? "10" : req.getParameter("to"));
            } catch (NumberFormatException e) {
                resp.sendError(400, "to must be a number");
                return;
            }
            PrintWriter out = resp.getWriter();
            for (long i = 1; i <= to; i++) out.println(i);
            return;
        }
        if (!path.equals("/")) {
            resp.sendError(404);
            return;
        }
        resp.getWriter().println("Hello " + req.getRemoteAddr() + ", over " + req.getScheme() + " to " + req.getServerName() + ".");
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/digest".equals(req.getPathInfo())) {
            resp.sendError(404);
            return;
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long length = 0;
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = req.getInputStream()) {
            for (int n; (n = in.read(buffer)) >= 0;) {
                sha256.update(buffer, 0, n);
                length += n;
            }
        }
        resp.setContentType("text/plain; charset=utf-8");
        resp.getOutputStream().write((length + " " + HexFormat.of().formatHex(sha256.digest()) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
