"""The opsverify plugin is an installed pytest plugin (entry point pytest11); nothing else is needed here."""
