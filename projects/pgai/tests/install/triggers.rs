//! The source trigger: what an insert, update, delete and truncate of the source do to the
//! queue and the destination, for both kinds of destination.

use crate::common::*;

const MAKE: &str = "loading => ai.loading_column('body'), embedding => ai.embedding_openai('m', 3), \
    scheduling => ai.scheduling_none(), indexing => ai.indexing_none()";

async fn db(prefix: &str) -> Db {
    let db = Db::new(prefix).await;
    db.installed().await;
    db
}

#[tokio::test]
async fn a_table_destination_follows_inserts_updates_deletes_and_truncates() {
    let db = db("trg_table").await;
    db.q(&format!(
        "create table blog (id int primary key, title text, body text, hits int);
         insert into blog values (1, 'a', 'x', 0), (2, 'b', 'y', 0);
         select ai.create_vectorizer('blog'::regclass, {MAKE}, enqueue_existing => false)"
    ))
    .await;
    let queued = || db.q("select coalesce(string_agg(id::text, ',' order by id), '') from ai._vectorizer_q_1");
    db.q("insert into blog values (3, 'c', 'z', 0)").await;
    assert_eq!(queued().await, "3");
    db.q("update blog set hits = 1 where id = 1").await;
    assert_eq!(queued().await, "1,3", "any column other than an embedding column queues the row");
    db.q("update blog set hits = hits where id = 2").await;
    assert_eq!(queued().await, "1,3", "an update that changes nothing queues nothing");
    // chunks as a worker would have written them
    db.q("insert into blog_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'x', '[1,2,3]'), (2, 0, 'y', '[1,2,3]'), (3, 0, 'z', '[1,2,3]')").await;
    db.q("delete from blog where id = 2").await;
    assert_eq!(
        db.q("select string_agg(id::text, ',' order by id) from blog_embedding_store").await,
        "1,3",
        "a deleted row's chunks go"
    );
    db.q("update blog set id = 30 where id = 3").await;
    assert_eq!(
        db.q("select string_agg(id::text, ',' order by id) from blog_embedding_store").await,
        "1",
        "the old key's chunks go"
    );
    assert_eq!(queued().await, "1,3,30");
    db.q("truncate blog").await;
    assert_eq!(db.q("select count(*) from blog_embedding_store").await, "0");
    assert_eq!(queued().await, "", "the queue is emptied too");
}

#[tokio::test]
async fn a_column_destination_ignores_embedding_columns() {
    let db = db("trg_column").await;
    db.q(&format!(
        "create table notes (id int primary key, body text, tag text);
         insert into notes values (1, 'a', 't');
         select ai.create_vectorizer('notes'::regclass, {MAKE}, name => 'one', destination => ai.destination_column('e1'), chunking => ai.chunking_none(), enqueue_existing => false);
         select ai.create_vectorizer('notes'::regclass, {MAKE}, name => 'two', destination => ai.destination_column('e2'), chunking => ai.chunking_none(), enqueue_existing => false)"
    ))
    .await;
    let pending = || db.q("select ai.vectorizer_queue_pending('one') || ',' || ai.vectorizer_queue_pending('two')");
    // a worker writing either embedding queues nothing, for either vectorizer
    db.q("update notes set e1 = '[1,2,3]' where id = 1; update notes set e2 = '[1,2,3]' where id = 1").await;
    assert_eq!(pending().await, "0,0");
    db.q("update notes set tag = 'u' where id = 1").await;
    assert_eq!(pending().await, "1,1");
    db.q("delete from notes; insert into notes values (2, 'b', null)").await;
    assert_eq!(pending().await, "2,2", "deletes do nothing, inserts queue");
    db.q("truncate notes").await;
    assert_eq!(pending().await, "2,2", "nothing to delete on truncate: the embeddings went with the rows");
}

#[tokio::test]
async fn writers_of_the_source_need_no_rights_on_the_queue_or_the_target() {
    let db = db("trg_definer").await;
    db.q(&format!(
        "create table blog (id int primary key, body text);
         select ai.create_vectorizer('blog'::regclass, {MAKE})"
    ))
    .await;
    let writer = role("trg_writer").await;
    db.q(&format!("grant insert, update, delete, truncate, select on blog to \"{writer}\"")).await;
    db.q_as(
        &writer,
        "insert into blog values (1, 'a'); update blog set body = 'b'; delete from blog where id = 1; truncate blog",
    )
    .await;
    assert_eq!(db.err_as(&writer, "select count(*) from ai._vectorizer_q_1").await, "permission denied for schema ai");
}

#[tokio::test]
async fn every_install_rewrites_the_trigger_functions() {
    let db = db("trg_reinstall").await;
    db.q(&format!(
        "create table blog (id int primary key, body text); select ai.create_vectorizer('blog'::regclass, {MAKE})"
    ))
    .await;
    // a function body damaged by hand is written anew by the next install
    db.q("create or replace function ai._vectorizer_src_trg_1() returns trigger as $$ begin return null; end $$ language plpgsql").await;
    db.q("update ai.pgai_lib_version set version = '0.12.0'").await;
    db.installed().await;
    db.q("insert into blog values (1, 'a')").await;
    assert_eq!(db.q("select ai.vectorizer_queue_pending(1)").await, "1");
}
