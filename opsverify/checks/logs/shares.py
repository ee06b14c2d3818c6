"""Shares of a log's window: matching lines among all lines (or those matching `of`), and the busiest client's."""

from __future__ import annotations

from typing import cast

from opsverify.checks import CheckError, probe
from opsverify.checks.host import OnHost, percent
from opsverify.checks.logs import TOP, evidence, scan, sets, where
from opsverify.result import Result, grade, passed, skipped
from opsverify.spec.models.hosts import HostLog


@probe
def ratio(entry: OnHost) -> Result:
    """Matching lines as a share of the window's lines (those matching `of`), against max_ratio/warn_max_ratio."""
    log = cast(HostLog, entry.item)
    if not sets(log, "max_ratio"):
        return skipped("no max_ratio set")
    tally = scan(entry)
    among = f'lines matching "{log.of}"' if log.of is not None else "all lines"
    seen = {**evidence(tally), "matching": tally.matching_among, "among": tally.among}
    if not tally.among:
        nothing = f'no line matches "{log.of}"' if log.of is not None else "no line"
        return passed(f"{nothing} in the last {log.window} of {where(log, tally)}: nothing to divide "
                      f"({_limit(log.max_ratio, log.warn_max_ratio)})", unit="ratio", evidence=seen)
    share = tally.matching_among / tally.among
    what = f'share of lines matching "{log.pattern}" among {among} in the last {log.window} of {where(log, tally)}'
    return grade(what, share, log.max_ratio, log.warn_max_ratio, show=percent, unit="ratio", evidence=seen,
                 said=f"{what} is {percent(share)} ({tally.matching_among} of {tally.among})")


@probe
def client_share(entry: OnHost) -> Result:
    """The busiest client's share of the matching lines, against max_client_share/warn_max_client_share."""
    log = cast(HostLog, entry.item)
    if not sets(log, "max_client_share"):
        return skipped("no max_client_share set")
    tally = scan(entry)
    lines = f'lines matching "{log.pattern}" in the last {log.window} of {where(log, tally)}'
    if not tally.count:
        return passed(f"no {lines}: no busiest client "
                      f"({_limit(log.max_client_share, log.warn_max_client_share)})", unit="ratio",
                      evidence=evidence(tally))
    if not tally.clients:
        raise CheckError(f'client pattern "{log.client}" found no client in any of the {tally.count} {lines}')
    ranked = tally.clients.most_common(TOP)
    top = [{"client": name, "lines": count, "share": percent(count / tally.count)} for name, count in ranked]
    client, count = ranked[0]
    share = count / tally.count
    return grade("busiest client's share", share, log.max_client_share, log.warn_max_client_share, show=percent,
                 unit="ratio", evidence={**evidence(tally), "top_clients": top, "without_client": tally.no_client},
                 said=f"busiest client {client} sent {percent(share)} of {lines} ({count} of {tally.count})")


def _limit(limit: float | None, warn: float | None) -> str:
    """The limit as a reason says it: `limit 1%`, or `warning level 1%` when only the warn_ twin is set."""
    return f"limit {percent(limit)}" if limit is not None else f"warning level {percent(warn)}"
