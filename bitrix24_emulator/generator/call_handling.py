"""Universal activity scenario: incoming call activities wait, uncompleted, until a later call handles them.

The vendor's CRM, on the end of a call that connected (``CALL_DURATION`` > 0, code not 304) and has an
activity, completes every other uncompleted incoming call activity (``PROVIDER_TYPE_ID CALL``) bound to the
same client; the new call's own activity is left as it is (docs/bitrix24-api.md § crm.activity.list — call
activities). Callbacks (``PROVIDER_TYPE_ID CALLBACK``) are not in that list and stay uncompleted.
"""

from __future__ import annotations

from bitrix24_emulator.generator.records import CALL, Activity, Recorder


def complete_handled_calls(rec: Recorder, snapshot: int) -> None:
    """Complete, at the end of each connected call of a deal, the incoming calls of that deal still waiting.

    Runs on the un-numbered records (``Activity.call`` indexes ``rec.calls``); only calls that ended before
    the snapshot complete anything."""
    per_deal: dict[tuple[int, int], list[Activity]] = {}  # per CRM record: (OWNER_TYPE_ID, OWNER_ID)
    for act in rec.activities:
        if act.kind == CALL:
            per_deal.setdefault((act.owner_type, act.deal), []).append(act)
    for acts in per_deal.values():
        waiting: list[Activity] = []
        for act in sorted(acts, key=lambda a: (a.end, a.start)):
            call = rec.calls[act.call]
            if call.duration > 0 and call.code != "304" and act.end < snapshot:
                still = [w for w in waiting if w.end == act.end]  # ended together: not "later"
                for handled in waiting:
                    if handled.end < act.end:
                        handled.complete(act.end)
                waiting = still
            if not act.completed and call.call_type == 2:
                waiting.append(act)
