-- One row per live opportunity, with its account and owner, ready for pipeline reporting.
select
    opportunities.opportunity_id,
    opportunities.account_id,
    opportunities.account_customer_key,
    opportunities.opportunity_name,
    opportunities.stage_name,
    opportunities.forecast_category,
    opportunities.opportunity_type,
    opportunities.lead_source,
    opportunities.amount,
    opportunities.probability,
    {{ round_decimal('coalesce(opportunities.amount, 0) * coalesce(opportunities.probability, 0) / 100', 2) }}
        as weighted_amount,
    opportunities.close_date,
    not opportunities.is_closed as is_open,
    opportunities.is_closed,
    opportunities.is_won,
    opportunities.owner_id,
    opportunities.owner_name,
    opportunities.created_at,
    {#- Ages are measured to var as_of (macros/as_of.sql), never to the clock. -#}
    case
        when not opportunities.is_closed and opportunities.created_at <= {{ as_of_timestamp() }}
            then {{ days_between('cast(opportunities.created_at as date)', as_of_date()) }}
    end as open_age_days,
    coalesce(not opportunities.is_closed and opportunities.close_date < {{ as_of_date() }}, false)
        as is_past_close_date,
    opportunities.system_modstamp,
    opportunities.source_relation
from {{ ref('int_salesforce__opportunities') }} as opportunities
