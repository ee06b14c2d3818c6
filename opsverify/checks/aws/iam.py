"""IAM users: console sign-in only with MFA, active access keys younger than a limit, administrators approved."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from opsverify.checks import show_seconds
from opsverify.checks.aws import Target, answers, aws_check, client, error_code, first_few
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.models.aws import Iam

ADMIN = ":iam::aws:policy/AdministratorAccess"  # the AWS managed policy's ARN, after the partition


@aws_check
def console_mfa(target: Target) -> Result:
    """Every IAM user with a console password has an MFA device."""
    api = client(target)
    console = [u for u in _users(target, api) if _has_password(target, api, u)]
    with answers(target):
        bare = [u for u in console if not api.list_mfa_devices(UserName=u)["MFADevices"]]
    evidence = {"console_users": console[:50], "without_mfa": bare[:50]}
    if bare:
        return failed(f"IAM users with a console password and no MFA device: {first_few(bare)}", value=len(bare),
                      limit="0", evidence=evidence)
    if not console:
        return passed("no IAM user has a console password", value=0, evidence=evidence)
    return passed(f"all {len(console)} IAM users with a console password have an MFA device", value=0, limit="0",
                  evidence=evidence)


@aws_check
def access_keys(target: Target) -> Result:
    """No active access key older than max_access_key_age."""
    return key_ages(target, active_keys(target), dt.datetime.now(dt.timezone.utc))


def key_ages(target: Target, keys: list[dict[str, Any]], now: dt.datetime) -> Result:
    """The ages at `now` of active keys (as list_access_keys gives them) against the item's limits."""
    spec = cast(Iam, target.entry)
    if not keys:
        return passed("no IAM user has an active access key", value=0)
    ages = sorted((((now - k["CreateDate"]).total_seconds(), k) for k in keys), key=lambda pair: -pair[0])
    oldest = ages[0][0]
    limit = spec.max_access_key_age
    kw: dict[str, Any] = {"value": round(oldest), "unit": "s", "limit": str(limit) if limit else None,
                          "evidence": {"keys": {_key(k): show_seconds(age) for age, k in ages[:50]}}}
    for level, bound, verdict in (("limit", limit, failed), ("warning level", spec.warn_max_access_key_age, warning)):
        old = [f"{_key(k)} {show_seconds(age)} old" for age, k in ages if bound is not None and age > bound]
        if old:
            return verdict(f"active access keys older than the {level} of {bound}: {first_few(old)}", **kw)
    return passed(f"all {len(keys)} active access keys are younger than {limit or spec.warn_max_access_key_age} "
                  f"(the oldest: {show_seconds(oldest)})", **kw)


def active_keys(target: Target) -> list[dict[str, Any]]:
    """The active access keys of every IAM user, as list_access_keys describes them."""
    api = client(target)
    users = _users(target, api)
    with answers(target):
        return [k for user in users for page in api.get_paginator("list_access_keys").paginate(UserName=user)
                for k in page["AccessKeyMetadata"] if k["Status"] == "Active"]


@aws_check
def admins(target: Target) -> Result:
    """Only users in approved_admins hold AdministratorAccess, attached directly or through a group."""
    approved = cast(Iam, target.entry).approved_admins or ()
    with answers(target):
        pages = client(target).get_paginator("get_account_authorization_details").paginate(Filter=["User", "Group"])
        details = list(pages)
    admin_groups = {g["GroupName"] for page in details for g in page["GroupDetailList"] if _admin(g)}
    holders = {}
    for user in (u for page in details for u in page["UserDetailList"]):
        how = (["attached directly"] if _admin(user) else []) + [
            f"via group {g}" for g in user.get("GroupList", []) if g in admin_groups]
        if how:
            holders[user["UserName"]] = ", ".join(how)
    unapproved = sorted(u for u in holders if u not in approved)
    evidence = {"admins": holders, "approved": list(approved)}
    if unapproved:
        named = first_few([f"{u} ({holders[u]})" for u in unapproved])
        return failed(f"IAM users with AdministratorAccess who are not in approved_admins: {named}",
                      value=len(unapproved), limit="0", evidence=evidence)
    if not holders:
        return passed("no IAM user has AdministratorAccess", value=0, evidence=evidence)
    return passed(f"AdministratorAccess is held only by approved admins: {', '.join(sorted(holders))}", value=0,
                  limit="0", evidence=evidence)


def _users(target: Target, api: Any) -> list[str]:
    """The names of every IAM user."""
    with answers(target):
        return [u["UserName"] for page in api.get_paginator("list_users").paginate() for u in page["Users"]]


def _has_password(target: Target, api: Any, user: str) -> bool:
    """Whether the user has a console password (a login profile)."""
    with answers(target):
        try:
            api.get_login_profile(UserName=user)
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return False
            raise
    return True


def _admin(entity: dict[str, Any]) -> bool:
    """Whether a user or group detail has the AWS managed AdministratorAccess policy attached."""
    return any(p["PolicyArn"].endswith(ADMIN) for p in entity.get("AttachedManagedPolicies", []))


def _key(key: dict[str, Any]) -> str:
    """A key for a reason: its user and the last four characters of its id (`ci-deploy's key …F2Q7`)."""
    return f"{key['UserName']}'s key …{key['AccessKeyId'][-4:]}"
