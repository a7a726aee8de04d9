//! ai.voyageai_embed: Voyage AI embeddings (base URL from the setting `ai.voyageai_base_url`).

use crate::call::{call, required, setting};
use crate::secrets::resolve_key;
use crate::vector::Vector;
use pgrx::prelude::*;
use providers::voyage::Voyage;

fn client(api_key: Option<&str>, api_key_name: Option<&str>) -> Voyage {
    Voyage::new(Some(resolve_key("voyageai", api_key, api_key_name, "VOYAGE_API_KEY")), setting("ai.voyageai_base_url"))
}

#[pg_extern(name = "voyageai_embed", immutable, parallel_safe, create_or_replace)]
fn voyageai_embed_text(
    model: Option<&str>,
    input_text: Option<&str>,
    input_type: default!(Option<&str>, "NULL"),
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
) -> Option<Vector> {
    let model = required(model, "model");
    // a NULL text embeds to NULL, without a request
    let input_text = input_text?;
    let mut out =
        call(client(api_key, api_key_name).embed(model, vec![input_text.to_string()], input_type.map(str::to_string)));
    match out.pop() {
        Some((_, v)) => Some(Vector(v)),
        None => error!("Voyage AI returned no embedding"),
    }
}

#[pg_extern(name = "voyageai_embed", immutable, parallel_safe, create_or_replace)]
fn voyageai_embed_texts(
    model: Option<&str>,
    input_texts: Option<Vec<String>>,
    input_type: default!(Option<&str>, "NULL"),
    api_key: default!(Option<&str>, "NULL"),
    api_key_name: default!(Option<&str>, "NULL"),
) -> TableIterator<'static, (name!(index, i32), name!(embedding, Vector))> {
    let model = required(model, "model");
    let input_texts = required(input_texts, "input_texts");
    let out = call(client(api_key, api_key_name).embed(model, input_texts, input_type.map(str::to_string)));
    TableIterator::new(out.into_iter().map(|(i, v)| (i as i32, Vector(v))))
}
