{#- The backlog's unit, one rule for the staging columns (the current version) and for every observed raw
    version (int_deal_backlog_spans: when was an activity last seen open). The arguments are the text of a
    crm.activity.list item's fields of those names (ORIGIN_ID, DIRECTION, IS_INCOMING_CHANNEL, COMPLETED).

    activity_is_scheduled: planned work — a to-do, a meeting, a planned call, a task. A record of something
    that happened is not, even while COMPLETED = N: a telephony call (ORIGIN_ID VI_<CALL_ID> — a missed
    call, or in the vendor's universal activity scenario every incoming call and callback until it is
    handled) and any incoming activity (DIRECTION 1 or IS_INCOMING_CHANNEL Y: the client's mail, chat or call
    waiting for an answer). docs/metrics.md "Backlog", docs/decisions.md.

    activity_is_open: scheduled and not completed (COMPLETED is not Y). -#}
{% macro activity_is_scheduled(origin_id, direction, is_incoming_channel) -%}
(coalesce({{ origin_id }}, '') not like 'VI\_%'
 and coalesce({{ direction }}, '') <> '1'
 and not coalesce({{ b24_flag(is_incoming_channel) }}, false))
{%- endmacro %}

{% macro activity_is_completed(completed) -%}
coalesce({{ b24_flag(completed) }}, false)
{%- endmacro %}

{% macro activity_is_open(origin_id, direction, is_incoming_channel, completed) -%}
({{ activity_is_scheduled(origin_id, direction, is_incoming_channel) }}
 and not {{ activity_is_completed(completed) }})
{%- endmacro %}
