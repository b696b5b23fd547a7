"""The SDK against the contract: every field a model reads is in the OpenAPI document the
emulator serves, with a type that fits (so the SDK and the emulator cannot drift apart
silently). The document is ``sharokey.emulator.openapi``; the models are ``sharokey.models``.
"""

from __future__ import annotations

import datetime
import typing
from typing import Any, Union

import attrs
import pytest

from sharokey import models

openapi = pytest.importorskip("sharokey.emulator.openapi", reason="the emulator needs aiohttp")

# Each model and the schema its fields come from.
WIRE = {
    models.Secret: "Secret",
    models.CreatedSecret: "CreatedSecret",
    models.SecretStats: "SecretStats",
    models.SecretRequest: "SecretRequest",
    models.RequestStats: "RequestStats",
    models.Pagination: "Pagination",
    models.RevealedSecret: "RevealedSecret",
    models.Health: "Health",
    models.AttachmentInfo: "Secret.attachments",
}
# Fields the SDK fills itself rather than reading them from the answer, and why.
NOT_ON_THE_WIRE = {
    (models.RevealedSecret, "slug"): "taken from the share link",
    (models.RevealedSecret, "attachments"): "decrypted files, built from the wire attachments",
    (models.Health, "details"): "whatever else the health answer carried",
    (models.CreatedSecret, "share_url"): "built by the SDK: access_url + '#' + keyB",
}
JSON_TYPES = {str: {"string"}, int: {"integer"}, bool: {"boolean"}, float: {"number"}}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and merge ``allOf``: the object's properties, all in one mapping."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(document["components"]["schemas"][name], document)
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            resolved = _resolve(part, document)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
        return merged
    return schema


def _schema(name: str, document: dict[str, Any]) -> dict[str, Any]:
    head, _, field = name.partition(".")
    schema = _resolve({"$ref": f"#/components/schemas/{head}"}, document)
    if field:
        schema = _resolve(schema["properties"][field]["items"], document)
    return schema


def _json_types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def _fits(annotation: Any, schema: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether a JSON value valid for ``schema`` is what a field of ``annotation`` reads."""
    schema = _resolve(schema, document)
    types = _json_types(schema)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Union:  # Optional[X]
        (inner,) = [a for a in args if a is not type(None)]
        return _fits(inner, {**schema, "type": sorted(types - {"null"})}, document)
    if "null" in types:
        return False  # the wire may send null where the model takes none
    if annotation is datetime.datetime:
        return types == {"string"} and schema.get("format") == "date-time"
    if typing.get_origin(annotation) is list:
        return types == {"array"} and _fits(args[0], schema["items"], document)
    if attrs.has(annotation):
        return types == {"object"}
    return bool(types) and types <= JSON_TYPES.get(annotation, set())


@pytest.mark.parametrize("model", list(WIRE), ids=lambda m: m.__name__)
def test_every_field_the_sdk_reads_is_in_the_contract(model: type) -> None:
    document = openapi.openapi_document()
    schema = _schema(WIRE[model], document)
    hints = typing.get_type_hints(model)
    for field in attrs.fields(model):
        if (model, field.name) in NOT_ON_THE_WIRE:
            continue
        wire = schema.get("properties", {}).get(field.name)
        assert wire is not None, f"{model.__name__}.{field.name} is not in {WIRE[model]}"
        assert _fits(hints[field.name], wire, document), (
            f"{model.__name__}.{field.name}: {hints[field.name]} does not read {wire}"
        )


def test_a_required_model_field_is_required_on_the_wire() -> None:
    document = openapi.openapi_document()
    for model, name in WIRE.items():
        schema = _schema(name, document)
        for field in attrs.fields(model):
            if field.default is attrs.NOTHING and (model, field.name) not in NOT_ON_THE_WIRE:
                required = schema.get("required", [])
                assert field.name in required, (
                    f"{model.__name__}.{field.name} has no default but the wire may omit it"
                )


def test_the_check_notices_a_mismatch() -> None:
    document = openapi.openapi_document()
    assert not _fits(int, {"type": "string"}, document)
    assert not _fits(str, {"type": ["string", "null"]}, document)
    assert _fits(typing.Optional[str], {"type": ["string", "null"]}, document)
    assert not _fits(datetime.datetime, {"type": "string"}, document)
