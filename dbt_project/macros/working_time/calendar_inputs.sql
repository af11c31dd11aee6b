{#- What the working-calendar models need to re-derive only the employees whose calendar inputs changed
    (int_working_days → int_working_intervals → int_working_time_lookup, incremental per employee). Every
    row carries calendar_inputs_hash, the fingerprint of the inputs it was derived from
    (int_working_calendar_inputs). See docs/working_time.md, "Incremental per employee". -#}


{#- Whose working calendar the warehouse derives (user_id, time_zone): every user of user.get, and every user
    the records name whom user.get does not return (int_users_unknown: a deleted user, a user the list was
    cut short of). Those have no time zone or schedule of their own here, so their calendar is the portal's
    default one (calendar.settings.get: hours, weekends, holidays; the production calendar; no absences):
    their deals' and requests' working minutes are an estimate — without it their untouched deals waited 0
    minutes and their answered ones had no response time at all (docs/metrics.md, "Records naming an
    unknown user"). So does the unassigned manager, the records without a responsible (docs/metrics.md,
    "Unassigned records"). -#}
{% macro calendar_users() -%}
    select user_id, time_zone from {{ ref('stg_bitrix24__users') }}
    union all
    select unknown.user_id, null::text
    from {{ ref('int_users_unknown') }} as unknown
    where not exists (
        select from {{ ref('stg_bitrix24__users') }} as listed where listed.user_id = unknown.user_id
    )
    union all
    -- the unassigned manager (a record without a responsible, macros/reports/unassigned.sql) is nobody, so
    -- whose hours its records wait in is unknown: the portal's are the estimate, as for an unknown user
    select {{ unassigned_manager_id() }}, null::text
{%- endmacro %}


{#- The first local date of the calendar (var working_calendar_start), as a SQL date. -#}
{% macro working_calendar_start() -%}
date '{{ var("working_calendar_start", "2023-01-01") }}'
{%- endmacro %}


{#- The last local date of the calendar: var working_calendar_end, else the last day of next year — always
    365 to 730 days ahead, and it moves once a year, not daily (a daily move would change every employee's
    fingerprint, i.e. re-derive the whole calendar every day). -#}
{% macro working_calendar_end() -%}
{%- set calendar_end = var('working_calendar_end', none) -%}
{%- if calendar_end -%}
date '{{ calendar_end }}'
{%- else -%}
(make_date(extract(year from current_date)::int + 2, 1, 1) - 1)
{%- endif -%}
{%- endmacro %}


{#- Each employee of `relation` (a working-calendar model, indexed leading with user_id) with the
    calendar_inputs_hash of its first row (all of an employee's rows carry the same one): a loose index scan,
    one index probe per employee instead of reading every row. -#}
{% macro employee_hashes(relation) -%}
    select
        employees.user_id,
        (
            select r.calendar_inputs_hash from {{ relation }} as r where r.user_id = employees.user_id limit 1
        ) as calendar_inputs_hash
    from (
        with recursive employees (user_id) as (
            (select r.user_id from {{ relation }} as r order by r.user_id limit 1)
            union all
            select (
                select r.user_id from {{ relation }} as r
                where r.user_id > employees.user_id
                order by r.user_id
                limit 1
            )
            from employees
            where employees.user_id is not null
        )
        select user_id from employees where user_id is not null
    ) as employees
{%- endmacro %}


{#- The post-hook of the three models: drop the employees whose rows carry a fingerprint that `current`
    (a SELECT of user_id, calendar_inputs_hash: what the model's input holds now) does not give them — the
    employees who vanished from the inputs, and a re-derived employee who now has no rows at all (never
    works), whom delete+insert alone would keep, as it only replaces the employees it inserts. Both sides
    are one row per employee, so this is a hash join of a few hundred rows, not a scan of the table. -#}
{% macro delete_stale_employees(current) -%}
    {%- set stale_employees %}
        select stored.user_id
        from ({{ employee_hashes(this) }}) as stored
        left join ({{ current }}) as current_ on current_.user_id = stored.user_id
        where current_.calendar_inputs_hash is distinct from stored.calendar_inputs_hash
    {%- endset -%}
    delete from {{ this }} as kept
    where {{ is_among('kept.user_id', stale_employees) }}
{%- endmacro %}
