"""The typed context resolvers receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from strawberry.types import Info as _Info

if TYPE_CHECKING:
    from docent.api.auth import Principal
    from docent.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    principal: Principal
    request_id: str


Info: TypeAlias = _Info[Context, None]
