-- embedding.truncate is gone: inputs longer than the model's context are always cut to it.
update ai.vectorizer set config = config operator(pg_catalog.#-) '{embedding,truncate}'
where config operator(pg_catalog.@?) '$.embedding.truncate';
