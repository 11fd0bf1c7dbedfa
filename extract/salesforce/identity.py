"""Which org a logged-in client reads: its organization Id, from the identity URL the data API lists.

``GET /services/data/vXX.X`` answers the resources of the API version, among them ``identity``:
``https://<login host>/id/<organization Id>/<user Id>`` (one API call). The Id comes from the org itself, never
from configuration, so a connection pointed at another org is noticed before anything lands.
"""

from __future__ import annotations

import re

from extract.errors import PermanentError
from extract.salesforce.client import SalesforceClient

_IDENTITY = re.compile(r"/id/(00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?)/")


class OrgIdentityError(PermanentError):
    """The org did not say who it is."""


def organization_id(client: SalesforceClient) -> str:
    """The organization Id (as the org writes it, 18 characters on real orgs) of the org ``client`` logged in to."""
    resources = client.get_json("", doing="read the org's identity (the data API's resources)")
    identity = resources.get("identity") if isinstance(resources, dict) else None
    match = _IDENTITY.search(identity or "")
    if match is None:
        raise OrgIdentityError(f"the org at {client.instance_url} listed no identity URL with an organization Id "
                               f"among its API resources (got {str(identity)[:200]!r})")
    return match.group(1)
