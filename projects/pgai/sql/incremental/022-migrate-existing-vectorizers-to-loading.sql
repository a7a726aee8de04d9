-- A vectorizer made before loading existed read chunking.chunk_column: it becomes a column
-- loading of that column, parsed as it is (auto on text is the text).
update ai.vectorizer set config = config
    operator(pg_catalog.||) pg_catalog.jsonb_build_object
        ( 'loading', pg_catalog.jsonb_build_object
            ( 'implementation', 'column', 'config_type', 'loading'
            , 'column_name', config operator(pg_catalog.->) 'chunking' operator(pg_catalog.->>) 'chunk_column', 'retries', 6)
        , 'parsing', pg_catalog.jsonb_build_object('implementation', 'auto', 'config_type', 'parsing')
        , 'chunking', (config operator(pg_catalog.->) 'chunking') operator(pg_catalog.-) 'chunk_column'
        , 'version', '__version__')
where config operator(pg_catalog.->) 'chunking' operator(pg_catalog.?) 'chunk_column';
