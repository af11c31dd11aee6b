"""The end date of the emulated portals whose numbers tests compare.

The generator's ``end_date`` defaults to today (the demo's portal ends today); a test that checks dates or
counts passes this fixed one, so its data is the same every day.
"""

from datetime import date

HISTORY_END = date(2026, 11, 1)
"""The portal's "today": generated history ends on 2026-10-31."""
