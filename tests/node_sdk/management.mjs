// Drives mockidp with the official node-auth0 SDK, unchanged: client credentials over HTTPS.
// Prints one JSON object with what each step returned; tests/test_sdk_node_auth0.py asserts on it.
import { ManagementClient, ManagementError } from "auth0";

// With MOCKIDP_TOKEN the client takes a token instead of fetching one: node-auth0 (v5+) refuses
// a domain with a path ("host:port/t/{name}", a named tenant) when it fetches tokens itself.
const credentials = process.env.MOCKIDP_TOKEN
  ? { token: process.env.MOCKIDP_TOKEN }
  : { clientId: process.env.MOCKIDP_CLIENT_ID, clientSecret: process.env.MOCKIDP_CLIENT_SECRET };
const management = new ManagementClient({ domain: process.env.MOCKIDP_DOMAIN, ...credentials, maxRetries: 0 });
const connection = "Username-Password-Authentication";
const out = {};

const created = await management.users.create({
  connection, email: "Node.User@Example.com", password: "Sup3r$ecret!", app_metadata: { plan: "trial" },
});
out.created = created;
out.fetched = await management.users.get(created.user_id);
const found = await management.users.list({ q: 'email:"node.user@example.com"', searchEngine: "v3" });
out.searched = found.data.map((user) => user.email);
const flagged = await management.users.list({ q: "app_metadata.plan:trial" });
out.flagged = flagged.data.map((user) => user.email);
out.updated = await management.users.update(created.user_id, { user_metadata: { theme: "dark" } });
try {
  await management.users.create({ connection, email: "node.user@example.com", password: "Sup3r$ecret!" });
  out.duplicate = "no error";
} catch (error) {
  out.duplicate = { isManagementError: error instanceof ManagementError, statusCode: error.statusCode, body: error.body };
}
await management.users.delete(created.user_id);
try {
  await management.users.get(created.user_id);
  out.afterDelete = "still there";
} catch (error) {
  out.afterDelete = { statusCode: error.statusCode, body: error.body };
}
console.log(JSON.stringify(out));
