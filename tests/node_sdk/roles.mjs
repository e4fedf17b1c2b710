// Manages roles with the official node-auth0 SDK, unchanged: roles, their permissions and users,
// a user's roles and direct permissions. Prints one JSON object; tests/test_sdk_node_auth0.py
// asserts on it.
import { ManagementClient } from "auth0";

const management = new ManagementClient({
  domain: process.env.MOCKIDP_DOMAIN,
  clientId: process.env.MOCKIDP_CLIENT_ID,
  clientSecret: process.env.MOCKIDP_CLIENT_SECRET,
  maxRetries: 0,
});
const api = "https://node.example.com/";
const permission = (name) => ({ resource_server_identifier: api, permission_name: name });
const out = {};

await management.resourceServers.create({
  identifier: api, name: "Node API", scopes: [{ value: "read:things", description: "Read things" }, { value: "write:things" }],
});
const user = await management.users.create({
  connection: "Username-Password-Authentication", email: "roles.user@example.com", password: "Sup3r$ecret!",
});
const role = await management.roles.create({ name: "node-editor", description: "Edits things" });
out.role = role;
await management.roles.permissions.add(role.id, { permissions: [permission("read:things")] });
out.rolePermissions = (await management.roles.permissions.list(role.id)).data;
await management.roles.users.assign(role.id, { users: [user.user_id] });
out.roleUsers = (await management.roles.users.list(role.id)).data;
out.userRoles = (await management.users.roles.list(user.user_id)).data;
await management.users.permissions.create(user.user_id, { permissions: [permission("write:things")] });
out.userPermissions = (await management.users.permissions.list(user.user_id)).data;
out.updated = await management.roles.update(role.id, { description: "Edits all things" });
out.filtered = (await management.roles.list({ name_filter: "NODE" })).data.map((r) => r.name);
try {
  await management.roles.create({ name: "node-editor" });
  out.duplicate = "no error";
} catch (error) {
  out.duplicate = { statusCode: error.statusCode, body: error.body };
}
await management.users.roles.delete(user.user_id, { roles: [role.id] });
out.userRolesAfterDelete = (await management.users.roles.list(user.user_id)).data;
await management.roles.delete(role.id);
try {
  await management.roles.get(role.id);
  out.afterDelete = "still there";
} catch (error) {
  out.afterDelete = { statusCode: error.statusCode, body: error.body };
}
console.log(JSON.stringify(out));
