{#- The backlog history of every lead as spans of portal days: open (status semantic P), held by manager_id,
    with an overdue activity ('overdue') or no open activity at all ('unplanned') — the deals' rules
    (macros/backlog/record_backlog_spans.sql) applied to leads, their status history and lead-bound
    activities. Report 1's lead backlog on a day counts the spans lasting on it: the post-hook (re)creates
    marts.manager_lead_backlog(p_day) (macros/backlog/lead_backlog_function.sql).

    Incremental (delete+insert on lead_id), as int_deal_backlog_spans: a window run re-derives the leads
    changed in the window (macros/requests/requests_changed_in_window.sql); the pre-hook empties them first
    (a lead left without a span keeps none). -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='lead_id',
        indexes=[{'columns': ['lead_id']}, {'columns': ['manager_id', 'to_date']}, {'columns': ['staged_at']}],
        pre_hook="{% if is_incremental() %}delete from {{ this }}
                  where {{ is_among('lead_id', leads_changed_in_window()) }}{% endif %}",
        post_hook=[
            "{{ delete_vanished_records('leads', 'lead_id', ref('stg_bitrix24__leads'), 'lead_id') }}",
            "{{ create_lead_backlog_function(this) }}",
        ],
    )
}}
-- the window's change sets (macros/requests) read these in incremental runs only:
-- depends_on: {{ ref('stg_bitrix24__timeline_comments') }}
with

{{ record_backlog_spans(
    owned='is_lead_owned',
    records=ref('stg_bitrix24__leads'),
    history=ref('stg_bitrix24__lead_stage_history'),
    versions='leads',
    id_column='lead_id',
    history_id='lead_stage_history_id',
    semantic='status_semantic',
    scope=leads_changed_in_window() if is_incremental() else none,
) }}

select * from final
