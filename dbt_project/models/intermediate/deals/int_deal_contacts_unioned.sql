{#- Every contact with a deal by a real employee, whatever its kind, before or after the deal's creation
    (int_deals_first_touched keeps the ones after it). The rules live in one macro for deals and leads:
    macros/requests/record_contacts.sql (kinds and instants: docs/metrics.md).

    Incremental (delete+insert on deal_id): a window run re-derives every contact of the deals changed in the
    window (macros/deal_handling/deals_changed_in_window.sql), through the staging tables' owner indexes.
    The pre-hook empties those deals first: delete+insert alone would keep the old rows of a deal that has
    no contact left (its only one deleted).
    The index (a post-hook, so that a warehouse built before gets it too) leads with deal_id and the order in
    which contacts come first (first_contact_key): the first-contact models probe it once per record. -#}
{{
    config(
        tags=['partitioned_daily'],
        materialized='incremental',
        unique_key='deal_id',
        indexes=[{'columns': ['staged_at']}],
        pre_hook="{% if is_incremental() %}delete from {{ this }}
                  where {{ is_among('deal_id', deals_changed_in_window()) }}{% endif %}",
        post_hook=[
            "{{ create_index_if_missing(['deal_id'] + first_contact_key()) }}",
            "{{ delete_vanished_records('deals', 'deal_id', ref('stg_bitrix24__deals'), 'deal_id') }}",
        ],
    )
}}
with

{{ record_contacts(
    owned='is_deal_owned',
    records=ref('stg_bitrix24__deals'),
    history=ref('stg_bitrix24__stage_history'),
    id_column='deal_id',
    comment_type='deal',
    edit_kind='deal_edit',
    scope=deals_changed_in_window() if is_incremental() else none,
) }}

select * from final
