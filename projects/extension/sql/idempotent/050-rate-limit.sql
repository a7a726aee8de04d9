-- The shared budgets' arithmetic (ai_extra.rate_limit): a reservation of `requests_cost` and
-- `tokens_cost` seconds of budget (units times the seconds per unit of the limit) returns how
-- many seconds the request must wait before it may start; `burst` seconds of budget may be
-- spent ahead of the steady pace. The row is locked for the moment of the reservation only.
create or replace function ai_extra.rate_limit_reserve
( name pg_catalog.text
, requests_cost pg_catalog.float8
, tokens_cost pg_catalog.float8
, burst pg_catalog.float8
) returns pg_catalog.float8
as $func$
declare
    _requests pg_catalog.timestamptz;
    _tokens pg_catalog.timestamptz;
    _start pg_catalog.timestamptz;
begin
    insert into ai_extra.rate_limit (name) values (rate_limit_reserve.name) on conflict do nothing;
    select r.requests_tat, r.tokens_tat into strict _requests, _tokens
    from ai_extra.rate_limit r where r.name operator(pg_catalog.=) rate_limit_reserve.name
    for update;
    _start = greatest(pg_catalog.clock_timestamp()
        , _requests operator(pg_catalog.-) pg_catalog.make_interval(secs => burst)
        , _tokens operator(pg_catalog.-) pg_catalog.make_interval(secs => burst));
    update ai_extra.rate_limit r set
      requests_tat = greatest(_requests, _start) operator(pg_catalog.+) pg_catalog.make_interval(secs => requests_cost)
    , tokens_tat = greatest(_tokens, _start) operator(pg_catalog.+) pg_catalog.make_interval(secs => tokens_cost)
    where r.name operator(pg_catalog.=) rate_limit_reserve.name;
    return greatest(0, extract(epoch from _start operator(pg_catalog.-) pg_catalog.clock_timestamp()))::pg_catalog.float8;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Corrects a token reservation by `tokens_cost` seconds (negative: gives them back, never
-- further back than `burst` seconds before now).
create or replace function ai_extra.rate_limit_adjust
( name pg_catalog.text
, tokens_cost pg_catalog.float8
, burst pg_catalog.float8
) returns void
as $func$
    update ai_extra.rate_limit r set tokens_tat = greatest
        ( r.tokens_tat operator(pg_catalog.+) pg_catalog.make_interval(secs => tokens_cost)
        , pg_catalog.clock_timestamp() operator(pg_catalog.-) pg_catalog.make_interval(secs => burst))
    where r.name operator(pg_catalog.=) rate_limit_adjust.name
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;
