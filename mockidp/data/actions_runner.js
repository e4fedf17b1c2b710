'use strict';
// Runs one Auth0 Action handler for mockidp (spawned by mockidp/core/action_runtime.py).
//
// stdin:  {code, handler, trigger, event, dependencies, modules_dir, marker, context, modules}
//         (context: what some api members need from the tenant: {now, issuer, state} for redirects;
//         modules: the Actions Modules it may require('actions:<name>'), {name, code, dependencies, secrets})
// stdout: one line `<marker>{"commands": [...], "error": {...}|null, "logs": [...]}`, written last.
//
// The `api` calls are not applied here: each one is recorded as a command ({op, ...}) and the
// Python side applies them to the tenant, in order, so all tenant state stays in Python.

const Module = require('module');
const path = require('path');
const util = require('util');
const vm = require('vm');

// Captured before user code runs, so user code replacing or writing to stdout cannot hide ours.
const writeToRealStdout = process.stdout.write.bind(process.stdout);

const ACTION_FILENAME = '/action/index.js';
const ACTIONS_MODULE_PREFIX = 'actions:';
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'];

let marker = null;
let finished = false;
const commands = [];
const logs = [];

main().then(() => finish(null), failWith);

async function main() {
  const input = JSON.parse(await readStdin());
  marker = input.marker;
  silenceStdout();
  captureConsole();
  process.on('uncaughtException', failWith);
  process.on('unhandledRejection', failWith);
  // Node is about to exit with nothing left to do while the handler's promise is still pending.
  process.on('beforeExit', () => failWith(new Error('The Action never completed: its promise never settled')));

  const actionModules = makeActionModules(input.modules || [], input.modules_dir);
  const actionExports = loadAction(input.code, makeRequire(input.dependencies || [], input.modules_dir, actionModules));
  const handler = actionExports == null ? undefined : actionExports[input.handler];
  if (typeof handler !== 'function') {
    // Auth0 reports a missing export as a failed execution; this wording is mockidp's.
    throw new TypeError(`exports.${input.handler} is not a function`);
  }
  await handler(input.event, makeApi(input.trigger, input.event, input.context || {}));
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

// --- loading the Action's code as a CommonJS module ---------------------------------------

function loadAction(code, actionRequire) {
  const actionModule = { exports: {}, id: ACTION_FILENAME, filename: ACTION_FILENAME, loaded: false };
  const wrapper = vm.runInThisContext(Module.wrap(code), { filename: ACTION_FILENAME });
  wrapper.call(actionModule.exports, actionModule.exports, actionRequire, actionModule,
    ACTION_FILENAME, path.dirname(ACTION_FILENAME));
  actionModule.loaded = true;
  return actionModule.exports;
}

// Actions Modules: each loaded on its first require('actions:<name>') and shared by later ones,
// with its own npm dependencies and, as Auth0 documents, its secrets as `actions.secrets`.
// A module cannot require another Actions Module (Auth0's limitation), so its require has none.
function makeActionModules(modules, modulesDir) {
  const byName = new Map(modules.map((entry) => [entry.name, entry]));
  const loaded = new Map();
  return (name) => {
    if (loaded.has(name)) return loaded.get(name).exports;
    const entry = byName.get(name);
    if (entry === undefined) return undefined;
    const filename = `/action/modules/${name}.js`;
    const module = { exports: {}, id: filename, filename, loaded: false };
    loaded.set(name, module);
    const wrapper = vm.runInThisContext(
      `(function (exports, require, module, __filename, __dirname, actions) {${entry.code}\n})`, { filename });
    try {
      wrapper.call(module.exports, module.exports, makeRequire(entry.dependencies || [], modulesDir, null), module,
        filename, path.dirname(filename), { secrets: Object.freeze({ ...(entry.secrets || {}) }) });
    } catch (error) {
      loaded.delete(name); // as Node does: a module that threw while loading is loaded again next time
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };
}

// Auth0 only lets an Action load Node's built-in modules, the npm packages it declares and the
// Actions Modules it names (`actionModules`: name -> exports, or undefined when not named).
function makeRequire(dependencies, modulesDir, actionModules) {
  const declared = new Set(dependencies);
  const requireDependency = modulesDir ? Module.createRequire(path.join(modulesDir, 'noop.js')) : null;

  function actionRequire(specifier) {
    if (typeof specifier === 'string' && specifier.startsWith(ACTIONS_MODULE_PREFIX)) {
      const exports = actionModules ? actionModules(specifier.slice(ACTIONS_MODULE_PREFIX.length)) : undefined;
      if (exports !== undefined) return exports;
      throw moduleNotFound(specifier, actionModules ? null : 'an Actions Module cannot require another one');
    }
    if (typeof specifier === 'string' && isBuiltin(specifier)) return require(specifier);
    if (typeof specifier === 'string' && declared.has(packageName(specifier))) {
      if (!requireDependency) {
        throw moduleNotFound(specifier, 'the Action declares it, but MOCKIDP_ACTIONS_MODULES names no folder to load it from');
      }
      try {
        return requireDependency(specifier);
      } catch (error) {
        if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${specifier}'`)) {
          throw moduleNotFound(specifier, `the Action declares it, but it is not installed in ${modulesDir}/node_modules`);
        }
        throw error;
      }
    }
    throw moduleNotFound(specifier);
  }
  actionRequire.resolve = (specifier) => {
    if (isBuiltin(specifier)) return specifier;
    if (requireDependency && declared.has(packageName(specifier))) return requireDependency.resolve(specifier);
    throw moduleNotFound(specifier);
  };
  return actionRequire;
}

function isBuiltin(specifier) {
  if (typeof Module.isBuiltin === 'function') return Module.isBuiltin(specifier);
  return Module.builtinModules.includes(specifier.replace(/^node:/, ''));
}

// 'auth0/foo' -> 'auth0', '@scope/pkg/foo' -> '@scope/pkg'; relative paths match no package.
function packageName(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// Auth0's message for a package the Action does not declare; mockidp adds why a declared one is missing.
function moduleNotFound(specifier, why) {
  const error = new Error(`Cannot find module '${specifier}'${why ? ` (${why})` : ''}`);
  error.code = 'MODULE_NOT_FOUND';
  return error;
}

// --- the recording `api` object --------------------------------------------------------------

function makeApi(trigger, event, context) {
  const cache = makeCache();
  // Auth0's asynchronous triggers only offer the cache: they cannot change the flow.
  if (['post-change-password', 'post-user-registration', 'send-phone-message'].includes(trigger)) return { cache };
  if (trigger === 'pre-user-registration') return makePreUserRegistrationApi(cache);
  if (trigger === 'credentials-exchange') return makeCredentialsExchangeApi(cache);
  if (trigger !== 'post-login') throw new Error(`mockidp cannot run Actions for the trigger '${trigger}'`);

  const api = { cache };
  const record = (command) => { commands.push(command); return api; };
  api.access = { deny: (reason) => record({ op: 'access.deny', reason: cloneJson(reason) }) };
  api.user = {
    setAppMetadata: (key, value) => record({ op: 'user.setAppMetadata', key: cloneJson(key), value: cloneJson(value) }),
    setUserMetadata: (key, value) => record({ op: 'user.setUserMetadata', key: cloneJson(key), value: cloneJson(value) }),
  };
  api.idToken = {
    setCustomClaim: (key, value) => record({ op: 'idToken.setCustomClaim', key: cloneJson(key), value: cloneJson(value) }),
  };
  api.accessToken = {
    setCustomClaim: (key, value) => record({ op: 'accessToken.setCustomClaim', key: cloneJson(key), value: cloneJson(value) }),
    addScope: (scope) => record({ op: 'accessToken.addScope', scope }),
    removeScope: (scope) => record({ op: 'accessToken.removeScope', scope }),
  };
  api.redirect = {
    canRedirect: () => canRedirect(event),
    sendUserTo: (url, options) => record({ op: 'redirect.sendUserTo', url, options: cloneJson(options ?? {}) }),
    encodeToken: (options) => encodeToken(options, event, context),
    validateToken: (options) => validateToken(options, event, context),
  };
  api.multifactor = {
    enable: (provider, options) => record({ op: 'multifactor.enable', provider, options: cloneJson(options ?? {}) }),
  };
  for (const name of UNSUPPORTED_NAMESPACES) api[name] = unsupportedNamespace(`api.${name}`);
  return api;
}

function makePreUserRegistrationApi(cache) {
  const api = { cache };
  const record = (command) => { commands.push(command); return api; };
  api.access = {
    deny: (reason, userMessage) => record({ op: 'access.deny', reason: cloneJson(reason), userMessage: cloneJson(userMessage) }),
  };
  api.user = {
    setAppMetadata: (key, value) => record({ op: 'user.setAppMetadata', key: cloneJson(key), value: cloneJson(value) }),
    setUserMetadata: (key, value) => record({ op: 'user.setUserMetadata', key: cloneJson(key), value: cloneJson(value) }),
  };
  api.validation = {
    error: (code, message) => record({ op: 'validation.error', code: cloneJson(code), message: cloneJson(message) }),
  };
  return api;
}

function makeCredentialsExchangeApi(cache) {
  const api = { cache };
  const record = (command) => { commands.push(command); return api; };
  api.access = { deny: (code, reason) => record({ op: 'access.deny', code: cloneJson(code), reason: cloneJson(reason) }) };
  api.accessToken = {
    setCustomClaim: (key, value) => record({ op: 'accessToken.setCustomClaim', key: cloneJson(key), value: cloneJson(value) }),
  };
  return api;
}

// --- redirect session tokens: HS256 JWTs, dated by the tenant clock (context.now) -------------

const crypto = require('crypto');
const DEFAULT_TOKEN_LIFETIME_S = 900;

function encodeToken(options, event, context) {
  const { secret, payload = {}, expiresInSeconds = DEFAULT_TOKEN_LIFETIME_S } = options || {};
  if (typeof secret !== 'string' || !secret) throw new TypeError('api.redirect.encodeToken: a secret is required');
  const now = context.now;
  const claims = { ...cloneJson(payload), iat: now, iss: context.issuer, sub: event.user.user_id,
    exp: now + Number(expiresInSeconds), ip: event.request.ip };
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(claims));
  return `${header}.${body}.${sign(`${header}.${body}`, secret)}`;
}

// What Auth0 checks: the signature, the expiry and that the token's `state` is this login's.
function validateToken(options, event, context) {
  const { secret, tokenParameterName = 'session_token' } = options || {};
  const request = event.request || {};
  const token = (request.body || {})[tokenParameterName] ?? (request.query || {})[tokenParameterName];
  const invalid = (why) => new Error(`The session token is invalid: ${why}`);
  if (typeof token !== 'string' || token.split('.').length !== 3) throw invalid(`no token in '${tokenParameterName}'`);
  const [header, body, signature] = token.split('.');
  const expected = Buffer.from(sign(`${header}.${body}`, String(secret)));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) throw invalid('Invalid signature.');
  let claims;
  try { claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')); } catch (_) { throw invalid('Malformed token.'); }
  if (typeof claims.exp === 'number' && claims.exp <= context.now) throw invalid('Token expired.');
  if (claims.state !== context.state) throw invalid('State in the token does not match the /continue state.');
  return claims;
}

function sign(input, secret) {
  return crypto.createHmac('sha256', secret).update(input).digest('base64url');
}

function base64url(text) {
  return Buffer.from(text, 'utf8').toString('base64url');
}

// Auth0's post-login api members mockidp does not emulate: calling one fails the Action with a
// message that names it, rather than with "is not a function".
const UNSUPPORTED_NAMESPACES = ['authentication', 'session', 'refreshToken', 'transaction', 'validation',
  'prompt', 'rules', 'samlResponse'];

function unsupportedNamespace(prefix) {
  return new Proxy({}, { get: (_, member) => (typeof member === 'string' ? notSupported(`${prefix}.${member}`) : undefined) });
}

// As Auth0: no redirect from back-channel grants or from silent authentication (prompt=none).
function canRedirect(event) {
  const transaction = (event && event.transaction) || {};
  const backChannel = String(transaction.protocol || '').startsWith('oauth2-');
  return !backChannel && !(transaction.prompt || []).includes('none');
}

// Auth0's cache outlives one execution; here it lives for this execution only. Writes are also
// recorded so the caller could persist them; reads are not (they change nothing).
function makeCache() {
  const entries = new Map();
  return {
    get: (key) => (entries.has(key) ? { value: entries.get(key) } : undefined),
    set: (key, value, options) => {
      entries.set(key, value);
      commands.push({ op: 'cache.set', key, value: cloneJson(value), options: cloneJson(options ?? {}) });
      return { type: 'success' };
    },
    delete: (key) => {
      entries.delete(key);
      commands.push({ op: 'cache.delete', key });
      return { type: 'success' };
    },
  };
}

function notSupported(name) {
  return () => { throw new Error(`${name} is not supported by mockidp`); };
}

// A snapshot at call time, so later mutations by the Action do not change what was recorded.
// undefined becomes null: null is what deletes a metadata key in Auth0.
function cloneJson(value) {
  const json = JSON.stringify(value);
  return json === undefined ? null : JSON.parse(json);
}

// --- output ----------------------------------------------------------------------------------

function captureConsole() {
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args) => { logs.push(util.format(...args)); };
  }
}

function silenceStdout() {
  process.stdout.write = (chunk, encoding, callback) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}

// Anything thrown or rejected, even `undefined`, fails the execution.
function failWith(thrown) {
  finish(describeError(thrown));
}

// The first outcome wins: a stray rejection after the handler settled changes nothing.
function finish(error) {
  if (finished) return;
  finished = true;
  if (marker == null) { // unreadable input: no marker to answer with
    process.stderr.write(`mockidp actions runner: ${error ? error.stack || error.message : 'no input'}\n`);
    process.exit(2);
  }
  const result = { commands, error, logs };
  // The leading newline starts a fresh line even if user code left a partial one on fd 1.
  const line = `\n${marker}${JSON.stringify(result)}\n`;
  // Exit once flushed: the Action may have left timers or sockets open.
  writeToRealStdout(line, () => process.exit(0));
}

function describeError(thrown) {
  if (thrown != null && thrown.code === 'ERR_ACCESS_DENIED') {
    // Node's permission model refused it: say which rule, not only Node's terse message.
    const message = `mockidp runs Actions without child processes, workers or file system writes ` +
      `(Node's permission model): ${thrown.message}` + (thrown.permission ? ` (${thrown.permission})` : '');
    return { name: String(thrown.name || 'Error'), message, stack: thrown.stack ?? null };
  }
  if (thrown instanceof Error || (thrown != null && typeof thrown.message === 'string')) {
    return { name: String(thrown.name || 'Error'), message: thrown.message, stack: thrown.stack ?? null };
  }
  return { name: 'Error', message: String(thrown), stack: null };
}
