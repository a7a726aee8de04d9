//! Privileges: who may do what, for four roles: the owner (a non-superuser database owner who
//! installed the extension, trusted), a user granted ai.grant_ai_usage(user), an admin granted
//! ai.grant_ai_usage(admin, admin => true), and a user granted nothing. Every cell is asserted.

mod common;

use anyhow::Result;
use common::*;
use testkit::PgCluster;

const ENV_SECRET: &str = "env-secret-for-privileges-31a9";

#[derive(Clone, Copy)]
enum Cell {
    /// succeeds and prints exactly this
    Prints(&'static str),
    /// fails with an error containing this (`{schema}`, `{v2}` are filled in)
    Fails(&'static str),
}
use Cell::{Fails, Prints};

struct Op {
    what: &'static str,
    /// run as each role; `{role}`, `{owner}`, `{v}`, `{v2}`, `{x}` are filled in
    sql: &'static str,
    /// owner, user, admin, ungranted
    expect: [Cell; 4],
}

const DENIED_AI: Cell = Fails("permission denied for schema ai");

const OPS: &[Op] = &[
    Op {
        what: "create_vectorizer on a table it owns",
        sql: "create table s_{role}.mine(id int primary key, body text); insert into s_{role}.mine values (1, 'x'); \
              select ai.create_vectorizer('s_{role}.mine'::regclass, embedding => ai.embedding_openai('m', 4), chunking => ai.chunking_character_text_splitter('body')) > 0",
        expect: [Prints("t"), Prints("t"), Prints("t"), DENIED_AI],
    },
    Op {
        what: "read vectorizer_status (pending items of the shared and the private vectorizer)",
        sql: "select string_agg(coalesce(pending_items::text, 'null'), ',' order by id) from ai.vectorizer_status where id in ({v}, {v2})",
        expect: [Prints("2,1"), Prints("2,null"), Prints("2,null"), DENIED_AI],
    },
    Op {
        what: "read the queue of a vectorizer whose grant_to names it",
        sql: "select count(*) from ai._vectorizer_q_{v}",
        expect: [Prints("2"), Prints("2"), Prints("2"), DENIED_AI],
    },
    Op {
        what: "insert into that queue",
        sql: "with i as (insert into ai._vectorizer_q_{v} (id) values (1) returning 1) select count(*) from i",
        expect: [Prints("1"), Prints("1"), Prints("1"), DENIED_AI],
    },
    Op {
        what: "read that vectorizer's target table",
        sql: "select count(*) from s_{owner}.shared_embedding_store",
        expect: [Prints("1"), Prints("1"), Prints("1"), Fails("permission denied for schema s_{owner}")],
    },
    Op {
        what: "read that vectorizer's view",
        sql: "select count(*) from s_{owner}.shared_embedding",
        expect: [Prints("1"), Prints("1"), Prints("1"), Fails("permission denied for schema s_{owner}")],
    },
    Op {
        what: "read the queue of a vectorizer not granted to it",
        sql: "select count(*) from ai._vectorizer_q_{v2}",
        expect: [
            Prints("1"),
            Fails("permission denied for table _vectorizer_q_{v2}"),
            Fails("permission denied for table _vectorizer_q_{v2}"),
            DENIED_AI,
        ],
    },
    Op {
        what: "drop_vectorizer of its own vectorizer",
        sql: "select count(*) from (select ai.drop_vectorizer(id) from ai.vectorizer where source_schema = 's_{role}' and source_table = 'mine') x",
        expect: [Prints("1"), Prints("1"), Prints("1"), DENIED_AI],
    },
    Op {
        what: "drop_vectorizer of the owner's private vectorizer",
        sql: "select ai.drop_vectorizer({v2})",
        expect: [Prints(""), Fails("must be owner of relation private"), Fails("must be owner of relation private"), DENIED_AI],
    },
    Op {
        what: "read ai.migration",
        sql: "select count(*) > 0 from ai.migration",
        expect: [Prints("t"), Fails("permission denied for table migration"), Prints("t"), DENIED_AI],
    },
    Op {
        what: "read ai._secret_permissions",
        sql: "select count(*) > 0 from ai._secret_permissions",
        expect: [Prints("t"), Fails("permission denied for table _secret_permissions"), Prints("t"), DENIED_AI],
    },
    Op {
        what: "grant_secret",
        sql: "select ai.grant_secret('OTHER_KEY_{role}', '{x}')",
        expect: [Prints(""), Fails("permission denied for function grant_secret"), Prints(""), DENIED_AI],
    },
    Op {
        what: "reveal_secret of a secret in the server's environment",
        sql: "select coalesce(ai.reveal_secret('TEST_ENV_KEY'), '<null>')",
        expect: [
            Prints(ENV_SECRET),
            Fails("plpy.Error: user does not have access to secret 'TEST_ENV_KEY'"),
            Prints(ENV_SECRET),
            DENIED_AI,
        ],
    },
    Op {
        what: "reserve on a shared rate budget, as a worker does",
        // a minute of budget, 1 s of burst: the first request starts now, the second in 59 s
        sql: "select ai_extra.rate_limit_reserve('openai http://x/v1 KEY_{role}', 60, 0, 1) = 0; \
              select d between 58 and 59 from ai_extra.rate_limit_reserve('openai http://x/v1 KEY_{role}', 60, 0, 1) d",
        expect: [Prints("t\nt"), Prints("t\nt"), Prints("t\nt"), Fails("permission denied for schema ai_extra")],
    },
    Op {
        what: "grant_ai_usage to another role",
        sql: "select ai.grant_ai_usage('{x}')",
        expect: [
            Prints(""),
            Fails("permission denied for function grant_ai_usage"),
            Prints(""),
            DENIED_AI,
        ],
    },
];

#[tokio::test]
async fn privilege_matrix() -> Result<()> {
    testkit::require_suite!("PRIVILEGES");
    let pg = PgCluster::builder().env("TEST_ENV_KEY", ENV_SECRET).start()?;
    let pid = std::process::id();
    let [owner, user, admin, nobody, extra] =
        ["owner", "user", "admin", "nobody", "extra"].map(|r| format!("priv_{r}_{pid}"));
    let db = pg.create_db("privileges").await?;
    psql_ok(&pg, "postgres", &format!("create role {owner} login; create role {user} login; create role {admin} login; create role {nobody} login; create role {extra} login; alter database {db} owner to {owner}"))?;
    // pgvector is not a trusted extension: a superuser installs it; the owner then installs ai
    psql_ok(&pg, &db, "create extension vector")?;
    for r in [&owner, &user, &admin, &nobody] {
        psql_ok(&pg, &db, &format!("create schema s_{r} authorization {r}"))?;
    }
    let as_owner = |sql: &str| -> Result<String> {
        let out = psql(&pg, &db, &owner, sql)?;
        anyhow::ensure!(out.ok, "as the owner: {sql}: {}", out.stderr);
        anyhow::Ok(out.stdout.trim().to_string())
    };
    as_owner(&format!("create extension ai version '{LAYOUT_07}'"))?;
    as_owner(&format!("select ai.grant_ai_usage('{user}'); select ai.grant_ai_usage('{admin}', admin => true)"))?;
    let v = as_owner(&format!("create table s_{owner}.shared(id int primary key, body text); insert into s_{owner}.shared values (1, 'a'), (2, 'b'); select ai.create_vectorizer('s_{owner}.shared'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'), grant_to => ai.grant_to('{user}', '{admin}'))"))?;
    let v2 = as_owner(&format!("create table s_{owner}.private(id int primary key, body text); insert into s_{owner}.private values (1, 'a'); select ai.create_vectorizer('s_{owner}.private'::regclass, embedding => {EMBED4}, chunking => ai.chunking_character_text_splitter('body'))"))?;
    as_owner(&format!("insert into s_{owner}.shared_embedding_store (id, chunk_seq, chunk, embedding) values (1, 0, 'a', '[1,2,3,4]')"))?;

    let fill = |s: &str, role: &str| {
        s.replace("{role}", role)
            .replace("{owner}", &owner)
            .replace("{v}", &v)
            .replace("{v2}", &v2)
            .replace("{x}", &extra)
    };
    let roles = [("owner", &owner), ("user", &user), ("admin", &admin), ("ungranted", &nobody)];
    let mut report = String::new();
    let mut failures = 0;
    for op in OPS {
        // the owner goes last, so what it drops is still there for the others
        for i in [1, 2, 3, 0] {
            let (label, role) = roles[i];
            let out = psql(&pg, &db, role, &fill(op.sql, role))?;
            let (ok, got) = match op.expect[i] {
                Prints(expected) => {
                    (out.ok && out.stdout.trim() == fill(expected, role), out.stdout.trim().to_string())
                }
                Fails(expected) => {
                    (!out.ok && out.stderr.contains(&fill(expected, role)), out.stderr.trim().to_string())
                }
            };
            let expected = match op.expect[i] {
                Prints(e) => format!("ok {e:?}"),
                Fails(e) => format!("error {:?}", fill(e, role)),
            };
            if !ok {
                failures += 1;
            }
            report.push_str(&format!(
                "{} {:<70} {:<10} expected {expected}{}\n",
                if ok { "  " } else { "!!" },
                op.what,
                label,
                if ok { String::new() } else { format!(", got ok={} {got:?}", out.ok) }
            ));
        }
    }
    println!("{report}");
    assert_eq!(failures, 0, "{failures} cells differ:\n{report}");

    // grant_ai_usage: a role that does not exist, and what the extra role got from the admin
    psql_err(&pg, &db, &owner, "select ai.grant_ai_usage('no_such_role_x')", "role \"no_such_role_x\" does not exist")?;
    assert_eq!(
        psql(&pg, &db, &extra, "select count(*) from ai.vectorizer")?.stdout.trim(),
        "1",
        "the shared vectorizer is left"
    );
    Ok(())
}
