-- Reconciliation: the per owner/account and per owner/priority rollups add up, per org and per measure, to the
-- detail models they roll up. (That fct_activities holds every live task and event once: its unique key, and
-- the fixture's counts in tests/dbt_project/test_dbt_build.py; a test reading silver here would run in the silver
-- task group.)
with activity_detail as (

    select
        source_relation,
        count(*) as activities,
        sum(case when is_completed then 1 else 0 end) as completed,
        sum(case when is_open then 1 else 0 end) as open_activities,
        sum(case when is_overdue then 1 else 0 end) as overdue
    from {{ ref('fct_activities') }}
    group by source_relation

),

activity_rollup as (

    select
        source_relation,
        sum(activity_count) as activities,
        sum(completed_activity_count) as completed,
        sum(open_activity_count) as open_activities,
        sum(overdue_activity_count) as overdue
    from {{ ref('fct_activities_by_owner_account') }}
    group by source_relation

),

case_detail as (

    select
        source_relation,
        count(*) as cases,
        sum(case when is_closed then 0 else 1 end) as open_cases,
        sum(case when is_sla_breached then 1 else 0 end) as breached,
        sum(case when is_open_past_sla then 1 else 0 end) as open_past_sla,
        count(first_response_at) as responded
    from {{ ref('fct_case_resolution') }}
    group by source_relation

),

case_rollup as (

    select
        source_relation,
        sum(case_count) as cases,
        sum(open_case_count) as open_cases,
        sum(sla_breached_case_count) as breached,
        sum(open_past_sla_case_count) as open_past_sla,
        sum(responded_case_count) as responded
    from {{ ref('fct_case_resolution_by_owner_priority') }}
    group by source_relation

)

select 'activities' as rollup, activity_detail.source_relation
from activity_detail
left join activity_rollup
    on activity_rollup.source_relation = activity_detail.source_relation
where activity_rollup.source_relation is null
    or activity_rollup.activities <> activity_detail.activities
    or activity_rollup.completed <> activity_detail.completed
    or activity_rollup.open_activities <> activity_detail.open_activities
    or activity_rollup.overdue <> activity_detail.overdue

union all

select 'cases' as rollup, case_detail.source_relation
from case_detail
left join case_rollup
    on case_rollup.source_relation = case_detail.source_relation
where case_rollup.source_relation is null
    or case_rollup.cases <> case_detail.cases
    or case_rollup.open_cases <> case_detail.open_cases
    or case_rollup.breached <> case_detail.breached
    or case_rollup.open_past_sla <> case_detail.open_past_sla
    or case_rollup.responded <> case_detail.responded
