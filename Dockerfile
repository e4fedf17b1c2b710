# mockidp in a container: serves the default fixtures on 0.0.0.0:8080 (HTTP) and 8443 (HTTPS).
# Mount your own fixtures and pass --fixtures, or set MOCKIDP_FIXTURES.
# A pinned base (Python patch release and Debian release), so a rebuild gives the same image.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MOCKIDP_HOST=0.0.0.0 \
    MOCKIDP_CERT_DIR=/var/lib/mockidp/certs

# Node.js runs Auth0 Actions (docs/actions.md); Debian's package is Node 18, an Auth0 runtime.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -r requirements.txt
COPY README.md ./
COPY mockidp ./mockidp
COPY fixtures ./fixtures
RUN pip install --no-deps . && rm -rf /src \
    && useradd --system --home-dir /var/lib/mockidp --create-home mockidp

USER mockidp
WORKDIR /var/lib/mockidp
EXPOSE 8080 8443
# Follows MOCKIDP_PORT, so `-e MOCKIDP_PORT=9000` keeps the container healthy.
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
    CMD python -c "import os, urllib.request as u; t = os.environ.get('MOCKIDP_CONTROL_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:%s/_mock/health' % os.environ.get('MOCKIDP_PORT', '8080'), headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=2)"
ENTRYPOINT ["mockidp"]
CMD ["serve", "--host", "0.0.0.0"]
