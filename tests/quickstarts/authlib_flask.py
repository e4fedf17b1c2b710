"""Auth0's Python (Flask) quickstart as a user writes it: Authlib's Flask client registered with
the tenant's discovery URL, the session keeping the token, and logout through Auth0's /v2/logout.
Only the configuration comes from arguments (the quickstart reads a .env), and the page marks its
parts for the test (tests/test_quickstart_authlib.py)."""
from __future__ import annotations

from html import escape
from urllib.parse import quote_plus, urlencode

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for


def create_app(domain: str, client_id: str, client_secret: str, secret_key: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key

    oauth = OAuth(app)
    oauth.register(
        "auth0",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": "openid profile email"},
        server_metadata_url=f"https://{domain}/.well-known/openid-configuration",
    )

    @app.route("/")
    def home():
        user = session.get("user", {}).get("userinfo")
        if not user:
            return '<p id="status">Logged out</p><a href="/login">Log in</a>'
        return (f'<p id="status">Logged in</p><p id="email">{escape(user["email"])}</p>'
                f'<p id="name">{escape(user["name"])}</p><a href="/logout">Log out</a>')

    @app.route("/login")
    def login():
        return oauth.auth0.authorize_redirect(redirect_uri=url_for("callback", _external=True))

    @app.route("/callback", methods=["GET", "POST"])
    def callback():
        session["user"] = oauth.auth0.authorize_access_token()
        return redirect("/")

    @app.route("/logout")
    def logout():
        session.clear()
        query = urlencode({"returnTo": url_for("home", _external=True), "client_id": client_id},
                          quote_via=quote_plus)
        return redirect(f"https://{domain}/v2/logout?{query}")

    return app
