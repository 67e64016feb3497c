package dev.strata.xep0363;

import java.io.IOException;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.storage.SqlDatabase;

/** An account's uploads (files and open slots) go with it. A component of its own, referencing only the database (see AccountDeletion). */
@Component(service = AccountDeletion.class)
public final class DeleteUploads implements AccountDeletion {
    private static final Logger LOG = LoggerFactory.getLogger(DeleteUploads.class);
    private final UploadStore store;

    @Activate
    public DeleteUploads(BundleContext context, @Reference SqlDatabase db) throws IOException {
        this.store = new UploadStore(db, UploadService.dir(context));
    }

    @Override
    public void deleting(Jid account) {
        int n = store.deleteOwner(account.bare());
        if (n > 0) LOG.info("Deleted {} uploads of {}", n, account.bare());
    }
}
