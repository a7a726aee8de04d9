//! Opt-in: run the test PostgreSQL in the image `just ext docker-build` makes, through
//! testcontainers, instead of from `PG_CONFIG`. Enable with `PGAI_TEST_DOCKER=1` and the cargo
//! feature `testkit/docker`. Unverified on the project's machines (no Docker engine there).
//! psql and pg_dump still come from the local `PG_CONFIG` install.

use anyhow::{Context, Result};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

pub const IMAGE: &str = "pgai-rs-ext";

pub struct DockerPg {
    pub port: u16,
    _container: Container<GenericImage>,
}

/// Starts a container; `conf` lines become `-c` options, `env` the container's environment.
pub fn start(conf: &[String], env: &[(String, String)]) -> Result<DockerPg> {
    let conf = conf.to_vec();
    let env = env.to_vec();
    // The sync runner blocks on its own runtime: keep it off the test's tokio thread.
    std::thread::spawn(move || -> Result<DockerPg> {
        let mut cmd = vec!["postgres".to_string(), "-c".into(), "fsync=off".into()];
        for line in &conf {
            cmd.push("-c".into());
            cmd.push(line.replace(" = ", "=").replace('\'', ""));
        }
        let mut image = GenericImage::new(IMAGE, "latest")
            .with_exposed_port(5432.tcp())
            // the image's init server logs "ready" once on stderr, the real server once more on stdout
            .with_wait_for(WaitFor::message_on_stderr("database system is ready to accept connections"))
            .with_wait_for(WaitFor::message_on_stdout("database system is ready to accept connections"))
            .with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust")
            .with_cmd(cmd);
        for (k, v) in env {
            image = image.with_env_var(k, v);
        }
        let container =
            image.start().context("starting the pgai-rs-ext container (did `just ext docker-build` run?)")?;
        let port = container.get_host_port_ipv4(5432.tcp())?;
        Ok(DockerPg { port, _container: container })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the container start thread panicked"))?
}
