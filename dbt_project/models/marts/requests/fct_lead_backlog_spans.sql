{#- The backlog history of every lead as spans of portal days: open (status semantic P), held by manager_id,
    with an overdue activity ('overdue') or no open activity at all ('unplanned') — the deals' rules
    (macros/backlog/record_backlog_spans.sql) applied to leads, their status history and lead-bound
    activities. Report 1's lead backlog on a day counts the spans lasting on it: the post-hook (re)creates
    marts.manager_lead_backlog(p_day) (macros/backlog/lead_backlog_function.sql). Rebuilt whole on every run
    (a table): leads are a fraction of the deals. -#}
{{
    config(
        tags=['partitioned_daily'],
        indexes=[{'columns': ['lead_id']}, {'columns': ['manager_id', 'to_date']}],
        post_hook="{{ create_lead_backlog_function(this) }}",
    )
}}
with

{{ record_backlog_spans(
    owned='is_lead_owned',
    records=ref('stg_bitrix24__leads'),
    history=ref('stg_bitrix24__lead_stage_history'),
    versions='leads',
    id_column='lead_id',
    history_id='lead_stage_history_id',
    semantic='status_semantic',
) }}

select * from final
