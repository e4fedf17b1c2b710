"""Actions run in Node's permission model: an Action's code cannot start processes or write files
as the server's user (in the container, whoever reaches the port could otherwise run commands),
while reading files (modules), the network and Node's built-ins stay available. Driven as a user:
install a post-login Action with auth0-python, log in, read the execution."""
from __future__ import annotations

import pytest
from action_helpers import install_action
from test_action_triggers import password_grant, sdk  # noqa: F401 - the auth0-python fixture

SPAWN = """
exports.onExecutePostLogin = async (event, api) => {
  require('child_process').execSync('id > /tmp/mockidp-action-ran');
};
"""
WRITE = """
exports.onExecutePostLogin = async (event, api) => {
  require('fs').writeFileSync('/tmp/mockidp-action-wrote', 'x');
};
"""
ALLOWED = """
exports.onExecutePostLogin = async (event, api) => {
  const os = require('node:os');
  const crypto = require('crypto');
  require('fs').readdirSync('/');  // reading is allowed (modules load from disk)
  api.accessToken.setCustomClaim('https://example.com/digest',
    crypto.createHash('sha256').update(os.EOL).digest('hex').length);
};
"""


@pytest.mark.parametrize("code, what", [(SPAWN, "child process"), (WRITE, "file write")])
def test_child_processes_and_file_writes_are_refused(mockidp, sdk, code, what):  # noqa: F811
    install_action(sdk, "escape", code)
    grant = password_grant(mockidp)
    assert grant.status_code == 403, what
    [execution] = mockidp.action_executions()
    assert execution["status"] == "failed"
    message = execution["error"]["message"]
    assert "without child processes, workers or file system writes" in message, message
    assert "Access to this API has been restricted" in message
    assert grant.json()["error_description"] == message


def test_builtins_and_reads_still_work(mockidp, sdk):  # noqa: F811
    install_action(sdk, "allowed", ALLOWED)
    grant = password_grant(mockidp)
    assert grant.status_code == 200, grant.text
    [execution] = mockidp.action_executions()
    assert execution["status"] == "final", execution["error"]
