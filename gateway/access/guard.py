"""Puts the policy in front of every field: applied once to the built schema.

Each field whose topic differs from its type's, and each field that hands out people,
departments or payment requests, gets a wrapper around its resolver. The wrapper refuses
a topic the caller does not read (null and FORBIDDEN at the field's path, the rest of
the response is served), drops or refuses objects the caller may not see, and notes
reads of personal fields for the audit log. Lists narrowed by row rules are narrowed in
SQL by the resolvers (`Access.people_rows`, `Access.department_scope`) so that
pagination and totals stay right.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from gateway.access.policy import PERSONAL_TOPICS, Access, EmployeeSubject, Subject, Topic
from gateway.access.rules import FIELD_TOPICS, SUBJECT_TYPES, TYPE_TOPICS, is_structural
from gateway.errors import Forbidden

Resolver = Callable[..., Any]

LOOKUPS = frozenset({"Query.employee", "Query.paymentRequest"})
"""Root fields that find one person or request by its key. To a caller who does not see
every object, a key that names nothing answers as a key it may not see: which NIPs or
numbers exist is no business of a caller who may not read them."""


class AccessRuleMissing(RuntimeError):
    """A type of the schema has no topic: the schema refuses to build."""


def subject_of(source: Any) -> Subject | None:
    """The policy subject of a schema object (None for the root)."""
    method = getattr(source, "access_subject", None)
    return method() if method is not None else None


def guard_schema(schema: GraphQLSchema) -> None:
    """Wrap the resolvers that need a check; refuse to build when a type has no rule."""
    for name in LOOKUPS:
        type_name, field_name = name.split(".")
        root = schema.get_type(type_name)
        if not isinstance(root, GraphQLObjectType) or field_name not in root.fields:
            raise AccessRuleMissing(f"lookup {name} names no field of the schema")
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or is_structural(type_name):
            continue
        if type_name not in TYPE_TOPICS:
            raise AccessRuleMissing(f"type {type_name} has no access topic in rules.py")
        for field_name, field in graphql_type.fields.items():
            _guard_field(type_name, field_name, field)


def _guard_field(type_name: str, field_name: str, field: GraphQLField) -> None:
    name = f"{type_name}.{field_name}"
    topic = FIELD_TOPICS.get(name)
    if type_name == "Query" and topic is None:
        raise AccessRuleMissing(f"root field {name} has no access topic in rules.py")
    hands_out = get_named_type(field.type).name in SUBJECT_TYPES
    if topic is None and not hands_out:
        return
    field.resolve = _wrap(field.resolve or default_field_resolver, name, topic, hands_out)


def _wrap(resolve: Resolver, name: str, topic: Topic | None, hands_out: bool) -> Resolver:
    lookup = name in LOOKUPS

    def guarded(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        # reads nothing of `info` but its context (the planned engine relies on it:
        # `execution.resolver_calls.CONTEXT_ONLY`)
        access: Access = info.context.access
        if topic is not None:
            _check_topic(access, info, name, topic, source)
        result = resolve(source, info, **kwargs)
        if hands_out and not access.sees_every_object:
            return _admit(access, name, result, lookup)
        return result

    guarded.__wrapped__ = resolve  # type: ignore[attr-defined]
    GUARDS[guarded] = (name, topic, hands_out)
    return guarded


GUARDS: weakref.WeakKeyDictionary[Resolver, tuple[str, Topic | None, bool]] = (
    weakref.WeakKeyDictionary()
)
"""How each guard was made, so that the same guard can be put around another call."""


def unguarded(resolve: Resolver) -> Resolver:
    """The resolver a guard wraps; `resolve` itself when it is not a guard."""
    return resolve.__wrapped__ if resolve in GUARDS else resolve  # type: ignore[attr-defined]


def guarded_again(guard: Resolver, inner: Resolver) -> Resolver:
    """The same guard as `guard` (name, topic, objects admitted), around `inner`: for
    the planned engine, which calls some resolvers without strawberry's wrapper."""
    return _wrap(inner, *GUARDS[guard])


def _check_topic(
    access: Access, info: GraphQLResolveInfo, name: str, topic: Topic, source: Any
) -> None:
    subject = subject_of(source)
    if not access.permits(topic, subject):
        access.require(topic, name)  # anonymous, or no role reads the topic at all
        raise Forbidden(f"{name}: not readable by this caller", topic=topic)
    if topic in PERSONAL_TOPICS and isinstance(subject, EmployeeSubject):
        info.context.audit.personal_read(name, subject.nip)


def _admit(access: Access, name: str, result: Any, lookup: bool) -> Any:
    if isawaitable(result):
        return _admit_when_resolved(access, name, result, lookup)
    if isinstance(result, list):
        return [item for item in result if _sees(access, item)]
    if (result is None and lookup) or (result is not None and not _sees(access, result)):
        raise Forbidden(f"{name}: not visible to this caller")
    return result


async def _admit_when_resolved(
    access: Access, name: str, result: Awaitable[Any], lookup: bool
) -> Any:
    return _admit(access, name, await result, lookup)


def _sees(access: Access, item: Any) -> bool:
    subject = subject_of(item)
    return subject is None or access.admits(subject)
