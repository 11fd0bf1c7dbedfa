"""The ERP's clock when no Salesforce org shares one: real UTC time, naive, whole seconds."""

from __future__ import annotations

import datetime as dt


class ErpClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
