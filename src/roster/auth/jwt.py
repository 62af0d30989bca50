"""JWT bearer tokens (PyJWT): HS256 with a shared secret, RS256/ES256 with a public key or
a JWKS file.

The algorithm is never taken on trust from the token: each configured key is bound to the
algorithms of its own type (the secret to HS256 only, an RSA key to RS256, an EC key to
ES256), so ``alg=none`` and algorithm confusion (an HS256 token "signed" with the public
key's PEM text) find no key and fail. ``exp``, ``tid`` and ``scope`` are required; ``nbf``
is checked when present; ``iss`` and ``aud`` are required and checked when configured.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from roster.config import Settings
from roster.errors import Unauthorized

# Namespace for the stable credential id of a JWT subject (rate limits are per credential).
_JWT_NAMESPACE = uuid.UUID("6f1f3f2e-9b2a-4c1e-8d57-0c5e2f9a7b10")
_MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class Claims:
    tenant_id: uuid.UUID
    scopes: list[str]
    credential_id: uuid.UUID


@dataclass
class JwtVerifier:
    """The configured keys by algorithm; ``enabled`` is False when none is configured."""

    secret: str | None = None
    public_keys: dict[str, list[tuple[str | None, Any]]] = field(default_factory=dict)
    issuer: str | None = None
    audience: str | None = None
    leeway: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtVerifier:
        verifier = cls(
            secret=settings.jwt_secret or None,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
        )
        if settings.jwt_public_key:
            verifier.add_key(None, load_pem_public_key(settings.jwt_public_key.encode()))
        if settings.jwt_jwks_file:
            jwks = jwt.PyJWKSet.from_json(settings.jwt_jwks_file.read_text())
            for jwk in jwks.keys:
                verifier.add_key(jwk.key_id, jwk.key)
        return verifier

    def add_key(self, kid: str | None, key: Any) -> None:
        """Accept tokens signed with ``key`` (RSA: RS256 only; EC P-256: ES256 only)."""
        if isinstance(key, rsa.RSAPublicKey):
            alg = "RS256"
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
            alg = "ES256"
        else:
            raise ValueError("JWT public keys must be RSA (RS256) or EC P-256 (ES256)")
        self.public_keys.setdefault(alg, []).append((kid, key))

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.public_keys)

    def _key(self, alg: str, kid: str | None) -> Any:
        if alg == "HS256" and self.secret:
            return self.secret
        candidates = self.public_keys.get(alg, [])
        if kid is not None:
            candidates = [c for c in candidates if c[0] in (kid, None)]
        if len(candidates) != 1:
            raise Unauthorized("the token's signing key is not known")
        return candidates[0][1]

    def verify(self, token: str) -> Claims:
        if not self.enabled or len(token) > _MAX_TOKEN_CHARS:
            raise Unauthorized("the credential is not valid")
        try:
            header = jwt.get_unverified_header(token)
            alg = str(header.get("alg"))
            kid = header.get("kid")
            key = self._key(alg, kid if isinstance(kid, str) else None)
            required = ["exp", "tid", "scope"]
            if self.issuer:
                required.append("iss")
            if self.audience:
                required.append("aud")
            payload = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("the token is not valid yet") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("the credential is not valid") from None
        return _claims(payload)


def _claims(payload: dict[str, Any]) -> Claims:
    tid, scope = payload.get("tid"), payload.get("scope")
    if not isinstance(tid, str) or not isinstance(scope, str):
        raise Unauthorized("the token's tid and scope must be strings")
    try:
        tenant_id = uuid.UUID(tid)
    except ValueError:
        raise Unauthorized("the token's tid is not a tenant id") from None
    subject = payload.get("sub")
    credential = uuid.uuid5(_JWT_NAMESPACE, f"{tenant_id}:{subject if subject else ''}")
    return Claims(tenant_id=tenant_id, scopes=scope.split(), credential_id=credential)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
