"""The API's answer shapes (msgspec Structs), so `/schema` documents every answer.

Kept apart from the route modules: several routes share a shape (an order, a parcel, a
count), the console and the terminal can import them without Litestar's controllers, and
the route files stay short. Services still build most views as dicts (their owners may
type them later); `answer` turns one into its Struct, and a key the Struct does not
declare is refused (a 500 in the tests), so no field is ever dropped silently.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


class Answer(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every answer: a view with a key its Struct lacks is a bug, not a trim."""


class Ok(Answer):
    ok: bool


def answer(kind: type[T], value: Any) -> T:
    """`value` (a service's dict, a row, or already the Struct) as the answer type `kind`."""
    try:
        return msgspec.convert(value, kind, from_attributes=True)
    except msgspec.ValidationError as exc:  # the view and its declared shape have drifted
        raise TypeError(f"answer is not a {kind}: {exc}") from exc
