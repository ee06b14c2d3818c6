"""Compliance: who holds privileged access, documents reviewed on time, logs kept long enough and not too long."""

from opsverify.plugin import check, expect


@check("compliance.access_review", cadence="monthly", area="compliance",
       over=lambda env: [env.compliance.access_review] if env.compliance and env.compliance.access_review else [])
def test_access_review(result):
    expect(result)


@check("compliance.document_reviewed", cadence="monthly", area="compliance",
       over=lambda env: env.compliance.documents if env.compliance else [])
def test_document_reviewed(result):
    expect(result)


@check("compliance.log_retention", cadence="monthly", area="compliance",
       over=lambda env: env.compliance.log_retention if env.compliance else [])
def test_log_retention(result):
    expect(result)
