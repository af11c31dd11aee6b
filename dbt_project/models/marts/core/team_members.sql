{{ config(materialized='table', alias='teams') }}

{#- marts.teams, what the team filters read: the hand-edited teams (seeds/teams/teams.csv) and, for the
    emulated demo portal only (dbt var example_teams: B24_EXAMPLE_TEAMS, which `b24ops demo` and `make up`
    without a portal turn on), its example teams, so the demo's team filters have options. A real portal's
    teams are the seed alone. Rules, not user IDs: the emulated portal's size, and so its IDs, is a
    parameter of the demo. -#}

with

listed as (
    select * from {{ ref('teams') }}
),

departments as (
    select * from {{ ref('stg_bitrix24__departments') }}
),

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

examples as (
    select
        'Department heads (example)' as team_name,
        departments.head_user_id as manager_id
    from departments
    inner join users on users.user_id = departments.head_user_id
    union
    select
        'One per department (example)' as team_name,
        min(users.user_id) as manager_id
    from users
    where users.is_active and users.primary_department_id is not null
    group by users.primary_department_id
),

final as (
    select listed.team_name, listed.manager_id from listed
    {%- if var('example_teams', false) %}
    union
    select examples.team_name, examples.manager_id from examples
    {%- endif %}
)

select * from final
