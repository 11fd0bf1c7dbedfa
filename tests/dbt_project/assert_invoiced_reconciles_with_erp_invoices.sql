-- fct_bookings_vs_invoiced's invoiced amounts equal the live, not void ERP invoices of silver converted the same
-- way, whether or not their customer matched an account (within half a cent per row for the rounding).
-- The silver models are read through relation_of (no dependency edge): the only parent stays the gold model, which
-- is built from them, so the test runs after it in any orchestration, the layer task groups included.
with silver as (

    select
        sum({{ converted_amount('invoices.subtotal', 'rates') }}) as amount,
        count({{ converted_amount('invoices.subtotal', 'rates') }}) as converted_count,
        sum(case when {{ converted_amount('invoices.subtotal', 'rates') }} is null then 1 else 0 end)
            as without_rate_count
    from {{ relation_of('int_erp__invoices') }} as invoices  -- noqa: AL05
    {{ currency_conversion_joins('rates', 'invoices.currency', 'invoices.invoice_date',
                                 relation_of('int_currency__conversion_rates')) }}
    where coalesce(invoices.status, '') <> 'void' and invoices.subtotal is not null and invoices.invoice_date is not null

),

gold as (

    select
        sum(invoiced_amount) as amount,
        sum(invoice_count) as converted_count,
        sum(invoices_without_rate_count) as without_rate_count,
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
