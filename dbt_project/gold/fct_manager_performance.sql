{#-
    One row per manager and month: fct_owner_performance summed over the manager's team, as Salesforce's
    forecast hierarchy rolls up: the manager's own deals and those of everyone reporting to them, directly or
    through other managers (User.ManagerId, as the users are now; var manager_hierarchy_max_depth levels,
    default 6). A manager is a user whom at least one user reports to. Rates are recomputed from the sums,
    NULL when the denominator is 0, as in fct_owner_performance.
-#}
{%- set max_depth = var('manager_hierarchy_max_depth', 6) | int -%}

with users as (

    select source_relation, user_id, manager_id, full_name from {{ ref('int_salesforce__users') }}

),

reporting_lines as (

    -- depth 1: direct reports; depth n: reports of reports, up to max_depth levels
    select source_relation, user_id, manager_id as manager_user_id, 1 as depth
    from users
    where manager_id is not null and manager_id <> user_id
    {%- for depth in range(2, max_depth + 1) %}
    union all
    select users_1.source_relation, users_1.user_id, users_{{ depth }}.manager_id, {{ depth }}
    from users as users_1
    {%- for level in range(2, depth + 1) %}
    inner join users as users_{{ level }}
        on users_{{ level }}.user_id = users_{{ level - 1 }}.manager_id
        and users_{{ level }}.source_relation = users_1.source_relation
    {%- endfor %}
    where users_{{ depth }}.manager_id is not null
    {%- endfor %}

),

managers as (

    select distinct source_relation, manager_user_id from reporting_lines

),

teams as (

    -- every member once per manager (a cycle in ManagerId cannot repeat a member), the manager included
    select distinct source_relation, manager_user_id, user_id as member_user_id
    from reporting_lines
    where user_id <> manager_user_id
    union
    select source_relation, manager_user_id, manager_user_id as member_user_id from managers

),

team_months as (

    select
        teams.source_relation,
        teams.manager_user_id,
        performance.performance_month,
        count(*) as team_member_count,
        cast(sum(performance.won_opportunity_count) as {{ dbt.type_bigint() }}) as won_opportunity_count,
        sum(performance.bookings_amount) as bookings_amount,
        cast(sum(performance.lost_opportunity_count) as {{ dbt.type_bigint() }}) as lost_opportunity_count,
        sum(performance.lost_amount) as lost_amount,
        cast(sum(performance.open_opportunity_count) as {{ dbt.type_bigint() }}) as open_opportunity_count,
        sum(performance.open_pipeline_amount) as open_pipeline_amount,
        sum(performance.weighted_pipeline_amount) as weighted_pipeline_amount
    from teams
    inner join {{ ref('fct_owner_performance') }} as performance
        on performance.owner_id = teams.member_user_id
        and performance.source_relation = teams.source_relation
    group by teams.source_relation, teams.manager_user_id, performance.performance_month

)

select
    team_months.manager_user_id as manager_id,
    managers.full_name as manager_name,
    team_months.performance_month,
    team_months.performance_month = {{ as_of_month() }} as is_as_of_month,
    team_months.team_member_count,
    team_months.won_opportunity_count,
    {{ round_decimal('team_months.bookings_amount', 2) }} as bookings_amount,
    team_months.lost_opportunity_count,
    {{ round_decimal('team_months.lost_amount', 2) }} as lost_amount,
    team_months.won_opportunity_count + team_months.lost_opportunity_count as closed_opportunity_count,
    {{ round_decimal(safe_divide(
        'team_months.won_opportunity_count',
        'team_months.won_opportunity_count + team_months.lost_opportunity_count'
    ), 4) }} as win_rate_by_count,
    {{ round_decimal(safe_divide(
        'team_months.bookings_amount',
        'team_months.bookings_amount + team_months.lost_amount'
    ), 4) }} as win_rate_by_amount,
    team_months.open_opportunity_count,
    {{ round_decimal('team_months.open_pipeline_amount', 2) }} as open_pipeline_amount,
    {{ round_decimal('team_months.weighted_pipeline_amount', 2) }} as weighted_pipeline_amount,
    team_months.source_relation
from team_months
left join users as managers
    on managers.user_id = team_months.manager_user_id
    and managers.source_relation = team_months.source_relation
