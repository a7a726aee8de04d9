//! Without ONNX Runtime: its own test binary, because a process loads the runtime once (the
//! other local-model tests load it).

use providers::local::{self, Embedder, EngineKind, Options};

#[test]
fn without_the_runtime_candle_serves_and_a_later_load_works() {
    let models = Options::default().resolved_models_dir();
    assert!(models.join(local::DEFAULT_MODEL).is_dir(), "run `just ext setup` to install the default model");
    let missing = Options { onnxruntime_library: Some("/nonexistent/libonnxruntime.so".into()), ..Options::default() };

    // asked for explicitly: a clear error naming the library
    let o = Options { engine: Some(EngineKind::Onnx), ..missing.clone() };
    let err = Embedder::load(local::DEFAULT_MODEL, &o).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/libonnxruntime.so") && err.contains("does not exist"), "{err}");
    // a file that is not a library
    let not_a_lib = tempfile::NamedTempFile::new().unwrap();
    let o = Options {
        engine: Some(EngineKind::Onnx),
        onnxruntime_library: Some(not_a_lib.path().into()),
        ..Options::default()
    };
    let err = Embedder::load(local::DEFAULT_MODEL, &o).unwrap_err().to_string();
    assert!(err.contains("cannot load the ONNX Runtime library"), "{err}");

    // automatic: candle, although the model has a graph
    assert_eq!(Embedder::load(local::DEFAULT_MODEL, &missing).unwrap().engine(), EngineKind::Candle);

    // the failures left nothing behind: the installed runtime loads now
    let e = Embedder::load(local::DEFAULT_MODEL, &Options::default()).unwrap();
    assert_eq!(e.engine(), EngineKind::Onnx);
    assert_eq!(e.embed_one("hello").unwrap().len(), 384);
}
