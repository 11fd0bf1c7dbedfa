"""Which of the org's objects to extract: include/exclude patterns over the global describe.

By default every object the integration user can query and that Salesforce marks replicateable (custom ``__c``
objects included). Objects the org lists but cannot be replicated, and patterns that match nothing, are reported.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from extract.salesforce.describe import ObjectSummary

WILDCARDS = frozenset("*?[")


@dataclass
class ObjectSelection:
    selected: list[str] = field(default_factory=list)
    # object -> why it is not extracted although the patterns name it (not queryable, not replicateable, ...)
    left_out: dict[str, str] = field(default_factory=dict)
    # include patterns without wildcards that name no object the integration user can see
    not_visible: list[str] = field(default_factory=list)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, p.strip().lower()) for p in patterns if p.strip())


def select_objects(summaries: list[ObjectSummary], include: tuple[str, ...] = ("*",),
                   exclude: tuple[str, ...] = ()) -> ObjectSelection:
    selection = ObjectSelection()
    for summary in sorted(summaries, key=lambda s: s.name.lower()):
        if not _matches(summary.name, include) or _matches(summary.name, exclude):
            continue
        if summary.extractable:
            selection.selected.append(summary.name)
            continue
        reasons = [word for flag, word in ((summary.queryable, "not queryable"),
                                           (summary.replicateable, "not replicateable"),
                                           (summary.retrieveable, "not retrievable")) if not flag]
        selection.left_out[summary.name] = ", ".join(reasons)
    visible = {s.name.lower() for s in summaries}
    selection.not_visible = sorted(p for p in include if p.strip() and not WILDCARDS & set(p)
                                   and p.strip().lower() not in visible)
    return selection
