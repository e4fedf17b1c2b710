// auth0-deploy-cli's own node API (deploy = `a0deploy import`, dump = `a0deploy export`), run as
// tests/test_deploy_cli.py asks: node roundtrip.js STEPS.json, where STEPS.json is
// {"config": {...AUTH0_* settings...}, "steps": [["import", "path/tenant.yaml"], ["export", "dir"], ...]}.
// Each step's outcome is printed as one JSON line: {"step": i, "ok": true} or {"step": i, "error": "..."}.
//
// Why one process for every step: deploy-cli validates a YAML file against its whole Ajv schema
// twice per import (when loading the file and before deploying), and compiling that schema (its
// `prompts` part above all) is CPU-bound: seconds on an idle machine, close to a minute on a busy
// CI box, blocking the event loop all along. Ajv keeps compiled schemas in a per-instance cache;
// sharing it between deploy-cli's Ajv instances (below) means one compilation for the whole run.
// What is validated, and how, is unchanged.
'use strict';
const fs = require('fs');
const path = require('path');

const cliDir = path.dirname(require.resolve('auth0-deploy-cli/package.json'));
const Cache = require(require.resolve('ajv/lib/cache', { paths: [cliDir] }));
const compiled = new Map();
Cache.prototype.put = function put(key, value) { compiled.set(key, value); };
Cache.prototype.get = function get(key) { return compiled.get(key); };
Cache.prototype.del = function del(key) { compiled.delete(key); };
Cache.prototype.clear = function clear() {};

const { deploy, dump } = require('auth0-deploy-cli');

async function main() {
  const { config, steps } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const [index, [command, target]] of steps.entries()) {
    const started = Date.now();
    try {
      if (command === 'import') {
        await deploy({ input_file: target, config });
      } else {
        await dump({ output_folder: target, format: target.endsWith('-dir') ? 'directory' : 'yaml', config });
      }
      console.log(JSON.stringify({ step: index, command, ok: true, ms: Date.now() - started }));
    } catch (error) {
      console.log(JSON.stringify({ step: index, command, error: String((error && error.stack) || error) }));
      process.exit(1);
    }
  }
}

main();
