package dev.strata.transport.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.strata.api.module.Problem;
import dev.strata.api.stanza.Router;
import dev.strata.api.storage.SqlDatabase;

/**
 * What {@code /ready} reports: the storage answers a query within two seconds, the router is
 * there, and no module has a {@link Problem} (a listener that could not bind its port is one). Each
 * check is named with its state, so an operator (or a load balancer's log) sees which one failed.
 */
@Component(service = Health.class)
public final class Health {
    private static final long STORAGE_TIMEOUT_MILLIS = 2_000;

    private final List<Problem> problems = new CopyOnWriteArrayList<>();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SqlDatabase database;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addProblem(Problem p) {
        problems.add(p);
    }

    void removeProblem(Problem p) {
        problems.remove(p);
    }

    /** The checks by name, each "ok" or what is wrong; ready when all are "ok". Blocks up to two seconds (the storage query). */
    Map<String, String> checks() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("storage", storage());
        checks.put("router", router != null ? "ok" : "the stanza router is not running (module:list)");
        List<String> texts = new ArrayList<>();
        for (Problem p : problems) texts.add(p.text());
        checks.put("modules", texts.isEmpty() ? "ok" : String.join("; ", texts));
        return checks;
    }

    private String storage() {
        SqlDatabase db = database;
        if (db == null) return "the storage module is not running (module:list)";
        try {
            Boolean valid = CompletableFuture.supplyAsync(() -> db.read(c -> c.isValid(2)), r -> Thread.ofVirtual().start(r))
                    .get(STORAGE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return Boolean.TRUE.equals(valid) ? "ok" : "the database connection is not valid";
        } catch (java.util.concurrent.TimeoutException e) {
            return "the database did not answer within " + STORAGE_TIMEOUT_MILLIS + " ms";
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "the database cannot be reached: " + cause.getMessage();
        }
    }
}
