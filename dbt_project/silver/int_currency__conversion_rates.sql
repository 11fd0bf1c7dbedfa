{#-
    Conversion rates by currency and validity period, from the org named by var currency_rates_source (default the
    default org, `salesforce`), per currency the first source that has it:
    1. dated: DatedConversionRate (advanced currency management), each rate valid from StartDate to NextStartDate;
    2. static: CurrencyType.ConversionRate (multi-currency without dated rates), valid always;
    3. seed: seeds/currency_conversion_rates.csv (a single-currency org, or a currency the org lacks).
    Rates are Salesforce's: units of the currency per unit of the org's corporate currency (CurrencyType.IsCorporate;
    with no CurrencyType, the seed's base, USD). corporate_currency is the currency amounts are normalised to: var
    corporate_currency, else the org's corporate currency, else USD.
-#}
{%- set rates_source = var('currency_rates_source', 'salesforce') -%}
{%- set corporate_var = var('corporate_currency', none) -%}

with dated_versions as (

    select
        staged.*,
        {{ is_latest_version('dated_conversion_rate_id') }} as is_latest_version
    from {{ ref('stg_salesforce__dated_conversion_rates') }} as staged
    where staged.source_relation = '{{ rates_source }}'

),

dated as (

    select
        upper(trim(iso_code)) as iso_code,
        conversion_rate,
        start_date as valid_from,
        coalesce(next_start_date, cast('9999-12-31' as date)) as valid_to,
        cast('dated' as {{ dbt.type_string() }}) as rate_source
    from dated_versions
    where is_latest_version and _hard_deleted_at is null
        and iso_code is not null and conversion_rate > 0 and start_date is not null

),

currency_type_versions as (

    select
        staged.*,
        {{ is_latest_version('currency_type_id') }} as is_latest_version
    from {{ ref('stg_salesforce__currency_types') }} as staged
    where staged.source_relation = '{{ rates_source }}'

),

currency_types as (

    select upper(trim(iso_code)) as iso_code, conversion_rate, coalesce(is_corporate, false) as is_corporate
    from currency_type_versions
    where is_latest_version and _hard_deleted_at is null and iso_code is not null and conversion_rate > 0

),

static as (

    select
        iso_code,
        conversion_rate,
        cast('0001-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        cast('static' as {{ dbt.type_string() }}) as rate_source
    from currency_types
    where iso_code not in (select dated.iso_code from dated)

),

org_corporate as (

    select coalesce(min(case when is_corporate then iso_code end), 'USD') as org_corporate_currency
    from currency_types

),

seeded as (

    select
        upper(trim(iso_code)) as iso_code,
        {#- the seed's rates are against USD: rebased on the org's corporate currency when the seed has it -#}
        cast(conversion_rate as {{ dbt.type_numeric() }}) / coalesce((
            select min(cast(base.conversion_rate as {{ dbt.type_numeric() }}))
            from {{ ref('currency_conversion_rates') }} as base
            where upper(trim(base.iso_code)) = (select org_corporate.org_corporate_currency from org_corporate)
        ), 1) as conversion_rate,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast('seed' as {{ dbt.type_string() }}) as rate_source
    from {{ ref('currency_conversion_rates') }}
    where upper(trim(iso_code)) not in (select dated.iso_code from dated)
        and upper(trim(iso_code)) not in (select static.iso_code from static)

),

rates as (

    select * from dated
    union all
    select * from static
    union all
    select * from seeded

)

select
    rates.iso_code,
    rates.valid_from,
    rates.valid_to,
    cast(rates.conversion_rate as {{ dbt.type_numeric() }}) as conversion_rate,
    rates.rate_source,
    org_corporate.org_corporate_currency,
    {% if corporate_var -%}
    cast('{{ corporate_var | upper }}' as {{ dbt.type_string() }})
    {%- else -%}
    org_corporate.org_corporate_currency
    {%- endif %} as corporate_currency,
    cast('{{ rates_source }}' as {{ dbt.type_string() }}) as source_relation
from rates
cross join org_corporate
