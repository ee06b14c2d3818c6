"""Machines reached through testinfra: resources, services, ports, files, sshd settings and logs."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from opsverify.spec.errors import suggest
from opsverify.spec.models.common import Item, Listed, Model
from opsverify.spec.types import Count, DurationT, Port, RatioT, RegexT, SizeT
from opsverify.spec.units import Duration


def _target(value: str) -> str:
    """A testinfra host spec whose scheme testinfra knows (`web1` alone means paramiko, as in testinfra)."""
    from testinfra.backend import BACKENDS  # a plain dict; testinfra itself is needed only to run checks

    scheme = value.split("://", 1)[0] if "://" in value else None
    if scheme is not None and scheme not in BACKENDS:
        hint = suggest(scheme, BACKENDS) or f"; testinfra knows {', '.join(s + '://' for s in BACKENDS)}"
        raise ValueError(f"unknown connection {scheme + '://'!r}{hint}")
    return value


def _socket(value: str) -> str:
    """A testinfra socket spec: tcp://0.0.0.0:443, tcp://443, udp://53, unix:///run/app.sock."""
    if not re.fullmatch(r"(tcp|udp|unix)://\S+", value):
        raise ValueError(f"{value!r} is not a socket; write it like tcp://0.0.0.0:443, udp://53 or unix:///run/app.sock")
    return value


def _mode(value: str) -> str:
    """Octal permissions as four digits: `640`, `0640` and `0o640` all become `0640`."""
    digits = value[2:] if value.lower().startswith("0o") else value
    if not re.fullmatch(r"[0-7]{3,4}", digits):
        raise ValueError(f"{value!r} is not a file mode; write it in octal, like \"0640\"")
    return digits.rjust(4, "0")


def _sshd(value: Any) -> Any:
    """sshd -T option names in lower case; true/false written as sshd's yes/no."""
    if not isinstance(value, dict):
        return value
    return {str(k).lower(): ({True: "yes", False: "no"}[v] if isinstance(v, bool) else v) for k, v in value.items()}


def _client(value: str) -> str:
    """A regular expression with exactly one group: the part of a line that names the client."""
    groups = re.compile(value).groups  # RegexT has checked that it compiles
    if groups != 1:
        found = f"{groups} groups" if groups else "no group"
        raise ValueError(f'"{value}" has {found}; put the part of the line that names the client in exactly one '
                         "group, like ^(\\S+) (write any other group as (?:…))")
    return value


Target = Annotated[str, AfterValidator(_target)]
Socket = Annotated[str, AfterValidator(_socket)]
Mode = Annotated[str, AfterValidator(_mode)]
ClientT = Annotated[RegexT, AfterValidator(_client)]


class HostFile(Item):
    """A file that must exist with at most these permissions and this owner and group."""

    path: str
    mode: Mode | None = None  # at most these permissions
    owner: str | None = None
    group: str | None = None

    @property
    def mode_bits(self) -> int | None:
        """The mode as a number (0o640), or None."""
        return int(self.mode, 8) if self.mode else None


class LogVolume(Model):
    """Matching lines in the last `window` against their mean per window over the `usual` period before it."""

    window: DurationT = Field(default=Duration(3600.0, "1h"), gt=0)
    usual: DurationT = Field(default=Duration(7 * 86400.0, "7d"), gt=0)  # the period before the window
    max_rise: RatioT | None = None  # more above the usual mean fails (300%: over four times as many lines)
    warn_max_rise: RatioT | None = None
    max_drop: RatioT | None = None  # more below the usual mean fails (75%: under a quarter as many lines)
    warn_max_drop: RatioT | None = None

    @model_validator(mode="after")
    def _judges(self) -> LogVolume:
        """A limit to judge by, a usual period of at least one window, drops of at most 100%."""
        if all(v is None for v in (self.max_rise, self.warn_max_rise, self.max_drop, self.warn_max_drop)):
            raise ValueError("give max_rise and/or max_drop (or their warn_ twins)")
        if self.usual < self.window:
            raise ValueError(f"usual ({self.usual}) is shorter than the window ({self.window}); "
                             "the usual level is a mean over several windows")
        for drop in (self.max_drop, self.warn_max_drop):
            if drop is not None and drop > 1:
                raise ValueError(f"a drop of {drop} is more than all lines; at most 100% (no line at all)")
        return self


class HostLog(Item):
    """A log file: lines matching `pattern` whose timestamp falls in `window`."""

    path: str
    pattern: RegexT
    window: DurationT = Duration(86400.0, "24h")
    max: Count | None = None
    warn_max: Count | None = None
    min: Count | None = None  # fewer matching lines than this fails ("the nightly job logged a success")
    warn_min: Count | None = None
    max_repeats: Count | None = None  # the same message more often than this fails
    warn_max_repeats: Count | None = None
    max_ratio: RatioT | None = None  # matching lines as a share of the window's lines (those matching `of`)
    warn_max_ratio: RatioT | None = None
    of: RegexT | None = None  # the ratio's denominator: lines matching this; default every line
    max_client_share: RatioT | None = None  # the busiest client's share of the matching lines
    warn_max_client_share: RatioT | None = None
    client: ClientT = r"^(\S+)"  # its group is a line's client; default the remote address of nginx/Apache logs
    volume: LogVolume | None = None  # matching lines in a window against their usual level

    @model_validator(mode="after")
    def _has_a_limit(self) -> HostLog:
        """A log check without a limit could never fail; `of` and `client` without their limit would do nothing."""
        limits = (self.max, self.warn_max, self.min, self.warn_min, self.max_repeats, self.warn_max_repeats,
                  self.max_ratio, self.warn_max_ratio, self.max_client_share, self.warn_max_client_share,
                  self.volume)
        if all(v is None for v in limits):
            raise ValueError("give a limit: max, min and/or max_repeats (or their warn_ twins), "
                             "a share: max_ratio, max_client_share, or a volume")
        if self.of is not None and self.max_ratio is None and self.warn_max_ratio is None:
            raise ValueError("`of` is the denominator of max_ratio; give max_ratio or warn_max_ratio with it")
        if "client" in self.model_fields_set and self.max_client_share is None and self.warn_max_client_share is None:
            raise ValueError("`client` is read only for max_client_share; give max_client_share or "
                             "warn_max_client_share with it")
        return self


class Pm2(Model):
    """Apps run by PM2 on the host: online, restarted at most `max_restarts` times since the previous run, started
    after the release, using at most `max_memory`, growing at most `max_memory_growth` a day."""

    apps: tuple[str, ...] = ()  # must be online; empty: every app PM2 knows
    max_restarts: Count | None = None  # restarts of each app since the previous archived run (PM2's counter's change)
    warn_max_restarts: Count | None = None
    max_memory: SizeT | None = None  # each app's memory (RSS) as PM2 reports it (`monit.memory` of `pm2 jlist`)
    warn_max_memory: SizeT | None = None
    max_memory_growth: SizeT | None = None  # per day, since the previous archived run of the same process (a leak)
    warn_max_memory_growth: SizeT | None = None
    release: str | None = None  # a file each deploy rewrites (.git/ORIG_HEAD): every app must start after it
    home: str | None = None  # PM2_HOME; default the connecting user's ~/.pm2

    @property
    def limits_memory(self) -> bool:
        """Whether a memory limit or a memory growth limit (or a warn_ twin) is set."""
        return any(v is not None for v in (self.max_memory, self.warn_max_memory, self.max_memory_growth,
                                           self.warn_max_memory_growth))


class HostContainers(Model):
    """Containers on the host (`docker ps`/`inspect`): running, healthy if they have a healthcheck, few restarts."""

    engine: Literal["docker", "podman"] = "docker"  # the CLI run on the host
    project: str | None = None  # a docker compose project: every container of it must run
    names: tuple[str, ...] = ()  # must exist and run: a compose service or a container name
    max_restarts: Count | None = None  # the engine's restart count of each container
    warn_max_restarts: Count | None = None

    @model_validator(mode="after")
    def _says_which(self) -> HostContainers:
        """Without a project or names there is nothing to look for."""
        if self.project is None and not self.names:
            raise ValueError("give a compose project, names, or both")
        return self


class OldFiles(Listed):
    """A folder (temporary files, uploads in progress) where no file may be older than `max_age`."""

    path: str
    max_age: DurationT = Field(gt=0)
    warn_max_age: DurationT | None = Field(default=None, gt=0)
    min_size: SizeT | None = None  # only files at least this large count
    age_by: Literal["modified", "accessed"] = "modified"  # accessed: as a cleanup by `find -atime` sees files

    @property
    def own_id(self) -> str:
        """The folder: the test id is `HOST:PATH`."""
        return self.path


class Crontab(Model):
    """Cron jobs that must be set up: each pattern matches a job line of the user's crontab or the system's."""

    user: str = "root"  # whose crontab `crontab -l -u USER` lists (reading another user's needs root: ?sudo=true)
    expect: tuple[RegexT, ...] = Field(min_length=1)  # searched in each job line (comments and VAR= lines skipped)


class Host(Item):
    """A machine: testinfra target, resource limits, what must run and listen, files and logs."""

    target: Target = "local://"
    connections: int = Field(default=10, ge=1)  # a fleet (ansible:// naming a group): its hosts talked to at once
    max_disk_used: dict[str, RatioT] = {}  # mount point -> share used
    warn_max_disk_used: dict[str, RatioT] = {}
    max_memory_used: RatioT | None = None
    warn_max_memory_used: RatioT | None = None
    max_load: float | None = Field(default=None, ge=0)  # 5-minute load average per core
    warn_max_load: float | None = Field(default=None, ge=0)
    max_cpu_used: RatioT | None = None  # busy share of all cores over a sample of /proc/stat
    warn_max_cpu_used: RatioT | None = None
    cpu_sample: DurationT = Field(default=Duration(1.0, "1s"), ge=1, le=300)  # how long the CPU is watched
    services: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()
    listening: tuple[Socket, ...] = ()
    allowed_ports: tuple[Port, ...] | None = None  # None: not checked; anything else on a public address fails
    files: tuple[HostFile, ...] = ()
    no_world_writable: tuple[str, ...] = ()
    sshd: Annotated[dict[str, str], BeforeValidator(_sshd)] = {}
    sshd_config: str | None = None  # the file `sshd -T -f` reads; default sshd's own
    pm2: Pm2 | None = None
    containers: HostContainers | None = None
    max_pending_updates: Count | None = None  # package upgrades pending (apt-get -s dist-upgrade / dnf check-update)
    max_security_updates: Count | None = None  # of those, from a security source
    package_lists_max_age: DurationT = Field(default=Duration(2 * 86400.0, "2d"), gt=0)  # apt lists older: error
    logs: tuple[HostLog, ...] = ()
    old_files: tuple[OldFiles, ...] = ()
    crontab: Crontab | None = None

    @field_validator("old_files")
    @classmethod
    def _old_files_once(cls, entries: tuple[OldFiles, ...]) -> tuple[OldFiles, ...]:
        """Each old_files folder once: the path is the test id."""
        paths = [entry.path for entry in entries]
        twice = sorted({p for p in paths if paths.count(p) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} is listed more than once; give each folder one entry")
        return entries

    @model_validator(mode="after")
    def _connections_for_a_fleet(self) -> Host:
        """`connections` bounds a fleet; on another target it would do nothing."""
        if "connections" in self.model_fields_set and not self.target.startswith("ansible://"):
            raise ValueError("connections bounds a fleet, an ansible:// target that names an inventory group; "
                             "this target is one machine")
        return self

    @property
    def url(self) -> str:
        """The target, under the name the probe pool reads to cap concurrency per machine."""
        return self.target
