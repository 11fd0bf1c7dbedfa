{#-
    Bookings against invoicing, in the corporate currency (int_currency__conversion_rates.corporate_currency).
    Grain: one row per org (source_relation) x Salesforce account x calendar month. Bookings are the Amounts of the
    live won opportunities closing in the month, converted at the close date's rate; invoiced is the net amount
    (subtotal) of the live ERP invoices, not void, dated in the month, converted at the invoice date's rate and
    attributed to an account through int_erp__customer_account_xref. Opportunities without an account and invoices of
    customers matched to no account land on a row with account_id NULL (the invoices' with source_relation NULL too),
    so the totals reconcile with silver. An amount whose currency has no rate is left out of the sums and counted in
    *_without_rate_count.
-#}
with won_opportunities as (

    select
        opportunities.source_relation,
        opportunities.account_id,
        cast({{ dbt.date_trunc('month', 'opportunities.close_date') }} as date) as month_start,
        {{ converted_amount('opportunities.amount', 'opportunity_rates') }} as amount_converted
    from {{ ref('int_salesforce__opportunities') }} as opportunities
    {{ currency_conversion_joins('opportunity_rates', 'opportunities.currency_iso_code', 'opportunities.close_date') }}
    where opportunities.is_won and opportunities.amount is not null and opportunities.close_date is not null

),

bookings as (

    select
        source_relation,
        account_id,
        month_start,
        sum(amount_converted) as bookings_amount,
        count(amount_converted) as won_opportunity_count,
        sum(case when amount_converted is null then 1 else 0 end) as bookings_without_rate_count
    from won_opportunities
    group by source_relation, account_id, month_start

),

invoices as (

    select
        xref.source_relation,
        xref.account_id,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as month_start,
        {{ converted_amount('invoices.subtotal', 'invoice_rates') }} as amount_converted
    from {{ ref('int_erp__invoices') }} as invoices
    left join {{ ref('int_erp__customer_account_xref') }} as xref
        on xref.customer_id = invoices.customer_id
    {{ currency_conversion_joins('invoice_rates', 'invoices.currency', 'invoices.invoice_date') }}
    where coalesce(invoices.status, '') <> 'void' and invoices.subtotal is not null
        and invoices.invoice_date is not null

),

invoiced as (

    select
        source_relation,
        account_id,
        month_start,
        sum(amount_converted) as invoiced_amount,
        count(amount_converted) as invoice_count,
        sum(case when amount_converted is null then 1 else 0 end) as invoices_without_rate_count
    from invoices
    group by source_relation, account_id, month_start

),

combined as (

    select
        coalesce(bookings.source_relation, invoiced.source_relation) as source_relation,
        coalesce(bookings.account_id, invoiced.account_id) as account_id,
        coalesce(bookings.month_start, invoiced.month_start) as month_start,
        coalesce(bookings.bookings_amount, 0) as bookings_amount,
        coalesce(bookings.won_opportunity_count, 0) as won_opportunity_count,
        coalesce(bookings.bookings_without_rate_count, 0) as bookings_without_rate_count,
        coalesce(invoiced.invoiced_amount, 0) as invoiced_amount,
        coalesce(invoiced.invoice_count, 0) as invoice_count,
        coalesce(invoiced.invoices_without_rate_count, 0) as invoices_without_rate_count
    from bookings
    full outer join invoiced
        on (invoiced.source_relation = bookings.source_relation
            or (invoiced.source_relation is null and bookings.source_relation is null))
        and (invoiced.account_id = bookings.account_id or (invoiced.account_id is null and bookings.account_id is null))
        and invoiced.month_start = bookings.month_start

),

corporate as (

    select min(corporate_currency) as corporate_currency from {{ ref('int_currency__conversion_rates') }}

)

select
    combined.source_relation,
    combined.account_id,
    accounts.account_name,
    accounts.customer_key,
    combined.month_start,
    coalesce(corporate.corporate_currency, '{{ var('corporate_currency', 'USD') | upper }}') as corporate_currency,
    {{ round_decimal('combined.bookings_amount', 2) }} as bookings_amount,
    combined.won_opportunity_count,
    combined.bookings_without_rate_count,
    {{ round_decimal('combined.invoiced_amount', 2) }} as invoiced_amount,
    combined.invoice_count,
    combined.invoices_without_rate_count,
    {{ round_decimal('combined.bookings_amount - combined.invoiced_amount', 2) }} as bookings_minus_invoiced
from combined
left join {{ ref('int_salesforce__accounts') }} as accounts
    on accounts.account_id = combined.account_id
    and accounts.source_relation = combined.source_relation
cross join corporate
