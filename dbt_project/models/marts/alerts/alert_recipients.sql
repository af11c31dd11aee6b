{#- Whom the alerts and digests are written for, and in which language: one row per employee. The language
    is the employee's own row of the seed alert_recipient_settings, else the nearest department up the tree
    (their primary department first) whose row of sla_alert_settings names one, else NULL — the product's
    alert language (B24_ALERTS_LANGUAGE, else B24OPS_LANGUAGE, else ru; orchestration/settings.py). Bitrix24
    tells no user's language (docs/bitrix24-api.md, "user.get"), hence a setting.
    A table like every mart (the marts are published all-or-nothing by moving tables, which a view over
    the candidate's tables would not survive): an edited seed takes effect with the next pipeline run. -#}

with

managers as (
    select * from {{ ref('dim_managers') }}
),

ancestors as (
    select * from {{ ref('int_departments_ancestors') }}
),

department_settings as (
    select * from {{ ref('sla_alert_settings') }}
    where language is not null
),

recipient_settings as (
    select * from {{ ref('alert_recipient_settings') }}
    where language is not null
),

final as (
    select
        -- ids
        managers.manager_id as recipient_id,
        managers.department_id,

        -- attributes
        coalesce(
            recipient_settings.language,
            (
                select department_settings.language
                from ancestors
                inner join department_settings
                    on department_settings.department_id = ancestors.ancestor_department_id
                where ancestors.department_id = managers.department_id
                order by ancestors.depth
                limit 1
            )
        ) as language
    from managers
    left join recipient_settings on recipient_settings.user_id = managers.manager_id
)

select * from final
