"""The Authentication API: /oauth/token and /oauth/revoke, /authorize, /userinfo, /v2/logout,
/dbconnections, discovery documents and CORS."""
