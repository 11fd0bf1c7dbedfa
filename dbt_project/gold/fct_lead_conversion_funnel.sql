with leads as (

    select * from {{ ref('int_salesforce__leads') }}

),

opportunities as (

    select opportunity_id, source_relation, is_closed, is_won, amount from {{ ref('int_salesforce__opportunities') }}

),

lead_outcomes as (

    select
        leads.source_relation,
        coalesce(leads.lead_source, 'Unknown') as lead_source,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as created_month,
        leads.status,
        leads.is_converted,
        leads.is_converted and leads.converted_opportunity_id is not null as is_converted_to_opportunity,
        coalesce(opportunities.is_closed and opportunities.is_won, false) as is_opportunity_won,
        opportunities.amount as opportunity_amount
    from leads
    left join opportunities
        on opportunities.opportunity_id = leads.converted_opportunity_id
        and opportunities.source_relation = leads.source_relation
        and leads.is_converted

)

select
    lead_source,
    created_month,
    count(*) as lead_count,
    sum(case when status = 'Open - Not Contacted' then 1 else 0 end) as open_lead_count,
    sum(case when status = 'Working - Contacted' then 1 else 0 end) as working_lead_count,
    sum(case when is_converted then 1 else 0 end) as converted_lead_count,
    sum(case when status = 'Closed - Not Converted' then 1 else 0 end) as not_converted_lead_count,
    {{ round_decimal(safe_divide('sum(case when is_converted then 1 else 0 end)', 'count(*)'), 4) }} as conversion_rate,
    sum(case when is_converted_to_opportunity then 1 else 0 end) as converted_to_opportunity_count,
    sum(case when is_opportunity_won then 1 else 0 end) as won_opportunity_count,
    {{ round_decimal('coalesce(sum(case when is_opportunity_won then opportunity_amount end), 0)', 2) }}
        as won_opportunity_amount,
    source_relation
from lead_outcomes
group by source_relation, lead_source, created_month
