/**
 * XEP-0060 publish-subscribe as a service other modules build on: one {@link dev.strata.pubsub.PubSubEngine}
 * keeps nodes, items, subscriptions and affiliations in the server's SQL database and answers the
 * protocol for every pubsub service of the server, and each kind of service (the generic one on
 * {@code pubsub.<domain>}, XEP-0163 PEP on every account) registers a
 * {@link dev.strata.pubsub.PubSubHost} for its policy: who owns and creates nodes, the defaults,
 * and who else hears of a publish.
 */
@Export
@Version("1.0.0")
package dev.strata.pubsub;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
