"""Several orgs in one warehouse: each org lands under a source of its own, and a source holds one org for good.

Everything an org lands is keyed by its source (``ExtractOptions.source``): bronze tables ``<source>__<object>``,
``state.salesforce_objects`` (cursors), open Bulk jobs, the lookback window's keys, tombstones (``_source``) and
``audit.extract_batches``. ``state.salesforce_orgs`` records which org (organization Id, read from the org at
login, never from configuration) a source holds; ``confirm_org`` runs before a cycle and refuses to extract when
a connection was pointed at another org, so one org's cursors never move over another's records.
"""

from __future__ import annotations

import logging

from extract.errors import OrgMismatchError
from extract.salesforce.client import SalesforceClient
from extract.salesforce.identity import organization_id

log = logging.getLogger(__name__)


def confirm_org(client: SalesforceClient, writer, source: str) -> str:
    """The org id ``client`` reads, recorded for ``source``; OrgMismatchError when ``source`` holds another org."""
    org_id = organization_id(client)
    landed = writer.org_id(source)
    if landed is not None and landed != org_id:
        raise OrgMismatchError(source, org_id, landed)
    writer.remember_org(source, org_id, client.instance_url)
    if landed is None:
        log.info("source %s: first extraction of org %s (%s)", source, org_id, client.instance_url)
    return org_id
