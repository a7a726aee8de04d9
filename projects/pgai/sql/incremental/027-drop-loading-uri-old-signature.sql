-- loading_uri gained aws_role_arn.
drop function if exists ai.loading_uri(pg_catalog.name, pg_catalog.int4);
