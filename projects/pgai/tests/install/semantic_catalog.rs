//! The semantic catalog (text-to-SQL's store): catalogs, embeddings, descriptions of objects,
//! example SQL and facts, the triggers that clear stale vectors, drops and grants.

use crate::common::*;

async fn db(prefix: &str) -> Db {
    let db = Db::new(prefix).await;
    db.installed().await;
    db
}

#[tokio::test]
async fn a_catalog_is_three_tables_with_a_vector_per_embedding() {
    let db = db("sc_create").await;
    assert_eq!(db.q("select ai.create_semantic_catalog()").await, "1");
    assert_eq!(
        db.q("select format('%s %s %s %s', catalog_name, obj_table, sql_table, fact_table) from ai.semantic_catalog")
            .await,
        "default {ai,semantic_catalog_obj_1} {ai,semantic_catalog_sql_1} {ai,semantic_catalog_fact_1}"
    );
    assert_eq!(
        db.q("select embedding_name || ' ' || (config->>'dimensions') from ai.semantic_catalog_embedding").await,
        "emb1 768"
    );
    assert_eq!(
        db.q("select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) from pg_attribute where attrelid = 'ai.semantic_catalog_fact_1'::regclass and attnum > 0").await,
        "id bigint, description text, usage bigint, emb1 vector(768)"
    );
    let second =
        db.q("select (ai.sc_add_embedding(ai.embedding_openai('text-embedding-3-small', 4))).embedding_name").await;
    assert_eq!(second, "emb2");
    assert_eq!(db.q("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'ai.semantic_catalog_sql_1'::regclass and attname = 'emb2'").await, "vector(4)");
    // errors: pgai's, and PostgreSQL's own constraints
    assert_eq!(db.err("select ai.sc_add_embedding('{}'::jsonb)").await, "embedding config is missing dimensions");
    assert_eq!(
        db.err("select ai.create_semantic_catalog()").await,
        "duplicate key value violates unique constraint \"semantic_catalog_catalog_name_key\""
    );
    assert_eq!(
        db.err("select ai.create_semantic_catalog('Bad')").await,
        "new row for relation \"semantic_catalog\" violates check constraint \"semantic_catalog_catalog_name_check\""
    );
    assert_eq!(db.err("select ai.sc_add_fact('x', 'nope')").await, "query returned no rows");
    assert_eq!(
        db.q("select count(*) from pg_class where relname like 'semantic_catalog_%_2'").await,
        "0",
        "a failed create leaves nothing"
    );
    db.q("select ai.sc_drop_embedding('emb2')").await;
    assert_eq!(db.q("select count(*) from pg_attribute where attname = 'emb2' and attrelid = 'ai.semantic_catalog_obj_1'::regclass").await, "0");
}

#[tokio::test]
async fn descriptions_are_upserted_and_a_change_clears_the_vectors() {
    let db = db("sc_desc").await;
    db.q("create table public.orders (id int primary key, total numeric); create view public.big as select * from orders where total > 100;
          create function public.f(a int, b text) returns int language sql as 'select 1'").await;
    db.q("select ai.create_semantic_catalog(embedding_config => ai.embedding_openai('m', 3))").await;
    let id = db.q("select ai.sc_set_table_desc('public.orders'::regclass, 'the orders')").await;
    assert_eq!(db.q("select ai.sc_set_table_desc('public.orders'::regclass, 'all orders')").await, id, "the same row");
    assert_eq!(db.q(&format!("select description from ai.semantic_catalog_obj_1 where id = {id}")).await, "all orders");
    db.q("select ai.sc_set_table_col_desc('public.orders'::regclass, 'total', 'in euros')").await;
    db.q("select ai.sc_set_view_desc('public.big'::regclass, 'big orders')").await;
    db.q("select ai.sc_set_func_desc('public.f(int, text)'::regprocedure, 'a function')").await;
    assert_eq!(
        db.q("select coalesce(ai.sc_set_table_desc('public.big'::regclass, 'not a table')::text, 'null')").await,
        "null"
    );
    db.q("select ai.sc_set_obj_desc('table', array['public', 'orders'], '{}', 'by address')").await;
    assert_eq!(
        db.q("select string_agg(objtype || ':' || array_to_string(objnames, '.') || ':' || array_to_string(objargs, ',') || ':' || coalesce(description, ''), ' | ' order by id) from ai._sc_obj(1)").await,
        "table:public.orders::by address | table column:public.orders.total::in euros | view:public.big::big orders | function:public.f:integer,pg_catalog.text:a function"
    );
    // a client embeds; a changed description clears the vectors, a vector-only update keeps them
    db.q(&format!("update ai.semantic_catalog_obj_1 set emb1 = '[1,2,3]' where id = {id}")).await;
    assert_eq!(db.q(&format!("select emb1 is not null from ai.semantic_catalog_obj_1 where id = {id}")).await, "t");
    db.q("select ai.sc_set_table_desc('public.orders'::regclass, 'changed')").await;
    assert_eq!(db.q(&format!("select emb1 is null from ai.semantic_catalog_obj_1 where id = {id}")).await, "t");
    let sql_id = db.q("select ai.sc_add_sql_desc('select count(*) from orders', 'how many orders')").await;
    db.q(&format!("update ai.semantic_catalog_sql_1 set emb1 = '[1,1,1]'; select ai.sc_update_sql_desc({sql_id}, 'select 1', 'one')")).await;
    assert_eq!(
        db.q("select sql || '|' || description || '|' || (emb1 is null) from ai.semantic_catalog_sql_1").await,
        "select 1|one|true"
    );
    let fact = db.q("select ai.sc_add_fact('totals are in euros')").await;
    db.q(&format!("select ai.sc_update_fact({fact}, 'totals include tax')")).await;
    assert_eq!(db.q("select description from ai.semantic_catalog_fact_1").await, "totals include tax");
}

#[tokio::test]
async fn grants_and_drops() {
    let db = db("sc_grants").await;
    db.q("create table public.t (id int primary key); create view public.v as select * from t").await;
    db.q("select ai.create_semantic_catalog(embedding_config => ai.embedding_openai('m', 3))").await;
    db.q(
        "select ai.sc_set_table_desc('public.t'::regclass, 't'); select ai.sc_set_view_desc('public.v'::regclass, 'v')",
    )
    .await;
    let reader = role("sc_reader").await;
    assert_eq!(
        db.err(&format!("select ai.sc_grant_obj_read('default', '{reader}')")).await,
        "user must have access to the catalog first"
    );
    db.q(&format!(
        "select ai.sc_grant_read('default', '{reader}'); select ai.sc_grant_obj_read('default', '{reader}')"
    ))
    .await;
    assert_eq!(db.q_as(&reader, "select count(*) from ai.semantic_catalog_obj_1").await, "2");
    assert_eq!(db.q_as(&reader, "select count(*) from public.v").await, "0", "views are granted too");
    assert_eq!(
        db.err_as(&reader, "select ai.sc_add_fact('x')").await,
        "permission denied for table semantic_catalog_fact_1"
    );
    let writer = role("sc_writer").await;
    db.q(&format!("select ai.sc_grant_write('default', '{writer}')")).await;
    assert_eq!(db.q_as(&writer, "select ai.sc_add_fact('from the writer')").await, "1");
    assert_eq!(db.q("select ai.drop_semantic_catalog('default')").await, "1");
    assert_eq!(db.q("select count(*) from pg_class where relname like 'semantic\\_catalog\\_%\\_1%'").await, "0");
    assert_eq!(
        db.q("select count(*) from pg_proc where proname like 'semantic\\_catalog\\_%\\_1\\_trig'").await,
        "0",
        "no trigger function left"
    );
    assert_eq!(db.q("select count(*) from ai.semantic_catalog_embedding").await, "0");
}
