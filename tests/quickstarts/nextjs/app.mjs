// nextjs-auth0 v4 as the README configures it, outside Next.js: a plain Node server hands each
// request to the Auth0Client's middleware (what a Next.js app's middleware.ts does), and renders
// "/" from auth0.getSession(). The test (tests/test_quickstart_nextjs.py) passes the tenant and the
// client in AUTH0_* variables; MOCKIDP_URL is the URL the README puts in `domain`. The server
// listens on a free port and prints it, because appBaseUrl must name that port.
import { createServer } from "node:http";
import { Auth0Client } from "@auth0/nextjs-auth0/server";
import { NextRequest } from "next/server.js";

let auth0;

function page(session) {
  if (!session) return '<p id="status">Logged out</p><a href="/auth/login">Log in</a>';
  const { email, name } = session.user;
  return `<p id="status">Logged in</p><p id="email">${email}</p><p id="name">${name}</p>`;
}

async function handle(incoming, outgoing) {
  const url = new URL(incoming.url, `http://${incoming.headers.host}`);
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const body = ["GET", "HEAD"].includes(incoming.method) ? undefined : Buffer.concat(chunks);
  const request = new NextRequest(url, { method: incoming.method, headers: incoming.headers, body });
  let response = await auth0.middleware(request);
  const cookies = response.headers.getSetCookie();
  if (response.headers.get("x-middleware-next") === "1") {  // not an /auth/* route: the app's page
    response = new Response(page(await auth0.getSession(request)), { headers: { "content-type": "text/html" } });
  }
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== "set-cookie"));
  outgoing.writeHead(response.status, { ...headers, "set-cookie": cookies });
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

const server = createServer((incoming, outgoing) => handle(incoming, outgoing).catch((error) => {
  console.error(error);
  outgoing.writeHead(500).end(String(error));
}));
server.listen(0, "127.0.0.1", () => {
  const appBaseUrl = `http://localhost:${server.address().port}`;
  auth0 = new Auth0Client({
    domain: process.env.MOCKIDP_URL,      // https://localhost:8443: a URL, for its port
    clientId: process.env.AUTH0_CLIENT_ID,
    clientSecret: process.env.AUTH0_CLIENT_SECRET,
    secret: process.env.AUTH0_SECRET,
    appBaseUrl,
    allowInsecureRequests: true,          // lets a localhost domain and its port through
  });
  console.log(JSON.stringify({ appBaseUrl }));
});
