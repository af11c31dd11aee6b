{#- `expr` is one of the values `query` selects, written `expr = any(array(query))`: the query runs once (an
    init plan) and PostgreSQL plans the rest for a list of values, probing the indexes of the tables it
    filters. Written `expr in (query)` over a window's change set (a union of index range scans whose size
    and distinct values it cannot estimate), it planned a hash semi-join over the whole table:
    int_deal_contacts_unioned's one-day run read 8.2 M staged activities for 24 k deals, 11.3 s, against
    1.3 s as a list on the 500 x 3 benchmark (docs/benchmarks.md). -#}
{% macro is_among(expr, query) -%}
{{ expr }} = any(array({{ query }}))
{%- endmacro %}
