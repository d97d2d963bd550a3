"""Published aggregates: association-level and public figures are counts, and a cell
under the threshold is shown as "<5", so no small group can be singled out
(DESIGN.md, personal data)."""

SUPPRESSION_THRESHOLD = 5
SUPPRESSED = "<5"


def suppress(count: int) -> int | str:
    return count if count >= SUPPRESSION_THRESHOLD else SUPPRESSED
