{#- The backlog history of one kind of CRM record (deals, leads) as spans of portal days: [from_date, to_date)
    during which the record was open, held by manager_id, and had an overdue activity (measure 'overdue') or
    no open activity at all ('unplanned'). The one owner of the backlog's reconstruction rules, used by
    int_deal_backlog_spans and int_lead_backlog_spans. A day's state is the state at its end (23:59:59
    portal time); see docs/metrics.md "Backlog history".

    Reconstructed from what the warehouse holds (every observed version, raw.*):
      * a scheduled activity (stg_bitrix24__activities.is_scheduled, macros/deal_handling/open_activity.sql)
        is open from its CREATED day until it was completed. REST does not say when: the
        estimate is the LAST_UPDATED of the first version seen done, but not before the last sighting of a
        version still open (it was open then). It is exact unless the activity was edited after being done
        and before a run saw it done; docs/metrics.md states the rule and its measured error;
      * it is overdue from the day its DEADLINE passed: DEADLINE < 23:59:59 of the day, i.e. from the day of
        DEADLINE + 1 second;
      * the record is open on the days its stage (status) history says it was in progress (semantic P);
      * it is held by the ASSIGNED_BY_ID of its newest version stamped (DATE_MODIFY) by the day; the oldest
        version known holds it before.

    Arguments: owned (the stg_bitrix24__activities flag of the records' owner type: is_deal_owned,
    is_lead_owned), records / history (staging relations of the records and of their stage history),
    versions (the raw source table of the records), id_column (the records' and history's id column, also
    the output's), history_id (the history's row id), semantic (the P/S/F column of records and history),
    scope (SQL selecting the record ids to derive; none = all). -#}
{% macro record_backlog_spans(owned, records, history, versions, id_column, history_id, semantic, scope=none) -%}
records as not materialized (
    select * from {{ records }}
    {% if scope is not none %}
    where {{ is_among(id_column, scope) }}
    {% endif %}
),

activities as not materialized (
    select * from {{ ref('stg_bitrix24__activities') }}
),

stage_history as not materialized (
    select * from {{ history }}
),

activity_versions as not materialized (
    select * from {{ source('bitrix24', 'activities') }} where portal_id = '{{ var("portal_id") }}'
),

record_versions as not materialized (
    select * from {{ source('bitrix24', versions) }} where portal_id = '{{ var("portal_id") }}'
),

record_activities as (
    select activities.activity_id, activities.owner_id as {{ id_column }}, activities.created_at,
           activities.deadline_at, activities.is_open, activities.last_updated_at
    from activities
    where activities.{{ owned }}
      and activities.is_scheduled
      and activities.owner_id in (select {{ id_column }} from records)
),

-- activities observed in more than one version (about 3 % of them): only their evidence needs raw. One
-- version is the staged row itself, and reading every version's payload for all of them sorted 12 GB on
-- the 500 x 3 benchmark (docs/benchmarks.md); the key alone is an index-only scan
revised_activities as (
    select versions.id as activity_id
    from activity_versions as versions
    where versions.id in (select activity_id from record_activities where not is_open)
    group by versions.id
    having count(*) > 1
),

-- the evidence of every observed version of those: last sighting open, first LAST_UPDATED seen done. One
-- key lookup each: a hash join would scan every version's payload for these few
sightings as (
    select revised_activities.activity_id, evidence.last_seen_open_at, evidence.first_done_updated_at
    from revised_activities
    cross join lateral (
        select
            {%- set is_done = activity_is_completed("versions.payload ->> 'COMPLETED'") %}
            max(versions.last_seen_at) filter (where not {{ is_done }}) as last_seen_open_at,
            min({{ b24_timestamp("versions.payload ->> 'LAST_UPDATED'") }})
                filter (where {{ is_done }}) as first_done_updated_at
        from activity_versions as versions
        where versions.id = revised_activities.activity_id
    ) as evidence
),

activity_days as (
    select
        record_activities.{{ id_column }},
        {{ portal_date('record_activities.created_at') }} as open_from,
        -- NULL: still open (an unbounded span). An activity seen in one version only was seen done in it:
        -- its own LAST_UPDATED
        case when not record_activities.is_open then {{ portal_date(
            'case when sightings.activity_id is null then record_activities.last_updated_at
                  else greatest(sightings.first_done_updated_at, sightings.last_seen_open_at) end') }}
        end as open_to,
        {{ portal_date("record_activities.deadline_at + interval '1 second'") }} as overdue_from
    from record_activities
    left join sightings on sightings.activity_id = record_activities.activity_id
    offset 0  -- each day once per activity: record_work names them up to six times (day_span)
),

record_work as (
    select
        {{ id_column }},
        range_agg({{ day_span('open_from', 'open_to') }}) as planned_days,
        range_agg({{ day_span('greatest(open_from, overdue_from)', 'open_to') }})
            filter (where overdue_from is not null) as overdue_days
    from activity_days
    group by {{ id_column }}
),

transitions as (
    select
        stage_history.{{ id_column }},
        stage_history.{{ semantic }},
        {{ portal_date('stage_history.transitioned_at') }} as from_date,
        lead({{ portal_date('stage_history.transitioned_at') }}) over (
            partition by stage_history.{{ id_column }}
            order by stage_history.transitioned_at, stage_history.{{ history_id }}
        ) as to_date
    from stage_history
    where stage_history.{{ id_column }} in (select {{ id_column }} from records)
),

-- per record, in the order the window left the transitions in (no sort of the records' columns with them)
in_progress as (
    select
        {{ id_column }},
        range_agg(daterange(from_date, to_date)) filter (where {{ semantic }} = 'P') as days
    from transitions
    group by {{ id_column }}
),

record_open as (
    select
        records.{{ id_column }},
        coalesce(
            in_progress.days,
            -- no stage history at all (older than the history kept): open since creation, or until the
            -- last move when not in progress (only P is open, as managerControl_Deal's is_open; NULL is a
            -- record that says it is closed without saying how, macros/staging/crm_item_columns.sql)
            case when in_progress.{{ id_column }} is null then datemultirange({{ day_span(
                portal_date('records.created_at'),
                "case when records." ~ semantic ~ " is distinct from 'P' then "
                    ~ portal_date('coalesce(records.moved_at, records.modified_at)') ~ " end") }}) end,
            '{}'::datemultirange
        ) as open_days
    from records
    left join in_progress on in_progress.{{ id_column }} = records.{{ id_column }}
),

holders as (
    select
        versions.id as {{ id_column }},
        -- no responsible: the unassigned manager's (macros/reports/unassigned.sql)
        {{ manager_or_unassigned(b24_bigint("versions.payload ->> 'ASSIGNED_BY_ID'")) }} as manager_id,
        case when row_number() over held > 1 then {{ portal_date('versions.change_stamp') }} end as from_date,
        lead({{ portal_date('versions.change_stamp') }}) over held as to_date
    from record_versions as versions
    where versions.id in (select {{ id_column }} from records)
    window held as (partition by versions.id order by versions.change_stamp nulls first, versions.last_seen_at)
),

held as (
    select {{ id_column }}, manager_id, range_agg(daterange(from_date, to_date)) as held_days
    from holders
    group by {{ id_column }}, manager_id
),

-- each holder's rows beside its record's days, without a join: the three sets in one list, each record's
-- days spread over its rows by a window (one sort by record). Joined, PostgreSQL plans on the change set's
-- estimate of 10 records (macros/is_among.sql) and took a nested loop that re-aggregated record_work for
-- every holder: 7,023 leads, 14 s instead of 2 s on the 500 x 3 benchmark (docs/benchmarks.md, session 17)
record_days as (
    select
        {{ id_column }}, true as is_holder, manager_id, held_days,
        null::datemultirange as open_days, null::datemultirange as planned_days,
        null::datemultirange as overdue_days
    from held
    union all
    select {{ id_column }}, false, null, null, open_days, null, null
    from record_open
    union all
    select {{ id_column }}, false, null, null, null, planned_days, overdue_days
    from record_work
),

-- a record without a record_open row has no open days (NULL: no span), as the inner join it replaces; one
-- without activities has none planned or overdue
per_holder as (
    select
        {{ id_column }},
        manager_id,
        record_open_days * held_days * coalesce(record_overdue_days, '{}') as overdue_days,
        record_open_days * held_days - coalesce(record_planned_days, '{}') as unplanned_days
    from (
        select
            {{ id_column }},
            is_holder,
            manager_id,
            held_days,
            range_agg(open_days) over record as record_open_days,
            range_agg(planned_days) over record as record_planned_days,
            range_agg(overdue_days) over record as record_overdue_days
        from record_days
        window record as (partition by {{ id_column }})
    ) as spread
    where is_holder
),

final as (
    select
        -- ids
        per_holder.{{ id_column }},
        per_holder.manager_id,
        measures.measure,

        -- the span of days [from_date, to_date); to_date 'infinity' while it lasts
        lower(spans.span) as from_date,
        coalesce(upper(spans.span), 'infinity'::date) as to_date,

        -- timestamps
        {{ staged_at() }} as staged_at
    from per_holder
    cross join lateral (
        values ('overdue', per_holder.overdue_days), ('unplanned', per_holder.unplanned_days)
    ) as measures (measure, days)
    cross join lateral unnest(measures.days) as spans (span)
)
{%- endmacro %}
