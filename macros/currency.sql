{#-
    Amounts in one corporate currency (var corporate_currency; default the org's corporate currency, else USD) at a
    record's date, through int_currency__conversion_rates (rates as Salesforce keeps them: units of a currency per
    unit of the org's corporate currency, each valid from valid_from, inclusive, to valid_to, exclusive).

    currency_conversion_joins(alias, currency, on_date) left-joins the rate of the record's currency (alias_from; a
    NULL currency is the org's corporate currency, as in a single-currency org) and of the target currency
    (alias_to), both valid on on_date; converted_amount(amount, alias) is then amount / from-rate * to-rate, NULL when
    either rate is unknown (a currency without rates, or no date).
-#}
{% macro currency_conversion_joins(alias, currency_expression, date_expression) -%}
    left join {{ ref('int_currency__conversion_rates') }} as {{ alias }}_from
        on {{ alias }}_from.iso_code = coalesce(upper(trim({{ currency_expression }})), {{ alias }}_from.org_corporate_currency)
        and {{ alias }}_from.valid_from <= {{ date_expression }}
        and {{ alias }}_from.valid_to > {{ date_expression }}
    left join {{ ref('int_currency__conversion_rates') }} as {{ alias }}_to
        on {{ alias }}_to.iso_code = {{ alias }}_to.corporate_currency
        and {{ alias }}_to.valid_from <= {{ date_expression }}
        and {{ alias }}_to.valid_to > {{ date_expression }}
{%- endmacro %}

{% macro converted_amount(amount_expression, alias) -%}
    ({{ amount_expression }} / nullif({{ alias }}_from.conversion_rate, 0) * {{ alias }}_to.conversion_rate)
{%- endmacro %}
