# mockidp in a container: serves the default fixtures on 0.0.0.0:8080 (HTTP) and 8443 (HTTPS).
# Mount your own fixtures and pass --fixtures, or set MOCKIDP_FIXTURES.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MOCKIDP_HOST=0.0.0.0 \
    MOCKIDP_CERT_DIR=/var/lib/mockidp/certs

# Node.js runs Auth0 Actions (docs/actions.md); Debian's package is Node 18, an Auth0 runtime.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockidp ./mockidp
COPY fixtures ./fixtures
RUN pip install . && rm -rf /src \
    && useradd --system --home-dir /var/lib/mockidp --create-home mockidp

USER mockidp
WORKDIR /var/lib/mockidp
EXPOSE 8080 8443
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
    CMD python -c "import os, urllib.request as u; t = os.environ.get('MOCKIDP_CONTROL_TOKEN'); u.urlopen(u.Request('http://127.0.0.1:8080/_mock/health', headers={'Authorization': 'Bearer ' + t} if t else {}), timeout=2)"
ENTRYPOINT ["mockidp"]
CMD ["serve", "--host", "0.0.0.0"]
