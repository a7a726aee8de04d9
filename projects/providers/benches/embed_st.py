#!/usr/bin/env python3
"""The sentence-transformers row of benches/embed.rs (which starts it):

    embed_st.py MODEL_DIR TEXTS_JSON THREADS VECTORS_OUT

Embeds the texts with sentence-transformers' defaults (batch 32, CPU), after a warm-up batch,
prints one JSON line (texts_per_s, seconds, peak_rss_mb, load_s) and writes the first 100
vectors to VECTORS_OUT.
"""

import json
import resource
import sys
import time


def main():
    model_dir, texts_file, threads, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    t = time.perf_counter()
    import torch

    torch.set_num_threads(threads)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    load_s = time.perf_counter() - t
    with open(texts_file) as f:
        texts = json.load(f)
    model.encode(texts[:32])  # warm-up
    t = time.perf_counter()
    vectors = model.encode(texts, convert_to_numpy=True)
    secs = time.perf_counter() - t
    with open(out, "w") as f:
        json.dump(vectors[:100].tolist(), f)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"texts_per_s": len(texts) / secs, "seconds": secs, "peak_rss_mb": peak, "load_s": load_s}))


if __name__ == "__main__":
    main()
