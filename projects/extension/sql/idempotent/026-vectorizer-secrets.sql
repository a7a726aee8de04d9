-- A vectorizer names the secret its worker embeds with (api_key_name). The in-database worker
-- runs with the server's environment, so a vectorizer naming a secret of that environment would
-- send its value to the vectorizer's base_url whoever made it: inserting or changing the
-- embedding config of a row of ai.vectorizer needs the right to read that secret
-- (ai.grant_secret), as ai.reveal_secret does. Secrets not in the server's environment are not
-- the server's to guard (an external worker reads its own environment).
create or replace function ai_extra._vectorizer_check_secret() returns trigger
as $func$
declare
    _e pg_catalog.jsonb = new.config operator(pg_catalog.->) 'embedding';
    _name pg_catalog.text;
begin
    if tg_op operator(pg_catalog.=) 'UPDATE' and _e is not distinct from (old.config operator(pg_catalog.->) 'embedding') then
        return new;
    end if;
    _name = coalesce(_e operator(pg_catalog.->>) 'api_key_name',
        case _e operator(pg_catalog.->>) 'implementation' when 'openai' then 'OPENAI_API_KEY' when 'voyageai' then 'VOYAGE_API_KEY' end);
    if _name is not null and _name operator(pg_catalog.~) '^[A-Za-z0-9_.]+$' and ai_extra._secret_env_forbidden(_name) then
        raise exception 'permission denied for secret %: a vectorizer may name only a secret of the server''s environment that its creator may read', _name
            using errcode = 'insufficient_privilege'
            , hint = pg_catalog.format('ask an administrator to run select ai.grant_secret(%L, %L)', _name, current_user);
    end if;
    return new;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace trigger _vectorizer_check_secret before insert or update on ai.vectorizer
for each row execute function ai_extra._vectorizer_check_secret();
