"""What a `production: true` environment refuses when the file loads: requests that may write."""

from __future__ import annotations

from opsverify.spec.errors import Finding
from opsverify.spec.models.environment import Environment


def writes_in_production(env: Environment) -> list[Finding]:
    """Every endpoint that may write (a POST, PUT, PATCH or DELETE not said to write nothing) in production."""
    if not env.production:
        return []
    found: list[Finding] = []
    for index, endpoint in enumerate(env.endpoints):
        if endpoint.writes:
            found.append((("endpoints", index, "writes"),
                          "this request writes, and the environment has production: true, where the suite writes "
                          "nothing; check it in a staging environment"))
        elif endpoint.may_write:
            found.append((("endpoints", index, "method"),
                          f"{endpoint.method} may write, and the environment has production: true, where the suite "
                          "writes nothing; if this request changes nothing (a GraphQL query, a POST health check), "
                          "say so with writes: false"))
    return found
