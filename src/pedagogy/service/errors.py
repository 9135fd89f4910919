"""The service's errors: answered as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "InputError", "not_found", "invalid"]


class ApiError(Exception):
    """An error answered as ``application/problem+json`` (RFC 9457)."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def not_found(what: str) -> ApiError:
    return ApiError(404, "Not Found", f"{what} not found")


class InputError(ApiError, ValueError):
    """Bad input (also a ``ValueError``, so pydantic validators may raise it)."""


def invalid(field: str, message: str, status: int = 422) -> InputError:
    """Bad input: the problem names the ``field`` (also given as the problem's ``field`` member)."""
    title = "Bad Request" if status == 400 else "Unprocessable Content"
    return InputError(status, title, f"{field}: {message}" if field else message, field=field)
