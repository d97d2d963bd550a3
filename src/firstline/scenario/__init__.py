"""The demo world generator (`./firstline scenario`): a plain package, not an app.

`build_world` fills an empty database from a seed; `reset_world` empties it again.
"""

from firstline.scenario.world import (
    SCALES,
    Scale,
    ScaleOverride,
    WorldReport,
    build_world,
    reset_world,
    world_exists,
)

__all__ = [
    "SCALES",
    "Scale",
    "ScaleOverride",
    "WorldReport",
    "build_world",
    "reset_world",
    "world_exists",
]
