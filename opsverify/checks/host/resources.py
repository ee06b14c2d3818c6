"""Disk used per mount, memory used, load per core and CPU used, read on the host through testinfra."""

from __future__ import annotations

from opsverify.checks import CheckError, combine, probe, timeout_of
from opsverify.checks.host import output, percent
from opsverify.result import Result, grade, skipped
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import format_bytes


@probe
def disk(host: Host) -> Result:
    """`df -P -k` of every mount in max_disk_used/warn_max_disk_used against its share used."""
    mounts = list(dict.fromkeys([*host.max_disk_used, *host.warn_max_disk_used]))
    if not mounts:
        return skipped("no max_disk_used set")
    results, used = [], {}
    for mount in mounts:
        lines = output(host, "df -P -k %s", mount).splitlines()
        if len(lines) < 2:
            raise CheckError(f"`df -P -k {mount}` printed no filesystem on {host.name}")
        fields = lines[-1].split()
        size_used, available, mounted_on = int(fields[2]) * 1024, int(fields[3]) * 1024, fields[5]
        share = size_used / (size_used + available) if size_used + available else 0.0
        used[mount] = {"used": percent(share), "filesystem": fields[0], "mounted_on": mounted_on,
                       "used_bytes": size_used, "available_bytes": available}
        where = mount if mounted_on == mount else f"{mount} (on {mounted_on})"
        results.append(grade(f"disk {where} used", share, host.max_disk_used.get(mount),
                             host.warn_max_disk_used.get(mount), show=percent, unit="ratio")
                       .with_evidence(**{f"{mount}_free": format_bytes(available)}))
    return combine(results, mounts=used)


@probe
def memory(host: Host) -> Result:
    """Memory in use (MemTotal - MemAvailable from /proc/meminfo) against max_memory_used."""
    if host.max_memory_used is None and host.warn_max_memory_used is None:
        return skipped("no max_memory_used set")
    info = {}
    for line in output(host, "cat /proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        if rest.split():
            info[key] = int(rest.split()[0]) * 1024
    total = info.get("MemTotal")
    if not total:
        raise CheckError(f"/proc/meminfo on {host.name} has no MemTotal")
    available = info.get("MemAvailable", info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0))
    share = (total - available) / total
    return grade(f"memory used (of {format_bytes(total)})", share, host.max_memory_used,
                 host.warn_max_memory_used, show=percent, unit="ratio",
                 evidence={"total": format_bytes(total), "available": format_bytes(available)})


@probe
def load(host: Host) -> Result:
    """The 5-minute load average divided by the online cores, against max_load."""
    if host.max_load is None and host.warn_max_load is None:
        return skipped("no max_load set")
    averages = output(host, "cat /proc/loadavg").split()
    cores = int(output(host, "getconf _NPROCESSORS_ONLN").strip() or 1)
    per_core = float(averages[1]) / cores
    return grade(f"5-minute load per core ({averages[1]} on {cores} cores)", round(per_core, 3),
                 host.max_load, host.warn_max_load, show=lambda v: f"{v:g}",
                 evidence={"load_1_5_15": averages[:3], "cores": cores})


# /proc/stat's `cpu` line: user nice system idle iowait irq softirq steal (guest time is counted in user already)
_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


@probe
def cpu(host: Host) -> Result:
    """The share of all cores' time spent busy (not idle, not waiting for I/O) between two reads of /proc/stat
    `cpu_sample` apart, taken on the host itself, against max_cpu_used."""
    if host.max_cpu_used is None and host.warn_max_cpu_used is None:
        return skipped("no max_cpu_used set")
    sample = host.cpu_sample
    text = output(host, "sh -c %s", f"grep '^cpu' /proc/stat; sleep {float(sample):g}; grep '^cpu' /proc/stat",
                  limit=float(timeout_of(host)) + sample)
    reads = [line.split()[1:1 + len(_FIELDS)] for line in text.splitlines() if line.startswith("cpu ")]
    if len(reads) != 2 or any(len(r) < len(_FIELDS) for r in reads):
        raise CheckError(f"/proc/stat on {host.name} has no cpu line with {len(_FIELDS)} counters")
    spent = {field: int(after) - int(before) for field, before, after in zip(_FIELDS, *reads, strict=True)}
    total = sum(spent.values())
    if total <= 0:
        raise CheckError(f"the CPU counters of {host.name} did not advance in {sample}")
    busy = total - spent["idle"] - spent["iowait"]  # steal counts as busy: the core did not run this host's work
    cores = sum(line[3:4].isdigit() for line in text.splitlines()) // 2
    return grade(f"CPU used ({cores} cores, over {sample})", busy / total, host.max_cpu_used,
                 host.warn_max_cpu_used, show=percent, unit="ratio",
                 evidence={field: percent(spent[field] / total) for field in ("user", "system", "iowait", "steal")})
