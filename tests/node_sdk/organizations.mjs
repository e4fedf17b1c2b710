// Drives mockidp's organizations with the official node-auth0 SDK, unchanged, over HTTPS.
// Prints one JSON object with what each step returned; tests/test_sdk_organizations.py asserts on it.
import { ManagementClient } from "auth0";

const management = new ManagementClient({
  domain: process.env.MOCKIDP_DOMAIN,
  clientId: process.env.MOCKIDP_CLIENT_ID,
  clientSecret: process.env.MOCKIDP_CLIENT_SECRET,
  maxRetries: 0,
});
const out = {};

const organization = await management.organizations.create({ name: "node-org", display_name: "Node Org" });
out.created = organization;
out.byName = await management.organizations.getByName("node-org");
const alice = (await management.users.listUsersByEmail({ email: "alice@example.com" }))[0];
await management.organizations.members.create(organization.id, { members: [alice.user_id] });
const members = await management.organizations.members.list(organization.id, { take: 10 });
out.members = members.data.map((member) => member.email);
const invitation = await management.organizations.invitations.create(organization.id, {
  inviter: { name: "Node" }, invitee: { email: "node.invitee@example.com" },
  client_id: process.env.MOCKIDP_INVITING_CLIENT_ID, send_invitation_email: false,
});
out.invitation = invitation;
const invitations = await management.organizations.invitations.list(organization.id);
out.invitations = invitations.data.map((entry) => entry.id);
const listed = await management.organizations.list();
out.organizations = listed.data.map((entry) => entry.name);
await management.organizations.delete(organization.id);
try {
  await management.organizations.get(organization.id);
  out.afterDelete = "still there";
} catch (error) {
  out.afterDelete = { statusCode: error.statusCode, body: error.body };
}
console.log(JSON.stringify(out));
