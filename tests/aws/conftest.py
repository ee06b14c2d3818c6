"""moto's standalone server on loopback (no real AWS is reachable here), boto3 clients to set it up, and items.

Every test runs with dummy credentials in the environment and no ~/.aws: nothing outside the test
can change which account or region boto3 talks to.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import yaml
from moto.server import ThreadedMotoServer

from opsverify.checks.aws import Target
from opsverify.spec import Environment, loads
from tests.support.daemon import wait_for_port
from tests.support.fixtures import hanging_port, require  # noqa: F401 - a fixture
from tests.support.net import LOOPBACK, free_port

REGION = "eu-west-1"
KEY_ID = "AKIAOPSVERIFYTEST001"
SECRET_KEY = "opsv-dummy-secret-5b3c9e7f1d"
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION",
            "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


@pytest.fixture(scope="session")
def moto() -> Iterator[str]:
    """moto's server in a thread on a free loopback port; its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy keys in the environment, no config files, no instance metadata lookups."""
    for name in _CLEARED + tuple(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def account(moto: str) -> str:
    """moto's endpoint with every resource of earlier tests removed."""
    requests.post(f"{moto}/moto-api/reset", timeout=10).raise_for_status()
    return moto


@pytest.fixture
def boto(account: str) -> Callable[[str], Any]:
    """A boto3 client of moto for setting up what a test checks: `boto("ecs").create_cluster(...)`."""
    return lambda api: boto3.client(api, region_name=REGION, endpoint_url=account)


def environment(endpoint: str | None, **section: Any) -> Environment:
    """An environment whose only section is `aws:` with these keys, loaded as a user's file would be."""
    aws = {"region": REGION, **({"endpoint_url": endpoint} if endpoint else {}), **section}
    return loads(yaml.safe_dump({"environment": "test", "aws": aws}), source="env.yml", environ={})


def item(items: Callable[[Environment], list[Target]], endpoint: str | None, **section: Any) -> Target:
    """The one item that `items` (aws.ecs_services, aws.rds_instances, ...) makes of the section."""
    (only,) = items(environment(endpoint, **section))
    return only


@pytest.fixture(scope="module")
def strict_moto() -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server that enforces IAM, with a user allowed only rds:DescribeDBInstances; (URL, its keys)."""
    tool = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    require(None if tool else "moto_server not found (pip install 'moto[server]')")
    port = free_port()
    environ = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}  # the three calls below make the user
    process = subprocess.Popen([tool, "-H", LOOPBACK, "-p", str(port)], env=environ, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=30, process=process)
        url = f"http://{LOOPBACK}:{port}"
        iam = boto3.client("iam", region_name=REGION, endpoint_url=url, aws_access_key_id="admin",
                           aws_secret_access_key="admin")
        iam.create_user(UserName="readonly")
        key = iam.create_access_key(UserName="readonly")["AccessKey"]
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": "*"}]}
        iam.put_user_policy(UserName="readonly", PolicyName="rds-only", PolicyDocument=json.dumps(policy))
        yield url, {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    finally:
        process.terminate()
        process.wait(timeout=10)
