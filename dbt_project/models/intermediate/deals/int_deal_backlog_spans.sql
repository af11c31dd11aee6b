{#- The backlog history of every deal as spans of portal days (open, held by manager_id, with an overdue
    activity or none planned): the rules live in one macro for deals and leads,
    macros/backlog/record_backlog_spans.sql (docs/metrics.md "Backlog history"). fct_manager_daily_backlog
    turns the spans into daily counts with running sums, so the history costs O(spans), never days × deals.

    Incremental (delete+insert on deal_id): a window run re-derives the deals changed in the window
    (macros/deal_handling/deals_changed_in_window.sql: an activity written, a stage move, a deal edit, ...). -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='deal_id',
        indexes=[
            {'columns': ['deal_id']},
            {'columns': ['to_date']},
            {'columns': ['staged_at']},
        ],
        post_hook="{{ delete_vanished_records('deals', 'deal_id', ref('stg_bitrix24__deals'), 'deal_id') }}",
    )
}}
-- the window's change sets (macros/deal_handling) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}

with

{{ record_backlog_spans(
    owned='is_deal_owned',
    records=ref('stg_bitrix24__deals'),
    history=ref('stg_bitrix24__stage_history'),
    versions='deals',
    id_column='deal_id',
    history_id='stage_history_id',
    semantic='stage_semantic',
    scope=deals_changed_in_window() if is_incremental() else none,
) }}

select * from final
