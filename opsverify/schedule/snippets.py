"""`opsverify schedule --print cron|systemd|github|gitlab`: ready-to-use definitions of an environment's calendar.

Where the host scheduler cannot say "first monday" (cron ORs day-of-month with day-of-week), it wakes
opsverify on every candidate day and `--if-due` lets opsverify's calendar keep only the right one.
"""

from __future__ import annotations

import re
from pathlib import Path

from opsverify.schedule import ci
from opsverify.schedule.jobs import Job, jobs
from opsverify.spec import Environment
from opsverify.spec.when import When

_SYSTEMD_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = ("cron", "systemd", "github", "gitlab")


def cron_expression(when: When) -> str:
    """Five POSIX cron fields for a rule: an nth weekday becomes its seven candidate days (checked by --if-due)."""
    minute, hour = when.at.minute, when.at.hour
    months = ",".join(str(m) for m in when.months) or "*"
    if when.ordinal is not None:
        days = "22-31" if when.ordinal == -1 else f"{(when.ordinal - 1) * 7 + 1}-{when.ordinal * 7}"
        return f"{minute} {hour} {days} {months} *"
    weekday = "*" if when.weekday is None else str((when.weekday + 1) % 7)
    return f"{minute} {hour} * {months} {weekday}"


def systemd_calendar(when: When, zone: str) -> str:
    """A systemd OnCalendar= expression in the schedule's zone (systemd can say "first monday")."""
    day = _SYSTEMD_DAYS[when.weekday] + " " if when.weekday is not None else ""
    months = ",".join(f"{m:02d}" for m in when.months) or "*"
    if when.ordinal == -1:
        date = f"*-{months}~07/1"
    elif when.ordinal is not None:
        date = f"*-{months}-{(when.ordinal - 1) * 7 + 1:02d}..{when.ordinal * 7:02d}"
    else:
        date = f"*-{months}-*"
    return f"{day}{date} {when.at:%H:%M}:00 {zone}"


def trigger(job: Job) -> When:
    """The rule whose times start a job: the cadence's, or the window's opening for a window part."""
    return job.window if job.in_window and job.window is not None else job.rule


def secrets(env_path: Path) -> list[str]:
    """The ${VAR} names the environment file reads (CI must provide them)."""
    text = env_path.read_text(encoding="utf-8")
    return sorted(set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)))


def render(kind: str, env: Environment, env_path: Path, reports: Path, project: Path) -> str:
    """The definitions of one kind for this environment's schedule."""
    found = jobs(env.schedule)
    if not found:
        raise ValueError(f"{env_path} has no schedule section with a daily, weekly, monthly or quarterly time")
    command = project / ".venv" / "bin" / "opsverify"
    base = f"{command if command.exists() else 'opsverify'} schedule --env {env_path} --reports {reports}"
    zone = env.schedule.timezone
    listing = "\n".join(f"#   {j.name:<18} {j.rule_text}" for j in found)
    head = f"# opsverify calendar of '{env.environment}' ({env_path}), times in {zone}:\n{listing}\n"
    return head + {"cron": _cron, "systemd": _systemd, "github": _github, "gitlab": _gitlab}[kind](
        env, env_path, found, base, project)


def _cron(env: Environment, env_path: Path, found: list[Job], base: str, project: Path) -> str:
    """One crontab line that wakes opsverify; opsverify's calendar decides (zones, DST, catch-up, lock)."""
    return ("# cron cannot say \"first monday\" and not every cron follows a time zone, so cron only wakes\n"
            "# opsverify every 10 minutes: its calendar starts what is due, catches up runs missed while the\n"
            "# machine was down (from the archive), and never starts two runs of one environment at once.\n"
            f"*/10 * * * * cd {project} && {base} --once >> {base.split('--reports ')[1]}/schedule.log 2>&1\n")


def _systemd(env: Environment, env_path: Path, found: list[Job], base: str, project: Path) -> str:
    """The daemon as a service; or, without a daemon, a timer per job with systemd's own calendar."""
    name = f"opsverify-{env.environment}"
    zone = env.schedule.timezone
    out = [f"""# Either run the scheduler as a service:
# --- /etc/systemd/system/{name}.service
[Unit]
Description=opsverify scheduler for {env.environment}
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
WorkingDirectory={project}
ExecStart={base}
Restart=on-failure
RestartSec=30
# EnvironmentFile=/etc/opsverify/{env.environment}.env   (the ${{VAR}} values of the environment file)

[Install]
WantedBy=multi-user.target
# then: systemctl daemon-reload && systemctl enable --now {name}.service
#
# Or, without a daemon, one timer per job (Persistent=true catches up a run missed while the machine was off):"""]
    for job in found:
        unit = f"{name}-{job.name.replace(':', '-')}"
        out.append(f"""# --- /etc/systemd/system/{unit}.service
[Unit]
Description=opsverify {job.name} run of {env.environment}

[Service]
Type=oneshot
WorkingDirectory={project}
ExecStart={base} --run {job.name} --if-due
# --- /etc/systemd/system/{unit}.timer
[Unit]
Description=opsverify {job.name} of {env.environment}: {job.rule_text}

[Timer]
OnCalendar={systemd_calendar(trigger(job), zone)}
Persistent=true

[Install]
WantedBy=timers.target""")
    out.append(f"# then: systemctl daemon-reload && systemctl enable --now {name}-*.timer")
    return "\n".join(out) + "\n"


def _triggers(found: list[Job]) -> dict[str, list[str]]:
    """cron expression -> the jobs it starts."""
    table: dict[str, list[str]] = {}
    for job in found:
        table.setdefault(cron_expression(trigger(job)), []).append(job.name)
    return table


def _github(env: Environment, env_path: Path, found: list[Job], base: str, project: Path) -> str:
    """A workflow: one schedule per job in the environment's time zone, the archive kept on a branch."""
    return ci.github(env, env_path, _triggers(found), secrets(env_path), project)


def _gitlab(env: Environment, env_path: Path, found: list[Job], base: str, project: Path) -> str:
    """A CI job run by pipeline schedules (one per job, each in the environment's time zone)."""
    return ci.gitlab(env, env_path, _triggers(found), secrets(env_path), project)
