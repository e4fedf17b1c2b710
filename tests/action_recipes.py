"""Action code from seed 003's forum thread ("Force a New User to Change Password on the First
Login"), exactly as posted, bugs included: setAppMetadata gets (user_id, object) instead of
(key, value), and the else branch reads an undefined `userData`."""

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
