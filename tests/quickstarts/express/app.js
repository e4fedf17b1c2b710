// Auth0's Express quickstart as a user writes it: express-openid-connect's `auth` router with its
// defaults, pointed at mockidp. The test (tests/test_quickstart_express.py) passes the tenant and
// the client in the environment, as the quickstart's .env does; QUICKSTART_CODE_FLOW=1 adds the
// secret and response_type=code of the "call an API" variant; QUICKSTART_AUTH0_LOGOUT=0 turns
// auth0Logout off (for a tenant under a path, see below). The app listens on a free port and
// prints it, because baseURL must name that port.
const express = require("express");
const { auth, requiresAuth } = require("express-openid-connect");

const app = express();
const server = app.listen(0, "127.0.0.1", () => {
  const baseURL = `http://localhost:${server.address().port}`;
  const config = {
    authRequired: false,
    auth0Logout: true,
    secret: process.env.SESSION_SECRET,
    baseURL,
    clientID: process.env.AUTH0_CLIENT_ID,
    issuerBaseURL: `https://${process.env.AUTH0_DOMAIN}`,
  };
  if (process.env.QUICKSTART_AUTH0_LOGOUT === "0") {
    // At a tenant under a path (/t/{name}/) the library's Auth0 logout URL, new URL("/v2/logout",
    // issuer), loses the path: log out at mockidp through discovery's end_session_endpoint instead
    // (idpLogout, which auth0Logout implied).
    config.auth0Logout = false;
    config.idpLogout = true;
  }
  if (process.env.QUICKSTART_CODE_FLOW === "1") {
    config.clientSecret = process.env.AUTH0_CLIENT_SECRET;
    config.authorizationParams = { response_type: "code" };
  }
  app.use(auth(config));

  app.get("/", (req, res) => {
    const user = req.oidc.user;
    res.send(req.oidc.isAuthenticated()
      ? `<p id="status">Logged in</p><p id="email">${user.email}</p><p id="name">${user.name}</p>`
      : `<p id="status">Logged out</p><a href="/login">Log in</a>`);
  });
  app.get("/profile", requiresAuth(), (req, res) => res.json(req.oidc.user));
  console.log(JSON.stringify({ baseURL }));
});
