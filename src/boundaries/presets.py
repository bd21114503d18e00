"""Population presets from the policy papers (registered patients); see ``../shared/notes/policy.md``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SizePreset:
    name: str
    lo: int
    hi: int
    typical: int  # the size a default run aims at when the planner gives no count
    source: str


PRESETS: dict[str, SizePreset] = {
    p.name: p
    for p in (
        SizePreset("hub", 30_000, 210_000, 120_000, "decision-making hub, 2010 paper 002"),
        SizePreset("consortium", 100_000, 750_000, 250_000, "community-facing consortium, paper 000"),
        SizePreset("locality", 70_000, 150_000, 110_000, "locality inside a large consortium, paper 000"),
        SizePreset("small", 50_000, 100_000, 75_000, "small groups, paper 002"),
    )
}

#: The papers' limit on a workable board: "extremely difficult with more than 30" practices (002).
BOARD_LIMIT = 30


def preset(name: str) -> SizePreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
