#!/usr/bin/env node
// The `closure-pool-worker` command: the built CLI, imported from here so that the command exists
// (and installs cleanly) before the package is built.
import '../dist/cli.js';
