//! The Hub's Parquet listing: `GET {endpoint}/api/datasets/{name}/parquet` answers
//! `{config: {split: [url, ...]}}` (the files of the dataset's automatic Parquet conversion).

use crate::error::{Error, Result};
use crate::http::{join_url, ApiRequest, HttpClient};
use std::collections::BTreeMap;

const PROVIDER: &str = "huggingface";
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// config -> split -> Parquet file URLs.
pub type ParquetIndex = BTreeMap<String, BTreeMap<String, Vec<String>>>;

pub struct Hub {
    http: HttpClient,
    endpoint: String,
    token: Option<String>,
}

impl Hub {
    pub fn new(endpoint: Option<String>, token: Option<String>) -> Hub {
        Hub { http: HttpClient::shared(), endpoint: endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.into()), token }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every Parquet file of the dataset, by config and split.
    pub async fn parquet_files(&self, dataset: &str) -> Result<ParquetIndex> {
        if dataset.is_empty() || dataset.split('/').any(|p| p.is_empty() || p == "..") || dataset.contains(['?', '#']) {
            return Err(Error::config(PROVIDER, format!("{dataset:?} is not a dataset name like \"owner/name\"")));
        }
        let url = join_url(&self.endpoint, &format!("api/datasets/{dataset}/parquet"));
        let req = ApiRequest::get(PROVIDER, url).bearer(self.token.as_deref());
        match self.http.json::<ParquetIndex>(&req).await {
            Err(e) if e.status() == Some(404) => Err(Error::config(
                PROVIDER,
                format!("dataset {dataset:?} was not found on {} (or has no Parquet files)", self.endpoint),
            )),
            other => other,
        }
    }

    /// A file's bytes; relative URLs are taken against the endpoint.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url.to_string()
        } else {
            join_url(&self.endpoint, url)
        };
        self.http.send(&ApiRequest::get(PROVIDER, url).bearer(self.token.as_deref())).await
    }
}

/// Splits with their files, in load order.
pub type Splits = Vec<(String, Vec<String>)>;

/// The config and the splits (with their files) to load: `config` defaults to the only one or to
/// `default`; `split` defaults to every split (train, validation, test first).
pub fn select(
    index: &ParquetIndex,
    dataset: &str,
    config: Option<&str>,
    split: Option<&str>,
) -> Result<(String, Splits)> {
    let names = || index.keys().cloned().collect::<Vec<_>>().join(", ");
    let config = match config {
        Some(c) => c.to_string(),
        None if index.len() == 1 => index.keys().next().cloned().unwrap_or_default(),
        None if index.contains_key("default") => "default".into(),
        None => {
            return Err(Error::config(
                PROVIDER,
                format!("dataset {dataset:?} has several configs ({}); pass config_name", names()),
            ))
        }
    };
    let Some(splits) = index.get(&config) else {
        return Err(Error::config(
            PROVIDER,
            format!("dataset {dataset:?} has no config {config:?}; its configs: {}", names()),
        ));
    };
    let chosen: Splits = match split {
        Some(s) => match splits.get(s) {
            Some(files) => vec![(s.to_string(), files.clone())],
            None => {
                let known = splits.keys().cloned().collect::<Vec<_>>().join(", ");
                return Err(Error::config(
                    PROVIDER,
                    format!("config {config:?} of {dataset:?} has no split {s:?}; its splits: {known}"),
                ));
            }
        },
        None => {
            let rank = |s: &str| ["train", "validation", "test"].iter().position(|x| *x == s).unwrap_or(3);
            let mut all: Vec<_> = splits.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            all.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
            all
        }
    };
    Ok((config, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ParquetIndex {
        serde_json::from_str(r#"{"default": {"test": ["t.parquet"], "train": ["a.parquet", "b.parquet"], "extra": ["e.parquet"]}, "other": {"train": ["o.parquet"]}}"#).unwrap()
    }

    #[test]
    fn picks_default_config_and_orders_splits() {
        let (c, s) = select(&index(), "d", None, None).unwrap();
        assert_eq!(c, "default");
        assert_eq!(s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["train", "test", "extra"]);
        let (_, s) = select(&index(), "d", Some("other"), Some("train")).unwrap();
        assert_eq!(s, vec![("train".to_string(), vec!["o.parquet".to_string()])]);
    }

    #[test]
    fn unknown_config_or_split_names_the_choices() {
        let e = select(&index(), "d", Some("nope"), None).unwrap_err().to_string();
        assert!(e.contains("no config \"nope\"") && e.contains("default, other"), "{e}");
        let e = select(&index(), "d", None, Some("dev")).unwrap_err().to_string();
        assert!(e.contains("no split \"dev\"") && e.contains("extra, test, train"), "{e}");
        let mut two = index();
        two.remove("default");
        two.insert("x".into(), BTreeMap::new());
        assert!(select(&two, "d", None, None).unwrap_err().to_string().contains("several configs"));
    }
}
