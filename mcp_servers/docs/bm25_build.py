"""The BM25 index, built from every chunk's term ids with whole-corpus numpy operations.

Why not `bm25s.BM25.index`: it loops over the chunks in Python (a Counter and a few small arrays
per chunk), 2.2 s for 43k chunks, the largest part of every ingest. The same Lucene scores
(k1 = 1.5, b = 0.75, bm25s's defaults) come from one sort of (term, chunk) keys; the tests check
them against bm25s's own build. The index is saved in bm25s's format, so search loads it with
`bm25s.BM25.load` as before.

The term ids are kept next to the index (`terms.npy` + offsets, vocabulary in the bm25s folder):
a re-ingest takes the ids of unchanged chunks from there instead of analysing their text again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcp_servers.docs import layout
from mcp_servers.docs.layout import Run, segments

K1, B = 1.5, 0.75
EMPTY_TERM = ""  # bm25s's empty token: a query with no known term still has an id to look up
VOCAB_FILE = "vocab.index.json"  # bm25s's name, in the bm25s folder


@dataclass
class Terms:
    """All chunks' term ids in row order: chunk i is ids[offsets[i]:offsets[i + 1]]."""

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, one more than there are chunks
    vocab: list[str]  # term of each id

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def chunk(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]


def splice(
    n_rows: int, runs: Sequence[Run], prev: Terms | None, fresh: Mapping[int, np.ndarray], vocab: list[str]
) -> Terms:
    """Every row's term ids: the rows of `runs` copied from `prev` a run at a time, each other
    row from `fresh`. Ids no row uses are then dropped, so the vocabulary stays the corpus's own
    however many ingests it has been carried through.

    Why runs: unchanged files keep their chunks together and in order, so a re-ingest is a few
    slice copies however large the corpus (a Python step per kept chunk took 2.2 s at 200k)."""
    no_prev = (np.zeros(0, np.int32), np.zeros(1, np.int64))
    prev_ids, prev_offsets = (prev.ids, prev.offsets) if prev is not None else no_prev
    pieces: list[np.ndarray] = []
    lengths = np.zeros(n_rows, dtype=np.int64)
    for start, end, old in segments(n_rows, runs):
        if old is None:
            pieces.append(fresh[start])
        else:
            pieces.append(prev_ids[prev_offsets[old] : prev_offsets[old + end - start]])
            lengths[start:end] = np.diff(prev_offsets[old : old + end - start + 1])
    lengths[list(fresh)] = [len(part) for part in fresh.values()]
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(pieces).astype(np.int32, copy=False) if pieces else np.zeros(0, np.int32)
    used = np.zeros(len(vocab), dtype=bool)
    used[ids] = True
    if not used.all():
        renumber = np.cumsum(used, dtype=np.int64) - 1
        ids = renumber[ids].astype(np.int32)
        vocab = [t for t, u in zip(vocab, used.tolist(), strict=True) if u]
    if EMPTY_TERM not in vocab:
        vocab = [*vocab, EMPTY_TERM]
    return Terms(ids, offsets, vocab)


def lucene_scores(terms: Terms) -> dict[str, np.ndarray | int]:
    """bm25s's score matrix (CSC: a column per term, chunks ascending) for `terms`."""
    n_docs, n_vocab = len(terms), len(terms.vocab)
    doc_len = np.diff(terms.offsets)
    avg_len = float(doc_len.mean()) if n_docs and doc_len.any() else 1.0
    doc_of_token = np.repeat(np.arange(n_docs, dtype=np.int64), doc_len)
    keys, tf = np.unique(terms.ids.astype(np.int64) * max(n_docs, 1) + doc_of_token, return_counts=True)
    term, doc = np.divmod(keys, max(n_docs, 1))
    df = np.bincount(term, minlength=n_vocab)
    idf = np.where(df > 0, np.log(1 + (n_docs - df + 0.5) / (df + 0.5)), 0.0).astype(np.float32)
    tf = tf.astype(np.float32)
    tfc = tf / (K1 * ((1 - B) + B * doc_len[doc] / avg_len) + tf)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return {
        "data": (idf[term] * tfc).astype(np.float32),
        "indices": doc.astype(np.int32),
        "indptr": indptr,
        "num_docs": n_docs,
    }


def save(out_dir: Path, terms: Terms) -> None:
    """Write the index where `bm25s.BM25.load(out_dir)` finds it."""
    import bm25s

    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.scores = lucene_scores(terms)
    retriever.vocab_dict = {t: i for i, t in enumerate(terms.vocab)}
    retriever.nonoccurrence_array = None  # only BM25L and BM25+ have one
    retriever.save(str(out_dir), show_progress=False)


def save_terms(generation: Path, terms: Terms) -> None:
    """Keep the term ids with the generation (the vocabulary is the one `save` wrote)."""
    np.save(generation / layout.TERMS, terms.ids)
    np.save(generation / layout.TERM_OFFSETS, terms.offsets)


def load_terms(generation: Path) -> Terms | None:
    """A generation's term ids, or None when it has none (built before they were kept)."""
    try:
        ids = np.load(generation / layout.TERMS, mmap_mode="r")
        offsets = np.load(generation / layout.TERM_OFFSETS)
        vocab_ids = json.loads((generation / layout.BM25_DIR / VOCAB_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    vocab = [""] * len(vocab_ids)
    for term, i in vocab_ids.items():
        vocab[i] = term
    return Terms(ids, offsets, vocab)
