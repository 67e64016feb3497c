# The kernel every Strata server runs: configuration, module management and the admin console.
description = Kernel: live configuration, module management, SSH admin console, storage and accounts
bundles = dev.strata.api, dev.strata.config, dev.strata.modules, dev.strata.console.ssh, dev.strata.storage.jdbc, dev.strata.accounts
