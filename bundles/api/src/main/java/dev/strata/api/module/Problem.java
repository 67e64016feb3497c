package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A module that is running but cannot do its job (a listener whose port is taken) registers a
 * {@code Problem} service from its own bundle for as long as that lasts, and unregisters it when
 * the problem is gone. {@code module:list} then shows the module FAILED with the text, the
 * server's "started" line names it, and {@code bin/strata start} and {@code status} exit non-zero.
 */
@ConsumerType
@FunctionalInterface
public interface Problem {
    /** What is wrong and what to do about it, one line (e.g. "Cannot listen on 0.0.0.0:5222: Address already in use; ..."). */
    String text();
}
