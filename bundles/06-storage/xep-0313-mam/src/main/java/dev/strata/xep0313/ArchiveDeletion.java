package dev.strata.xep0313;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.storage.ArchiveStore;

/** A deleted account's message archive goes with it: whoever registers the name next starts with none. */
@Component(service = AccountDeletion.class)
public final class ArchiveDeletion implements AccountDeletion {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveDeletion.class);
    private final ArchiveStore archive;

    @Activate
    public ArchiveDeletion(@Reference ArchiveStore archive) {
        this.archive = archive;
    }

    @Override
    public void deleting(Jid account) {
        int n = archive.delete(account);
        if (n > 0) LOG.info("Deleted the {} archived messages of {}", n, account);
    }
}
