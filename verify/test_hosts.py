"""Hosts through testinfra: resources, services, processes, ports, files, cron jobs, sshd, PM2, containers, updates."""

from opsverify.checks import host
from opsverify.plugin import check, expect, having


@check("host.resources.disk", over=having("hosts", "max_disk_used", "warn_max_disk_used"), area="host")
def test_host_disk_used(result):
    expect(result)


@check("host.resources.memory", over=having("hosts", "max_memory_used", "warn_max_memory_used"), area="host")
def test_host_memory_used(result):
    expect(result)


@check("host.resources.load", over=having("hosts", "max_load", "warn_max_load"), area="host")
def test_host_load(result):
    expect(result)


@check("host.resources.cpu", over=having("hosts", "max_cpu_used", "warn_max_cpu_used"), area="host")
def test_host_cpu_used(result):
    expect(result)


@check("host.processes.services", over=having("hosts", "services"), area="host")
def test_host_services_running(result):
    expect(result)


@check("host.processes.processes", over=having("hosts", "processes"), area="host")
def test_host_processes_present(result):
    expect(result)


@check("host.pm2.apps", over=having("hosts", "pm2"), area="host")
def test_host_pm2_apps_online(result):
    expect(result)


@check("host.pm2.memory", over=lambda env: [h for h in env.hosts if h.pm2 and h.pm2.limits_memory],
       area="host")
def test_host_pm2_memory(result):
    expect(result)


@check("host.containers.running", over=having("hosts", "containers"), area="host")
def test_host_containers_running(result):
    expect(result)


@check("host.network.listening", over=having("hosts", "listening"), area="host")
def test_host_sockets_listening(result):
    expect(result)


@check("host.network.public_ports", over=having("hosts", "allowed_ports"), cadence="weekly", area="security")
def test_host_public_ports_allowed(result):
    expect(result)


@check("host.files.file", over=lambda env: host.nested(env, "files"), cadence="weekly", area="security")
def test_host_file_permissions(result):
    expect(result)


@check("host.files.world_writable", over=having("hosts", "no_world_writable"), cadence="weekly", area="security")
def test_host_no_world_writable(result):
    expect(result)


@check("host.oldfiles.old_files", over=lambda env: host.nested(env, "old_files"), cadence="weekly", area="host")
def test_host_old_files(result):
    expect(result)


@check("host.cron.crontab", over=having("hosts", "crontab"), area="host")
def test_host_crontab(result):
    expect(result)


@check("host.sshd.settings", over=having("hosts", "sshd"), cadence="weekly", area="security")
def test_host_sshd_settings(result):
    expect(result)


@check("host.updates.pending", over=having("hosts", "max_pending_updates", "max_security_updates"), cadence="weekly",
       area="security")
def test_host_updates_pending(result):
    expect(result)
