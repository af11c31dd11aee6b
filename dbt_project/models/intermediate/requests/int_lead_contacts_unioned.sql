{#- Every contact with a lead by a real employee, whatever its kind, before or after the lead's creation:
    the deal rules applied to leads (macros/requests/record_contacts.sql; lead status moves count as stage
    changes, a lead edit as lead_edit).

    Incremental (delete+insert on lead_id), as int_deal_contacts_unioned: a window run re-derives every
    contact of the leads changed in the window (macros/requests/requests_changed_in_window.sql), converted or
    not. The pre-hook empties those leads first (a lead whose only contact was deleted loses it).
    The index (a post-hook, so that a warehouse built before gets it too) leads with lead_id and the order in
    which contacts come first (first_contact_key): the first-contact models probe it once per record. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='lead_id',
        pre_hook="{% if is_incremental() %}delete from {{ this }}
                  where {{ is_among('lead_id', leads_changed_in_window()) }}{% endif %}",
        post_hook=[
            "{{ create_index_if_missing(['lead_id'] + first_contact_key()) }}",
            "{{ delete_vanished_records('leads', 'lead_id', ref('stg_bitrix24__leads'), 'lead_id') }}",
        ],
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
    scope=leads_changed_in_window() if is_incremental() else none,
) }}

select * from final
