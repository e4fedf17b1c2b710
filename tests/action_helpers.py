"""Shared by the Actions tests: auth0-python's ManagementClient over HTTPS, installing an Action the
way a user does (create, deploy, bind), and seed 003's forum code."""
from __future__ import annotations

from auth0.management import ManagementClient

from mockidp.testing import DEFAULT_M2M_CLIENT_ID, DEFAULT_M2M_CLIENT_SECRET


def management_sdk(mockidp, monkeypatch) -> ManagementClient:
    """auth0-python's ManagementClient over HTTPS (it speaks nothing else), trusting mockidp's CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mockidp.ca_bundle))
    return ManagementClient(domain=mockidp.domain, client_id=DEFAULT_M2M_CLIENT_ID,
                            client_secret=DEFAULT_M2M_CLIENT_SECRET)


def install_action(sdk: ManagementClient, name: str, code: str, *, trigger: str = "post-login",
                   version: str = "v3", **extra) -> str:
    """Create, deploy and bind an Action after those already bound; its id."""
    action = sdk.actions.create(name=name, supported_triggers=[{"id": trigger, "version": version}],
                                code=code, **extra)
    sdk.actions.deploy(action.id)
    bound = [{"ref": {"type": "action_id", "value": binding.action.id}, "display_name": binding.display_name}
             for binding in sdk.actions.triggers.bindings.list(trigger)]
    sdk.actions.triggers.bindings.update_many(
        trigger, bindings=[*bound, {"ref": {"type": "action_name", "value": name}, "display_name": name}])
    return action.id


# Seed 003's forum thread ("Force a New User to Change Password on the First Login"), exactly as
# posted, bugs included: setAppMetadata gets (user_id, object) instead of (key, value), and the
# else branch reads an undefined `userData`.
FORUM_POST_LOGIN = """
exports.onExecutePostLogin = async (event, api) => {
const loginCount = event.stats.logins_count;
if (loginCount === 1) {
await api.user.setAppMetadata(event.user.user_id, { needsPasswordReset: true });
api.access.deny(`Please reset your password!`);
} else {
if (userData.app_metadata.needsPasswordReset === true) {
  api.access.deny(`Please reset your password!`);
}
}
};
"""
