"""Health: endpoints, TLS, databases, caches, mail relays and notification channels answer as the environment says."""

from opsverify.checks import notify
from opsverify.plugin import check, expect, having


@check("http.response", over="endpoints", area="health")
def test_endpoint_responds(result):
    expect(result)


@check("http.latency_sla", over=lambda env: [e for e in env.endpoints if e.sla], area="performance")
def test_endpoint_latency_sla(result):
    expect(result)


@check("uptime.availability", over=having("endpoints", "uptime"), area="health", smoke=False)
def test_endpoint_uptime(result):
    expect(result)


@check("tls.certificate", over="tls", area="health")
def test_tls_certificate(result):
    expect(result)


@check("tls.protocols", over=lambda env: [t for t in env.tls if t.min_version], cadence="weekly", area="security")
def test_tls_protocols(result):
    expect(result)


@check("database.connect", over="databases", area="health")
def test_database_connects(result):
    expect(result)


@check("database.tables", over=lambda env: [d for d in env.databases if d.expect_tables], area="database")
def test_database_tables_exist(result):
    expect(result)


@check("cache.ping", over="caches", area="health")
def test_cache_answers(result):
    expect(result)


@check("smtp.handshake", over="smtp", area="health")
def test_smtp_relay_accepts(result):
    expect(result)


@check("notify.delivers", over=notify.tested, area="health", smoke=False)
def test_notify_channel_delivers(result):
    expect(result)
