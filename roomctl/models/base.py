"""The base of every clinic-file model, and the hint that words a field's errors for people."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class FrozenModel(BaseModel):
    """A validated, immutable model that refuses fields it does not know."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class Hint:
    """How `roomctl check` words an error in the value it annotates (in its Annotated metadata).

    A hint applies to the value it is attached to, not to the fields inside it; pydantic
    keeps it in the type and ignores it when validating. Each text is optional:

    - `expected`: what to write, said to a value of the wrong type ("expected ..., got 5");
    - `mismatch`: said to a value of the right type but the wrong form (a pattern or a
      fixed word it misses), with `{value}` and `{expected}` filled in;
    - `key_kind`: what the keys of a mapping with a fixed set of keys are called;
    - `tag_kind`: what the `type` that tells the members of a union apart is called.
    """

    expected: str | None = None
    mismatch: str | None = None
    key_kind: str | None = None
    tag_kind: str | None = None
