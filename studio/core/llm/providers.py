"""Provider settings: where to send requests. Never a key (keys live in :mod:`keys`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from studio.core.errors import ValidationError

ProviderKind = Literal["openai", "azure", "compatible"]
PROVIDER_KINDS: tuple[str, ...] = ("openai", "azure", "compatible")
OPENAI_BASE_URL = "https://api.openai.com/v1"

# Field names that would smuggle a secret into a settings file; refused on load.
_SECRET_FIELDS = frozenset({"api_key", "apikey", "key", "token", "secret", "password"})


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One configured endpoint.

    Attributes:
        name: the user's name for it; also the keyring username of its key.
        base_url: the OpenAI base URL (``.../v1``) or, for Azure, the resource endpoint.
        kind: ``"openai"``, ``"azure"`` or ``"compatible"`` (Ollama, llama.cpp, vLLM, ...).
        api_version: Azure's ``api-version`` (required for Azure, unused otherwise).
        default_model: model (Azure: deployment) preselected in the UI.
    """

    name: str
    base_url: str
    kind: ProviderKind = "openai"
    api_version: str | None = None
    default_model: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("A provider needs a name.", where="name")
        if self.kind not in PROVIDER_KINDS:
            raise ValidationError(
                f"Provider kind {self.kind!r} is not one of {', '.join(PROVIDER_KINDS)}.",
                where="kind",
            )
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(
                f"Base URL {self.base_url!r} of provider {self.name!r} must start with "
                "http:// or https:// and name a host.",
                where="base_url",
            )
        if self.kind == "azure" and not self.api_version:
            raise ValidationError(
                f"Azure provider {self.name!r} needs an API version (e.g. 2024-10-21).",
                where="api_version",
            )

    @property
    def is_local(self) -> bool:
        """True for a server on this machine (localhost / 127.x / ::1)."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        return host in ("localhost", "::1") or host.startswith("127.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (no secrets: there are none to write)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderConfig:
        """Build from :meth:`to_dict` output; refuses dicts that carry a key."""
        leaked = sorted(k for k in data if k.lower() in _SECRET_FIELDS)
        if leaked:
            raise ValidationError(
                f"Provider settings must not contain {', '.join(leaked)}: keys are kept in "
                "the system keyring, not in settings files.",
                where=leaked[0],
            )
        unknown = sorted(set(data) - {"name", "base_url", "kind", "api_version", "default_model"})
        if unknown:
            raise ValidationError(
                f"Unknown provider setting(s): {', '.join(unknown)}.", where=unknown[0]
            )
        try:
            return cls(
                name=str(data["name"]),
                base_url=str(data["base_url"]),
                kind=cast(ProviderKind, data.get("kind", "openai")),
                api_version=data.get("api_version"),
                default_model=data.get("default_model"),
            )
        except KeyError as exc:
            raise ValidationError(
                f"Provider settings lack the field {exc.args[0]!r}.", where=str(exc.args[0])
            ) from None
