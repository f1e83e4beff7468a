"""The app's server-location fields and short names (stdlib only, no server needed)."""

from __future__ import annotations

import pytest

from studio.core.db.location_label import fields_of_location, location_from_fields, server_label
from studio.core.db.server import parse_location


def test_fields_make_a_location_the_core_reads_back() -> None:
    text = location_from_fields(" db.example.org ", 5433, "team", "ann", "require")
    assert text == "postgresql://ann@db.example.org:5433/team?sslmode=require"
    loc = parse_location(text)
    assert (loc.user, loc.host, loc.port, loc.database) == ("ann", "db.example.org", 5433, "team")
    assert dict(loc.query) == {"sslmode": "require"}
    # libpq's default sslmode is left out
    assert location_from_fields("h", 5432, "d", "u") == "postgresql://u@h:5432/d"
    assert fields_of_location(text) == {
        "host": "db.example.org",
        "port": 5433,
        "database": "team",
        "user": "ann",
        "sslmode": "require",
    }


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (("", 5432, "d", "u", "prefer"), "Fill in the host."),
        (("h", 5432, "", "u", "prefer"), "Fill in the database."),
        (("h", 5432, "d", "u:secret", "prefer"), "The user 'u:secret' holds ':'"),
        (("h", 5432, "d/x", "u", "prefer"), "The database 'd/x' holds '/'"),
        (("h", 5432, "d", "u", "allow-all"), "The SSL mode must be one of"),
    ],
)
def test_bad_fields_are_named(fields: tuple[str, int, str, str, str], says: str) -> None:
    with pytest.raises(ValueError) as info:
        location_from_fields(*fields)
    assert str(info.value).startswith(says)


def test_short_names() -> None:
    assert server_label("postgresql://ann@db.example.org:5432/team") == "team @ db.example.org"
    assert server_label("postgresql://ann@10.0.0.5:6543/team?sslmode=require") == (
        "team @ 10.0.0.5:6543"
    )
    assert server_label("postgresql://ann@host") == "postgresql://ann@host"
    assert fields_of_location("not a location") is None
