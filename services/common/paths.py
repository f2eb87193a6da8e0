"""Path parameter types shared by the domains of every service: import them from here, not from another
domain's endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

ProjectId = Annotated[str, Path(min_length=36, max_length=36, description="The project's id (a UUID).")]
ProgramId = Annotated[str, Path(min_length=36, max_length=36, description="The program's id (a UUID).")]
Version = Annotated[int, Path(ge=1, le=1_000_000, description="A version number, counting from 1.")]
