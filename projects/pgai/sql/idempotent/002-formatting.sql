-- Formatting configs: how a chunk becomes the text that is embedded.

create or replace function ai.formatting_python_template(template pg_catalog.text default '$chunk')
returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'python_template'
    , 'config_type', 'formatting'
    , 'template', template
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- pgai's checks: the template has $chunk, and the source has no column named chunk (the
-- template's $chunk could not tell them apart). Then this project's: every placeholder is well
-- formed ($name, ${name}, $$) and names the chunk or a source column, which the worker could not
-- fill in otherwise.
create or replace function ai._validate_formatting_python_template
( config pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
declare
    _template pg_catalog.text = config operator(pg_catalog.->>) 'template';
    _columns pg_catalog.name[];
    _m pg_catalog.text[];
    _name pg_catalog.text;
begin
    if _template is null or _template not like '%$chunk%' then
        raise exception 'template must contain $chunk placeholder';
    end if;
    select pg_catalog.array_agg(a.attname) into _columns
    from pg_catalog.pg_class k
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) k.oid
    where n.nspname operator(pg_catalog.=) source_schema
      and k.relname operator(pg_catalog.=) source_table
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
    if 'chunk' operator(pg_catalog.=) any(_columns) then
        raise exception 'formatting_python_template may not be used when source table has a column named "chunk"';
    end if;
    for _m in
        select pg_catalog.regexp_matches(_template, '\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\}|())', 'g')
    loop
        if _m[1] is not null then
            continue;  -- $$ is a literal $
        end if;
        _name = coalesce(_m[2], _m[3]);
        if _name is null then
            raise exception 'invalid placeholder in formatting template %', pg_catalog.quote_literal(_template)
                using hint = 'use $name or ${name} for a column or the chunk, and $$ for a literal $';
        end if;
        if _name operator(pg_catalog.<>) 'chunk' and not (_name operator(pg_catalog.=) any(_columns)) then
            raise exception 'formatting template refers to $%, which is not a column of %', _name,
                pg_catalog.format('%I.%I', source_schema, source_table)
                using hint = '$chunk is the chunk; any other $name must be a source column';
        end if;
    end loop;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_formatting
( config pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'formatting config is not a jsonb object';
    end if;
    if (config operator(pg_catalog.->>) 'config_type') is distinct from 'formatting' then
        raise exception 'invalid config_type for formatting config';
    end if;
    case config operator(pg_catalog.->>) 'implementation'
        when 'python_template' then
            perform ai._validate_formatting_python_template(config, source_schema, source_table);
        else
            raise exception 'unrecognized formatting implementation';
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;
