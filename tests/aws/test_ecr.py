"""ECR image scan findings against moto: never scanned, findings above the limit, unknown severity, scan states.

moto scans nothing: a started scan reports its fixed finding (CVE-9999-9999, HIGH) unless a result for that
image was queued through moto's own API (`/moto-api/static/ecr/scan-finding-results`); the results
below are queued in the shape AWS documents for DescribeImageScanFindings.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

import pytest
import requests

from opsverify.checks import aws
from opsverify.checks.aws.ecr import scan_findings
from opsverify.result import Result, Status
from tests.aws.conftest import REGION, item

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                  "digest": "sha256:" + "a" * 64}, "layers": []})


@pytest.fixture
def ecr(boto: Callable[[str], Any]) -> Any:
    """Repository shop with image shop:v1, not scanned yet."""
    client = boto("ecr")
    client.create_repository(repositoryName="shop")
    client.put_image(repositoryName="shop", imageManifest=MANIFEST, imageTag="v1")
    return client


def scanned(ecr: Any, endpoint: str, status: str = "COMPLETE", days_ago: float | None = 0.1, **counts: int) -> None:
    """Scan shop:v1; moto will report this status, these counts (one finding CVE-2026-1000+n per severity) and a
    completion time `days_ago` days ago (None: none)."""
    findings = [{"name": f"CVE-2026-{1000 + n}", "severity": severity} for n, severity in enumerate(counts)]
    done = {} if days_ago is None else {"imageScanCompletedAt": time.time() - days_ago * 86400}
    result = {"registryId": "123456789012", "repositoryName": "shop", "imageId": {"imageTag": "v1"},
              "imageScanStatus": {"status": status, "description": f"scan {status.lower()}"},
              "imageScanFindings": {"findingSeverityCounts": counts, "findings": findings, **done}}
    requests.post(f"{endpoint}/moto-api/static/ecr/scan-finding-results", json={"region": REGION, "results": [result]},
                  timeout=10).raise_for_status()
    ecr.start_image_scan(repositoryName="shop", imageId={"imageTag": "v1"})


def check(endpoint: str, repository: str = "shop", tag: str = "v1", **keys: Any) -> Result:
    """The scan check of one `ecr:` entry."""
    return scan_findings(item(aws.images, endpoint, ecr=[{"repository": repository, "tag": tag, **keys}]))


def test_low_findings_only_pass(ecr: Any, account: str) -> None:
    scanned(ecr, account, LOW=2, INFORMATIONAL=1)
    result = check(account)
    assert (result.status, result.reason) == (Status.PASSED,
                                              "no findings above medium in image shop:v1 (2 low, 1 informational)")
    assert item(aws.images, account, ecr=[{"repository": "shop"}]).name == "shop:latest"


def test_a_clean_scan_passes(ecr: Any, account: str) -> None:
    scanned(ecr, account)
    result = check(account, max_severity="low")
    assert (result.status, result.reason) == (Status.PASSED, "no findings above low in image shop:v1 (no findings)")


def test_motos_own_high_finding_fails_above_medium(ecr: Any, account: str) -> None:
    ecr.start_image_scan(repositoryName="shop", imageId={"imageTag": "v1"})
    result = check(account)
    assert (result.status, result.reason) == (Status.FAILED,
                                              "findings above medium in image shop:v1: 1 high (CVE-9999-9999)")
    assert (result.value, result.limit, result.evidence["counts"]) == (1, "medium", {"HIGH": 1})
    assert check(account, max_severity="high").status is Status.PASSED


def test_critical_and_high_fail_worst_first(ecr: Any, account: str) -> None:
    scanned(ecr, account, HIGH=3, CRITICAL=1, MEDIUM=4)
    result = check(account, max_severity="medium")
    assert (result.status, result.reason) == (
        Status.FAILED, "findings above medium in image shop:v1: 1 critical, 3 high (CVE-2026-1000; CVE-2026-1001)")


def test_findings_of_unknown_severity_warn(ecr: Any, account: str) -> None:
    scanned(ecr, account, UNDEFINED=2, LOW=1)
    result = check(account)
    assert (result.status, result.reason) == (
        Status.WARNING, "findings of unknown severity in image shop:v1: 2 undefined (CVE-2026-1000)")


def test_a_failed_scan_fails(ecr: Any, account: str) -> None:
    scanned(ecr, account, status="UNSUPPORTED_IMAGE")
    result = check(account)
    assert (result.status, result.reason) == (Status.FAILED,
                                              "the scan of image shop:v1 is UNSUPPORTED_IMAGE: scan unsupported_image")


def test_a_running_scan_warns(ecr: Any, account: str) -> None:
    scanned(ecr, account, status="IN_PROGRESS")
    result = check(account)
    assert (result.status, result.reason) == (Status.WARNING,
                                              "the scan of image shop:v1 is still running (IN_PROGRESS)")


def test_an_image_never_scanned_fails(ecr: Any, account: str) -> None:
    result = check(account)
    assert (result.status, result.reason) == (
        Status.FAILED, "image shop:v1 has never been scanned (turn on scan on push, or start a scan)")


def test_a_missing_repository_or_tag_fails_naming_it(ecr: Any, account: str) -> None:
    result = check(account, tag="v2")
    assert (result.status, result.reason) == (Status.FAILED, "ECR repository shop has no image tagged v2")
    result = check(account, repository="shop-api")
    assert (result.status, result.reason) == (Status.FAILED, "ECR repository shop-api does not exist")


def test_a_scan_older_than_its_limit_cannot_speak_for_today_and_is_an_error(ecr: Any, account: str) -> None:
    scanned(ecr, account, days_ago=30)
    old = check(account)
    assert old.status is Status.ERROR
    assert re.fullmatch(r"the scan of image shop:v1 is 30d old \(completed \d{4}-\d\d-\d\d \d\d:\d\dZ\); limit 7d: it "
                        r"cannot speak for advisories published since \(rescan it, or turn on enhanced scanning\)",
                        old.reason), old.reason
    assert check(account, max_scan_age="45d").status is Status.PASSED


def test_a_scan_without_a_completion_time_is_an_error(ecr: Any, account: str) -> None:
    scanned(ecr, account, days_ago=None)
    result = check(account)
    assert (result.status, result.reason) == (Status.ERROR, "the scan of image shop:v1 gives no completion time: its "
                                                            "age cannot be judged")
