"""ECR images: the image's latest vulnerability scan is complete and found nothing above the allowed severity."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from opsverify.checks.aws import Missing, Target, answers, aws_check, client, error_code, first_few, trimmed
from opsverify.result import Result, error, failed, passed, warning
from opsverify.spec.models.aws import EcrImage
from opsverify.spec.units import format_seconds

SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
UNKNOWN = ("UNDEFINED", "UNTRIAGED")  # basic scanning's "no severity", enhanced scanning's "not triaged yet"
JUDGED = ("COMPLETE", "ACTIVE")  # a finished basic scan; enhanced (continuous) scanning
RUNNING = ("IN_PROGRESS", "PENDING")
GONE = {"RepositoryNotFoundException": "ECR repository {repository} does not exist",
        "ImageNotFoundException": "ECR repository {repository} has no image tagged {tag}"}


@aws_check
def scan_findings(target: Target) -> Result:
    """The latest scan finished and counts no finding above max_severity; undefined severities warn."""
    spec = cast(EcrImage, target.entry)
    shown = f"image {spec.own_id}"
    answer = _scan(target, spec)
    if answer is None:
        return failed(f"{shown} has never been scanned (turn on scan on push, or start a scan)")
    status = answer.get("imageScanStatus") or {}
    state, about = status.get("status", "?"), trimmed(status.get("description") or "no description")
    if state in RUNNING:
        return warning(f"the scan of {shown} is still running ({state})", value=state)
    if state not in JUDGED:
        return failed(f"the scan of {shown} is {state}: {about}", value=state)
    found = answer.get("imageScanFindings") or {}
    counts = {k.upper(): v for k, v in (found.get("findingSeverityCounts") or {}).items() if v}
    evidence = {"counts": counts, "scanned": str(found.get("imageScanCompletedAt", "")) or None}
    stale = _stale(shown, found.get("imageScanCompletedAt"), spec)
    if stale is not None:
        return stale.with_evidence(**evidence)
    above = [s for s in SEVERITIES[SEVERITIES.index(spec.max_severity.upper()) + 1:] if s in counts]
    for worse, verdict, said in ((above, failed, f"above {spec.max_severity}"),
                                 ([s for s in UNKNOWN if s in counts], warning, "of unknown severity")):
        if worse:
            named = _names(found, worse)
            return verdict(f"findings {said} in {shown}: {_counted(counts, worse)}" + (f" ({named})" if named else ""),
                           value=sum(counts[s] for s in worse), limit=spec.max_severity, evidence=evidence)
    rest = _counted(counts, [s for s in SEVERITIES if s in counts]) or "no findings"
    return passed(f"no findings above {spec.max_severity} in {shown} ({rest})", value=0, limit=spec.max_severity,
                  evidence=evidence)


def _stale(shown: str, completed: Any, spec: EcrImage) -> Result | None:
    """The error for a scan older than max_scan_age, or with no completion time; None when it is recent."""
    if not isinstance(completed, dt.datetime):
        return error(f"the scan of {shown} gives no completion time: its age cannot be judged")
    age = (dt.datetime.now(dt.timezone.utc) - completed).total_seconds()
    if age > spec.max_scan_age:
        return error(f"the scan of {shown} is {format_seconds(age)} old (completed {completed:%Y-%m-%d %H:%M}Z); "
                     f"limit {spec.max_scan_age}: it cannot speak for advisories published since (rescan it, or turn "
                     "on enhanced scanning)", value=round(age), unit="s", limit=str(spec.max_scan_age))
    return None


def _scan(target: Target, spec: EcrImage) -> dict[str, Any] | None:
    """describe_image_scan_findings of the image (first page: all counts, the first findings); None: never scanned."""
    with answers(target):
        try:
            return client(target).describe_image_scan_findings(repositoryName=spec.repository,
                                                               imageId={"imageTag": spec.tag})
        except Exception as exc:
            code = error_code(exc)
            if code in GONE:
                raise Missing(GONE[code].format(repository=spec.repository, tag=spec.tag)) from exc
            if code == "ScanNotFoundException":
                return None
            raise


def _counted(counts: dict[str, int], severities: list[str]) -> str:
    """Counts by severity, worst first: `2 critical, 1 high`."""
    return ", ".join(f"{counts[s]} {s.lower()}" for s in reversed(severities))


def _names(found: dict[str, Any], severities: list[str]) -> str:
    """The ids of the listed findings (basic or enhanced) of these severities, the first few."""
    listed = found.get("findings", []) + found.get("enhancedFindings", [])
    names = [f.get("name") or (f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId") or f.get("title")
             for f in listed if str(f.get("severity", "")).upper() in severities]
    return first_few([n for n in names if n])
