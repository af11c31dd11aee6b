{#- Every contact with a lead by a real employee, whatever its kind, before or after the lead's creation:
    the deal rules applied to leads (macros/requests/record_contacts.sql; lead status moves count as stage
    changes, a lead edit as lead_edit). Rebuilt whole on every run (a table): leads are a fraction of the
    activity volume and the request chain needs all of them; the deals' contacts stay incremental. -#}
{{
    config(
        tags=['partitioned_daily'],
        indexes=[{'columns': ['lead_id']}],
    )
}}
with

{{ record_contacts(
    owned='is_lead_owned',
    records=ref('stg_bitrix24__leads'),
    history=ref('stg_bitrix24__lead_stage_history'),
    id_column='lead_id',
    comment_type='lead',
    edit_kind='lead_edit',
) }}

select * from final
