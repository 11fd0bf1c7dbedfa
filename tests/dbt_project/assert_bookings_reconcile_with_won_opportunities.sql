-- fct_bookings_vs_invoiced's bookings equal the won opportunities of silver converted the same way: the sum of
-- bookings_amount (rounded per row) is within half a cent per row of the unrounded silver sum, and the counts agree.
-- The silver models are read through relation_of (no dependency edge): the only parent stays the gold model, which
-- is built from them, so the test runs after it in any orchestration, the layer task groups included.
with silver as (

    select
        sum({{ converted_amount('opportunities.amount', 'rates') }}) as amount,
        count({{ converted_amount('opportunities.amount', 'rates') }}) as converted_count,
        sum(case when {{ converted_amount('opportunities.amount', 'rates') }} is null then 1 else 0 end)
            as without_rate_count
    from {{ relation_of('int_salesforce__opportunities') }} as opportunities  -- noqa: AL05
    {{ currency_conversion_joins('rates', 'opportunities.currency_iso_code', 'opportunities.close_date',
                                 relation_of('int_currency__conversion_rates')) }}
    where opportunities.is_won and opportunities.amount is not null and opportunities.close_date is not null

),

gold as (

    select
        sum(bookings_amount) as amount,
        sum(won_opportunity_count) as converted_count,
        sum(bookings_without_rate_count) as without_rate_count,
        count(*) as row_count
    from {{ ref('fct_bookings_vs_invoiced') }}

)

select
    silver.amount as silver_amount,
    gold.amount as gold_amount,
    silver.converted_count as silver_converted_count,
    gold.converted_count as gold_converted_count
from silver
cross join gold
where abs(coalesce(silver.amount, 0) - coalesce(gold.amount, 0)) > 0.005 * gold.row_count + 0.000001
    or coalesce(silver.converted_count, 0) <> coalesce(gold.converted_count, 0)
    or coalesce(silver.without_rate_count, 0) <> coalesce(gold.without_rate_count, 0)
