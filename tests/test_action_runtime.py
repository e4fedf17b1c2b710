"""The Actions runtime with a real Node: the commands an Action issues, its logs, its failures, which
modules it may require, the time limit, and a runner that survives misbehaving user code."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from action_helpers import FORUM_POST_LOGIN
from npm_packages import NODE_SDK_DIR, node_sdk_modules

from mockidp.core.actions.runtime import RuntimeSettings, run_action

NODE = shutil.which("node")
NODE_SDK_MODULES = NODE_SDK_DIR / "node_modules"

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

SETTINGS = RuntimeSettings(node=NODE, modules_dir=None, ca_file=None)
LOGIN_EVENT = {"user": {"user_id": "auth0|1", "app_metadata": {}, "user_metadata": {}},
               "stats": {"logins_count": 2}}



def post_login(code: str, *, dependencies: tuple[str, ...] = (), settings: RuntimeSettings = SETTINGS,
               event: dict = LOGIN_EVENT):
    return run_action(code, "onExecutePostLogin", "post-login", event,
                      dependencies=list(dependencies), settings=settings)


def test_commands_are_recorded_in_order_and_cloned_at_call_time():
    run = post_login("""
exports.onExecutePostLogin = async (event, api) => {
  const prefs = { theme: 'dark' };
  api.user.setUserMetadata('prefs', prefs).user.setAppMetadata('gone', undefined);
  prefs.theme = 'light';  // after the call: must not change what was recorded
  api.idToken.setCustomClaim('https://x/roles', ['admin']);
  api.accessToken.setCustomClaim('https://x/tier', 3);
  api.accessToken.addScope('read:a').accessToken.removeScope('write:a');
  api.access.deny('No entry for ' + event.user.user_id);
};""")
    assert run.error is None
    assert run.commands == [
        {"op": "user.setUserMetadata", "key": "prefs", "value": {"theme": "dark"}},
        {"op": "user.setAppMetadata", "key": "gone", "value": None},
        {"op": "idToken.setCustomClaim", "key": "https://x/roles", "value": ["admin"]},
        {"op": "accessToken.setCustomClaim", "key": "https://x/tier", "value": 3},
        {"op": "accessToken.addScope", "scope": "read:a"},
        {"op": "accessToken.removeScope", "scope": "write:a"},
        {"op": "access.deny", "reason": "No entry for auth0|1"},
    ]


def test_cache_lives_for_the_execution_and_post_change_password_gets_only_the_cache():
    run = run_action("""
exports.onExecutePostChangePassword = async (event, api) => {
  console.log('before', api.cache.get('k'), Object.keys(api));
  console.log('set', api.cache.set('k', 'v'));
  console.log('after', api.cache.get('k'));
};""", "onExecutePostChangePassword", "post-change-password", {"user": {}}, dependencies=[],
        settings=SETTINGS)
    assert run.error is None
    assert run.logs == ["before undefined [ 'cache' ]", "set { type: 'success' }", "after { value: 'v' }"]
    assert run.commands == [{"op": "cache.set", "key": "k", "value": "v", "options": {}}]


def test_console_output_is_captured_not_printed():
    run = post_login("""
exports.onExecutePostLogin = async (event, api) => {
  console.log('count=%d', event.stats.logins_count, { a: 1 });
  console.error('oops');
};""")
    assert run.logs == ["count=2 { a: 1 }", "oops"] and run.error is None


def test_a_thrown_error_keeps_the_commands_issued_before_it():
    run = post_login("""
exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('seen', true);
  throw new RangeError('too far');
};""")
    assert run.commands == [{"op": "user.setAppMetadata", "key": "seen", "value": True}]
    assert run.error["name"] == "RangeError" and run.error["message"] == "too far"
    assert "too far" in run.error["stack"]


def test_a_rejected_promise_is_an_error():
    run = post_login("""
exports.onExecutePostLogin = (event, api) => {
  api.idToken.setCustomClaim('c', 1);
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error('later')), 10));
};""")
    assert run.commands == [{"op": "idToken.setCustomClaim", "key": "c", "value": 1}]
    assert run.error["message"] == "later"


def test_a_missing_handler_is_an_error():
    run = post_login("exports.somethingElse = () => {};")
    assert run.error["name"] == "TypeError"
    assert run.error["message"] == "exports.onExecutePostLogin is not a function"


def test_node_builtins_load_with_or_without_the_node_prefix():
    run = post_login("""
const crypto = require('crypto');
const { URL } = require('node:url');
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('hash', crypto.createHash('sha256').update('x').digest('hex').slice(0, 8));
  api.idToken.setCustomClaim('host', new URL('https://example.com/a').host);
};""")
    assert run.error is None
    assert [command["value"] for command in run.commands] == ["2d711642", "example.com"]


def test_an_undeclared_package_is_not_found():
    run = post_login("""
exports.onExecutePostLogin = async () => {
  try { require('auth0'); } catch (e) { console.log(e.code); throw e; }
};""", settings=SETTINGS._replace(modules_dir=NODE_SDK_MODULES))
    assert run.error["message"] == "Cannot find module 'auth0'"
    assert run.logs == ["MODULE_NOT_FOUND"]


@pytest.mark.parametrize("modules_dir, why", [
    (None, "the Action declares it, but MOCKIDP_ACTIONS_MODULES names no folder to load it from"),
    (Path("/nonexistent-modules"),
     "the Action declares it, but it is not installed in /nonexistent-modules/node_modules"),
], ids=["no-folder", "not-installed"])
def test_a_declared_package_that_cannot_load_says_why(modules_dir, why):
    run = post_login("exports.onExecutePostLogin = async () => { require('left-pad'); };",
                     dependencies=("left-pad",), settings=SETTINGS._replace(modules_dir=modules_dir))
    assert run.error["message"] == f"Cannot find module 'left-pad' ({why})"


@pytest.mark.parametrize("modules_dir", [NODE_SDK_DIR, NODE_SDK_MODULES], ids=["parent", "node_modules"])
def test_a_declared_package_loads_from_the_modules_dir(modules_dir):
    node_sdk_modules()  # installs node-auth0 on first use
    run = post_login("""
const { ManagementClient } = require('auth0');
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('client', typeof ManagementClient);
  api.idToken.setCustomClaim('version', require('auth0/package.json').version);
};""", dependencies=("auth0",), settings=SETTINGS._replace(modules_dir=modules_dir))
    assert run.error is None
    assert [command["value"] for command in run.commands] == ["function", "7.1.0"]


def test_code_that_never_settles_hits_the_time_limit():
    run = post_login("exports.onExecutePostLogin = () => new Promise(() => setInterval(() => {}, 1000));",
                     settings=SETTINGS._replace(timeout_s=0.5))
    assert run.error == {"name": "Error", "message": "Script execution time limit exceeded (0.5 s)",
                         "stack": None}


def test_a_missing_node_executable_gives_a_clear_error(tmp_path):
    run = post_login("exports.onExecutePostLogin = () => {};",
                     settings=SETTINGS._replace(node=str(tmp_path / "no-such-node")))
    assert run.error["message"] == ("mockidp cannot run Actions: no `node` executable found "
                                    "(install Node.js or set MOCKIDP_NODE)")
    assert run.commands == [] and run.logs == []


def test_a_runner_that_dies_without_a_result_reports_its_exit_code_and_stderr():
    run = post_login("exports.onExecutePostLogin = () => { process.stderr.write('dying\\n'); process.exit(3); };")
    assert run.error["message"] == "Action runner exited with code 3 without a result:\ndying"


def test_stdout_writes_and_open_timers_do_not_spoil_the_result():
    run = post_login("""
exports.onExecutePostLogin = async (event, api) => {
  process.stdout.write('partial line without newline');
  process.stdout.write('\\n{"commands": [], "error": null, "logs": []}\\n');
  setInterval(() => process.stdout.write('tick\\n'), 5);
  api.access.deny('still here');
};""")
    assert run.error is None and run.commands == [{"op": "access.deny", "reason": "still here"}]


def test_the_forum_recipe_fails_on_a_later_login():
    run = post_login(FORUM_POST_LOGIN)
    assert run.error["name"] == "ReferenceError"
    assert run.error["message"] == "userData is not defined"
    assert run.commands == []


def test_the_forum_recipe_stores_metadata_under_the_user_id_on_the_first_login():
    run = post_login(FORUM_POST_LOGIN, event={**LOGIN_EVENT, "stats": {"logins_count": 1}})
    assert run.error is None
    assert run.commands == [
        {"op": "user.setAppMetadata", "key": "auth0|1", "value": {"needsPasswordReset": True}},
        {"op": "access.deny", "reason": "Please reset your password!"},
    ]
