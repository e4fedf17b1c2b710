"""RS256 signing with a pre-built key: python-jose (what mockidp uses) against PyJWT, joserfc and
`cryptography` directly (issue #18).

    .venv/bin/python bench/bench_signing.py [--quick]

One thread, in process, one 2048-bit key parsed once (as mockidp keeps it), the claims of a
typical access token and the header mockidp sends ({"kid", "typ"}). For each library: CPU ms per
signature (time.process_time, far steadier than wall time on a loaded machine) and signatures per
second, best and median of interleaved rounds; whether its token is byte-identical to
python-jose's (RS256 PKCS#1 v1.5 is deterministic, so only the header and payload encoding can
differ); and the share of python-jose's time that is not the RSA operation itself. Bounded loops;
asserts nothing. PyJWT and joserfc are test dependencies, not runtime ones.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLAIMS = {"iss": "http://localhost:4010/", "sub": "auth0|0123456789abcdef01234567",
          "aud": ["http://localhost:4010/api/v2/", "http://localhost:4010/userinfo"],
          "iat": 1767225600, "exp": 1767312000, "scope": "openid profile email",
          "azp": "mockidpWebClient0000000000000000", "gty": "password"}
KID = "AbCdEfGhIjKlMnOpQrStU"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signers(key: rsa.RSAPrivateKey) -> dict:
    from jose import jwt as jose_jwt
    import jwt as pyjwt
    from joserfc import jwt as rfc_jwt
    from joserfc.jwk import RSAKey

    rfc_key = RSAKey.import_key(key)
    headers = {"kid": KID, "typ": "JWT"}

    def jose() -> str:
        return jose_jwt.encode(CLAIMS, key, algorithm="RS256", headers=headers)

    def pyjwt_() -> str:
        return pyjwt.encode(CLAIMS, key, algorithm="RS256", headers=headers)

    def joserfc() -> str:
        return rfc_jwt.encode({"alg": "RS256", **headers}, CLAIMS, rfc_key)

    def direct() -> str:
        # python-jose's encoding: header with sorted keys, payload in insertion order, compact.
        header = json.dumps({"alg": "RS256", **headers}, separators=(",", ":"), sort_keys=True)
        payload = json.dumps(CLAIMS, separators=(",", ":"))
        signing_input = f"{b64url(header.encode())}.{b64url(payload.encode())}".encode("ascii")
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"

    def raw_rsa() -> bytes:
        return key.sign(b"x" * 400, padding.PKCS1v15(), hashes.SHA256())

    return {"python-jose": jose, "PyJWT": pyjwt_, "joserfc": joserfc, "cryptography direct": direct,
            "RSA sign only (floor)": raw_rsa}


def timed(call, count: int) -> tuple[float, float]:
    """(CPU ms per call, calls per wall second)."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        call()
    return (time.process_time() - cpu) / count * 1000, count / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, count = (3, 200) if args.quick else (7, 500)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    table = signers(key)
    reference = table["python-jose"]()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
    for call in table.values():
        call()  # warm
    for _ in range(rounds):
        for name, call in table.items():
            results[name].append(timed(call, count))
    print(f"RS256, 2048-bit pre-built key, {rounds} interleaved rounds x {count} signatures; Python "
          f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'library':24} {'CPU ms/sig best':>15} {'median':>8} {'sig/s best':>10} {'x jose (CPU)':>12} "
          f"{'same bytes as jose':>18}")
    jose_cpu = min(cpu for cpu, _ in results["python-jose"])
    for name, samples in results.items():
        best = min(cpu for cpu, _ in samples)
        median = statistics.median(cpu for cpu, _ in samples)
        rate = max(r for _, r in samples)
        same = "-" if name.startswith("RSA") else ("yes" if table[name]() == reference else "no")
        print(f"{name:24} {best:15.4f} {median:8.4f} {rate:10.0f} {jose_cpu / best:12.2f} {same:>18}")
    floor = min(cpu for cpu, _ in results["RSA sign only (floor)"])
    print(f"python-jose's overhead over the RSA operation: {jose_cpu - floor:.4f} CPU ms/sig "
          f"({(jose_cpu - floor) / jose_cpu:.0%} of its time)")


if __name__ == "__main__":
    main()
