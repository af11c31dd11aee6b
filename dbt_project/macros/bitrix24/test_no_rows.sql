{#- Generic data test: the model holds no row. On a model that lists records to look at (with severity warn),
    its failure count is the number of them: int_users_unknown's unknown users. -#}
{% test no_rows(model) %}
select * from {{ model }}
{% endtest %}
