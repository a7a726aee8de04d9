use crate::fast_retry;
use providers::Voyage;
use serde_json::json;
use testkit::fake::{self, fake_embedding};

const KEY: &str = "pa-test-0123456789";

#[tokio::test]
async fn embed() {
    let f = fake::voyage(KEY);
    let c = Voyage::new(Some(KEY.into()), Some(f.base_url())).with_retry(fast_retry());
    let out = c.embed("voyage-3-lite", vec!["one".into(), "two".into()], Some("document".into())).await.unwrap();
    assert_eq!(out, vec![(0, fake_embedding("one", 512)), (1, fake_embedding("two", 512))]);
    let req = f.last_request().unwrap();
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/v1/embeddings"));
    assert_eq!(req.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(req.json(), json!({"input": ["one", "two"], "model": "voyage-3-lite", "input_type": "document"}));

    c.embed("voyage-3", vec!["q".into()], None).await.unwrap();
    assert_eq!(f.last_request().unwrap().json(), json!({"input": ["q"], "model": "voyage-3"}));
}

#[tokio::test]
async fn errors() {
    let f = fake::voyage(KEY);
    let err = Voyage::new(Some("pa-wrong-00000000".into()), Some(f.base_url()))
        .embed("voyage-3", vec!["x".into()], None)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.message()), (Some(401), "Provided API key is invalid."));
    let c = Voyage::new(Some(KEY.into()), Some(f.base_url()));
    let err = c.embed("voyage-3", vec!["x".into()], Some("bogus".into())).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(Voyage::new(None, None).base_url(), "https://api.voyageai.com/v1");
}
