# The kernel every Strata server runs: configuration, module management and the admin console.
description = Kernel: live configuration, module management, SSH admin console
bundles = dev.strata.api, dev.strata.config, dev.strata.modules, dev.strata.console.ssh
