{#-
    Amounts in one corporate currency (var corporate_currency; default the org's corporate currency, else USD) at a
    record's date, through int_currency__conversion_rates (rates as Salesforce keeps them: units of a currency per
    unit of the org's corporate currency, each valid from valid_from, inclusive, to valid_to, exclusive).

    currency_conversion_joins(alias, currency, on_date) left-joins the rate of the record's currency (alias_from; a
    NULL currency is the org's corporate currency, as in a single-currency org) and of the target currency
    (alias_to), both valid on on_date; converted_amount(amount, alias) is then amount / from-rate * to-rate, NULL when
    either rate is unknown (a currency without rates, or no date). rates_relation replaces the rates model (a gold test
    passes relation_of('int_currency__conversion_rates') to keep its only parent in gold).
-#}
{% macro currency_conversion_joins(alias, currency_expression, date_expression, rates_relation=none) -%}
    {%- set rates = rates_relation if rates_relation is not none else ref('int_currency__conversion_rates') %}
    left join {{ rates }} as {{ alias }}_from
        on {{ alias }}_from.iso_code = coalesce(upper(trim({{ currency_expression }})), {{ alias }}_from.org_corporate_currency)
        and {{ alias }}_from.valid_from <= {{ date_expression }}
        and {{ alias }}_from.valid_to > {{ date_expression }}
    left join {{ rates }} as {{ alias }}_to
        on {{ alias }}_to.iso_code = {{ alias }}_to.corporate_currency
        and {{ alias }}_to.valid_from <= {{ date_expression }}
        and {{ alias }}_to.valid_to > {{ date_expression }}
{%- endmacro %}

{% macro converted_amount(amount_expression, alias) -%}
    ({{ amount_expression }} / nullif({{ alias }}_from.conversion_rate, 0) * {{ alias }}_to.conversion_rate)
{%- endmacro %}


{#-
    The relation of a model without a dependency edge on it, from the manifest's graph. For a test whose single
    parent already depends on that model: the gold reconciliation tests compare gold with the silver models gold is
    built from while their only parent stays the gold model, so an orchestrator that groups tasks by layer (Cosmos)
    runs them after the gold model, never before it.
-#}
{% macro relation_of(model_name) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set matches = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                                           | selectattr('name', 'equalto', model_name) | list -%}
    {%- if matches | length != 1 -%}
        {{ exceptions.raise_compiler_error("relation_of: no single model named " ~ model_name) }}
    {%- endif -%}
    {{ return(api.Relation.create(database=matches[0].database, schema=matches[0].schema,
                                  identifier=matches[0].alias)) }}
{%- endmacro %}
