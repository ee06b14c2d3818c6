"""The IAM review against moto: console users without MFA, old active access keys, unapproved administrators."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pytest
import requests

from opsverify.checks import aws
from opsverify.checks.aws.iam import access_keys, active_keys, admins, console_mfa, key_ages
from opsverify.result import Status
from tests.aws.conftest import environment, item

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


class Account:
    """alice and bob sign in to the console with MFA; alice is an admin through group `admins`; ci-deploy and
    alice have access keys (bob's is inactive)."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        for user in ("alice", "bob", "ci-deploy"):
            iam.create_user(UserName=user)
        for user in ("alice", "bob"):
            self.console(user)
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=user, SerialNumber=device, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
        self.keys = {user: iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
                     for user in ("alice", "bob", "ci-deploy")}
        iam.update_access_key(UserName="bob", AccessKeyId=self.keys["bob"], Status="Inactive")
        iam.create_group(GroupName="admins")
        iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN)
        iam.add_user_to_group(GroupName="admins", UserName="alice")

    def console(self, user: str) -> None:
        """Give a user a console password."""
        self.iam.create_login_profile(UserName=user, Password="Not-a-real-password-1")


@pytest.fixture
def users(boto: Callable[[str], Any], account: str, monkeypatch: pytest.MonkeyPatch) -> Account:
    """The healthy account, on a moto that knows AWS's managed policies (AdministratorAccess among them)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # read when the reset below rebuilds IAM
    requests.post(f"{account}/moto-api/reset", timeout=10).raise_for_status()
    return Account(boto("iam"))


def iam(items: Any, endpoint: str, **keys: Any) -> aws.Target:
    """The `iam` item of one review made of an `iam:` entry with these keys."""
    return item(items, endpoint, iam=keys)


def test_console_users_with_mfa_pass(users: Account, account: str) -> None:
    result = console_mfa(iam(aws.iam_console, account))
    assert (result.status, result.reason) == (Status.PASSED,
                                              "all 2 IAM users with a console password have an MFA device")
    assert iam(aws.iam_console, account).name == "iam"


def test_a_console_user_without_mfa_fails(users: Account, account: str) -> None:
    users.iam.create_user(UserName="carol")
    users.console("carol")
    result = console_mfa(iam(aws.iam_console, account))
    assert (result.status, result.reason) == (
        Status.FAILED, "IAM users with a console password and no MFA device: carol")


def test_no_console_users_pass(boto: Callable[[str], Any], account: str) -> None:
    boto("iam").create_user(UserName="ci-deploy")
    result = console_mfa(iam(aws.iam_console, account))
    assert (result.status, result.reason) == (Status.PASSED, "no IAM user has a console password")


def test_fresh_access_keys_pass(users: Account, account: str) -> None:
    result = access_keys(iam(aws.iam_keys, account, max_access_key_age="90d"))
    assert result.status is Status.PASSED
    assert result.reason.startswith("all 2 active access keys are younger than 90d (the oldest: ")


def test_old_active_keys_fail_naming_user_and_key_end(users: Account, account: str) -> None:
    """moto dates every key now, so the keys it lists are judged 100 days later."""
    target = iam(aws.iam_keys, account, max_access_key_age="90d")
    keys = active_keys(target)
    later = max(k["CreateDate"] for k in keys) + dt.timedelta(days=100)
    result = key_ages(target, keys, later)
    assert result.status is Status.FAILED
    assert result.reason == (f"active access keys older than the limit of 90d: alice's key …{users.keys['alice'][-4:]} "
                             f"100d old; ci-deploy's key …{users.keys['ci-deploy'][-4:]} 100d old")  # oldest first
    assert users.keys["alice"] not in repr(result) and users.keys["bob"][-4:] not in result.reason
    warned = key_ages(iam(aws.iam_keys, account, max_access_key_age="180d", warn_max_access_key_age="60d"), keys,
                      later)
    assert warned.status is Status.WARNING
    assert warned.reason.startswith("active access keys older than the warning level of 60d: ")


def test_no_active_keys_pass(boto: Callable[[str], Any], account: str) -> None:
    boto("iam").create_user(UserName="carol")
    result = access_keys(iam(aws.iam_keys, account, max_access_key_age="90d"))
    assert (result.status, result.reason) == (Status.PASSED, "no IAM user has an active access key")


def test_approved_admins_pass(users: Account, account: str) -> None:
    result = admins(iam(aws.iam_admins, account, approved_admins=["alice"]))
    assert (result.status, result.reason) == (Status.PASSED,
                                              "AdministratorAccess is held only by approved admins: alice")


def test_unapproved_admins_fail_saying_how_they_hold_it(users: Account, account: str) -> None:
    users.iam.attach_user_policy(UserName="ci-deploy", PolicyArn=ADMIN)
    users.iam.add_user_to_group(GroupName="admins", UserName="bob")
    result = admins(iam(aws.iam_admins, account, approved_admins=["alice"]))
    assert (result.status, result.reason) == (
        Status.FAILED, "IAM users with AdministratorAccess who are not in approved_admins: "
                       "bob (via group admins); ci-deploy (attached directly)")
    result = admins(iam(aws.iam_admins, account, approved_admins=[]))
    assert result.reason.endswith("alice (via group admins); bob (via group admins); ci-deploy (attached directly)")


def test_no_admins_pass(boto: Callable[[str], Any], account: str) -> None:
    boto("iam").create_user(UserName="carol")
    result = admins(iam(aws.iam_admins, account, approved_admins=[]))
    assert (result.status, result.reason) == (Status.PASSED, "no IAM user has AdministratorAccess")


def test_each_review_runs_only_when_its_keys_ask_for_it() -> None:
    def ids(**keys: Any) -> list[str]:
        """The tests the `iam:` entry makes, by the check's items function."""
        env = environment(None, iam=keys)
        return [f.__name__ for f in (aws.iam_console, aws.iam_keys, aws.iam_admins) if f(env)]
    assert ids() == ["iam_console"]
    assert ids(console_mfa=False, warn_max_access_key_age="60d", approved_admins=[]) == ["iam_keys", "iam_admins"]
    assert aws.iam_console(environment(None, iam={}))[0].url == "https://iam.amazonaws.com"
