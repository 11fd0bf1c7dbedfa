"""What the integration user may see and do, as real orgs restrict it (``org.access``).

=============================  ====================================================================================
``hidden_fields``              field-level security: the fields (``Account.Description``) are not readable. They are
                               left out of describe, and SOQL, writes and upserts treat them as fields that do not
                               exist (REST query 400 ``INVALID_FIELD`` "No such column ...", Bulk 2.0 query job
                               create the same 400, REST writes 400 ``INVALID_FIELD``, Bulk ingest jobs ``Failed``
                               "InvalidBatch : Field name not found : X"). Hiding a compound address field hides
                               its components too. ``Id`` cannot be hidden.
``hidden_objects``             objects the user cannot read: left out of the global describe, ``/sobjects/{O}...``
                               404 ``NOT_FOUND``, queries 400 ``INVALID_TYPE`` "sObject type 'X' is not
                               supported. ...", Bulk jobs on them as on unknown objects; lookups to them cannot be
                               traversed (``Didn't understand relationship``)
``bulk_unsupported_objects``   listed and queryable over REST, but Bulk API 2.0 query and ingest jobs and Bulk 1.0
                               jobs on them are refused: 400 ``INVALIDENTITY`` "Entity 'X' is not supported by the
                               Bulk API." (Bulk 1.0: ``InvalidEntity`` with the same message)
``not_queryable_objects``      describe says ``queryable: false``; REST/composite/Bulk queries answer 400
                               ``INVALID_TYPE_FOR_OPERATION`` "entity type X does not support query"
``not_replicateable_objects``  describe says ``replicateable: false`` (getUpdated/getDeleted still answer)
=============================  ====================================================================================

Set them at start (``--extra hidden_fields=Account.Description,Contact.Birthdate`` and the other names as options),
from Python (``org.access.hide_fields("Account.Description")``, ``org.access.update(hidden_objects="Case")``,
``org.access.reset()``) or over HTTP (``GET/POST /access``, ``POST /access/reset``). Changes take effect at once.
The control API's true contents (``org.rows``) and mutations ignore them. Default: no restrictions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from .schema import ADDRESS_COMPONENTS, FieldDef, ObjectDef, get_object

RESTRICTIONS = (
    "hidden_fields", "hidden_objects", "bulk_unsupported_objects", "not_queryable_objects",
    "not_replicateable_objects",
)


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [name.strip() for name in value if name and name.strip()]


def _object_named(name: str) -> ObjectDef:
    obj = get_object(name)
    if obj is None:
        raise ValueError(f"unknown object {name!r}")
    return obj


def _field_keys(name: str) -> set[tuple[str, str]]:
    object_name, dot, field_name = name.partition(".")
    if not dot or not field_name:
        raise ValueError(f"a hidden field is named Object.Field, got {name!r}")
    obj = _object_named(object_name)
    f = obj.field(field_name)
    if f is None:
        raise ValueError(f"unknown field {name!r}")
    if f.name == "Id":
        raise ValueError("Id cannot be hidden")
    keys = {(obj.name, f.name)}
    if f.type == "address":
        prefix = f.name[: -len("Address")]
        keys |= {(obj.name, prefix + part) for part in ADDRESS_COMPONENTS if obj.field(prefix + part)}
    return keys


def _canonical(restriction: str, names: Iterable[str]) -> frozenset:
    if restriction not in RESTRICTIONS:
        raise ValueError(f"unknown access restriction {restriction!r}; one of {', '.join(RESTRICTIONS)}")
    if restriction == "hidden_fields":
        return frozenset(key for name in names for key in _field_keys(name))
    return frozenset(_object_named(name).name for name in names)


class OrgAccess:
    """The org's access restrictions. Thread-safe; readers see a consistent snapshot of each restriction."""

    def __init__(self, options: Mapping[str, str] | None = None):
        self._lock = threading.Lock()
        self._state: dict[str, frozenset] = {name: frozenset() for name in RESTRICTIONS}
        options = options or {}
        self.update(**{name: options[name] for name in RESTRICTIONS if name in options})

    # --- control ----------------------------------------------------------------------------------------------

    def update(self, **restrictions: str | Iterable[str]) -> dict[str, list[str]]:
        """Replace the named restrictions, e.g. ``update(hidden_fields="Account.Description,Contact.Birthdate")``
        (a comma-separated string or a list); the others stay. Returns ``as_dict()``."""
        new = {name: _canonical(name, _names(value)) for name, value in restrictions.items()}
        with self._lock:
            self._state.update(new)
        return self.as_dict()

    def add(self, restriction: str, *names: str) -> dict[str, list[str]]:
        extra = _canonical(restriction, [n for name in names for n in _names(name)])
        with self._lock:
            self._state[restriction] = self._state[restriction] | extra
        return self.as_dict()

    def remove(self, restriction: str, *names: str) -> dict[str, list[str]]:
        gone = _canonical(restriction, [n for name in names for n in _names(name)])
        with self._lock:
            self._state[restriction] = self._state[restriction] - gone
        return self.as_dict()

    def hide_fields(self, *names: str) -> dict[str, list[str]]:
        """``hide_fields("Account.Description", "Contact.Birthdate")``."""
        return self.add("hidden_fields", *names)

    def show_fields(self, *names: str) -> dict[str, list[str]]:
        return self.remove("hidden_fields", *names)

    def hide_objects(self, *names: str) -> dict[str, list[str]]:
        return self.add("hidden_objects", *names)

    def show_objects(self, *names: str) -> dict[str, list[str]]:
        return self.remove("hidden_objects", *names)

    def reset(self) -> dict[str, list[str]]:
        """No restrictions (the default)."""
        with self._lock:
            self._state = {name: frozenset() for name in RESTRICTIONS}
        return self.as_dict()

    def as_dict(self) -> dict[str, list[str]]:
        with self._lock:
            state = dict(self._state)
        report = {name: sorted(state[name]) for name in RESTRICTIONS if name != "hidden_fields"}
        report["hidden_fields"] = sorted(f"{o}.{f}" for o, f in state["hidden_fields"])
        return {name: report[name] for name in RESTRICTIONS}

    # --- what the API sees ------------------------------------------------------------------------------------

    def _has(self, restriction: str, key) -> bool:
        return key in self._state[restriction]

    def visible(self, obj: ObjectDef) -> bool:
        return not self._has("hidden_objects", obj.name)

    def object(self, name: str) -> ObjectDef | None:
        """The object by API name, or None when it does not exist or the user cannot see it."""
        obj = get_object(name)
        return obj if obj is not None and self.visible(obj) else None

    def field(self, obj: ObjectDef, name: str) -> FieldDef | None:
        f = obj.field(name)
        return f if f is not None and not self._has("hidden_fields", (obj.name, f.name)) else None

    def fields(self, obj: ObjectDef) -> tuple[FieldDef, ...]:
        hidden = self._state["hidden_fields"]
        return tuple(f for f in obj.fields if (obj.name, f.name) not in hidden)

    def relationship(self, obj: ObjectDef, name: str) -> FieldDef | None:
        """The lookup whose relationship name is ``name``, unless its field is hidden (callers keep only the
        visible targets: a lookup whose targets are all hidden cannot be traversed)."""
        reference = obj.relationship(name)
        if reference is None or self.field(obj, reference.name) is None:
            return None
        return reference

    def queryable(self, obj: ObjectDef) -> bool:
        return not self._has("not_queryable_objects", obj.name)

    def replicateable(self, obj: ObjectDef) -> bool:
        return not self._has("not_replicateable_objects", obj.name)

    def bulk_supported(self, obj: ObjectDef) -> bool:
        return not self._has("bulk_unsupported_objects", obj.name)


UNRESTRICTED = OrgAccess()  # the default where no org is at hand (never modified)
