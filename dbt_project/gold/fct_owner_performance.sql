{#-
    One row per opportunity owner and month. Closed deals (bookings, losses) come from the live opportunities
    (silver), in the month of their CloseDate, credited to their current owner; the open pipeline is the one
    the owner held at the end of the month (for the month of var as_of: on the as-of day), read from
    fct_opportunity_daily_snapshot with the owner of that day. Won means IsWon; lost means closed and not won.
    Rates: numerator / denominator, NULL when the denominator is 0 (no closed deal is not a 0 % win rate).
-#}
with opportunities as (

    select
        source_relation,
        owner_id,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as performance_month,
        is_won,
        is_closed,
        coalesce(amount, 0) as amount
    from {{ ref('int_salesforce__opportunities') }}
    where is_closed
        and owner_id is not null
        and close_date is not null

),

closed_by_month as (

    select
        source_relation,
        owner_id,
        performance_month,
        sum(case when is_won then 1 else 0 end) as won_opportunity_count,
        sum(case when is_won then amount else 0 end) as bookings_amount,
        sum(case when is_won then 0 else 1 end) as lost_opportunity_count,
        sum(case when is_won then 0 else amount end) as lost_amount
    from opportunities
    group by source_relation, owner_id, performance_month

),

month_end_pipeline as (

    select
        source_relation,
        owner_id,
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as performance_month,
        count(*) as open_opportunity_count,
        sum(coalesce(amount, 0)) as open_pipeline_amount,
        sum(weighted_amount) as weighted_pipeline_amount
    from {{ ref('fct_opportunity_daily_snapshot') }}
    where is_open
        and owner_id is not null
        and (
            is_as_of_date
            or cast({{ dbt.date_trunc('month', add_days('snapshot_date', 1)) }} as date)
                <> cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date)
        )
    group by source_relation, owner_id, cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date)

),

owner_months as (

    select source_relation, owner_id, performance_month from closed_by_month
    union
    select source_relation, owner_id, performance_month from month_end_pipeline

),

users as (

    select source_relation, user_id, full_name, manager_id from {{ ref('int_salesforce__users') }}

),

metrics as (

    select
        owner_months.source_relation,
        owner_months.owner_id,
        owner_months.performance_month,
        coalesce(closed_by_month.won_opportunity_count, 0) as won_opportunity_count,
        coalesce(closed_by_month.bookings_amount, 0) as bookings_amount,
        coalesce(closed_by_month.lost_opportunity_count, 0) as lost_opportunity_count,
        coalesce(closed_by_month.lost_amount, 0) as lost_amount,
        coalesce(month_end_pipeline.open_opportunity_count, 0) as open_opportunity_count,
        coalesce(month_end_pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(month_end_pipeline.weighted_pipeline_amount, 0) as weighted_pipeline_amount
    from owner_months
    left join closed_by_month
        on closed_by_month.source_relation = owner_months.source_relation
        and closed_by_month.owner_id = owner_months.owner_id
        and closed_by_month.performance_month = owner_months.performance_month
    left join month_end_pipeline
        on month_end_pipeline.source_relation = owner_months.source_relation
        and month_end_pipeline.owner_id = owner_months.owner_id
        and month_end_pipeline.performance_month = owner_months.performance_month

)

select
    metrics.owner_id,
    users.full_name as owner_name,
    users.manager_id,
    metrics.performance_month,
    metrics.performance_month = {{ as_of_month() }} as is_as_of_month,
    metrics.won_opportunity_count,
    {{ round_decimal('metrics.bookings_amount', 2) }} as bookings_amount,
    metrics.lost_opportunity_count,
    {{ round_decimal('metrics.lost_amount', 2) }} as lost_amount,
    metrics.won_opportunity_count + metrics.lost_opportunity_count as closed_opportunity_count,
    {{ round_decimal(safe_divide(
        'metrics.won_opportunity_count',
        'metrics.won_opportunity_count + metrics.lost_opportunity_count'
    ), 4) }} as win_rate_by_count,
    {{ round_decimal(safe_divide(
        'metrics.bookings_amount',
        'metrics.bookings_amount + metrics.lost_amount'
    ), 4) }} as win_rate_by_amount,
    metrics.open_opportunity_count,
    {{ round_decimal('metrics.open_pipeline_amount', 2) }} as open_pipeline_amount,
    {{ round_decimal('metrics.weighted_pipeline_amount', 2) }} as weighted_pipeline_amount,
    metrics.source_relation
from metrics
left join users
    on users.user_id = metrics.owner_id
    and users.source_relation = metrics.source_relation
