package dev.strata.itests.osgi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** What an admin types at the SSH console, run through the same Gogo command processor, inside the framework. */
final class Console {
    private Console() {
    }

    /** Runs one command line; returns what the command returned, as Gogo prints it. Throws what the command threw. */
    static String run(BundleContext context, String line) throws Exception {
        ServiceReference<CommandProcessor> ref = context.getServiceReference(CommandProcessor.class);
        if (ref == null) throw new AssertionError("no Gogo command processor");
        CommandProcessor processor = context.getService(ref);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
                CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), ps, ps)) {
            Object result = session.execute(line);
            return out.toString(StandardCharsets.UTF_8) + (result == null ? "" : session.format(result, 0));
        } finally {
            context.ungetService(ref);
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("Timed out waiting for " + what);
            Thread.sleep(50);
        }
    }
}
