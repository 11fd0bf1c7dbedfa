{#- The sources (one per Salesforce org) the var salesforce_sources lists: a list, or comma-separated text. -#}
{% macro salesforce_sources() -%}
    {%- set value = var('salesforce_sources', 'salesforce') -%}
    {%- set names = (value.split(',') if value is string else value) | map('trim') | reject('equalto', '') | list -%}
    {%- for name in names -%}
        {%- if not modules.re.fullmatch('salesforce(_[a-z0-9]+)*', name) -%}
            {{ exceptions.raise_compiler_error("salesforce_sources: '" ~ name ~ "' is not a Salesforce source (salesforce or salesforce_<org name>)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names or ['salesforce']) }}
{%- endmacro %}


{#-
    The bronze tables of one Salesforce object across the orgs salesforce_sources lists, as (source, relation)
    pairs: `source_relation` (the dbt source of the default org's table, e.g. bronze.salesforce__account) for
    source `salesforce`, and bronze.<source>__<object> beside it for every other org. Another org's table that
    does not exist (its org not extracted yet, or an org without the object) is left out, the default org's too:
    with no table at all the list is empty (stage_salesforce_object then selects no rows, typed). A unit test's
    input (a CTE) stands for the default org alone.
-#}
{% macro union_salesforce_orgs(source_relation) -%}
    {%- set identifier = (source_relation.identifier or '') | lower -%}
    {%- if identifier.startswith('__dbt__cte__') or not identifier.startswith('salesforce__') -%}
        {{ return([('salesforce', source_relation)]) }}
    {%- endif -%}
    {%- set object_key = identifier[('salesforce__' | length):] -%}
    {%- set pairs = [] -%}
    {%- for org_source in medallion.salesforce_sources() -%}
        {%- if org_source == 'salesforce' -%}
            {#- the default org may lack the object too (a real org without multi-currency, products, ...) -#}
            {%- if not execute or load_relation(source_relation) is not none -%}
                {%- do pairs.append((org_source, source_relation)) -%}
            {%- endif -%}
        {%- else -%}
            {%- set relation = api.Relation.create(database=source_relation.database, schema=source_relation.schema,
                                                   identifier=org_source ~ '__' ~ object_key) -%}
            {%- if execute and load_relation(relation) is not none -%}
                {%- do pairs.append((org_source, relation)) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pairs if execute else (pairs or [('salesforce', source_relation)])) }}
{%- endmacro %}
