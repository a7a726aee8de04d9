-- Budgets of requests and tokens per minute that workers share, whatever host they run on
-- (docs/worker.md, "Rate limits"): one row per provider endpoint and key name (never the key
-- itself), holding the theoretical arrival times of a generic cell rate algorithm.
create table ai_extra.rate_limit
( name text not null primary key
, requests_tat timestamptz not null default pg_catalog.clock_timestamp()
, tokens_tat timestamptz not null default pg_catalog.clock_timestamp()
);
